# ---------------------------------------------------------------------------
# Code signing (enable_code_signing): Lambda refuses any package that this
# stack's AWS Signer profile did not sign. Terraform uploads the package to a
# versioned code bucket, AWS Signer signs it there (a signing job, which
# Terraform waits for), and the function is deployed from the signed copy.
# The code signing configuration enforces: Lambda blocks a deployment whose
# signature is expired, revoked or from another profile, not only warns
# (https://docs.aws.amazon.com/lambda/latest/dg/configuration-codesigning.html,
# which also says that AWS Signer and code signing cost nothing extra).
# ---------------------------------------------------------------------------

locals {
  code_signing = var.enable_code_signing ? { this = true } : {}
  # Signing profile names allow letters, digits and underscores only.
  signing_profile_prefix = substr(replace(var.name, "-", "_"), 0, 38)
}

resource "aws_signer_signing_profile" "this" {
  for_each = local.code_signing

  name_prefix = local.signing_profile_prefix
  platform_id = "AWSLambda-SHA384-ECDSA" # the platform for Lambda packages

  signature_validity_period {
    value = var.code_signature_validity_months
    type  = "MONTHS"
  }

  tags = local.tags
}

resource "aws_lambda_code_signing_config" "this" {
  for_each = local.code_signing

  description = "Only packages signed by ${aws_signer_signing_profile.this["this"].name} deploy to ${local.function_name}"

  allowed_publishers {
    signing_profile_version_arns = [aws_signer_signing_profile.this["this"].version_arn]
  }

  policies {
    untrusted_artifact_on_deployment = "Enforce"
  }

  tags = local.tags
}

# Signer reads a versioned source object and writes the signed one beside it
# (https://docs.aws.amazon.com/signer/latest/developerguide/signing-jobs-lambda.html).
module "code_bucket" {
  source   = "../hardened-bucket"
  for_each = local.code_signing

  bucket        = local.code_bucket_name
  force_destroy = var.force_destroy
  kms_key_arn   = aws_kms_key.this.arn
  tags          = local.tags

  # Signed packages (a new key per build, 6.2 MB each) are kept: re-creating
  # the function needs the one its state names. The overwritten unsigned
  # upload keeps old versions 30 days.
  lifecycle_rules = [
    { id = "expire-old-versions", noncurrent_version_expiration_days = 30 },
  ]

  access_log_target = local.access_log_target
}

resource "aws_s3_object" "unsigned_package" {
  for_each = local.code_signing

  bucket      = module.code_bucket["this"].id
  key         = "unsigned/lambda.zip"
  source      = var.lambda_package_path
  source_hash = filemd5(var.lambda_package_path) # a new build, a new version
  kms_key_id  = aws_kms_key.this.arn
  tags        = local.tags

  # Signer signs a version of a versioned object: upload only once the whole
  # bucket, its versioning included, is in place (the id output waits for the
  # policy only).
  depends_on = [module.code_bucket]
}

resource "aws_signer_signing_job" "package" {
  for_each = local.code_signing

  profile_name = aws_signer_signing_profile.this["this"].name

  source {
    s3 {
      bucket  = module.code_bucket["this"].id
      key     = aws_s3_object.unsigned_package["this"].key
      version = aws_s3_object.unsigned_package["this"].version_id
    }
  }

  destination {
    s3 {
      bucket = module.code_bucket["this"].id
      prefix = "signed/"
    }
  }

  # A failed signature fails the apply: an unsigned package never deploys.
  ignore_signing_job_failure = false
}

# ---------------------------------------------------------------------------
# Buckets from one hardened skeleton (../hardened-bucket):
#   images: uploads/ in, processed/ out, SSE-KMS with the stack's key
#   logs:   S3 access logs of the other buckets, SSE-S3; only when no
#           access_log_target is given (the account baseline's logs bucket)
# (and code, with enable_code_signing: code_signing.tf). The trail's audit
# bucket and AWS Config's delivery are the account baseline's
# (terraform/modules/account-baseline).
# ---------------------------------------------------------------------------

module "images_bucket" {
  source = "../hardened-bucket"

  bucket        = local.images_bucket_name
  force_destroy = var.force_destroy
  kms_key_arn   = aws_kms_key.this.arn
  tags          = local.tags

  lifecycle_rules = [
    { id = "expire-uploads", prefix = local.input_prefix, expiration_days = var.upload_retention_days },
    { id = "expire-processed", prefix = local.output_prefix, expiration_days = var.upload_retention_days },
    { id = "clean-up-versions", noncurrent_version_expiration_days = 7 },
    # Batch Operations manifests and reports list upload keys (batch_operations.tf).
    { id = "expire-batch-operations", prefix = local.batch_operations_prefix, expiration_days = var.upload_retention_days },
  ]

  # The logs bucket's id is known only once its policy lets the logging
  # service write, which S3 checks when logging is configured (the account
  # baseline's access_log_target output is that id too).
  access_log_target = local.access_log_target

  # With malware protection on, GuardDuty's tag gates reads and only its role
  # may set it (malware_protection.tf); with uploader isolation on, each
  # tenant writes only under its own prefix (uploaders.tf); with them off,
  # nothing is appended.
  policy_documents = concat(
    [data.aws_iam_policy_document.images_bucket.json],
    [for gating in data.aws_iam_policy_document.malware_gating : gating.json],
    [for isolation in data.aws_iam_policy_document.uploader_isolation : isolation.json],
  )
}

# Uploads without encryption headers get the bucket default (our key), so a
# plain `aws s3 cp` works. A request that names another encryption, another
# key, no key (S3 would then use the AWS managed key aws/s3: PutObject's
# x-amz-server-side-encryption-aws-kms-key-id,
# https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html) or a key
# of its own (SSE-C) is refused: each Deny applies only when its header is
# present (or, for the managed key, when the key-id header is missing).
# Multipart uploads and copies are authorized as s3:PutObject with the same
# headers. Under the output prefix only the function's role may write, so no
# other principal with bucket access can replace a processed image.
data "aws_iam_policy_document" "images_bucket" {
  statement {
    sid       = "DenyOtherEncryption"
    effect    = "Deny"
    actions   = ["s3:PutObject"]
    resources = ["${module.images_bucket.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Null"
      variable = "s3:x-amz-server-side-encryption"
      values   = ["false"]
    }
    condition {
      test     = "StringNotEquals"
      variable = "s3:x-amz-server-side-encryption"
      values   = ["aws:kms"]
    }
    # S3 Batch Operations writes its completion reports with SSE-S3 whatever
    # the bucket's default ("Completion reports are always encrypted with
    # Amazon S3 managed keys (SSE-S3)",
    # https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-examples-reports.html):
    # its role may, and its own policy lets it write only under
    # batch-operations/reports/ (batch_operations.tf).
    condition {
      test     = "ArnNotEquals"
      variable = "aws:PrincipalArn"
      values   = [aws_iam_role.batch_operations.arn]
    }
  }

  statement {
    sid       = "DenyOtherKmsKeys"
    effect    = "Deny"
    actions   = ["s3:PutObject"]
    resources = ["${module.images_bucket.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Null"
      variable = "s3:x-amz-server-side-encryption-aws-kms-key-id"
      values   = ["false"]
    }
    condition {
      test     = "StringNotEquals"
      variable = "s3:x-amz-server-side-encryption-aws-kms-key-id"
      values   = [aws_kms_key.this.arn]
    }
  }

  # A KMS upload (aws:kms, or DSSE's aws:kms:dsse) that names no key, and only
  # that: without the StringEquals this statement also refused every SSE-S3
  # write, the Batch Operations role's reports included, which
  # DenyOtherEncryption exempts (seen with the rendered policy on the local
  # AWS: tests/integration/test_local_aws_bucket_policy.py).
  statement {
    sid       = "DenyAwsManagedKey"
    effect    = "Deny"
    actions   = ["s3:PutObject"]
    resources = ["${module.images_bucket.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Null"
      variable = "s3:x-amz-server-side-encryption"
      values   = ["false"]
    }
    condition {
      test     = "StringEquals"
      variable = "s3:x-amz-server-side-encryption"
      values   = ["aws:kms", "aws:kms:dsse"]
    }
    condition {
      test     = "Null"
      variable = "s3:x-amz-server-side-encryption-aws-kms-key-id"
      values   = ["true"]
    }
  }

  statement {
    sid       = "DenyCustomerProvidedKeys"
    effect    = "Deny"
    actions   = ["s3:PutObject"]
    resources = ["${module.images_bucket.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Null"
      variable = "s3:x-amz-server-side-encryption-customer-algorithm"
      values   = ["false"]
    }
  }

  statement {
    sid       = "DenyOutputWritesByOthers"
    effect    = "Deny"
    actions   = ["s3:PutObject"]
    resources = ["${module.images_bucket.arn}/${local.output_prefix}*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "ArnNotEquals"
      variable = "aws:PrincipalArn"
      values   = [aws_iam_role.lambda.arn]
    }
  }
}

# Uploads under uploads/ reach the function (through the uploads queue);
# nothing else does, so its own outputs under processed/ can never trigger it.
# With malware protection on, GuardDuty's scan result does instead
# (malware_protection.tf), and the plan needs the bucket's events on
# EventBridge: Terraform owns that switch here, or it would undo the plan's.
resource "aws_s3_bucket_notification" "this" {
  bucket      = module.images_bucket.bucket
  eventbridge = var.enable_malware_protection

  # Without malware gating, every new object under uploads/ is announced into
  # the uploads queue (sqs.tf); with it, GuardDuty's scan result is
  # (malware_protection.tf).
  dynamic "queue" {
    for_each = var.enable_malware_protection ? [] : [1]
    content {
      id            = "${var.name}-uploads"
      queue_arn     = aws_sqs_queue.uploads.arn
      events        = ["s3:ObjectCreated:*"]
      filter_prefix = local.input_prefix
    }
  }

  # S3 checks that it can deliver when the configuration is saved.
  depends_on = [aws_sqs_queue_policy.uploads, aws_kms_key.security]
}

# The module's own access-log target, when the caller gives none
# (access_log_target): S3 server access logs of the images and code buckets.
# Server access logs cannot be delivered into a bucket with Object Lock ("S3
# buckets with Object Lock can't be used as destination buckets for server
# access logs", https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-managing.html),
# so this bucket keeps them versioned instead: a deleted or overwritten log
# stays as a noncurrent version for as long as the logs are kept. (count,
# not for_each: with a conditional for_each checkov 3.3.30 failed CKV_AWS_300
# on this bucket and the code bucket, false FAILs of the scan gate.)
module "logs_bucket" {
  source = "../hardened-bucket"
  count  = var.access_log_target == null ? 1 : 0

  bucket        = local.logs_bucket_name
  force_destroy = var.force_destroy
  kms_key_arn   = null # S3 server access logging cannot deliver into SSE-KMS
  tags          = local.tags

  lifecycle_rules = [
    {
      id                                 = "expire-logs"
      expiration_days                    = var.access_log_retention_days
      noncurrent_version_expiration_days = var.access_log_retention_days
    },
  ]

  access_log_target = null # the log target itself

  policy_documents = [data.aws_iam_policy_document.logs_bucket[0].json]
}

# Before the logs bucket was optional it had no index: a deployment of the
# module on its own keeps its bucket. (In terraform/main.tf the account
# baseline's logs bucket takes it over: the root moves it on from here.)
moved {
  from = module.logs_bucket
  to   = module.logs_bucket[0]
}

data "aws_iam_policy_document" "logs_bucket" {
  count = var.access_log_target == null ? 1 : 0

  statement {
    sid     = "S3ServerAccessLogsFromTheStacksBuckets"
    actions = ["s3:PutObject"]
    # The bucket's own ARN from its module: with this one name-derived too,
    # checkov 3.3.30 rendered the module without the skeleton's
    # abort-incomplete-uploads rule and failed CKV_AWS_300 on it (a false
    # FAIL, seen in the scan gate).
    resources = ["${module.logs_bucket[0].arn}/${local.access_logs_prefix}*"]
    principals {
      type        = "Service"
      identifiers = ["logging.s3.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      # The buckets by their name-derived ARNs: the code bucket's module
      # outputs depend on this policy (its logging target), so they cannot
      # be referenced here.
      values = local.access_log_source_bucket_arns
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

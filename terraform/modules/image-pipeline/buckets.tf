# ---------------------------------------------------------------------------
# Two buckets from one hardened skeleton (../hardened-bucket):
#   images: uploads/ in, processed/ out, SSE-KMS with the stack's key
#   logs:   S3 access logs, CloudTrail and Config files, SSE-S3
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
  ]

  # The logs bucket's id is known only once its policy lets the logging
  # service write, which S3 checks when logging is configured.
  access_log_target = { bucket = module.logs_bucket.id, prefix = local.access_logs_prefix }

  policy_documents = [data.aws_iam_policy_document.images_bucket.json]
}

# Uploads without encryption headers get the bucket default (our key), so a
# plain `aws s3 cp` works. A request that names another encryption or another
# key is refused: each Deny applies only when its header is present.
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
}

# Uploads under uploads/ invoke the function; nothing else does, so its own
# outputs under processed/ can never trigger it.
resource "aws_s3_bucket_notification" "this" {
  bucket = module.images_bucket.bucket

  lambda_function {
    id                  = "${var.name}-uploads"
    lambda_function_arn = aws_lambda_function.this.arn
    events              = ["s3:ObjectCreated:*"]
    filter_prefix       = local.input_prefix
  }

  depends_on = [aws_lambda_permission.s3]
}

module "logs_bucket" {
  source = "../hardened-bucket"

  bucket        = local.logs_bucket_name
  force_destroy = var.force_destroy
  kms_key_arn   = null # S3 server access logging cannot deliver into SSE-KMS
  tags          = local.tags

  lifecycle_rules = [
    {
      id                                 = "expire-logs"
      expiration_days                    = var.access_log_retention_days
      noncurrent_version_expiration_days = 7
    },
  ]

  access_log_target = null # the log target itself

  policy_documents = [data.aws_iam_policy_document.logs_bucket.json]
}

data "aws_iam_policy_document" "logs_bucket" {
  statement {
    sid       = "S3ServerAccessLogsFromTheImagesBucket"
    actions   = ["s3:PutObject"]
    resources = ["${module.logs_bucket.arn}/${local.access_logs_prefix}*"]
    principals {
      type        = "Service"
      identifiers = ["logging.s3.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [module.images_bucket.arn]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }

  dynamic "statement" {
    for_each = local.cloudtrail_arn == null ? [] : [local.cloudtrail_arn]
    content {
      sid       = "CloudTrailChecksBucketAcl"
      actions   = ["s3:GetBucketAcl"]
      resources = [module.logs_bucket.arn]
      principals {
        type        = "Service"
        identifiers = ["cloudtrail.amazonaws.com"]
      }
      condition {
        test     = "StringEquals"
        variable = "aws:SourceArn"
        values   = [statement.value]
      }
    }
  }

  dynamic "statement" {
    for_each = local.cloudtrail_arn == null ? [] : [local.cloudtrail_arn]
    content {
      sid       = "CloudTrailWritesTrailFiles"
      actions   = ["s3:PutObject"]
      resources = ["${module.logs_bucket.arn}/${local.cloudtrail_prefix}/AWSLogs/${local.account_id}/*"]
      principals {
        type        = "Service"
        identifiers = ["cloudtrail.amazonaws.com"]
      }
      condition {
        test     = "StringEquals"
        variable = "aws:SourceArn"
        values   = [statement.value]
      }
    }
  }

  # AWS Config documents aws:SourceAccount for its delivery bucket; scoping it
  # to the recorder's ARN is issue 10 (item 4).
  dynamic "statement" {
    for_each = var.enable_config_delivery ? [1] : []
    content {
      sid       = "ConfigChecksBucket"
      actions   = ["s3:GetBucketAcl", "s3:ListBucket"]
      resources = [module.logs_bucket.arn]
      principals {
        type        = "Service"
        identifiers = ["config.amazonaws.com"]
      }
      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [local.account_id]
      }
    }
  }

  dynamic "statement" {
    for_each = var.enable_config_delivery ? [1] : []
    content {
      sid       = "ConfigWritesSnapshots"
      actions   = ["s3:PutObject"]
      resources = ["${module.logs_bucket.arn}/${local.config_prefix}/AWSLogs/${local.account_id}/Config/*"]
      principals {
        type        = "Service"
        identifiers = ["config.amazonaws.com"]
      }
      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [local.account_id]
      }
    }
  }
}

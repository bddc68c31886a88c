# ---------------------------------------------------------------------------
# Three buckets from one hardened skeleton (../hardened-bucket):
#   images: uploads/ in, processed/ out, SSE-KMS with the stack's key
#   logs:   S3 access logs of the other buckets and Config files, SSE-S3
#   audit:  the trail's files under Object Lock (when cloudtrail_name is set)
# (and code, with enable_code_signing: code_signing.tf)
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
  # service write, which S3 checks when logging is configured.
  access_log_target = { bucket = module.logs_bucket.id, prefix = local.access_logs_prefix }

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

# The access-log target: S3 server access logs of the other buckets, and AWS
# Config's files. Neither can be delivered into a bucket with Object Lock
# (S3: "S3 buckets with Object Lock can't be used as destination buckets for
# server access logs", https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-managing.html;
# Config: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-config-deliverychannel.html),
# so this bucket keeps them versioned instead: a deleted or overwritten log
# stays as a noncurrent version for as long as the logs are kept.
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
      noncurrent_version_expiration_days = var.access_log_retention_days
    },
  ]

  access_log_target = null # the log target itself

  policy_documents = [data.aws_iam_policy_document.logs_bucket.json]
}

data "aws_iam_policy_document" "logs_bucket" {
  statement {
    sid       = "S3ServerAccessLogsFromTheStacksBuckets"
    actions   = ["s3:PutObject"]
    resources = ["${module.logs_bucket.arn}/${local.access_logs_prefix}*"]
    principals {
      type        = "Service"
      identifiers = ["logging.s3.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      # The code and audit buckets by their name-derived ARNs: their modules'
      # outputs depend on this policy (their logging target), so they cannot
      # be referenced here.
      values = concat(
        [module.images_bucket.arn],
        var.enable_code_signing ? ["arn:${local.partition}:s3:::${local.code_bucket_name}"] : [],
        local.cloudtrail_arn == null ? [] : ["arn:${local.partition}:s3:::${local.audit_bucket_name}"],
      )
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }

  # AWS Config documents aws:SourceAccount for its delivery bucket (SECURITY.md
  # registers why not aws:SourceArn).
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

# The trail's bucket (when cloudtrail_name names one): every version is
# locked for access_log_retention_days, and a version hidden early by a
# delete marker stays that long again before the lifecycle removes it. Its
# own access is logged into the logs bucket (CloudTrail.7 / CIS 3.4).
module "audit_bucket" {
  source   = "../hardened-bucket"
  for_each = local.cloudtrail_arn == null ? {} : { this = local.cloudtrail_arn }

  bucket        = local.audit_bucket_name
  force_destroy = var.force_destroy
  kms_key_arn   = null # CloudTrail encrypts each file with the security key itself (kms_key_id)
  tags          = local.tags

  object_lock = { mode = var.audit_log_object_lock_mode, days = var.access_log_retention_days }

  lifecycle_rules = [
    {
      id                                 = "expire-trail-files"
      expiration_days                    = var.access_log_retention_days
      noncurrent_version_expiration_days = var.access_log_retention_days
    },
  ]

  access_log_target = { bucket = module.logs_bucket.id, prefix = local.access_logs_prefix }

  policy_documents = [data.aws_iam_policy_document.audit_bucket[each.key].json]
}

data "aws_iam_policy_document" "audit_bucket" {
  for_each = local.cloudtrail_arn == null ? {} : { this = local.cloudtrail_arn }

  statement {
    sid       = "CloudTrailChecksBucketAcl"
    actions   = ["s3:GetBucketAcl"]
    resources = ["arn:${local.partition}:s3:::${local.audit_bucket_name}"]
    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceArn"
      values   = [each.value]
    }
  }

  # The evidence stays: nobody but the break-glass principal may bypass
  # GOVERNANCE retention, delete a version, change a version's retention or
  # legal hold, or change the bucket's Object Lock configuration (kms.tf:
  # break_glass_principal_arn). S3's lifecycle expiry, after the retention,
  # is S3's own and not subject to the policy. A changed
  # access_log_retention_days or audit_log_object_lock_mode is applied by
  # the break-glass principal, too.
  statement {
    sid    = "DenyEvidenceTamperingExceptBreakGlass"
    effect = "Deny"
    actions = [
      "s3:BypassGovernanceRetention",
      "s3:DeleteObjectVersion",
      "s3:PutObjectRetention",
      "s3:PutObjectLegalHold",
      "s3:PutBucketObjectLockConfiguration",
    ]
    resources = [
      "arn:${local.partition}:s3:::${local.audit_bucket_name}",
      "arn:${local.partition}:s3:::${local.audit_bucket_name}/*",
    ]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "ArnNotEquals"
      variable = "aws:PrincipalArn"
      values   = [local.break_glass_principal_arn]
    }
  }

  statement {
    sid       = "CloudTrailWritesTrailFiles"
    actions   = ["s3:PutObject"]
    resources = ["arn:${local.partition}:s3:::${local.audit_bucket_name}/${local.cloudtrail_prefix}/AWSLogs/${local.account_id}/*"]
    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceArn"
      values   = [each.value]
    }
  }
}

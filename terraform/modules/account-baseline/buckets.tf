# ---------------------------------------------------------------------------
# The baseline's two sinks, from the shared hardened skeleton (../hardened-bucket):
#   audit: the trail's files under Object Lock (enable_cloudtrail)
#   logs:  AWS Config's files, and the S3 server access logs of the audit
#          bucket and of the buckets the caller names
#          (access_log_source_bucket_arns: an application's), SSE-S3
# The image-pipeline module created both before the baseline owned them:
# same names, and terraform/main.tf moves an existing deployment's.
# ---------------------------------------------------------------------------

# The access-log target. Neither S3 server access logs nor AWS Config's files
# can be delivered into a bucket with Object Lock (S3: "S3 buckets with
# Object Lock can't be used as destination buckets for server access logs",
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-managing.html;
# Config: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-config-deliverychannel.html),
# so this bucket keeps them versioned instead: a deleted or overwritten log
# stays as a noncurrent version for as long as the logs are kept.
module "logs_bucket" {
  source   = "../hardened-bucket"
  for_each = local.create_logs_bucket ? { this = local.logs_bucket_name } : {}

  bucket        = each.value
  force_destroy = var.force_destroy
  kms_key_arn   = null # S3 server access logging cannot deliver into SSE-KMS
  tags          = var.tags

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
  # The audit bucket by its name-derived ARN: its module's outputs depend on
  # this policy (its logging target), so they cannot be referenced here.
  dynamic "statement" {
    for_each = var.enable_cloudtrail || length(var.access_log_source_bucket_arns) > 0 ? [1] : []
    content {
      sid       = "S3ServerAccessLogsFromTheAccountsBuckets"
      actions   = ["s3:PutObject"]
      resources = ["arn:${local.partition}:s3:::${local.logs_bucket_name}/${local.access_logs_prefix}*"]
      principals {
        type        = "Service"
        identifiers = ["logging.s3.amazonaws.com"]
      }
      condition {
        test     = "ArnLike"
        variable = "aws:SourceArn"
        values = concat(
          var.enable_cloudtrail ? ["arn:${local.partition}:s3:::${local.audit_bucket_name}"] : [],
          var.access_log_source_bucket_arns,
        )
      }
      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [local.account_id]
      }
    }
  }

  # AWS Config documents aws:SourceAccount for its delivery bucket (SECURITY.md
  # registers why not aws:SourceArn).
  dynamic "statement" {
    for_each = var.enable_config ? [1] : []
    content {
      sid       = "ConfigChecksBucket"
      actions   = ["s3:GetBucketAcl", "s3:ListBucket"]
      resources = ["arn:${local.partition}:s3:::${local.logs_bucket_name}"]
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
    for_each = var.enable_config ? [1] : []
    content {
      sid       = "ConfigWritesSnapshots"
      actions   = ["s3:PutObject"]
      resources = ["arn:${local.partition}:s3:::${local.logs_bucket_name}/${var.config_s3_key_prefix}/AWSLogs/${local.account_id}/Config/*"]
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

# The trail's bucket (enable_cloudtrail): every version is locked for
# access_log_retention_days, and a version hidden early by a delete marker
# stays that long again before the lifecycle removes it. Its own access is
# logged into the logs bucket (CloudTrail.7 / CIS 3.4).
module "audit_bucket" {
  source   = "../hardened-bucket"
  for_each = var.enable_cloudtrail ? { this = local.audit_bucket_name } : {}

  bucket        = each.value
  force_destroy = var.force_destroy
  kms_key_arn   = null # CloudTrail encrypts each file with the audit key itself (kms_key_id)
  tags          = var.tags

  object_lock = { mode = var.audit_log_object_lock_mode, days = var.access_log_retention_days }

  lifecycle_rules = [
    {
      id                                 = "expire-trail-files"
      expiration_days                    = var.access_log_retention_days
      noncurrent_version_expiration_days = var.access_log_retention_days
    },
  ]

  access_log_target = { bucket = module.logs_bucket["this"].id, prefix = local.access_logs_prefix }

  policy_documents = [data.aws_iam_policy_document.audit_bucket[0].json]
}

data "aws_iam_policy_document" "audit_bucket" {
  count = var.enable_cloudtrail ? 1 : 0

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
      values   = [local.cloudtrail_arn]
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
    resources = ["arn:${local.partition}:s3:::${local.audit_bucket_name}/${var.cloudtrail_s3_key_prefix}/AWSLogs/${local.account_id}/*"]
    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceArn"
      values   = [local.cloudtrail_arn]
    }
  }
}

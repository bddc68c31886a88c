# ---------------------------------------------------------------------------
# A copy of the audit evidence in a second region (enable_audit_replication):
# a bucket under the same Object Lock retention, encrypted with a key of its
# own in that region, that only the break-glass principal can weaken. An
# insider who can bypass GOVERNANCE retention in the first region (or delete
# the trail's key) leaves this copy intact. Deletions are not replicated.
# With logs_source_bucket_name, the logs bucket (access logs, Config files)
# gets a locked copy there too: the one place its evidence can be locked.
# ---------------------------------------------------------------------------

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "source" {}
data "aws_region" "replica" {
  provider = aws.replica
}

locals {
  account_id     = data.aws_caller_identity.current.account_id
  partition      = data.aws_partition.current.partition
  source_region  = data.aws_region.source.name
  replica_region = data.aws_region.replica.name

  replica_bucket_name      = "${var.name}-audit-replica-${local.account_id}"
  logs_replica_bucket_name = "${var.name}-logs-replica-${local.account_id}"
  logs                     = var.replicate_logs_bucket ? { this = var.logs_source_bucket_name } : {}
  replication_role         = "${var.name}-audit-replication"
  role_arn                 = "arn:${local.partition}:iam::${local.account_id}:role/${local.replication_role}"
  account_root             = "arn:${local.partition}:iam::${local.account_id}:root"
}

# ---------------------------------------------------------------------------
# The replica's key: administered by the account, used only by the
# replication role (and by readers) through S3 in the replica region,
# disabled or deleted only by the break-glass principal.
# ---------------------------------------------------------------------------

resource "aws_kms_key" "replica" {
  provider = aws.replica

  description             = "${var.name}: replica of the audit evidence"
  enable_key_rotation     = true
  rotation_period_in_days = 365
  deletion_window_in_days = var.kms_deletion_window_days
  policy                  = data.aws_iam_policy_document.replica_key.json
  tags                    = var.tags

  lifecycle {
    precondition {
      condition     = !var.replicate_logs_bucket || var.logs_source_bucket_name != null
      error_message = "replicate_logs_bucket needs logs_source_bucket_name."
    }
    precondition {
      condition     = local.replica_region != local.source_region
      error_message = "audit_replica_region must differ from the stack's region: the copy is there to survive the first region."
    }
  }
}

resource "aws_kms_alias" "replica" {
  provider = aws.replica

  name          = "alias/${var.name}-audit-replica"
  target_key_id = aws_kms_key.replica.key_id
}

data "aws_iam_policy_document" "replica_key" {
  #checkov:skip=CKV_AWS_111:This is a key policy: its "*" resource means this one key; write access is the account's administration (no cryptographic use) and the replication role's, through S3.
  #checkov:skip=CKV_AWS_356:This is a key policy: "*" as its resource means this one key (AWS requires that form).
  #checkov:skip=CKV_AWS_109:This is a key policy: the account root statement delegates key administration (no cryptographic use) to IAM, as AWS's default key policy does for all operations; without it the key becomes unmanageable.
  statement {
    sid = "AccountAdministration"
    actions = ["kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*", "kms:Revoke*",
    "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:TagResource", "kms:UntagResource", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion", "kms:RotateKeyOnDemand"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = [local.account_root]
    }
  }

  # Named by aws:PrincipalArn rather than as the principal, so that the key
  # can be created before the role (KMS checks that a principal exists).
  statement {
    sid       = "ReplicationWritesThroughS3"
    actions   = ["kms:Encrypt", "kms:GenerateDataKey"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = [local.account_root]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:PrincipalArn"
      values   = [local.role_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${local.replica_region}.amazonaws.com"]
    }
  }

  statement {
    sid       = "DenyDestructionExceptBreakGlass"
    effect    = "Deny"
    actions   = ["kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:DisableKeyRotation", "kms:CreateGrant", "kms:DeleteImportedKeyMaterial", "kms:ImportKeyMaterial"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["*"]
    }
    condition {
      test     = "ArnNotEquals"
      variable = "aws:PrincipalArn"
      values   = [var.break_glass_principal_arn]
    }
  }
}

# ---------------------------------------------------------------------------
# The replica bucket, from the same hardened skeleton, in the replica region
# ---------------------------------------------------------------------------

module "replica_bucket" {
  source = "../hardened-bucket"
  providers = {
    aws = aws.replica
  }

  bucket        = local.replica_bucket_name
  force_destroy = var.force_destroy
  kms_key_arn   = aws_kms_key.replica.arn
  tags          = var.tags

  object_lock = var.object_lock

  lifecycle_rules = [
    {
      id                                 = "expire-replicas"
      expiration_days                    = var.object_lock.days
      noncurrent_version_expiration_days = var.object_lock.days
    },
  ]

  access_log_target = null # its own access is in the trail (data events are per region: unverified here)

  policy_documents = [data.aws_iam_policy_document.evidence_tampering["audit"].json]
}

# Each replica's policy: only the break-glass principal may weaken its
# retention or delete a version (one document per replica bucket).
data "aws_iam_policy_document" "evidence_tampering" {
  for_each = merge(
    { audit = local.replica_bucket_name },
    var.replicate_logs_bucket ? { logs = local.logs_replica_bucket_name } : {},
  )

  statement {
    sid    = "DenyEvidenceTamperingExceptBreakGlass"
    effect = "Deny"
    actions = ["s3:BypassGovernanceRetention", "s3:DeleteObjectVersion", "s3:PutObjectRetention",
    "s3:PutObjectLegalHold", "s3:PutBucketObjectLockConfiguration"]
    resources = [
      "arn:${local.partition}:s3:::${each.value}",
      "arn:${local.partition}:s3:::${each.value}/*",
    ]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "ArnNotEquals"
      variable = "aws:PrincipalArn"
      values   = [var.break_glass_principal_arn]
    }
  }
}

# ---------------------------------------------------------------------------
# The logs bucket's replica (logs_source_bucket_name): the same skeleton and
# retention. SSE-S3 like its source: S3 server access logs are delivered only
# into SSE-S3 buckets, so the source's objects are SSE-S3, and the replica
# keeps its source's encryption type (a KMS default on the replica is not
# relied on: unverified which one S3 applies to replicas of SSE-S3 objects).
# Object Lock is allowed here: the replica receives replicas, not log
# deliveries, which are what S3 refuses into a locked bucket
# (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-managing.html).
# ---------------------------------------------------------------------------

module "logs_replica_bucket" {
  source   = "../hardened-bucket"
  for_each = local.logs
  providers = {
    aws = aws.replica
  }

  bucket        = local.logs_replica_bucket_name
  force_destroy = var.force_destroy
  kms_key_arn   = null # SSE-S3, as its source's objects are (above)
  tags          = var.tags

  object_lock = var.object_lock # the same retention as the trail's replica

  lifecycle_rules = [
    {
      id                                 = "expire-replicas"
      expiration_days                    = var.object_lock.days
      noncurrent_version_expiration_days = var.object_lock.days
    },
  ]

  access_log_target = null # as the audit replica's

  policy_documents = [data.aws_iam_policy_document.evidence_tampering["logs"].json]
}

# ---------------------------------------------------------------------------
# Replication: every new version of the audit bucket, Object Lock retention
# and all, to the replica; delete markers are not replicated.
# Permissions as the S3 User Guide lists them for a replication role
# (https://docs.aws.amazon.com/AmazonS3/latest/userguide/setting-repl-config-perm-overview.html),
# with the Object Lock reads ("Using Object Lock with S3 Replication",
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-managing.html;
# the destination must have Object Lock too: DstBucketObjectLockConfigMissing,
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-failure-codes.html)
# and the two keys.
# ---------------------------------------------------------------------------

resource "aws_iam_role" "replication" {
  name               = local.replication_role
  assume_role_policy = data.aws_iam_policy_document.replication_trust.json
  tags               = var.tags
}

data "aws_iam_policy_document" "replication_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["s3.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role_policy" "replication" {
  name   = "replicate-audit-evidence"
  role   = aws_iam_role.replication.id
  policy = data.aws_iam_policy_document.replication.json
}

data "aws_iam_policy_document" "replication" {
  statement {
    sid       = "ReadTheSourceConfiguration"
    actions   = ["s3:GetReplicationConfiguration", "s3:ListBucket"]
    resources = [for bucket in concat([var.source_bucket_name], values(local.logs)) : "arn:${local.partition}:s3:::${bucket}"]
  }

  statement {
    sid = "ReadEachSourceVersion"
    actions = ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging",
    "s3:GetObjectRetention", "s3:GetObjectLegalHold"]
    resources = [for bucket in concat([var.source_bucket_name], values(local.logs)) : "arn:${local.partition}:s3:::${bucket}/*"]
  }

  statement {
    sid       = "WriteReplicas"
    actions   = ["s3:ReplicateObject", "s3:ReplicateTags"]
    resources = [for arn in concat([module.replica_bucket.arn], [for bucket in module.logs_replica_bucket : bucket.arn]) : "${arn}/*"]
  }

  statement {
    sid       = "DecryptSourceThroughS3"
    actions   = ["kms:Decrypt"]
    resources = [var.source_kms_key_arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${local.source_region}.amazonaws.com"]
    }
  }

  statement {
    sid       = "EncryptReplicasThroughS3"
    actions   = ["kms:Encrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.replica.arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${local.replica_region}.amazonaws.com"]
    }
  }
}

resource "aws_s3_bucket_replication_configuration" "this" {
  bucket = var.source_bucket_name
  role   = aws_iam_role.replication.arn

  rule {
    id     = "audit-evidence"
    status = "Enabled"

    filter {}

    delete_marker_replication {
      status = "Disabled"
    }

    source_selection_criteria {
      sse_kms_encrypted_objects {
        status = "Enabled"
      }
    }

    destination {
      bucket        = module.replica_bucket.arn
      storage_class = "STANDARD"

      encryption_configuration {
        replica_kms_key_id = aws_kms_key.replica.arn
      }
    }
  }

  depends_on = [aws_iam_role_policy.replication]
}

# The logs bucket (logs_source_bucket_name): every new version, SSE-S3 as
# delivered; delete markers are not replicated. No KMS: neither side uses one.
resource "aws_s3_bucket_replication_configuration" "logs" {
  for_each = local.logs

  bucket = each.value
  role   = aws_iam_role.replication.arn

  rule {
    id     = "logs-evidence"
    status = "Enabled"

    filter {}

    delete_marker_replication {
      status = "Disabled"
    }

    destination {
      bucket        = module.logs_replica_bucket[each.key].arn
      storage_class = "STANDARD"
    }
  }

  depends_on = [aws_iam_role_policy.replication]
}

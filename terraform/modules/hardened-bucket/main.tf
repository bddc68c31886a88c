# ---------------------------------------------------------------------------
# A bucket that cannot exist without its protections: public access blocked,
# ACLs off, default encryption, versioning, lifecycle, access logging (unless
# it is the log target), a TLS-only policy and, on request, Object Lock.
# ---------------------------------------------------------------------------

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_144:Cross-region replication doubles storage cost; the images are transient (they expire) and re-creatable from their source, and the trail's files are under Object Lock and CloudTrail file validation (digest files) proves them unaltered.
  #checkov:skip=CKV2_AWS_62:The images bucket does send event notifications (aws_s3_bucket_notification.this in the pipeline module, which checkov does not link); nothing consumes events from the two log buckets.
  #checkov:skip=CKV_AWS_18:Access logging is on for every bucket but the log target itself (aws_s3_bucket_logging.this, off only when access_log_target is null): logging it into itself would log every log delivery.
  #checkov:skip=CKV_AWS_145:SSE-KMS for every bucket but the two log buckets (kms_key_arn null): S3 server access logging can deliver only into SSE-S3 buckets, and CloudTrail encrypts each trail file with the account baseline's audit key itself.
  bucket        = var.bucket
  force_destroy = var.force_destroy
  tags          = var.tags

  # Object Lock can only be switched on when the bucket is created (S3 lets
  # an existing bucket enable it too, but the provider replaces the bucket).
  object_lock_enabled = var.object_lock != null
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket                  = aws_s3_bucket.this.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id
  rule {
    object_ownership = "BucketOwnerEnforced" # ACLs off
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = var.kms_key_arn == null ? "AES256" : "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
    # One KMS call per bucket key, not per object (meaningless for SSE-S3).
    bucket_key_enabled = var.kms_key_arn != null
  }
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id
  versioning_configuration {
    status = "Enabled"
  }
}

# Every new object version gets a retention of object_lock.days: until then no
# one can delete or overwrite that version (COMPLIANCE), or only a principal
# allowed s3:BypassGovernanceRetention who sends
# x-amz-bypass-governance-retention (GOVERNANCE).
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html
resource "aws_s3_bucket_object_lock_configuration" "this" {
  count = var.object_lock == null ? 0 : 1

  bucket = aws_s3_bucket.this.id
  rule {
    default_retention {
      mode = var.object_lock.mode
      days = var.object_lock.days
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  dynamic "rule" {
    for_each = var.lifecycle_rules
    content {
      id     = rule.value.id
      status = "Enabled"

      filter {
        prefix = rule.value.prefix
      }

      dynamic "expiration" {
        for_each = rule.value.expiration_days == null ? [] : [rule.value.expiration_days]
        content {
          days = expiration.value
        }
      }

      dynamic "noncurrent_version_expiration" {
        for_each = rule.value.noncurrent_version_expiration_days == null ? [] : [rule.value.noncurrent_version_expiration_days]
        content {
          noncurrent_days = noncurrent_version_expiration.value
        }
      }
    }
  }

  # Every bucket: parts of an upload that never completed cost storage and
  # show in no listing.
  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = var.abort_incomplete_multipart_upload_days
    }
  }

  # Versioning must be on before rules about noncurrent versions apply.
  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_logging" "this" {
  count = var.access_log_target == null ? 0 : 1

  bucket        = aws_s3_bucket.this.id
  target_bucket = var.access_log_target.bucket
  target_prefix = var.access_log_target.prefix
}

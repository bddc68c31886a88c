output "id" {
  description = "Name of the bucket, known once its policy is in place: services the policy grants (S3 logging, CloudTrail, Config) can be pointed at it through this output without a depends_on."
  value       = try(aws_s3_bucket_policy.this.bucket, null)
}

output "bucket" {
  description = "Name of the bucket."
  value       = try(aws_s3_bucket.this.bucket, null)
}

output "arn" {
  description = "ARN of the bucket."
  value       = try(aws_s3_bucket.this.arn, null)
}

output "policy" {
  description = "The bucket policy as applied (JSON)."
  value       = try(aws_s3_bucket_policy.this.policy, null)
}

output "public_access_blocked" {
  description = "Whether all four public-access blocks are on."
  value = try(alltrue([
    aws_s3_bucket_public_access_block.this.block_public_acls,
    aws_s3_bucket_public_access_block.this.block_public_policy,
    aws_s3_bucket_public_access_block.this.ignore_public_acls,
    aws_s3_bucket_public_access_block.this.restrict_public_buckets,
  ]), false)
}

output "acls_disabled" {
  description = "Whether object ownership is BucketOwnerEnforced (ACLs off)."
  value       = try(aws_s3_bucket_ownership_controls.this.rule[0].object_ownership == "BucketOwnerEnforced", false)
}

output "versioning_enabled" {
  description = "Whether versioning is enabled."
  value       = try(aws_s3_bucket_versioning.this.versioning_configuration[0].status == "Enabled", false)
}

output "encryption" {
  description = "Default encryption: sse_algorithm, kms_master_key_id (null for SSE-S3) and bucket_key_enabled."
  value = try({
    sse_algorithm      = one(aws_s3_bucket_server_side_encryption_configuration.this.rule).apply_server_side_encryption_by_default[0].sse_algorithm
    kms_master_key_id  = one(aws_s3_bucket_server_side_encryption_configuration.this.rule).apply_server_side_encryption_by_default[0].kms_master_key_id
    bucket_key_enabled = one(aws_s3_bucket_server_side_encryption_configuration.this.rule).bucket_key_enabled
  }, null)
}

output "expiring_prefixes" {
  description = "Key prefixes whose current objects expire (\"\" for the whole bucket)."
  value = try([for r in aws_s3_bucket_lifecycle_configuration.this.rule :
  coalesce(one(r.filter).prefix, "") if length(r.expiration) > 0], [])
}

output "object_lock" {
  description = "Object Lock as configured: enabled on the bucket, default retention mode and days, or null when the bucket has no Object Lock."
  value = try({
    enabled = aws_s3_bucket.this.object_lock_enabled
    mode    = one(one(aws_s3_bucket_object_lock_configuration.this[0].rule).default_retention).mode
    days    = one(one(aws_s3_bucket_object_lock_configuration.this[0].rule).default_retention).days
  }, null)
}

output "noncurrent_version_expiration_days" {
  description = "The shortest time, in days, a noncurrent (deleted or overwritten) version is kept before a lifecycle rule removes it; null when no rule removes noncurrent versions."
  value = try(min([for r in aws_s3_bucket_lifecycle_configuration.this.rule :
  one(r.noncurrent_version_expiration).noncurrent_days if length(r.noncurrent_version_expiration) > 0]...), null)
}

output "access_log_target" {
  description = "Where the bucket's S3 server access logs go (bucket and prefix); null when it is the log target itself."
  value = try({
    bucket = aws_s3_bucket_logging.this[0].target_bucket
    prefix = aws_s3_bucket_logging.this[0].target_prefix
  }, null)
}

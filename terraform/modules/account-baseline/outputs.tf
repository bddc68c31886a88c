output "guardduty_detector_id" {
  description = "GuardDuty detector id, or null when enable_guardduty is false."
  value       = try(aws_guardduty_detector.this[0].id, null)
}

output "security_hub_enabled" {
  description = "Whether this module enabled Security Hub."
  value       = length(aws_securityhub_account.this) > 0
}

output "config_recorder_name" {
  description = "AWS Config recorder name, or null when enable_config is false."
  value       = try(aws_config_configuration_recorder.this[0].name, null)
}

output "cloudtrail_arn" {
  description = "CloudTrail trail ARN, or null when enable_cloudtrail is false."
  value       = try(aws_cloudtrail.this[0].arn, null)
}

output "cloudtrail_name" {
  description = "Name of the trail, or null when enable_cloudtrail is false."
  value       = try(aws_cloudtrail.this[0].name, null)
}

output "cloudtrail_bucket_name" {
  description = "Bucket the trail delivers into, or null when enable_cloudtrail is false."
  value       = try(aws_cloudtrail.this[0].s3_bucket_name, null)
}

output "config_bucket_name" {
  description = "Bucket AWS Config delivers into, or null when enable_config is false."
  value       = try(aws_config_delivery_channel.this[0].s3_bucket_name, null)
}

output "audit_bucket_name" {
  description = "Bucket holding the trail's files under Object Lock; known once its policy grants the trail. Null when enable_cloudtrail is false."
  value       = try(module.audit_bucket["this"].id, null)
}

output "audit_bucket_arn" {
  description = "ARN of the audit bucket; null when enable_cloudtrail is false."
  value       = try(module.audit_bucket["this"].arn, null)
}

output "logs_bucket_name" {
  description = "Bucket holding AWS Config's files and the S3 server access logs of the audit bucket and of access_log_source_bucket_arns; known once its policy grants them. Null when the module creates none (no trail, no Config, no access log source)."
  value       = try(module.logs_bucket["this"].id, null)
}

output "access_log_target" {
  description = "Where the buckets named in access_log_source_bucket_arns send their S3 server access logs: the logs bucket (known once its policy grants them) and the key prefix granted. The image-pipeline module's access_log_target input takes it as it is. Null without a logs bucket."
  # Not try(): an object whose bucket is still unknown must be known not to
  # be null at plan, for the image-pipeline module's for_each on it.
  value = local.create_logs_bucket ? { bucket = module.logs_bucket["this"].id, prefix = local.access_logs_prefix } : null
}

output "audit_kms_key_arn" {
  description = "ARN of the audit key that encrypts the trail's files; null when enable_cloudtrail is false."
  value       = try(aws_kms_key.this[0].arn, null)
}

output "audit_kms_key_alias" {
  description = "Alias of the audit key (alias/<name>-audit); null when enable_cloudtrail is false."
  value       = try(aws_kms_alias.this[0].name, null)
}

output "audit_log_retention" {
  description = "How long audit evidence is kept, per bucket: Object Lock (enabled, mode, days; null where S3 allows none) and the days a deleted version is kept (noncurrent_version_expiration_days). Each is null when the module creates no such bucket."
  value = {
    logs = try({
      object_lock                        = module.logs_bucket["this"].object_lock
      noncurrent_version_expiration_days = module.logs_bucket["this"].noncurrent_version_expiration_days
    }, null)
    audit = try({
      object_lock                        = module.audit_bucket["this"].object_lock
      noncurrent_version_expiration_days = module.audit_bucket["this"].noncurrent_version_expiration_days
    }, null)
  }
}

output "break_glass_principal_arn" {
  description = "The principal that alone may disable or delete the audit key and weaken the audit bucket's retention (break_glass_principal_arn, or the account's root user)."
  value       = local.break_glass_principal_arn
}

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

output "cloudtrail_bucket_name" {
  description = "Bucket the trail delivers into, or null when enable_cloudtrail is false."
  value       = try(aws_cloudtrail.this[0].s3_bucket_name, null)
}

output "config_bucket_name" {
  description = "Bucket AWS Config delivers into, or null when enable_config is false."
  value       = try(aws_config_delivery_channel.this[0].s3_bucket_name, null)
}

# ---------------------------------------------------------------------------
# Outputs: what the scripts, the runbook, the README's commands and the
# end-to-end tests read, by the names they read (`terraform output -raw
# s3_bucket_name`). Not a copy of the modules' outputs: each one here has a
# reader outside terraform/ (tests/unit/test_variables_declared_once.py); the
# rest of a module's outputs are in its README, and `terraform console` reads
# them from the state (module.pipeline.kms_key_alias, ...).
# ---------------------------------------------------------------------------

output "s3_bucket_name" {
  description = "Images bucket: upload under uploads/, results appear under processed/."
  value       = module.pipeline.images_bucket_name
}

output "logs_bucket_name" {
  description = "Bucket holding the S3 access logs of the other buckets and AWS Config's files (the account baseline's)."
  value       = module.account_baseline.logs_bucket_name
}

output "audit_bucket_name" {
  description = "Bucket holding the trail's files under Object Lock; null when enable_cloudtrail is false."
  value       = module.account_baseline.audit_bucket_name
}

output "lambda_function_name" {
  description = "Name of the image-processing function."
  value       = module.pipeline.lambda_function_name
}

output "dynamodb_table_name" {
  description = "Table with one record per upload (partition key object_key)."
  value       = module.pipeline.dynamodb_table_name
}

output "notifications_topic_arn" {
  description = "SNS topic with one message per upload outcome."
  value       = module.pipeline.notifications_topic_arn
}

output "security_alerts_topic" {
  description = "SNS topic for alarms, GuardDuty findings and suspicious uploads (subscribe on-call here)."
  value       = module.pipeline.security_alerts_topic_arn
}

output "kms_key_arn" {
  description = "ARN of the data key: images, upload records, notifications, failed events and function settings."
  value       = module.pipeline.kms_key_arn
}

output "security_kms_key_arn" {
  description = "ARN of the security key: security-alerts topic, undelivered-events, uploads and failed-events queues, and the function's logs."
  value       = module.pipeline.security_kms_key_arn
}

output "audit_kms_key_arn" {
  description = "ARN of the audit key (the account baseline's): the trail's files. Null without a trail."
  value       = module.account_baseline.audit_kms_key_arn
}

output "undelivered_events_queue_url" {
  description = "SQS queue holding EventBridge events (alerts, sweeps, scan results) that no target accepted."
  value       = module.pipeline.undelivered_events_queue_url
}

output "log_group_name" {
  description = "CloudWatch log group of the function."
  value       = module.pipeline.log_group_name
}

output "dead_letter_queue_url" {
  description = "SQS queue holding upload events that failed queue_max_receive_count deliveries (the failed-events queue)."
  value       = module.pipeline.dead_letter_queue_url
}

output "uploads_queue_url" {
  description = "SQS queue the images bucket's upload events wait in until the function takes them."
  value       = module.pipeline.uploads_queue_url
}

output "event_source_mapping_uuid" {
  description = "UUID of the event source mapping from the uploads queue to the function: disable it to stop processing (INCIDENT_RESPONSE.md)."
  value       = module.pipeline.event_source_mapping_uuid
}

output "lambda_function_arn" {
  description = "ARN of the image-processing function (the one a reprocessing job invokes)."
  value       = module.pipeline.lambda_function_arn
}

output "batch_operations_role_arn" {
  description = "ARN of the role S3 Batch Operations assumes to reprocess images (scripts/reprocess.sh)."
  value       = module.pipeline.batch_operations_role_arn
}

output "max_upload_bytes" {
  description = "The largest upload the function accepts, in bytes: scripts/upload_url.py puts it in each presigned POST policy's content-length-range."
  value       = module.pipeline.max_upload_bytes
}

output "environment" {
  description = "Environment name; destroy.sh asks the user to type it."
  value       = var.environment
}

output "kms_deletion_window_days" {
  description = "Days the key waits after destroy before it is deleted (and can still be recovered)."
  value       = local.kms_deletion_window_days
}

output "audit_log_object_lock" {
  description = "Object Lock default retention of the trail's files in the audit bucket (enabled, mode and days): what scripts/destroy.sh keeps; null without a trail."
  value       = try(module.account_baseline.audit_log_retention.audit.object_lock, null)
}

output "code_signing_config_arn" {
  description = "Code signing configuration the function enforces (enable_code_signing); null when off."
  value       = try(module.pipeline.code_signing_config_arn, null)
}

output "code_bucket_name" {
  description = "Bucket holding the unsigned and signed packages (enable_code_signing); null when off. destroy.sh empties it."
  value       = try(module.pipeline.code_bucket_name, null)
}

output "break_glass_principal_arn" {
  description = "The only principal that may disable any of the stack's keys (data, security and audit), schedule the security and audit keys' deletion (the data key's: also its key administrators) and weaken the audit bucket's retention (scripts/destroy.sh --delete-audit-logs must run as it)."
  value       = module.pipeline.break_glass_principal_arn
}

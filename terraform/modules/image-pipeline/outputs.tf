output "images_bucket_name" {
  description = "Images bucket: upload under uploads/, results appear under processed/."
  value       = try(module.images_bucket.bucket, null)
}

output "images_bucket_arn" {
  description = "ARN of the images bucket."
  value       = try(module.images_bucket.arn, null)
}

output "logs_bucket_name" {
  description = "The module's own logs bucket, holding the images and code buckets' S3 access logs (known once its policy grants them); null when access_log_target names another bucket."
  value       = try(module.logs_bucket[0].id, null)
}

output "access_log_source_bucket_arns" {
  description = "ARNs of the module's buckets that send their S3 server access logs to access_log_target (the images bucket, and the code bucket with enable_code_signing): the account-baseline module's access_log_source_bucket_arns input grants exactly these."
  value       = local.access_log_source_bucket_arns
}

output "access_log_retention" {
  description = "How long the module's own logs bucket keeps the access logs: Object Lock (null: S3 allows none on a log target) and the days a deleted version is kept (noncurrent_version_expiration_days). Null when access_log_target names another bucket."
  value = try({
    object_lock                        = module.logs_bucket[0].object_lock
    noncurrent_version_expiration_days = module.logs_bucket[0].noncurrent_version_expiration_days
  }, null)
}

output "input_prefix" {
  description = "Key prefix whose uploads trigger the function."
  value       = local.input_prefix
}

output "max_upload_bytes" {
  description = "The largest upload the function accepts, in bytes (max_upload_mb): the one source of the limit for the function and for presigned POST policies (scripts/upload_url.py)."
  value       = local.max_upload_bytes
}

output "lambda_function_name" {
  description = "Name of the image-processing function."
  value       = try(aws_lambda_function.this.function_name, null)
}

output "lambda_function_arn" {
  description = "ARN of the image-processing function."
  value       = try(aws_lambda_function.this.arn, null)
}

output "lambda_role_arn" {
  description = "ARN of the function's execution role."
  value       = try(aws_iam_role.lambda.arn, null)
}

output "batch_operations_role_arn" {
  description = "ARN of the role S3 Batch Operations assumes to reprocess images (scripts/reprocess.sh)."
  value       = try(aws_iam_role.batch_operations.arn, null)
}

output "batch_operations_prefix" {
  description = "Key prefix of the images bucket holding Batch Operations manifests (manifests/) and completion reports (reports/)."
  value       = local.batch_operations_prefix
}

output "dynamodb_table_name" {
  description = "Table with one record per upload (partition key object_key)."
  value       = try(aws_dynamodb_table.this.name, null)
}

output "notifications_topic_arn" {
  description = "SNS topic with one message per upload outcome."
  value       = try(aws_sns_topic.this["notifications"].arn, null)
}

output "security_alerts_topic_arn" {
  description = "SNS topic for alarms, GuardDuty findings and suspicious uploads (subscribe on-call here)."
  value       = try(aws_sns_topic.this["security_alerts"].arn, null)
}

output "kms_key_arn" {
  description = "ARN of the data key: images, upload records, notifications and function settings."
  value       = try(aws_kms_key.this.arn, null)
}

output "security_kms_key_arn" {
  description = "ARN of the security key: security-alerts topic, undelivered-events, uploads and failed-events queues, and the function's logs."
  value       = try(aws_kms_key.security.arn, null)
}

output "security_kms_key_alias" {
  description = "Alias of the security key."
  value       = try(aws_kms_alias.security.name, null)
}

output "undelivered_events_queue_url" {
  description = "SQS queue holding EventBridge events (alerts, sweeps, scan results) that no target accepted."
  value       = try(aws_sqs_queue.rule_dead_letter.url, null)
}

output "kms_key_alias" {
  description = "Alias of the customer-managed key."
  value       = try(aws_kms_alias.this.name, null)
}

output "log_group_name" {
  description = "CloudWatch log group of the function."
  value       = try(aws_cloudwatch_log_group.lambda.name, null)
}

output "dead_letter_queue_url" {
  description = "SQS queue holding upload events that failed queue_max_receive_count deliveries (the failed-events queue)."
  value       = try(aws_sqs_queue.dead_letter.url, null)
}

output "uploads_queue_url" {
  description = "SQS queue the images bucket's upload events wait in until the function takes them."
  value       = try(aws_sqs_queue.uploads.url, null)
}

output "event_source_mapping_uuid" {
  description = "UUID of the event source mapping from the uploads queue to the function: disable it to stop processing (INCIDENT_RESPONSE.md)."
  value       = try(aws_lambda_event_source_mapping.uploads.uuid, null)
}

output "cloudwatch_alarm_count" {
  description = "CloudWatch alarms this module causes: its own plus those Application Auto Scaling creates for the table (CloudWatch gives 10 free)."
  value       = local.cloudwatch_alarm_count
}

output "code_signing_config_arn" {
  description = "Lambda code signing configuration the function enforces (enable_code_signing); null when off."
  value       = try(aws_lambda_code_signing_config.this["this"].arn, null)
}

output "signing_profile_name" {
  description = "AWS Signer profile that signs the function's packages (enable_code_signing); null when off."
  value       = try(aws_signer_signing_profile.this["this"].name, null)
}

output "code_bucket_name" {
  description = "Versioned bucket holding the unsigned and signed packages (enable_code_signing); null when off."
  value       = try(module.code_bucket["this"].id, null)
}

output "evidence_bucket_arns" {
  description = "ARNs of the module's buckets that hold audit evidence (its own logs bucket; none when access_log_target names another bucket): a trail should record their object-level calls (the account-baseline module's cloudtrail_evidence_bucket_arns)."
  value       = [for bucket in module.logs_bucket : bucket.arn]
}

output "break_glass_principal_arn" {
  description = "The principal that alone may disable either key (data and security) and schedule the security key's deletion (the data key's: also kms_key_administrators): break_glass_principal_arn, or the account's root user."
  value       = local.break_glass_principal_arn
}

output "vpc_id" {
  description = "The function's VPC (enable_vpc), without a route out: a caller may attach its own flow log to it; null when off."
  value       = try(aws_vpc.this["this"].id, null)
}

# ---------------------------------------------------------------------------
# Outputs (the scripts and the runbook read these by name)
# ---------------------------------------------------------------------------

output "s3_bucket_name" {
  description = "Images bucket: upload under uploads/, results appear under processed/."
  value       = aws_s3_bucket.this.bucket
}

output "logs_bucket_name" {
  description = "Bucket holding S3 access logs, CloudTrail and Config files."
  value       = aws_s3_bucket.logs.bucket
}

output "lambda_function_name" {
  description = "Name of the image-processing function."
  value       = aws_lambda_function.this.function_name
}

output "dynamodb_table_name" {
  description = "Table with one record per upload (partition key object_key)."
  value       = aws_dynamodb_table.this.name
}

output "notifications_topic_arn" {
  description = "SNS topic with one message per upload outcome."
  value       = aws_sns_topic.notifications.arn
}

output "security_alerts_topic" {
  description = "SNS topic for alarms, GuardDuty findings and suspicious uploads (subscribe on-call here)."
  value       = aws_sns_topic.security_alerts.arn
}

output "kms_key_arn" {
  description = "ARN of the customer-managed key."
  value       = aws_kms_key.this.arn
}

output "kms_key_alias" {
  description = "Alias of the customer-managed key."
  value       = aws_kms_alias.this.name
}

output "log_group_name" {
  description = "CloudWatch log group of the function."
  value       = aws_cloudwatch_log_group.lambda.name
}

output "dead_letter_queue_url" {
  description = "SQS queue holding events that exhausted their retries."
  value       = aws_sqs_queue.dead_letter.url
}

output "lambda_role_arn" {
  description = "ARN of the function's execution role."
  value       = aws_iam_role.lambda.arn
}

output "guardduty_detector_id" {
  description = "GuardDuty detector id, or null when enable_guardduty is false."
  value       = try(aws_guardduty_detector.this[0].id, null)
}

output "cloudtrail_arn" {
  description = "CloudTrail trail ARN, or null when enable_cloudtrail is false."
  value       = try(aws_cloudtrail.this[0].arn, null)
}

output "config_recorder_name" {
  description = "AWS Config recorder name, or null when enable_config is false."
  value       = try(aws_config_configuration_recorder.this[0].name, null)
}

output "security_hub_enabled" {
  description = "Whether this stack enabled Security Hub."
  value       = length(aws_securityhub_account.this) > 0
}

output "upload_command" {
  description = "The command to try the pipeline."
  value       = "aws s3 cp image.png s3://${aws_s3_bucket.this.bucket}/${local.input_prefix}"
}

output "environment" {
  description = "Environment name; destroy.sh asks the user to type it."
  value       = var.environment
}

output "kms_deletion_window_days" {
  description = "Days the key waits after destroy before it is deleted (and can still be recovered)."
  value       = var.kms_deletion_window_days
}

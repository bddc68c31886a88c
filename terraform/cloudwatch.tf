# ---------------------------------------------------------------------------
# Logs, alarms and the rules that watch the key
#
# Alarms (6 of the 10 that CloudWatch gives free): errors, throttles,
# duration near the timeout, failed events waiting, invocations above 80% of
# the free tier's monthly rate, images bucket above the storage threshold.
# ---------------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "lambda" {
  #checkov:skip=CKV_AWS_338:Function logs are operational, not audit evidence (CloudTrail and S3 access logs are kept for access_log_retention_days); 30 days keeps them cheap. Raise log_retention_days if policy requires a year.
  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.this.arn
}

locals {
  alarm_topics = [aws_sns_topic.security_alerts.arn]

  # The free tier gives 1M requests a month; 80% of it, as a daily rate.
  invocations_per_day_threshold = floor(1000000 * 0.8 / 30)
}

resource "aws_cloudwatch_metric_alarm" "lambda_errors" {
  alarm_name          = "${local.name}-lambda-errors"
  alarm_description   = "The function raised: uploads are being retried and may end in the failed-events queue. Runbook: INCIDENT_RESPONSE.md#lambda-errors"
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = aws_lambda_function.this.function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_topics
  ok_actions          = local.alarm_topics
}

resource "aws_cloudwatch_metric_alarm" "lambda_throttles" {
  alarm_name          = "${local.name}-lambda-throttles"
  alarm_description   = "Uploads arrive faster than the reserved concurrency allows: a burst or a possible DoS. Runbook: INCIDENT_RESPONSE.md#lambda-throttles"
  namespace           = "AWS/Lambda"
  metric_name         = "Throttles"
  dimensions          = { FunctionName = aws_lambda_function.this.function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_topics
  ok_actions          = local.alarm_topics
}

resource "aws_cloudwatch_metric_alarm" "lambda_duration" {
  alarm_name          = "${local.name}-lambda-duration"
  alarm_description   = "Invocations take more than 80% of the timeout: raise lambda_memory_mb (CPU grows with it). Runbook: INCIDENT_RESPONSE.md#lambda-duration"
  namespace           = "AWS/Lambda"
  metric_name         = "Duration"
  dimensions          = { FunctionName = aws_lambda_function.this.function_name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = var.lambda_timeout_s * 1000 * 0.8
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_topics
}

resource "aws_cloudwatch_metric_alarm" "failed_events" {
  alarm_name          = "${local.name}-failed-events"
  alarm_description   = "Events exhausted their retries and wait in the failed-events queue. Runbook: INCIDENT_RESPONSE.md#failed-events"
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.dead_letter.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_topics
  ok_actions          = local.alarm_topics
}

resource "aws_cloudwatch_metric_alarm" "invocations" {
  alarm_name          = "${local.name}-invocations-free-tier"
  alarm_description   = "More than 80% of the free tier's monthly Lambda requests, as a daily rate. Runbook: INCIDENT_RESPONSE.md#invocations"
  namespace           = "AWS/Lambda"
  metric_name         = "Invocations"
  dimensions          = { FunctionName = aws_lambda_function.this.function_name }
  statistic           = "Sum"
  period              = 86400
  evaluation_periods  = 1
  threshold           = local.invocations_per_day_threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_topics
}

resource "aws_cloudwatch_metric_alarm" "storage" {
  alarm_name          = "${local.name}-images-storage"
  alarm_description   = "The images bucket holds more than ${var.storage_alarm_threshold_gb} GB (the S3 free tier is 5 GB). Runbook: INCIDENT_RESPONSE.md#storage"
  namespace           = "AWS/S3"
  metric_name         = "BucketSizeBytes"
  dimensions          = { BucketName = aws_s3_bucket.this.bucket, StorageType = "StandardStorage" }
  statistic           = "Maximum"
  period              = 86400 # S3 reports storage once a day
  evaluation_periods  = 1
  threshold           = var.storage_alarm_threshold_gb * 1024 * 1024 * 1024
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_topics
}

# ---------------------------------------------------------------------------
# KMS key disabled or scheduled for deletion
#
# CloudWatch has no key-state metric. These API calls reach EventBridge only
# through CloudTrail: the rule fires when a trail logs management events in
# the account (this stack's, with enable_cloudtrail, or an organisation trail).
# ---------------------------------------------------------------------------

resource "aws_cloudwatch_event_rule" "kms_key_state" {
  name        = "${local.name}-kms-key-state"
  description = "The stack's KMS key was disabled or scheduled for deletion. Runbook: INCIDENT_RESPONSE.md#kms-key"
  event_pattern = jsonencode({
    source        = ["aws.kms"]
    "detail-type" = ["AWS API Call via CloudTrail"]
    detail = {
      eventSource = ["kms.amazonaws.com"]
      eventName   = ["DisableKey", "ScheduleKeyDeletion"]
      resources   = { ARN = [aws_kms_key.this.arn] }
    }
  })
}

resource "aws_cloudwatch_event_target" "kms_key_state" {
  rule = aws_cloudwatch_event_rule.kms_key_state.name
  arn  = aws_sns_topic.security_alerts.arn
}

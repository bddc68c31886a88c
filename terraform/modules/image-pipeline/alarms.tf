# ---------------------------------------------------------------------------
# Alarms: every one pages the security-alerts topic.
#
# CloudWatch gives 10 alarms free. This stack causes
#   7 of its own (below)
# + 4 that Application Auto Scaling creates for the table's write-capacity
#   target tracking (dynamodb.tf), when enable_dynamodb_autoscaling is on
# = 11. One more than the free 10, on purpose: async-events-dropped is the
# only signal of uploads that Lambda dropped before the handler ran (README,
# Cost). The cloudwatch_alarm_count output says the number for a
# configuration, and terraform/tests checks it stays at 11 or below.
# ---------------------------------------------------------------------------

locals {
  # The free tier gives 1M requests a month; 80% of it, as a daily rate.
  invocations_per_day_threshold = floor(1000000 * 0.8 / 30)

  lambda_dimensions = { FunctionName = local.function_name }

  alarms = {
    lambda-errors = {
      description = "The function raised: uploads are being retried and may end in the failed-events queue. Runbook: INCIDENT_RESPONSE.md#lambda-errors"
      namespace   = "AWS/Lambda"
      metric      = "Errors"
      dimensions  = local.lambda_dimensions
      statistic   = "Sum"
      period      = 300
      threshold   = 1
      comparison  = "GreaterThanOrEqualToThreshold"
      notify_ok   = true
    }
    lambda-throttles = {
      description = "Uploads arrive faster than the reserved concurrency allows: a burst or a possible DoS. Runbook: INCIDENT_RESPONSE.md#lambda-throttles"
      namespace   = "AWS/Lambda"
      metric      = "Throttles"
      dimensions  = local.lambda_dimensions
      statistic   = "Sum"
      period      = 300
      threshold   = 1
      comparison  = "GreaterThanOrEqualToThreshold"
      notify_ok   = true
    }
    lambda-duration = {
      description = "Invocations take more than 80% of the timeout: raise lambda_memory_mb (CPU grows with it). Runbook: INCIDENT_RESPONSE.md#lambda-duration"
      namespace   = "AWS/Lambda"
      metric      = "Duration"
      dimensions  = local.lambda_dimensions
      statistic   = "Maximum"
      period      = 300
      threshold   = var.lambda_timeout_s * 1000 * 0.8
      comparison  = "GreaterThanThreshold"
      notify_ok   = false
    }
    failed-events = {
      description = "Events exhausted their retries and wait in the failed-events queue. Runbook: INCIDENT_RESPONSE.md#failed-events"
      namespace   = "AWS/SQS"
      metric      = "ApproximateNumberOfMessagesVisible"
      dimensions  = { QueueName = "${var.name}-failed-events" }
      statistic   = "Maximum"
      period      = 300
      threshold   = 0
      comparison  = "GreaterThanThreshold"
      notify_ok   = true
    }
    invocations-free-tier = {
      description = "More than 80% of the free tier's monthly Lambda requests, as a daily rate. Runbook: INCIDENT_RESPONSE.md#invocations"
      namespace   = "AWS/Lambda"
      metric      = "Invocations"
      dimensions  = local.lambda_dimensions
      statistic   = "Sum"
      period      = 86400
      threshold   = local.invocations_per_day_threshold
      comparison  = "GreaterThanThreshold"
      notify_ok   = false
    }
    # Lambda's asynchronous queue can drop events it cannot keep (too old,
    # too many retries, throttled): those uploads never reach the handler.
    # https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html
    async-events-dropped = {
      description = "Lambda dropped asynchronous events without running the function: those uploads have no record. Runbook: INCIDENT_RESPONSE.md#async-events-dropped"
      namespace   = "AWS/Lambda"
      metric      = "AsyncEventsDropped"
      dimensions  = local.lambda_dimensions
      statistic   = "Sum"
      period      = 300
      threshold   = 0
      comparison  = "GreaterThanThreshold"
      notify_ok   = false
    }
    images-storage = {
      description = "The images bucket holds more than ${var.storage_alarm_threshold_gb} GB (the S3 free tier is 5 GB). Runbook: INCIDENT_RESPONSE.md#storage"
      namespace   = "AWS/S3"
      metric      = "BucketSizeBytes"
      dimensions  = { BucketName = local.images_bucket_name, StorageType = "StandardStorage" }
      statistic   = "Maximum"
      period      = 86400 # S3 reports storage once a day
      threshold   = var.storage_alarm_threshold_gb * 1024 * 1024 * 1024
      comparison  = "GreaterThanThreshold"
      notify_ok   = false
    }
  }

  # Known before the alarms exist, so that the topic and key policies can name
  # exactly these alarms (aws:SourceArn) without a dependency cycle: that is
  # also why the dimensions above use names, not resource attributes.
  alarm_arns = [for name, _ in local.alarms :
  "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${var.name}-${name}"]

  # Alarms that Application Auto Scaling creates per DynamoDB target-tracking
  # policy: AlarmHigh, AlarmLow, ProvisionedCapacityHigh, ProvisionedCapacityLow
  # (as moto models it; Amazon Keyspaces, which scales the same way, documents
  # "two pairs": https://docs.aws.amazon.com/keyspaces/latest/devguide/creating-alarms.html).
  alarms_per_target_tracking_policy = 4

  cloudwatch_alarm_count = (length(aws_cloudwatch_metric_alarm.this) +
  local.alarms_per_target_tracking_policy * length(aws_appautoscaling_policy.table_write))
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = local.alarms

  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  period              = each.value.period
  evaluation_periods  = 1
  threshold           = each.value.threshold
  comparison_operator = each.value.comparison
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this["security_alerts"].arn]
  ok_actions          = each.value.notify_ok ? [aws_sns_topic.this["security_alerts"].arn] : []
  tags                = local.tags
}

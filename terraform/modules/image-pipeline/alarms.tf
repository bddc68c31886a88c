# ---------------------------------------------------------------------------
# Alarms: every one pages the security-alerts topic.
#
# CloudWatch gives 10 alarms free. This stack causes 9 of its own (below),
# plus, only with dynamodb_billing_mode PROVISIONED and autoscaling on, 4 per
# target-tracking policy that Application Auto Scaling creates (dynamodb.tf:
# one for the table's writes, one for the index's): 9 + 8 = 17. The
# cloudwatch_alarm_count output says the number for a configuration, and
# terraform/tests checks the default stays within the free 10.
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
      description = "Lambda refused to run the function: the account's concurrency is exhausted (or a reserved concurrency is below queue_maximum_concurrency). Uploads wait in the queue and are retried. Runbook: INCIDENT_RESPONSE.md#lambda-throttles"
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
      description = "Upload events failed queue_max_receive_count deliveries and wait in the failed-events queue. Runbook: INCIDENT_RESPONSE.md#failed-events"
      namespace   = "AWS/SQS"
      metric      = "ApproximateNumberOfMessagesVisible"
      dimensions  = { QueueName = local.dead_letter_queue_name }
      statistic   = "Maximum"
      period      = 300
      threshold   = 0
      comparison  = "GreaterThanThreshold"
      notify_ok   = true
    }
    failed-sweeps = {
      description = "A sweep failed, or Lambda dropped it before it ran; its event waits in the failed-sweeps queue, and claims whose invocation died stay PROCESSING until a sweep succeeds. Runbook: INCIDENT_RESPONSE.md#failed-sweeps"
      namespace   = "AWS/SQS"
      metric      = "ApproximateNumberOfMessagesVisible"
      dimensions  = { QueueName = local.failed_sweeps_queue_name }
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
    # Uploads wait in the queue when processing is stopped, fails, or cannot
    # keep up (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html).
    uploads-queue-age = {
      description = "The oldest upload waiting in the uploads queue is older than ${var.queue_age_alarm_s} s: processing is stopped, failing, or slower than uploads arrive. Runbook: INCIDENT_RESPONSE.md#uploads-queue-age"
      namespace   = "AWS/SQS"
      metric      = "ApproximateAgeOfOldestMessage"
      dimensions  = { QueueName = local.uploads_queue_name }
      statistic   = "Maximum"
      period      = 300
      threshold   = var.queue_age_alarm_s
      comparison  = "GreaterThanThreshold"
      notify_ok   = true
    }
    # Alerts and scheduled deliveries that EventBridge gave up on wait here:
    # each is an alert nobody received (events.tf).
    undelivered-events = {
      description = "EventBridge could not deliver an alert or a scheduled run: it waits in the undelivered-events queue. Runbook: INCIDENT_RESPONSE.md#undelivered-events"
      namespace   = "AWS/SQS"
      metric      = "ApproximateNumberOfMessagesVisible"
      dimensions  = { QueueName = "${var.name}-undelivered-events" }
      statistic   = "Maximum"
      period      = 300
      threshold   = 0
      comparison  = "GreaterThanThreshold"
      notify_ok   = true
    }
    images-storage = {
      description = "The images bucket holds more than ${var.storage_alarm_threshold_gb} GB, noncurrent versions included. Runbook: INCIDENT_RESPONSE.md#storage"
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
  local.alarms_per_target_tracking_policy * length(aws_appautoscaling_policy.write))
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

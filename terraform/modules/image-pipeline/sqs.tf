# ---------------------------------------------------------------------------
# The uploads queue in front of the function, and the failed-events queue
# behind it.
#
# S3's event notifications (and, with malware gating, GuardDuty's scan
# results) wait in the uploads queue until the function's event source mapping
# (lambda.tf) takes them, at most queue_maximum_concurrency invocations at a
# time: a flood of uploads becomes a longer queue, never a dropped event. An
# event that fails queue_max_receive_count deliveries moves to the
# failed-events queue, where it waits 14 days for a replay
# (INCIDENT_RESPONSE.md).
#
# Both queues use the SECURITY key, not the data key: S3 cannot deliver an
# event into a queue whose key it cannot use (the key policy grants S3
# kms:GenerateDataKey and kms:Decrypt for exactly that,
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/grant-destinations-permissions-to-s3.html),
# so a disabled data key would make S3 drop the events of every upload made
# during the incident. With the security key, they wait in the queue until the
# data key is back (SECURITY.md, "Encryption and key management"). The messages hold object keys and
# sizes, never image bytes.
# ---------------------------------------------------------------------------

locals {
  uploads_queue_name     = "${var.name}-uploads"
  dead_letter_queue_name = "${var.name}-failed-events"

  # AWS: "set the source queue's visibility timeout to at least six times the
  # configuration timeout on your function"
  # (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html).
  queue_visibility_timeout_s = 6 * var.lambda_timeout_s

  # 14 days, the SQS maximum, for both queues.
  queue_retention_s = 1209600
}

resource "aws_sqs_queue" "uploads" {
  name                              = local.uploads_queue_name
  kms_master_key_id                 = aws_kms_key.security.arn
  kms_data_key_reuse_period_seconds = 300
  visibility_timeout_seconds        = local.queue_visibility_timeout_s
  message_retention_seconds         = local.queue_retention_s

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dead_letter.arn
    maxReceiveCount     = var.queue_max_receive_count
  })

  tags = local.tags
}

resource "aws_sqs_queue_policy" "uploads" {
  queue_url = aws_sqs_queue.uploads.id
  policy    = data.aws_iam_policy_document.uploads_queue.json
}

data "aws_iam_policy_document" "uploads_queue" {
  source_policy_documents = [data.aws_iam_policy_document.queue_tls_only["uploads"].json]

  # S3 sends the images bucket's events, and no other bucket's: aws:SourceArn
  # names the bucket and aws:SourceAccount its owner
  # (https://docs.aws.amazon.com/AmazonS3/latest/userguide/grant-destinations-permissions-to-s3.html).
  statement {
    sid       = "ImagesBucketEvents"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.uploads.arn]
    principals {
      type        = "Service"
      identifiers = ["s3.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [module.images_bucket.arn]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }

  # With malware gating, the scan-result rule delivers instead of S3
  # (malware_protection.tf).
  dynamic "statement" {
    for_each = local.malware_protection
    content {
      sid       = "MalwareScanResults"
      actions   = ["sqs:SendMessage"]
      resources = [aws_sqs_queue.uploads.arn]
      principals {
        type        = "Service"
        identifiers = ["events.amazonaws.com"]
      }
      condition {
        test     = "ArnEquals"
        variable = "aws:SourceArn"
        values   = [local.malware_scan_rule_arn]
      }
    }
  }
}

resource "aws_sqs_queue" "dead_letter" {
  name                              = local.dead_letter_queue_name
  kms_master_key_id                 = aws_kms_key.security.arn
  kms_data_key_reuse_period_seconds = 300
  message_retention_seconds         = local.queue_retention_s
  tags                              = local.tags
}

# Only the uploads queue may use it as its dead-letter queue
# (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html).
resource "aws_sqs_queue_redrive_allow_policy" "dead_letter" {
  queue_url = aws_sqs_queue.dead_letter.id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.uploads.arn]
  })
}

resource "aws_sqs_queue_policy" "dead_letter" {
  queue_url = aws_sqs_queue.dead_letter.id
  policy    = data.aws_iam_policy_document.dead_letter.json
}

data "aws_iam_policy_document" "dead_letter" {
  source_policy_documents = [data.aws_iam_policy_document.queue_tls_only["dead_letter"].json]

  # Nobody sends to the failed-events queue, so nothing but a failed upload
  # event can wait there for the replay (INCIDENT_RESPONSE.md): SQS itself
  # moves an event here from the uploads queue after queue_max_receive_count
  # deliveries, and only from that queue (the redrive-allow policy above).
  # That move is SQS's own, not a sender's SendMessage: "if a message is sent
  # to a dead-letter queue as a result of a failed processing attempt, it
  # isn't captured by [the NumberOfMessagesSent] metric", unlike one sent to
  # it manually
  # (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html,
  # "Troubleshooting"), and which source queues may use it is the
  # redrive-allow policy's to say. (That an explicit Deny of SendMessage
  # leaves the move alone is not written in those words: unverified on AWS;
  # the local AWS does not evaluate queue policies.) The function sends to no
  # queue (its role has no sqs:SendMessage: pipeline.tftest.hcl), so no
  # principal is exempt, not even the function's role, nor the key users who
  # replay: they send to the uploads queue. SendMessageBatch is authorized as
  # SendMessage ("setting permissions for SendMessage ... sets permissions for
  # the corresponding batch versions of the actions",
  # https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-batch-api.html).
  statement {
    sid       = "DenyEverySender"
    effect    = "Deny"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dead_letter.arn]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
  }
}

# The failed-sweeps queue: the function's dead-letter queue for its
# asynchronous invocations, the sweep's (lambda.tf says why), on the data key.
locals {
  failed_sweeps_queue_name = "${var.name}-failed-sweeps"
}

resource "aws_sqs_queue" "failed_sweeps" {
  name                              = local.failed_sweeps_queue_name
  kms_master_key_id                 = aws_kms_key.this.arn
  kms_data_key_reuse_period_seconds = 300
  message_retention_seconds         = local.queue_retention_s
  tags                              = local.tags
}

resource "aws_sqs_queue_policy" "failed_sweeps" {
  queue_url = aws_sqs_queue.failed_sweeps.id
  policy    = data.aws_iam_policy_document.queue_tls_only["failed_sweeps"].json
}

# Every queue refuses a request not made over TLS (aws:SecureTransport false):
# the statement each queue's policy starts with.
data "aws_iam_policy_document" "queue_tls_only" {
  for_each = {
    uploads       = aws_sqs_queue.uploads.arn
    dead_letter   = aws_sqs_queue.dead_letter.arn
    failed_sweeps = aws_sqs_queue.failed_sweeps.arn
    # The EventBridge rules' dead-letter queue (events.tf).
    rule_dead_letter = aws_sqs_queue.rule_dead_letter.arn
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = [each.value]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

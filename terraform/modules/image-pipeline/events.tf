# ---------------------------------------------------------------------------
# EventBridge rules: those that page the security-alerts topic, and the sweep
# that runs the function on a schedule. Every target retries and, when
# delivery still fails, leaves the event in a dead-letter queue encrypted with
# the security key (kms.tf).
# ---------------------------------------------------------------------------

locals {
  # The buckets the bucket-changed rule names: the module's own (the code
  # bucket's name whether or not it exists yet) and the watched ones.
  watched_bucket_names = distinct(concat(
    [local.images_bucket_name, local.code_bucket_name],
    var.access_log_target == null ? [local.logs_bucket_name] : [],
    var.watched_bucket_names,
  ))

  rules = merge(
    {
      # CloudWatch has no key-state metric. These API calls reach EventBridge
      # only through CloudTrail: the rule fires when a trail logs management
      # events in the account (the account-baseline's, or an organisation's).
      # Both keys are watched, and the keys of watched_kms_key_arns (the
      # account baseline's audit key); the alert itself travels on the security key,
      # so losing the data key cannot silence it. (Losing the security key
      # silences the topic: its event then waits in the dead-letter queue,
      # which the same key encrypts; SECURITY.md, "Encryption and key management", says what remains.)
      kms-key-state = {
        description = "A KMS key of the stack was disabled or scheduled for deletion. Runbook: INCIDENT_RESPONSE.md#kms-key"
        pattern = {
          source        = ["aws.kms"]
          "detail-type" = ["AWS API Call via CloudTrail"]
          detail = {
            eventSource = ["kms.amazonaws.com"]
            eventName   = ["DisableKey", "ScheduleKeyDeletion"]
            resources   = { ARN = concat([aws_kms_key.this.arn, aws_kms_key.security.arn], var.watched_kms_key_arns) }
          }
        }
      }
      # Someone changed the key policy of, or granted away, one of the
      # stack's keys: the way around the security key's Denies (kms.tf).
      # The security key's own alerts also travel on the data key
      # (key_alerts.tf), so that a policy that shuts the alert path out of
      # the security key cannot silence the alert about itself.
      key-policy-changed = {
        description = "The key policy of a KMS key of the stack changed, a grant was created or its rotation turned off. Runbook: INCIDENT_RESPONSE.md#key-policy-changed"
        pattern = {
          source        = ["aws.kms"]
          "detail-type" = ["AWS API Call via CloudTrail"]
          detail = {
            eventSource = ["kms.amazonaws.com"]
            eventName   = ["PutKeyPolicy", "CreateGrant", "DisableKeyRotation"]
            resources   = { ARN = concat([aws_kms_key.this.arn, aws_kms_key.security.arn], var.watched_kms_key_arns) }
          }
        }
      }
      # The evidence: any trail of the account stopped, deleted or changed
      # (what it records, where it writes, which key encrypts it).
      trail-changed = {
        description = "A CloudTrail trail was stopped, deleted or changed. Runbook: INCIDENT_RESPONSE.md#trail-changed"
        pattern = {
          source        = ["aws.cloudtrail"]
          "detail-type" = ["AWS API Call via CloudTrail"]
          detail = {
            eventSource = ["cloudtrail.amazonaws.com"]
            eventName   = ["StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors"]
          }
        }
      }
      # Who may read or write the stack's buckets (and those of
      # watched_bucket_names: the account baseline's audit and logs
      # buckets), queues and topics.
      bucket-changed = {
        description = "The policy, public access block, Object Lock or encryption of a bucket of the stack changed. Runbook: INCIDENT_RESPONSE.md#resource-policy-changed"
        pattern = {
          source        = ["aws.s3"]
          "detail-type" = ["AWS API Call via CloudTrail"]
          detail = {
            eventSource = ["s3.amazonaws.com"]
            eventName = ["PutBucketPolicy", "DeleteBucketPolicy", "PutBucketAcl", "PutBucketPublicAccessBlock", "DeleteBucketPublicAccessBlock",
            "PutBucketObjectLockConfiguration", "PutBucketEncryption", "DeleteBucketEncryption", "PutBucketVersioning", "PutBucketLifecycle"]
            requestParameters = { bucketName = local.watched_bucket_names }
          }
        }
      }
      queue-topic-changed = {
        description = "The attributes (policy, encryption, redrive) or permissions of an SQS queue or SNS topic of the account changed. Runbook: INCIDENT_RESPONSE.md#resource-policy-changed"
        pattern = {
          source        = ["aws.sqs", "aws.sns"]
          "detail-type" = ["AWS API Call via CloudTrail"]
          detail = {
            eventSource = ["sqs.amazonaws.com", "sns.amazonaws.com"]
            eventName   = ["SetQueueAttributes", "AddPermission", "RemovePermission", "SetTopicAttributes", "DeleteTopic", "DeleteQueue"]
          }
        }
      }
      # The code that runs, what it runs with, how much of it runs, and what
      # feeds it. Lambda's CloudTrail event names carry an API version suffix
      # (UpdateFunctionCode20150331v2), hence prefixes. A deployment raises it
      # too: the runbook says how to tell.
      function-changed = {
        description = "A Lambda function's code, configuration, concurrency, code signing or event source mapping changed in this account and region. Runbook: INCIDENT_RESPONSE.md#function-changed"
        pattern = {
          source        = ["aws.lambda"]
          "detail-type" = ["AWS API Call via CloudTrail"]
          detail = {
            eventSource = ["lambda.amazonaws.com"]
            eventName = [for action in ["UpdateFunctionCode", "UpdateFunctionConfiguration", "PutFunctionConcurrency", "DeleteFunctionConcurrency",
              "UpdateEventSourceMapping", "DeleteEventSourceMapping", "PutFunctionCodeSigningConfig", "DeleteFunctionCodeSigningConfig",
            "AddPermission", "RemovePermission"] : { prefix = action }]
          }
        }
      }
      # The detectors: GuardDuty, AWS Config and Security Hub turned off.
      detectors-disabled = {
        description = "GuardDuty, AWS Config or Security Hub was disabled or stopped in this account and region. Runbook: INCIDENT_RESPONSE.md#security-services-disabled"
        pattern = {
          source        = ["aws.guardduty", "aws.config", "aws.securityhub"]
          "detail-type" = ["AWS API Call via CloudTrail"]
          detail = {
            eventSource = ["guardduty.amazonaws.com", "config.amazonaws.com", "securityhub.amazonaws.com"]
            eventName = ["DeleteDetector", "UpdateDetector", "DisassociateFromMasterAccount", "DisassociateFromAdministratorAccount",
              "StopConfigurationRecorder", "DeleteConfigurationRecorder", "DeleteDeliveryChannel",
            "DisableSecurityHub", "BatchDisableStandards"]
          }
        }
      }
    },
    var.enable_guardduty_findings_rule ? {
      guardduty-high = {
        description = "GuardDuty findings of high severity (7.0 and above). Runbook: INCIDENT_RESPONSE.md#guardduty"
        pattern = {
          source        = ["aws.guardduty"]
          "detail-type" = ["GuardDuty Finding"]
          detail        = { severity = [{ numeric = [">=", 7] }] }
        }
      }
    } : {},
  )

  # Known before the rules exist (see alarm_arns in alarms.tf), and without
  # reading local.rules, whose pattern names the keys whose policies need
  # these ARNs. A test checks the names match the rules.
  rule_names = concat(
    ["kms-key-state", "key-policy-changed", "trail-changed", "bucket-changed", "queue-topic-changed", "function-changed", "detectors-disabled"],
    var.enable_guardduty_findings_rule ? ["guardduty-high"] : [],
  )
  rule_arns = [for name in local.rule_names :
  "arn:${local.partition}:events:${local.region}:${local.account_id}:rule/${var.name}-${name}"]

  sweep_rule_name = "${var.name}-sweep"

  # Every rule of the module whose target may write to the dead-letter queue.
  all_rule_arns = concat(
    local.rule_arns,
    ["arn:${local.partition}:events:${local.region}:${local.account_id}:rule/${local.sweep_rule_name}"],
    var.enable_malware_protection ? ["arn:${local.partition}:events:${local.region}:${local.account_id}:rule/${var.name}-malware-scan-result"] : [],
  )

  # EventBridge's own maximums: retry for a day, up to 185 times
  # (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html).
  rule_retry = {
    maximum_event_age_in_seconds = 86400
    maximum_retry_attempts       = 185
  }
}

resource "aws_cloudwatch_event_rule" "this" {
  for_each = local.rules

  name          = "${var.name}-${each.key}"
  description   = each.value.description
  event_pattern = jsonencode(each.value.pattern)
  tags          = local.tags
}

resource "aws_cloudwatch_event_target" "this" {
  for_each = local.rules

  rule = aws_cloudwatch_event_rule.this[each.key].name
  arn  = aws_sns_topic.this["security_alerts"].arn

  retry_policy {
    maximum_event_age_in_seconds = local.rule_retry.maximum_event_age_in_seconds
    maximum_retry_attempts       = local.rule_retry.maximum_retry_attempts
  }

  dead_letter_config {
    arn = aws_sqs_queue.rule_dead_letter.arn
  }
}

# ---------------------------------------------------------------------------
# The sweep: every 15 minutes the function records FAILED (reason
# LeaseExpired) every claim whose lease ran out more than STUCK_AFTER_S ago,
# so that an invocation that died (hard timeout, event dropped by Lambda's
# asynchronous queue) still ends in a terminal record.
# ---------------------------------------------------------------------------

resource "aws_cloudwatch_event_rule" "sweep" {
  name                = local.sweep_rule_name
  description         = "Records FAILED the uploads whose processing claim expired (lambda/pipeline.py, sweep)."
  schedule_expression = "rate(15 minutes)"
  tags                = local.tags
}

resource "aws_cloudwatch_event_target" "sweep" {
  rule = aws_cloudwatch_event_rule.sweep.name
  arn  = aws_lambda_function.this.arn

  retry_policy {
    # A missed sweep is repeated by the next one: no point retrying past it.
    maximum_event_age_in_seconds = 900
    maximum_retry_attempts       = local.rule_retry.maximum_retry_attempts
  }

  dead_letter_config {
    arn = aws_sqs_queue.rule_dead_letter.arn
  }
}

resource "aws_lambda_permission" "sweep" {
  statement_id   = "AllowScheduledSweep"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.this.function_name
  principal      = "events.amazonaws.com"
  source_arn     = aws_cloudwatch_event_rule.sweep.arn
  source_account = local.account_id
}

# ---------------------------------------------------------------------------
# Events no target accepted, kept 14 days, encrypted with the security key.
# ---------------------------------------------------------------------------

resource "aws_sqs_queue" "rule_dead_letter" {
  name                              = "${var.name}-undelivered-events"
  kms_master_key_id                 = aws_kms_key.security.arn
  kms_data_key_reuse_period_seconds = 300
  message_retention_seconds         = 1209600
  tags                              = local.tags
}

resource "aws_sqs_queue_policy" "rule_dead_letter" {
  queue_url = aws_sqs_queue.rule_dead_letter.id
  policy    = data.aws_iam_policy_document.rule_dead_letter.json
}

# EventBridge writes to a target's dead-letter queue only if the queue policy
# lets events.amazonaws.com send, scoped by aws:SourceArn to the rule
# (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html).
data "aws_iam_policy_document" "rule_dead_letter" {
  source_policy_documents = [data.aws_iam_policy_document.queue_tls_only["rule_dead_letter"].json]

  statement {
    sid       = "StackRulesDeadLetter"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.rule_dead_letter.arn]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = local.all_rule_arns
    }
  }
}

# ---------------------------------------------------------------------------
# EventBridge rules: those that page the security-alerts topic, and the sweep
# that runs the function on a schedule. Every target retries and, when
# delivery still fails, leaves the event in a dead-letter queue encrypted with
# the security key (kms.tf).
# ---------------------------------------------------------------------------

locals {
  rules = merge(
    {
      # CloudWatch has no key-state metric. These API calls reach EventBridge
      # only through CloudTrail: the rule fires when a trail logs management
      # events in the account (the account-baseline's, or an organisation's).
      # Both keys are watched; the alert itself travels on the security key,
      # so losing the data key cannot silence it. (Losing the security key
      # silences the topic: its event then waits in the dead-letter queue,
      # which the same key encrypts; SECURITY.md, "Keys", says what remains.)
      kms-key-state = {
        description = "A KMS key of the stack was disabled or scheduled for deletion. Runbook: INCIDENT_RESPONSE.md#kms-key"
        pattern = {
          source        = ["aws.kms"]
          "detail-type" = ["AWS API Call via CloudTrail"]
          detail = {
            eventSource = ["kms.amazonaws.com"]
            eventName   = ["DisableKey", "ScheduleKeyDeletion"]
            resources   = { ARN = [aws_kms_key.this.arn, aws_kms_key.security.arn] }
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
  rule_names = concat(["kms-key-state"], var.enable_guardduty_findings_rule ? ["guardduty-high"] : [])
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
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = [aws_sqs_queue.rule_dead_letter.arn]
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

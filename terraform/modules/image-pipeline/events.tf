# ---------------------------------------------------------------------------
# EventBridge rules that page the security-alerts topic
# ---------------------------------------------------------------------------

locals {
  rules = merge(
    {
      # CloudWatch has no key-state metric. These API calls reach EventBridge
      # only through CloudTrail: the rule fires when a trail logs management
      # events in the account (the account-baseline's, or an organisation's).
      kms-key-state = {
        description = "The stack's KMS key was disabled or scheduled for deletion. Runbook: INCIDENT_RESPONSE.md#kms-key"
        pattern = {
          source        = ["aws.kms"]
          "detail-type" = ["AWS API Call via CloudTrail"]
          detail = {
            eventSource = ["kms.amazonaws.com"]
            eventName   = ["DisableKey", "ScheduleKeyDeletion"]
            resources   = { ARN = [aws_kms_key.this.arn] }
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

  # Known before the rules exist (see alarm_arns in alarms.tf).
  rule_arns = [for name, _ in local.rules :
  "arn:${local.partition}:events:${local.region}:${local.account_id}:rule/${var.name}-${name}"]
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
}

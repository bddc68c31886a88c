# ---------------------------------------------------------------------------
# The security key's own alerts, on a path that does not depend on it.
#
# The security-alerts topic and the undelivered-events queue are encrypted
# with the security key. A change to that key (disabled, deletion scheduled,
# a policy that shuts EventBridge out) would silence the alert about itself.
# So the rules about the keys (kms-key-state, key-policy-changed) have a
# second target: this topic, encrypted with the DATA key. Each key's alerts
# then travel on the other key: an attacker has to subvert both, and the
# first one pages (SECURITY.md, "Encryption and key management"). Subscribed like the other topics.
# ---------------------------------------------------------------------------

locals {
  key_alert_rules = ["kms-key-state", "key-policy-changed"]
  key_alert_rule_arns = [for name in local.key_alert_rules :
  "arn:${local.partition}:events:${local.region}:${local.account_id}:rule/${var.name}-${name}"]
}

resource "aws_sns_topic" "key_alerts" {
  name              = "${var.name}-key-alerts"
  kms_master_key_id = aws_kms_key.this.arn
  tags              = local.tags
}

resource "aws_sns_topic_policy" "key_alerts" {
  arn    = aws_sns_topic.key_alerts.arn
  policy = data.aws_iam_policy_document.key_alerts.json
}

data "aws_iam_policy_document" "key_alerts" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = local.topic_policy_actions
    resources = [aws_sns_topic.key_alerts.arn]
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
    sid       = "KeyRulesPublish"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.key_alerts.arn]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = local.key_alert_rule_arns
    }
  }
}

resource "aws_cloudwatch_event_target" "key_alerts" {
  for_each = toset(local.key_alert_rules)

  rule = aws_cloudwatch_event_rule.this[each.key].name
  arn  = aws_sns_topic.key_alerts.arn

  retry_policy {
    maximum_event_age_in_seconds = local.rule_retry.maximum_event_age_in_seconds
    maximum_retry_attempts       = local.rule_retry.maximum_retry_attempts
  }

  # The undelivered-events queue is on the security key: if that key is the
  # one attacked, this target's own delivery (on the data key) still pages.
  dead_letter_config {
    arn = aws_sqs_queue.rule_dead_letter.arn
  }
}

resource "aws_sns_topic_subscription" "key_alerts" {
  count = var.alert_email == "" ? 0 : 1

  topic_arn = aws_sns_topic.key_alerts.arn
  protocol  = "email"
  endpoint  = var.alert_email
}

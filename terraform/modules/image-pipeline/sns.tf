# ---------------------------------------------------------------------------
# Topics: one message per upload outcome, and the on-call alerts
# ---------------------------------------------------------------------------

locals {
  topics = {
    notifications   = "${var.name}-notifications"
    security_alerts = "${var.name}-security-alerts"
  }
}

resource "aws_sns_topic" "this" {
  for_each = local.topics

  name              = each.value
  kms_master_key_id = aws_kms_key.this.arn
  tags              = local.tags
}

resource "aws_sns_topic_policy" "this" {
  for_each = local.topics

  arn    = aws_sns_topic.this[each.key].arn
  policy = data.aws_iam_policy_document.topic[each.key].json
}

data "aws_iam_policy_document" "topic" {
  for_each = local.topics

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.this[each.key].arn]
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
    sid       = "OwnerManagesTopic"
    actions   = ["sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:Subscribe", "sns:ListSubscriptionsByTopic"]
    resources = [aws_sns_topic.this[each.key].arn]
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid       = "FunctionPublishes"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.this[each.key].arn]
    principals {
      type        = "AWS"
      identifiers = [aws_iam_role.lambda.arn]
    }
  }

  # Only the stack's own alarms and rules, by ARN
  # (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html).
  dynamic "statement" {
    for_each = each.key == "security_alerts" ? [1] : []
    content {
      sid       = "StackAlarmsPublish"
      actions   = ["sns:Publish"]
      resources = [aws_sns_topic.this[each.key].arn]
      principals {
        type        = "Service"
        identifiers = ["cloudwatch.amazonaws.com"]
      }
      condition {
        test     = "ArnLike"
        variable = "aws:SourceArn"
        values   = local.alarm_arns
      }
    }
  }

  dynamic "statement" {
    for_each = each.key == "security_alerts" ? [1] : []
    content {
      sid       = "StackRulesPublish"
      actions   = ["sns:Publish"]
      resources = [aws_sns_topic.this[each.key].arn]
      principals {
        type        = "Service"
        identifiers = ["events.amazonaws.com"]
      }
      condition {
        test     = "ArnLike"
        variable = "aws:SourceArn"
        values   = local.rule_arns
      }
    }
  }
}

resource "aws_sns_topic_subscription" "email" {
  for_each = var.alert_email == "" ? {} : local.topics

  topic_arn = aws_sns_topic.this[each.key].arn
  protocol  = "email"
  endpoint  = var.alert_email
}

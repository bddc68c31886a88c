# ---------------------------------------------------------------------------
# Topics: one message per upload outcome, and the on-call alerts
# ---------------------------------------------------------------------------

locals {
  topics = {
    notifications   = "${var.name}-notifications"
    security_alerts = "${var.name}-security-alerts"
  }

  topic_policy_actions = [
    "sns:AddPermission",
    "sns:DeleteTopic",
    "sns:GetTopicAttributes",
    "sns:ListSubscriptionsByTopic",
    "sns:Publish",
    "sns:Receive",
    "sns:RemovePermission",
    "sns:SetTopicAttributes",
    "sns:Subscribe",
  ]

  # The alerts travel on the security key, so that a disabled or deleted data
  # key cannot silence the alert about itself (kms.tf).
  topic_keys = {
    notifications   = aws_kms_key.this.arn
    security_alerts = aws_kms_key.security.arn
  }
}

resource "aws_sns_topic" "this" {
  for_each = local.topics

  name              = each.value
  kms_master_key_id = local.topic_keys[each.key]
  tags              = local.tags
}

resource "aws_sns_topic_policy" "this" {
  for_each = local.topics

  arn    = aws_sns_topic.this[each.key].arn
  policy = data.aws_iam_policy_document.topic[each.key].json
}

data "aws_iam_policy_document" "topic" {
  for_each = local.topics

  # Every action a topic policy can name, not only Publish: subscribing or
  # changing the topic over plain HTTP is refused too. Listed, not "sns:*":
  # SNS refuses a topic policy whose action is "sns:*"
  # (https://github.com/cdklabs/cdk-nag/issues/676); the list is the one in
  # SNS's default topic policy (quoted in
  # https://github.com/airbnb/binaryalert/issues/169).
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = local.topic_policy_actions
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

  # No statement for the account itself: managing the topic (its policy,
  # subscriptions) is left to IAM policies in the account, which suffice for a
  # principal of the same account
  # (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html).
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

# ---------------------------------------------------------------------------
# Topics: one message per upload outcome, and the on-call alerts
# ---------------------------------------------------------------------------

resource "aws_sns_topic" "notifications" {
  name              = "${local.name}-notifications"
  kms_master_key_id = aws_kms_key.this.arn
}

resource "aws_sns_topic" "security_alerts" {
  name              = "${local.name}-security-alerts"
  kms_master_key_id = aws_kms_key.this.arn
}

resource "aws_sns_topic_policy" "notifications" {
  arn    = aws_sns_topic.notifications.arn
  policy = data.aws_iam_policy_document.topic["notifications"].json
}

resource "aws_sns_topic_policy" "security_alerts" {
  arn    = aws_sns_topic.security_alerts.arn
  policy = data.aws_iam_policy_document.topic["security_alerts"].json
}

data "aws_iam_policy_document" "topic" {
  for_each = {
    notifications   = aws_sns_topic.notifications.arn
    security_alerts = aws_sns_topic.security_alerts.arn
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sns:Publish"]
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

  statement {
    sid       = "OwnerManagesTopic"
    actions   = ["sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:Subscribe", "sns:ListSubscriptionsByTopic"]
    resources = [each.value]
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid       = "FunctionPublishes"
    actions   = ["sns:Publish"]
    resources = [each.value]
    principals {
      type        = "AWS"
      identifiers = [aws_iam_role.lambda.arn]
    }
  }

  statement {
    sid       = "AlarmsAndRulesOfThisAccountPublish"
    actions   = ["sns:Publish"]
    resources = [each.value]
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com", "events.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_sns_topic_subscription" "email" {
  for_each = var.alert_email == "" ? {} : {
    notifications   = aws_sns_topic.notifications.arn
    security_alerts = aws_sns_topic.security_alerts.arn
  }

  topic_arn = each.value
  protocol  = "email"
  endpoint  = var.alert_email
}

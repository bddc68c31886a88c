# ---------------------------------------------------------------------------
# The customer-managed key that encrypts the stack's data at rest
# ---------------------------------------------------------------------------

resource "aws_kms_key" "this" {
  description             = "${var.name}: images, records, topics, queue, logs and trail"
  enable_key_rotation     = true
  rotation_period_in_days = 365
  deletion_window_in_days = var.kms_deletion_window_days
  policy                  = data.aws_iam_policy_document.kms.json
  tags                    = local.tags
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name}"
  target_key_id = aws_kms_key.this.key_id
}

data "aws_iam_policy_document" "kms" {
  #checkov:skip=CKV_AWS_111:This is a key policy: its "*" resource means this one key, and write access is limited to the account and to services with source conditions.
  #checkov:skip=CKV_AWS_356:This is a key policy: "*" as its resource means this one key (AWS requires that form).
  #checkov:skip=CKV_AWS_109:This is a key policy: the account root statement delegates key permissions to IAM, as AWS's default key policy does; without it the key becomes unmanageable.
  # The account administers the key; IAM policies then decide which
  # principals of the account may use it (the function role's policy, iam.tf).
  statement {
    sid       = "AccountAdministration"
    actions   = ["kms:*"]
    resources = ["*"] # in a key policy, "*" means this key
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  # The encryption context names the log group: the logs service may use the
  # key for this one log group only.
  statement {
    sid = "CloudWatchLogsForTheFunctionsLogGroup"
    actions = [
      "kms:Encrypt*",
      "kms:Decrypt*",
      "kms:ReEncrypt*",
      "kms:GenerateDataKey*",
      "kms:Describe*",
    ]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.log_group_name}"]
    }
  }

  # The stack's alarms publish to the encrypted security-alerts topic.
  statement {
    sid       = "AlarmsPublishToEncryptedTopics"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]
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

  # The stack's EventBridge rules publish to the encrypted topic too.
  # Account-scoped, not rule-scoped: whether the KMS request that SNS makes for
  # an EventBridge delivery carries aws:SourceArn is unverified, and a
  # condition it cannot meet would drop the SEV1 alert silently. Issue 10
  # (item 1) gives the alerting path a key of its own.
  statement {
    sid       = "RulesPublishToEncryptedTopics"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }

  # aws:SourceArn on both CloudTrail grants, as CloudTrail recommends:
  # https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html
  dynamic "statement" {
    for_each = local.cloudtrail_arn == null ? [] : [local.cloudtrail_arn]
    content {
      sid       = "CloudTrailEncryptsTrailFiles"
      actions   = ["kms:GenerateDataKey*"]
      resources = ["*"]
      principals {
        type        = "Service"
        identifiers = ["cloudtrail.amazonaws.com"]
      }
      condition {
        test     = "StringLike"
        variable = "kms:EncryptionContext:aws:cloudtrail:arn"
        values   = ["arn:${local.partition}:cloudtrail:*:${local.account_id}:trail/*"]
      }
      condition {
        test     = "StringEquals"
        variable = "aws:SourceArn"
        values   = [statement.value]
      }
    }
  }

  dynamic "statement" {
    for_each = local.cloudtrail_arn == null ? [] : [local.cloudtrail_arn]
    content {
      sid       = "CloudTrailDescribesKey"
      actions   = ["kms:DescribeKey"]
      resources = ["*"]
      principals {
        type        = "Service"
        identifiers = ["cloudtrail.amazonaws.com"]
      }
      condition {
        test     = "StringEquals"
        variable = "aws:SourceArn"
        values   = [statement.value]
      }
    }
  }
}

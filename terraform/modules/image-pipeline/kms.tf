# ---------------------------------------------------------------------------
# Two customer-managed keys.
#
# The DATA key encrypts what users upload and what the stack derives from it.
# The SECURITY key encrypts what must survive an incident with the data key:
# the security-alerts topic, the dead-letter queue of the EventBridge rules
# that feed it, the audit logs (the trail and the function's log group), and
# the uploads and failed-events queues, so that S3 can still deliver upload
# events while the data key is disabled (sqs.tf).
# Disabling or scheduling the deletion of the data key is itself a SEV1
# (events.tf): its alert travels on the security key, so a disabled data key
# cannot suppress its own alert (SECURITY.md, "Keys").
# ---------------------------------------------------------------------------

resource "aws_kms_key" "this" {
  description             = "${var.name}: images, upload records, notifications and function settings"
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
}

resource "aws_kms_key" "security" {
  description             = "${var.name}: security alerts, their undelivered events, the uploads and failed-events queues, CloudTrail and function logs"
  enable_key_rotation     = true
  rotation_period_in_days = 365
  deletion_window_in_days = var.kms_deletion_window_days
  policy                  = data.aws_iam_policy_document.security_key.json
  tags                    = local.tags
}

resource "aws_kms_alias" "security" {
  name          = "alias/${var.name}-security"
  target_key_id = aws_kms_key.security.key_id
}

data "aws_iam_policy_document" "security_key" {
  #checkov:skip=CKV_AWS_111:This is a key policy: its "*" resource means this one key, and write access is limited to the account and to services with source conditions.
  #checkov:skip=CKV_AWS_356:This is a key policy: "*" as its resource means this one key (AWS requires that form).
  #checkov:skip=CKV_AWS_109:This is a key policy: the account root statement delegates key permissions to IAM, as AWS's default key policy does; without it the key becomes unmanageable.
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
  # key for this one log group only
  # (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html).
  # That page's example also lists kms:Describe*, which this condition can
  # never match: DescribeKey is a management operation without an encryption
  # context (https://docs.aws.amazon.com/kms/latest/APIReference/API_GrantConstraints.html),
  # so it is left out: it granted nothing, and parliament flags it.
  statement {
    sid = "CloudWatchLogsForTheFunctionsLogGroup"
    actions = [
      "kms:Encrypt*",
      "kms:Decrypt*",
      "kms:ReEncrypt*",
      "kms:GenerateDataKey*",
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
    sid       = "AlarmsPublishToEncryptedTopic"
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

  # The stack's EventBridge rules publish to the encrypted topic and, when a
  # delivery fails, write to the encrypted dead-letter queue: EventBridge needs
  # kms:Decrypt and kms:GenerateDataKey on an SSE-KMS queue's key
  # (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html).
  # Scoped to the stack's own rules by ARN.
  statement {
    sid       = "RulesPublishAndDeadLetterWithTheKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = local.all_rule_arns
    }
  }

  # S3 encrypts the images bucket's events into the uploads queue, and checks
  # it can when the notification is saved
  # (https://docs.aws.amazon.com/AmazonS3/latest/userguide/grant-destinations-permissions-to-s3.html).
  # Scoped to the bucket and its account.
  statement {
    sid       = "ImagesBucketEventsIntoUploadsQueue"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = ["*"]
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

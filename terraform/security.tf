# ---------------------------------------------------------------------------
# GuardDuty: threat detection, S3 protection on; high findings page on-call
# ---------------------------------------------------------------------------

resource "aws_guardduty_detector" "this" {
  #checkov:skip=CKV2_AWS_3:This stack deploys into one account and region; organisation-wide GuardDuty is set up once by the organisation's security account, not per application.
  count = var.enable_guardduty ? 1 : 0

  enable                       = true
  finding_publishing_frequency = "FIFTEEN_MINUTES"
}

resource "aws_guardduty_detector_feature" "s3" {
  count = var.enable_guardduty ? 1 : 0

  detector_id = aws_guardduty_detector.this[0].id
  name        = "S3_DATA_EVENTS"
  status      = "ENABLED"
}

resource "aws_cloudwatch_event_rule" "guardduty" {
  count = var.enable_guardduty ? 1 : 0

  name        = "${local.name}-guardduty-high"
  description = "GuardDuty findings of high severity (7.0 and above). Runbook: INCIDENT_RESPONSE.md#guardduty"
  event_pattern = jsonencode({
    source        = ["aws.guardduty"]
    "detail-type" = ["GuardDuty Finding"]
    detail        = { severity = [{ numeric = [">=", 7] }] }
  })
}

resource "aws_cloudwatch_event_target" "guardduty" {
  count = var.enable_guardduty ? 1 : 0

  rule = aws_cloudwatch_event_rule.guardduty[0].name
  arn  = aws_sns_topic.security_alerts.arn
}

# ---------------------------------------------------------------------------
# Security Hub: CIS AWS Foundations and AWS Foundational Security Best Practices
# ---------------------------------------------------------------------------

resource "aws_securityhub_account" "this" {
  count = var.enable_security_hub ? 1 : 0

  enable_default_standards = false # subscribed explicitly below
}

resource "aws_securityhub_standards_subscription" "this" {
  for_each = var.enable_security_hub ? {
    cis  = "arn:${local.partition}:securityhub:${local.region}::standards/cis-aws-foundations-benchmark/v/${var.securityhub_cis_version}"
    fsbp = "arn:${local.partition}:securityhub:${local.region}::standards/aws-foundational-security-best-practices/v/1.0.0"
  } : {}

  standards_arn = each.value

  depends_on = [aws_securityhub_account.this]
}

# ---------------------------------------------------------------------------
# AWS Config: record this stack's resource types, check its promises
# ---------------------------------------------------------------------------

resource "aws_iam_role" "config" {
  count = var.enable_config ? 1 : 0

  name               = "${local.name}-config"
  assume_role_policy = data.aws_iam_policy_document.config_assume.json
}

data "aws_iam_policy_document" "config_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["config.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role_policy_attachment" "config" {
  count = var.enable_config ? 1 : 0

  role       = aws_iam_role.config[0].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AWS_ConfigRole"
}

resource "aws_config_configuration_recorder" "this" {
  #checkov:skip=CKV2_AWS_48:Records this stack's resource types only: recording every type costs USD 0.003 per change across the whole account. An account-wide recorder belongs to the account baseline (turn enable_config off then).
  count = var.enable_config ? 1 : 0

  name     = "${local.name}-recorder"
  role_arn = aws_iam_role.config[0].arn

  # Only the resource types this stack creates: recording every type in a busy
  # account costs USD 0.003 per configuration change.
  recording_group {
    all_supported = false
    resource_types = [
      "AWS::S3::Bucket",
      "AWS::Lambda::Function",
      "AWS::DynamoDB::Table",
      "AWS::KMS::Key",
      "AWS::IAM::Role",
      "AWS::SNS::Topic",
      "AWS::SQS::Queue",
      "AWS::CloudTrail::Trail",
    ]
  }
}

resource "aws_config_delivery_channel" "this" {
  count = var.enable_config ? 1 : 0

  name           = "${local.name}-delivery"
  s3_bucket_name = aws_s3_bucket.logs.bucket
  s3_key_prefix  = local.config_prefix

  depends_on = [aws_config_configuration_recorder.this, aws_s3_bucket_policy.logs]
}

resource "aws_config_configuration_recorder_status" "this" {
  #checkov:skip=CKV2_AWS_45:The recorder records this stack's resource types only (see CKV2_AWS_48 on aws_config_configuration_recorder.this).
  count = var.enable_config ? 1 : 0

  name       = aws_config_configuration_recorder.this[0].name
  is_enabled = true

  depends_on = [aws_config_delivery_channel.this]
}

locals {
  config_rules = {
    s3-bucket-sse-enabled           = "S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED"
    s3-bucket-public-access-blocked = "S3_BUCKET_LEVEL_PUBLIC_ACCESS_PROHIBITED"
    s3-bucket-tls-only              = "S3_BUCKET_SSL_REQUESTS_ONLY"
    cloudtrail-enabled              = "CLOUD_TRAIL_ENABLED"
    kms-key-rotation-enabled        = "CMK_BACKING_KEY_ROTATION_ENABLED"
    dynamodb-table-encrypted-kms    = "DYNAMODB_TABLE_ENCRYPTED_KMS"
    lambda-function-not-public      = "LAMBDA_FUNCTION_PUBLIC_ACCESS_PROHIBITED"
  }
}

resource "aws_config_config_rule" "this" {
  for_each = var.enable_config ? local.config_rules : {}

  name = "${local.name}-${each.key}"
  source {
    owner             = "AWS"
    source_identifier = each.value
  }

  depends_on = [aws_config_configuration_recorder.this]
}

# ---------------------------------------------------------------------------
# CloudTrail: every region, validated files, encrypted with the stack's key
# ---------------------------------------------------------------------------

resource "aws_cloudtrail" "this" {
  #checkov:skip=CKV_AWS_252:Alerting on the trail goes through EventBridge rules (cloudwatch.tf), not an SNS topic per log file delivery.
  #checkov:skip=CKV2_AWS_10:Streaming the trail to CloudWatch Logs costs USD 0.50 per GB ingested; the trail is in S3 with file validation and EventBridge sees its events for alerting.
  count = var.enable_cloudtrail ? 1 : 0

  name                          = local.trail_name
  s3_bucket_name                = aws_s3_bucket.logs.id
  s3_key_prefix                 = local.cloudtrail_prefix
  is_multi_region_trail         = true
  include_global_service_events = true
  enable_log_file_validation    = true
  kms_key_id                    = aws_kms_key.this.arn

  dynamic "event_selector" {
    for_each = var.enable_cloudtrail_s3_data_events ? [1] : []
    content {
      read_write_type           = "All"
      include_management_events = true
      data_resource {
        type   = "AWS::S3::Object"
        values = ["${aws_s3_bucket.this.arn}/"]
      }
    }
  }

  depends_on = [aws_s3_bucket_policy.logs]
}

# ---------------------------------------------------------------------------
# AWS Config: record the stack's resource types, check its promises
# ---------------------------------------------------------------------------

resource "aws_iam_role" "config" {
  count = var.enable_config ? 1 : 0

  name               = "${var.name}-config"
  assume_role_policy = data.aws_iam_policy_document.config_assume.json
  tags               = var.tags
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
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AWS_ConfigRole"
}

resource "aws_config_configuration_recorder" "this" {
  #checkov:skip=CKV2_AWS_48:Records this stack's resource types only: recording every type costs USD 0.003 per change across the whole account. An account-wide recorder belongs to the account baseline (turn enable_config off then).
  count = var.enable_config ? 1 : 0

  name     = "${var.name}-recorder"
  role_arn = aws_iam_role.config[0].arn

  recording_group {
    all_supported  = false
    resource_types = var.config_resource_types
  }
}

resource "aws_config_delivery_channel" "this" {
  count = var.enable_config ? 1 : 0

  name           = "${var.name}-delivery"
  s3_bucket_name = module.logs_bucket["this"].id
  s3_key_prefix  = var.config_s3_key_prefix

  depends_on = [aws_config_configuration_recorder.this]
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

  name = "${var.name}-${each.key}"
  source {
    owner             = "AWS"
    source_identifier = each.value
  }
  tags = var.tags

  depends_on = [aws_config_configuration_recorder.this]
}

# ---------------------------------------------------------------------------
# GuardDuty: threat detection, with S3 protection and Lambda protection
# (network activity monitoring of every function in the account) on. The image-pipeline module's
# rule sends high-severity findings to on-call.
# ---------------------------------------------------------------------------

resource "aws_guardduty_detector" "this" {
  #checkov:skip=CKV2_AWS_3:This stack deploys into one account and region; organisation-wide GuardDuty is set up once by the organisation's security account, not per application.
  count = var.enable_guardduty ? 1 : 0

  enable                       = true
  finding_publishing_frequency = "FIFTEEN_MINUTES"
  tags                         = var.tags
}

resource "aws_guardduty_detector_feature" "s3" {
  count = var.enable_guardduty ? 1 : 0

  detector_id = aws_guardduty_detector.this[0].id
  name        = "S3_DATA_EVENTS"
  status      = "ENABLED"
}

# Lambda Protection: GuardDuty watches the network activity of the account's
# functions (feature LAMBDA_NETWORK_LOGS, enabled with UpdateDetector):
# https://docs.aws.amazon.com/guardduty/latest/ug/configure-lambda-protection-standalone-acc.html
# https://docs.aws.amazon.com/guardduty/latest/APIReference/API_DetectorFeatureConfiguration.html
resource "aws_guardduty_detector_feature" "lambda" {
  count = var.enable_guardduty ? 1 : 0

  detector_id = aws_guardduty_detector.this[0].id
  name        = "LAMBDA_NETWORK_LOGS"
  status      = "ENABLED"
}

# ---------------------------------------------------------------------------
# GuardDuty: threat detection, S3 protection on. The image-pipeline module's
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

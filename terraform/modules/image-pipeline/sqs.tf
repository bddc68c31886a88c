# ---------------------------------------------------------------------------
# Events that exhausted their retries wait here, encrypted, for a replay
# (INCIDENT_RESPONSE.md) for up to 14 days.
# ---------------------------------------------------------------------------

resource "aws_sqs_queue" "dead_letter" {
  name                              = "${var.name}-failed-events"
  kms_master_key_id                 = aws_kms_key.this.arn
  kms_data_key_reuse_period_seconds = 300
  message_retention_seconds         = 1209600
  tags                              = local.tags
}

resource "aws_sqs_queue_policy" "dead_letter" {
  queue_url = aws_sqs_queue.dead_letter.id
  policy    = data.aws_iam_policy_document.dead_letter.json
}

data "aws_iam_policy_document" "dead_letter" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = [aws_sqs_queue.dead_letter.arn]
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
}

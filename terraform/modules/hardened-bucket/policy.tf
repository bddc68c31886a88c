# ---------------------------------------------------------------------------
# Bucket policy: the caller's statements, then the TLS-only Deny every bucket
# gets. The caller's come first on purpose: moto's server (the local AWS)
# looks for a service grant and stops at the first statement whose principal
# is "*" (moto 5.2.5).
# ---------------------------------------------------------------------------

data "aws_iam_policy_document" "this" {
  source_policy_documents = var.policy_documents

  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.this.arn,
      "${aws_s3_bucket.this.arn}/*",
    ]
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

resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.id
  policy = data.aws_iam_policy_document.this.json

  # Nothing may write before the lock applies to what it writes: the policy
  # (what lets log deliveries in) waits for the Object Lock configuration.
  depends_on = [aws_s3_bucket_public_access_block.this, aws_s3_bucket_object_lock_configuration.this]
}

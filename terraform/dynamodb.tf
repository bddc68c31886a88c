# ---------------------------------------------------------------------------
# One record per upload: its outcome, and the guard against duplicate events
# ---------------------------------------------------------------------------

resource "aws_dynamodb_table" "this" {
  name     = "${local.name}-uploads"
  hash_key = "object_key"

  # Provisioned capacity inside the always-free 25 RCU / 25 WCU;
  # on-demand capacity has no free tier.
  billing_mode   = "PROVISIONED"
  read_capacity  = var.dynamodb_read_capacity
  write_capacity = var.dynamodb_write_capacity

  deletion_protection_enabled = var.enable_deletion_protection

  attribute {
    name = "object_key"
    type = "S"
  }

  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.this.arn
  }

  point_in_time_recovery {
    enabled = var.enable_point_in_time_recovery
  }
}

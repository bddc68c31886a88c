# ---------------------------------------------------------------------------
# One record per upload: its outcome, and the guard against duplicate events
# ---------------------------------------------------------------------------

resource "aws_dynamodb_table" "this" {
  name     = "${var.name}-uploads"
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

  tags = local.tags

  lifecycle {
    ignore_changes = [write_capacity] # managed by autoscaling below
  }
}

# ---------------------------------------------------------------------------
# Write capacity follows load between the configured floor and the free-tier
# ceiling. Application Auto Scaling creates and manages the CloudWatch alarms
# of a target-tracking policy (https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-target-tracking.html):
# 4 for a DynamoDB table's dimension (high and low, on consumed and on
# provisioned capacity), which count against the free 10 (alarms.tf).
# ---------------------------------------------------------------------------

resource "aws_appautoscaling_target" "table_write" {
  count = var.enable_dynamodb_autoscaling ? 1 : 0

  service_namespace  = "dynamodb"
  resource_id        = "table/${aws_dynamodb_table.this.name}"
  scalable_dimension = "dynamodb:table:WriteCapacityUnits"
  min_capacity       = var.dynamodb_write_capacity
  max_capacity       = max(var.dynamodb_write_capacity, 25) # 25 WCU are always free
  tags               = local.tags
}

resource "aws_appautoscaling_policy" "table_write" {
  count = var.enable_dynamodb_autoscaling ? 1 : 0

  name               = "${var.name}-uploads-write"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.table_write[0].service_namespace
  resource_id        = aws_appautoscaling_target.table_write[0].resource_id
  scalable_dimension = aws_appautoscaling_target.table_write[0].scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value = 70
    predefined_metric_specification {
      predefined_metric_type = "DynamoDBWriteCapacityUtilization"
    }
  }
}

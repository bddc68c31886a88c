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

  lifecycle {
    ignore_changes = [read_capacity, write_capacity] # managed by autoscaling below
  }
}

# ---------------------------------------------------------------------------
# Capacity follows load between the configured floor and the free-tier ceiling
# ---------------------------------------------------------------------------

locals {
  table_scaling = {
    read  = { min = var.dynamodb_read_capacity, dimension = "dynamodb:table:ReadCapacityUnits", metric = "DynamoDBReadCapacityUtilization" }
    write = { min = var.dynamodb_write_capacity, dimension = "dynamodb:table:WriteCapacityUnits", metric = "DynamoDBWriteCapacityUtilization" }
  }
}

resource "aws_appautoscaling_target" "table" {
  for_each = var.enable_dynamodb_autoscaling ? local.table_scaling : {}

  service_namespace  = "dynamodb"
  resource_id        = "table/${aws_dynamodb_table.this.name}"
  scalable_dimension = each.value.dimension
  min_capacity       = each.value.min
  max_capacity       = max(each.value.min, 25) # 25 RCU / 25 WCU are always free
}

resource "aws_appautoscaling_policy" "table" {
  for_each = var.enable_dynamodb_autoscaling ? local.table_scaling : {}

  name               = "${local.name}-uploads-${each.key}"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.table[each.key].service_namespace
  resource_id        = aws_appautoscaling_target.table[each.key].resource_id
  scalable_dimension = aws_appautoscaling_target.table[each.key].scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value = 70
    predefined_metric_specification {
      predefined_metric_type = each.value.metric
    }
  }
}

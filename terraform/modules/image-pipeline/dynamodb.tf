# ---------------------------------------------------------------------------
# One record per upload: its outcome, and the guard against duplicate events
# ---------------------------------------------------------------------------

locals {
  provisioned = var.dynamodb_billing_mode == "PROVISIONED"

  # With provisioned capacity, the table's and the in-progress index's write
  # capacity each follow load (an index's throughput is its own: a throttled
  # index throttles the table's writes,
  # https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.ThroughputConsiderations.html).
  write_autoscaling = local.provisioned && var.enable_dynamodb_autoscaling ? {
    table = { resource_id = "table/${aws_dynamodb_table.this.name}", dimension = "dynamodb:table:WriteCapacityUnits" }
    index = { resource_id = "table/${aws_dynamodb_table.this.name}/index/${local.processing_index}", dimension = "dynamodb:index:WriteCapacityUnits" }
  } : {}
}

resource "aws_dynamodb_table" "this" {
  name     = "${var.name}-uploads"
  hash_key = "object_key"

  # On demand by default: no capacity to run out of below the function's own
  # ceiling (make capacity). PROVISIONED starts inside the always-free
  # 25 RCU / 25 WCU (table and index together), with a lower ceiling; its
  # autoscaling (below) can take each to 25 WCU, 50 together, beyond the free
  # tier while scaled up.
  billing_mode   = var.dynamodb_billing_mode
  read_capacity  = local.provisioned ? var.dynamodb_read_capacity : null
  write_capacity = local.provisioned ? var.dynamodb_write_capacity : null

  deletion_protection_enabled = var.enable_deletion_protection

  attribute {
    name = "object_key"
    type = "S"
  }

  # Only a claim in flight (PROCESSING) carries lease_until, and DynamoDB
  # writes an item into an index only when it has the index's key attributes
  # (a sparse index: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-indexes-general-sparse-indexes.html),
  # so this index holds only the records in flight: the sweep scans it instead
  # of the table (lambda/storage.py, stuck). Its partition key is the object
  # key, like the table's: claims made in the same second spread over the
  # index's partitions instead of all writing one lease_until value.
  attribute {
    name = "lease_until"
    type = "N"
  }

  global_secondary_index {
    name            = local.processing_index
    hash_key        = "object_key"
    range_key       = "lease_until"
    projection_type = "ALL"
    read_capacity   = local.provisioned ? 1 : null
    write_capacity  = local.provisioned ? var.dynamodb_write_capacity : null
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
    ignore_changes = [write_capacity] # managed by autoscaling below when it is on
  }
}

# ---------------------------------------------------------------------------
# PROVISIONED only: write capacity follows load between the configured floor
# and 25 WCU, for the table and for its index. Application Auto Scaling
# creates and manages the CloudWatch alarms of a target-tracking policy
# (https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-target-tracking.html):
# 4 per policy (high and low, on consumed and on provisioned capacity), which
# count against the free 10 (alarms.tf).
# ---------------------------------------------------------------------------

resource "aws_appautoscaling_target" "write" {
  for_each = local.write_autoscaling

  service_namespace  = "dynamodb"
  resource_id        = each.value.resource_id
  scalable_dimension = each.value.dimension
  min_capacity       = var.dynamodb_write_capacity
  max_capacity       = max(var.dynamodb_write_capacity, 25)
  tags               = local.tags
}

resource "aws_appautoscaling_policy" "write" {
  for_each = local.write_autoscaling

  name               = "${var.name}-uploads-${each.key}-write"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.write[each.key].service_namespace
  resource_id        = aws_appautoscaling_target.write[each.key].resource_id
  scalable_dimension = aws_appautoscaling_target.write[each.key].scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value = 70
    predefined_metric_specification {
      predefined_metric_type = "DynamoDBWriteCapacityUtilization"
    }
  }
}

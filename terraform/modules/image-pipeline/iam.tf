# ---------------------------------------------------------------------------
# The function's role: exactly what the handler calls, on exactly its resources
# ---------------------------------------------------------------------------

resource "aws_iam_role" "lambda" {
  name                 = "${var.name}-lambda"
  assume_role_policy   = data.aws_iam_policy_document.lambda_assume.json
  permissions_boundary = var.lambda_permissions_boundary_arn
  tags                 = local.tags
}

data "aws_iam_policy_document" "lambda_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role_policy" "lambda" {
  name   = "${var.name}-lambda"
  role   = aws_iam_role.lambda.id
  policy = data.aws_iam_policy_document.lambda.json
}

data "aws_iam_policy_document" "lambda" {
  statement {
    sid       = "ReadUploads"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = ["${module.images_bucket.arn}/${local.input_prefix}*"]
  }

  statement {
    sid       = "WriteProcessed"
    actions   = ["s3:PutObject"]
    resources = ["${module.images_bucket.arn}/${local.output_prefix}*"]
  }

  # Claim and finish a record (PutItem, UpdateItem); a reprocess (S3 Batch
  # Operations) first reads the record of its key (GetItem: which version and
  # ordering token to keep, and whether the recipe set changed); the sweep
  # scans the in-progress index for claims whose lease expired (Scan).
  statement {
    sid       = "UploadRecords"
    actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
    resources = [aws_dynamodb_table.this.arn]
  }

  statement {
    sid       = "SweepStuckRecords"
    actions   = ["dynamodb:Scan"]
    resources = ["${aws_dynamodb_table.this.arn}/index/${local.processing_index}"]
  }

  statement {
    sid       = "Notify"
    actions   = ["sns:Publish"]
    resources = [for topic in aws_sns_topic.this : topic.arn]
  }

  # What the event source mapping does with the function's role: read the
  # uploads queue, delete what was handled, and leave the rest to reappear
  # (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html).
  statement {
    sid = "ConsumeUploadsQueue"
    actions = [
      "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
      "sqs:ChangeMessageVisibility",
    ]
    resources = [aws_sqs_queue.uploads.arn]
  }

  # The data key, only as used through the services that hold data encrypted
  # with it: images (S3), notifications (SNS) and records (DynamoDB); and the
  # function's environment variables (Lambda), which it only reads. The key
  # policy allows no more (kms.tf; pipeline.tftest.hcl checks the seam).
  statement {
    sid       = "UseDataKeyThroughStackServices"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.this.arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values = [for service in ["s3", "sns", "dynamodb"] :
      "${service}.${local.region}.amazonaws.com"]
    }
  }

  statement {
    sid       = "ReadEnvironmentWithDataKey"
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.this.arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["lambda.${local.region}.amazonaws.com"]
    }
  }

  # The security key: to publish to the security-alerts topic (SNS), and to
  # read the uploads queue (SQS: Decrypt only, the function never sends).
  statement {
    sid       = "UseSecurityKeyThroughSns"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.security.arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["sns.${local.region}.amazonaws.com"]
    }
  }

  statement {
    sid       = "ReadUploadsQueueWithSecurityKey"
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.security.arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["sqs.${local.region}.amazonaws.com"]
    }
  }

  # The sweep's failed or dropped invocations: Lambda sends their events to
  # the function's dead-letter queue with this role (lambda.tf), through SQS
  # with the data key, the only queue on that key. (kms:GenerateDataKey and
  # kms:Decrypt, as for the stack's other producers to encrypted queues and
  # topics; the SQS guide's list was not readable here: unverified.)
  statement {
    sid       = "KeepFailedSweeps"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.failed_sweeps.arn]
  }

  statement {
    sid       = "UseDataKeyForFailedSweeps"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.this.arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["sqs.${local.region}.amazonaws.com"]
    }
  }

  statement {
    sid       = "OwnLogGroup"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.lambda.arn}:*"]
  }

  # X-Ray offers no resource-level permissions: "*" is the narrowest there is.
  statement {
    sid       = "Tracing"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }
}

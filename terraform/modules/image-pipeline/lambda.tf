# ---------------------------------------------------------------------------
# The function, its logs, the event source mapping that feeds it uploads from
# the queue (sqs.tf), and its scheduled sweep's invocation settings
# ---------------------------------------------------------------------------

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_117:Inside a VPC without a route out when enable_vpc is on (network.tf); off by default because the SNS interface endpoint it then needs is billed by the hour in each of two Availability Zones (README, Cost); the gateway endpoints for S3 and DynamoDB are free.
  #checkov:skip=CKV_AWS_115:The function's concurrency is capped where uploads enter it, by the event source mapping's maximum concurrency (queue_maximum_concurrency), which reserves nothing; reserved concurrency (lambda_reserved_concurrency) stays optional because Lambda refuses it on accounts with a concurrency quota of 10.
  function_name = local.function_name
  description   = "Resizes, thumbnails or greyscales images uploaded under ${local.input_prefix}"
  role          = aws_iam_role.lambda.arn
  handler       = "lambda_function.handler"
  runtime       = var.lambda_runtime
  architectures = [var.lambda_architecture]
  memory_size   = var.lambda_memory_mb
  timeout       = var.lambda_timeout_s

  # Signed (enable_code_signing): the copy AWS Signer wrote, whose key is new
  # for every signing job. Unsigned: the package file itself.
  s3_bucket        = try(aws_signer_signing_job.package["this"].signed_object[0].s3[0].bucket, null)
  s3_key           = try(aws_signer_signing_job.package["this"].signed_object[0].s3[0].key, null)
  filename         = var.enable_code_signing ? null : var.lambda_package_path
  source_code_hash = var.enable_code_signing ? null : filebase64sha256(var.lambda_package_path)

  code_signing_config_arn = try(aws_lambda_code_signing_config.this["this"].arn, null)

  # Optional (null: -1, none). The flood ceiling is the event source mapping's
  # maximum concurrency below, which reserves nothing.
  reserved_concurrent_executions = coalesce(var.lambda_reserved_concurrency, -1)

  kms_key_arn = aws_kms_key.this.arn # environment variables at rest

  # The handler's whole configuration (lambda/config.py reads exactly these).
  # Memory needs no variable: Lambda gives the handler its memory_size.
  environment {
    variables = {
      TABLE_NAME              = aws_dynamodb_table.this.name
      NOTIFICATIONS_TOPIC_ARN = aws_sns_topic.this["notifications"].arn
      SECURITY_TOPIC_ARN      = aws_sns_topic.this["security_alerts"].arn
      INPUT_PREFIX            = local.input_prefix
      OUTPUT_PREFIX           = local.output_prefix
      MAX_UPLOAD_BYTES        = tostring(local.max_upload_bytes)
      MAX_DIMENSION           = tostring(var.max_dimension)
      RECORD_TTL_DAYS         = tostring(var.record_ttl_days)
      LOG_LEVEL               = var.lambda_log_level
      MALWARE_PROTECTION      = var.enable_malware_protection ? "on" : "off"
      UPLOADER_ISOLATION      = var.enable_uploader_isolation ? "on" : "off"
      STUCK_AFTER_S           = tostring(var.stuck_after_s)
      PROCESSING_INDEX        = local.processing_index
      RECIPES                 = var.recipes == null ? "" : jsonencode(var.recipes)
      HEIC_INPUT              = var.enable_heic_input ? "on" : "off"
    }
  }

  # enable_vpc: private subnets without a route out, HTTPS to the stack's
  # endpoints only (network.tf).
  dynamic "vpc_config" {
    for_each = local.vpc
    content {
      subnet_ids         = [for subnet in aws_subnet.this : subnet.id]
      security_group_ids = [aws_security_group.lambda["this"].id]
    }
  }

  # The events of failed or dropped asynchronous invocations: the sweep's
  # (below). Uploads have their own, the failed-events queue (sqs.tf).
  dead_letter_config {
    target_arn = aws_sqs_queue.failed_sweeps.arn
  }

  tracing_config {
    mode = "Active"
  }

  logging_config {
    log_format = "Text" # the handler prints one JSON object per line itself
    log_group  = aws_cloudwatch_log_group.lambda.name
  }

  # Recursive-loop detection stays at its default (Terminate): even if the
  # prefixes were misconfigured, Lambda stops a function that triggers itself.

  tags = local.tags

  # Lambda creates the function's network interfaces with the role's
  # permissions (network.tf): the policy must exist first.
  depends_on = [aws_iam_role_policy.lambda, aws_iam_role_policy.lambda_network]
}

resource "aws_cloudwatch_log_group" "lambda" {
  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.security.arn # audit evidence: survives the data key (kms.tf)
  tags              = local.tags
}

# The uploads queue feeds the function: batches of queue_batch_size, at most
# queue_maximum_concurrency invocations at once
# (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html), and
# each failed upload reported on its own (ReportBatchItemFailures,
# https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html):
# its batch-mates are not retried. "Stop processing" disables this mapping
# (INCIDENT_RESPONSE.md); the uploads then wait in the queue.
resource "aws_lambda_event_source_mapping" "uploads" {
  event_source_arn        = aws_sqs_queue.uploads.arn
  function_name           = aws_lambda_function.this.arn
  batch_size              = var.queue_batch_size
  function_response_types = ["ReportBatchItemFailures"]

  scaling_config {
    maximum_concurrency = var.queue_maximum_concurrency
  }

  tags = local.tags

  depends_on = [aws_iam_role_policy.lambda] # the role must be able to read the queue first
}

# The sweep (events.tf) is the only asynchronous invocation left: a failed one
# is repeated by the next, 15 minutes later, so it is not retried.
resource "aws_lambda_function_event_invoke_config" "this" {
  function_name                = aws_lambda_function.this.function_name
  maximum_retry_attempts       = 0
  maximum_event_age_in_seconds = 900
}

# But it is kept, with why it failed: Lambda sends the event of an invocation
# that failed, or that waited in its asynchronous queue longer than the
# maximum age, to the function's dead-letter queue ("When an event fails all
# processing attempts or stays in the asynchronous invocation queue for too
# long, Lambda discards it. To retain discarded events, configure a
# dead-letter queue":
# https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionEventInvokeConfig.html),
# with the function's role (https://docs.aws.amazon.com/lambda/latest/dg/dlq.html),
# and the failed-sweeps alarm (alarms.tf) pages on-call. A queue of its own, on
# the data key: the undelivered-events queue is on the security key and feeds
# the security on-call, and the decoder's role must not be able to write into
# that path (nor encrypt with that key). The queue is in sqs.tf.

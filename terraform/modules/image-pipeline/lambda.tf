# ---------------------------------------------------------------------------
# The function, its logs, its trigger permission and its failure destination
# ---------------------------------------------------------------------------

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_117:Outside a VPC on purpose: inside one it would need a NAT gateway (about USD 32 a month) or VPC endpoints to reach the APIs it calls (free gateway endpoints for S3 and DynamoDB, but interface endpoints billed by the hour for SNS and KMS); it opens no inbound path either way.
  #checkov:skip=CKV_AWS_116:Failed asynchronous events go to the on-failure destination (aws_lambda_function_event_invoke_config.this), which records more than a dead_letter_config would; configuring both would deliver each failure twice.
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

  reserved_concurrent_executions = var.lambda_reserved_concurrency

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
      STUCK_AFTER_S           = tostring(var.stuck_after_s)
      PROCESSING_INDEX        = local.processing_index
    }
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

  depends_on = [aws_iam_role_policy.lambda]
}

resource "aws_cloudwatch_log_group" "lambda" {
  #checkov:skip=CKV_AWS_338:Function logs are operational, not audit evidence (CloudTrail and S3 access logs are kept for access_log_retention_days); 30 days keeps them cheap. Raise log_retention_days if policy requires a year.
  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.security.arn # audit evidence: survives the data key (kms.tf)
  tags              = local.tags
}

resource "aws_lambda_permission" "s3" {
  statement_id   = "AllowInvokeFromImagesBucket"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.this.function_name
  principal      = "s3.amazonaws.com"
  source_arn     = module.images_bucket.arn
  source_account = local.account_id
}

resource "aws_lambda_function_event_invoke_config" "this" {
  function_name                = aws_lambda_function.this.function_name
  maximum_retry_attempts       = var.lambda_maximum_retry_attempts
  maximum_event_age_in_seconds = var.lambda_maximum_event_age_s

  destination_config {
    on_failure {
      destination = aws_sqs_queue.dead_letter.arn
    }
  }
}

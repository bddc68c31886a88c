# The stack's security promises, asserted on the plan with a mocked provider
# (no AWS account, no network). Run: terraform test (or `make test-terraform`).

# override_during = plan (Terraform >= 1.11) makes the mocked ARNs known at
# plan time, so assertions can compare them.
mock_provider "aws" {
  source          = "./tests/mocks"
  override_during = plan
}

variables {
  lambda_package_path = "tests/fixtures/placeholder.zip"
}

run "names_follow_project_and_environment" {
  command = plan

  assert {
    condition     = aws_lambda_function.this.function_name == "image-processor-prod"
    error_message = "The function must be named image-processor-prod."
  }
  assert {
    condition     = aws_cloudwatch_log_group.lambda.name == "/aws/lambda/image-processor-prod"
    error_message = "The log group must be /aws/lambda/image-processor-prod, as the runbook says."
  }
  assert {
    condition     = aws_s3_bucket.this.bucket == "image-processor-prod-images-123456789012"
    error_message = "The images bucket name must carry the project, environment and account."
  }
}

run "every_bucket_blocks_public_access" {
  command = plan

  assert {
    condition = alltrue([for b in [aws_s3_bucket_public_access_block.this, aws_s3_bucket_public_access_block.logs] :
    b.block_public_acls && b.block_public_policy && b.ignore_public_acls && b.restrict_public_buckets])
    error_message = "Both buckets must enable all four public-access blocks."
  }
  assert {
    condition = alltrue([for o in [aws_s3_bucket_ownership_controls.this, aws_s3_bucket_ownership_controls.logs] :
    o.rule[0].object_ownership == "BucketOwnerEnforced"])
    error_message = "ACLs must be disabled (BucketOwnerEnforced) on both buckets."
  }
}

run "images_bucket_is_encrypted_with_the_cmk" {
  command = plan

  assert {
    condition     = one([for r in aws_s3_bucket_server_side_encryption_configuration.this.rule : r.apply_server_side_encryption_by_default[0].sse_algorithm]) == "aws:kms"
    error_message = "The images bucket must use SSE-KMS."
  }
  assert {
    condition     = one([for r in aws_s3_bucket_server_side_encryption_configuration.this.rule : r.apply_server_side_encryption_by_default[0].kms_master_key_id]) == aws_kms_key.this.arn
    error_message = "The images bucket must use the stack's key."
  }
  assert {
    condition     = one([for r in aws_s3_bucket_server_side_encryption_configuration.this.rule : r.bucket_key_enabled])
    error_message = "S3 bucket keys must be on (fewer KMS calls)."
  }
  assert {
    condition     = aws_s3_bucket_versioning.this.versioning_configuration[0].status == "Enabled"
    error_message = "The images bucket must be versioned."
  }
}

run "bucket_policies_deny_insecure_transport_and_foreign_keys" {
  command = plan

  assert {
    condition = alltrue([for doc in [data.aws_iam_policy_document.images_bucket, data.aws_iam_policy_document.logs_bucket] :
      anytrue([for s in doc.statement : s.effect == "Deny" && contains(s.actions, "s3:*") &&
        anytrue([for c in s.condition : c.variable == "aws:SecureTransport" && contains(c.values, "false")])
    ])])
    error_message = "Both bucket policies must deny requests without TLS."
  }
  assert {
    condition = anytrue([for s in data.aws_iam_policy_document.images_bucket.statement :
      s.effect == "Deny" && contains(s.actions, "s3:PutObject") &&
      anytrue([for c in s.condition : c.variable == "s3:x-amz-server-side-encryption-aws-kms-key-id" && contains(c.values, aws_kms_key.this.arn)])
    ])
    error_message = "The images bucket must refuse uploads that ask for another KMS key."
  }
}

run "only_uploads_trigger_the_function" {
  command = plan

  assert {
    condition     = aws_s3_bucket_notification.this.lambda_function[0].filter_prefix == "uploads/"
    error_message = "Only uploads/ may trigger the function (it writes processed/)."
  }
  assert {
    condition     = aws_lambda_permission.s3.source_account == "123456789012" && aws_lambda_permission.s3.source_arn == aws_s3_bucket.this.arn
    error_message = "The S3 invoke permission must be scoped by source ARN and account."
  }
}

run "key_rotates_and_lifecycles_expire_data" {
  command = plan

  assert {
    condition     = aws_kms_key.this.enable_key_rotation
    error_message = "The key must rotate."
  }
  assert {
    condition     = aws_kms_key.this.deletion_window_in_days == 7
    error_message = "The key's deletion window must default to 7 days."
  }
  assert {
    condition = alltrue([for r in aws_s3_bucket_lifecycle_configuration.this.rule :
    r.expiration[0].days == 30 if length(r.expiration) > 0])
    error_message = "Uploads and outputs must expire after upload_retention_days (30)."
  }
  assert {
    condition     = aws_s3_bucket_lifecycle_configuration.logs.rule[0].expiration[0].days == 365
    error_message = "Logs must be kept access_log_retention_days (365)."
  }
}

run "table_is_encrypted_with_ttl_inside_the_free_tier" {
  command = plan

  assert {
    condition     = aws_dynamodb_table.this.hash_key == "object_key"
    error_message = "The partition key must be object_key."
  }
  assert {
    condition     = aws_dynamodb_table.this.server_side_encryption[0].enabled && aws_dynamodb_table.this.server_side_encryption[0].kms_key_arn == aws_kms_key.this.arn
    error_message = "The table must be encrypted with the stack's key."
  }
  assert {
    condition     = aws_dynamodb_table.this.ttl[0].enabled && aws_dynamodb_table.this.ttl[0].attribute_name == "expires_at"
    error_message = "TTL must be on expires_at."
  }
  assert {
    condition     = aws_dynamodb_table.this.billing_mode == "PROVISIONED" && aws_dynamodb_table.this.read_capacity <= 25 && aws_dynamodb_table.this.write_capacity <= 25
    error_message = "The table must use provisioned capacity inside the always-free 25 RCU/WCU."
  }
}

run "topics_queue_and_logs_are_encrypted" {
  command = plan

  assert {
    condition = alltrue([for t in [aws_sns_topic.notifications, aws_sns_topic.security_alerts] :
    t.kms_master_key_id == aws_kms_key.this.arn])
    error_message = "Both topics must be encrypted with the stack's key."
  }
  assert {
    condition     = aws_sqs_queue.dead_letter.kms_master_key_id == aws_kms_key.this.arn
    error_message = "The failed-events queue must be encrypted with the stack's key."
  }
  assert {
    condition     = aws_cloudwatch_log_group.lambda.kms_key_id == aws_kms_key.this.arn && aws_cloudwatch_log_group.lambda.retention_in_days == 30
    error_message = "The log group must be encrypted and keep 30 days."
  }
}

run "role_is_least_privilege" {
  command = plan

  assert {
    condition = alltrue(flatten([for s in data.aws_iam_policy_document.lambda.statement :
    [for a in s.actions : !strcontains(a, "*")]]))
    error_message = "The function's policy must not use wildcard actions."
  }
  assert {
    condition = toset(flatten([for s in data.aws_iam_policy_document.lambda.statement :
      s.resources if anytrue([for a in s.actions : startswith(a, "s3:")])])) == toset([
      "${aws_s3_bucket.this.arn}/uploads/*",
      "${aws_s3_bucket.this.arn}/processed/*",
    ])
    error_message = "The function's S3 access must be exactly uploads/* (read) and processed/* (write)."
  }
  assert {
    condition = [for s in data.aws_iam_policy_document.lambda.statement : s.resources if s.sid == "WriteProcessed"][0] == toset([
    "${aws_s3_bucket.this.arn}/processed/*"])
    error_message = "The function may write only under processed/."
  }
  assert {
    condition = alltrue([for s in data.aws_iam_policy_document.lambda.statement :
    s.sid == "Tracing" if contains(s.resources, "*")])
    error_message = "Only X-Ray (which has no resource-level permissions) may use a '*' resource."
  }
  assert {
    condition = anytrue([for s in data.aws_iam_policy_document.lambda.statement :
    s.sid == "UseKeyThroughStackServices" && length(s.condition) == 1])
    error_message = "Key use must be conditioned on kms:ViaService."
  }
}

run "function_is_hardened_and_follows_the_contract" {
  command = plan

  assert {
    condition     = aws_lambda_function.this.reserved_concurrent_executions == 5
    error_message = "The function must have reserved concurrency."
  }
  assert {
    condition     = aws_lambda_function.this.tracing_config[0].mode == "Active"
    error_message = "X-Ray tracing must be active."
  }
  assert {
    condition     = aws_lambda_function.this.kms_key_arn == aws_kms_key.this.arn
    error_message = "Environment variables must be encrypted with the stack's key."
  }
  assert {
    condition     = aws_lambda_function_event_invoke_config.this.destination_config[0].on_failure[0].destination == aws_sqs_queue.dead_letter.arn
    error_message = "Failed events must go to the failed-events queue."
  }
  assert {
    condition = keys(aws_lambda_function.this.environment[0].variables) == sort([
      "TABLE_NAME", "NOTIFICATIONS_TOPIC_ARN", "SECURITY_TOPIC_ARN", "INPUT_PREFIX", "OUTPUT_PREFIX",
      "MAX_UPLOAD_BYTES", "MAX_DIMENSION", "RECORD_TTL_DAYS", "LOG_LEVEL",
    ])
    error_message = "The environment must be exactly the handler's contract."
  }
  assert {
    condition     = aws_lambda_function.this.environment[0].variables.MAX_UPLOAD_BYTES == "10485760" && aws_lambda_function.this.environment[0].variables.MAX_DIMENSION == "4096"
    error_message = "The limits must default to 10 MiB and 4096 pixels."
  }
  assert {
    condition     = aws_lambda_function.this.architectures[0] == "arm64" && aws_lambda_function.this.runtime == "python3.13"
    error_message = "The function must default to arm64 and python3.13."
  }
}

run "security_services_are_on_by_default" {
  command = plan

  assert {
    condition     = length(aws_guardduty_detector.this) == 1 && aws_guardduty_detector_feature.s3[0].name == "S3_DATA_EVENTS"
    error_message = "GuardDuty with S3 protection must be on by default."
  }
  assert {
    condition     = length(aws_securityhub_standards_subscription.this) == 2
    error_message = "Security Hub must subscribe to CIS and FSBP by default."
  }
  assert {
    condition     = length(aws_config_config_rule.this) == 7 && length(aws_config_configuration_recorder_status.this) == 1
    error_message = "AWS Config must record and evaluate its 7 rules by default."
  }
  assert {
    condition     = aws_cloudtrail.this[0].is_multi_region_trail && aws_cloudtrail.this[0].enable_log_file_validation && aws_cloudtrail.this[0].kms_key_id == aws_kms_key.this.arn
    error_message = "CloudTrail must be multi-region, validated and encrypted with the stack's key."
  }
}

run "toggles_off_remove_their_resources" {
  command = plan

  variables {
    enable_guardduty    = false
    enable_security_hub = false
    enable_config       = false
    enable_cloudtrail   = false
  }

  assert {
    condition = (length(aws_guardduty_detector.this) + length(aws_cloudwatch_event_rule.guardduty) +
      length(aws_securityhub_account.this) + length(aws_securityhub_standards_subscription.this) +
      length(aws_config_configuration_recorder.this) + length(aws_config_config_rule.this) +
    length(aws_iam_role.config) + length(aws_cloudtrail.this)) == 0
    error_message = "Turning the toggles off must remove every account-wide resource."
  }
  assert {
    condition = length([for s in data.aws_iam_policy_document.logs_bucket.statement : s
    if strcontains(coalesce(s.sid, ""), "CloudTrail") || strcontains(coalesce(s.sid, ""), "Config")]) == 0
    error_message = "The logs bucket must not grant CloudTrail or Config when they are off."
  }
  assert {
    condition     = output.guardduty_detector_id == null && output.cloudtrail_arn == null && output.security_hub_enabled == false
    error_message = "Outputs of disabled features must be null, not errors."
  }
}

run "alert_email_subscribes_both_topics" {
  command = plan

  variables {
    alert_email = "oncall@example.com"
  }

  assert {
    condition     = length(aws_sns_topic_subscription.email) == 2
    error_message = "alert_email must subscribe to both topics."
  }
}

run "alarms_stay_inside_the_free_ten" {
  command = plan

  assert {
    condition = length([
      aws_cloudwatch_metric_alarm.lambda_errors, aws_cloudwatch_metric_alarm.lambda_throttles,
      aws_cloudwatch_metric_alarm.lambda_duration, aws_cloudwatch_metric_alarm.failed_events,
      aws_cloudwatch_metric_alarm.invocations, aws_cloudwatch_metric_alarm.storage,
    ]) <= 10
    error_message = "The stack must stay within CloudWatch's 10 free alarms."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.lambda_throttles.alarm_actions == toset([aws_sns_topic.security_alerts.arn])
    error_message = "Throttles (possible DoS) must alert the security topic."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.storage.threshold == 4 * 1024 * 1024 * 1024
    error_message = "The storage alarm must fire above 4 GB."
  }
}

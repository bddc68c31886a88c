# The image-pipeline module's security promises, asserted on what the real
# AWS provider renders: every aws_iam_policy_document is computed by the
# provider, locally, and the assertions read the JSON that the bucket, key,
# topic, queue and role policies would send to AWS.
#
# Nothing reaches AWS. Terraform defers a data source that references a
# resource still to be created to apply time, so these runs "apply" with every
# managed resource overridden (Terraform does not call the provider for
# them; AWS-assigned ARNs are given below). The only data source that would
# call AWS, the caller identity, is overridden too. Run: terraform test
# (or `make test-terraform`).

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "never-used"
  secret_key                  = "never-used"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}

override_data {
  target = data.aws_caller_identity.current
  values = { account_id = "123456789012" }
}

# ---------------------------------------------------------------------------
# Every managed resource of the module, so that no run calls AWS.
# ---------------------------------------------------------------------------

override_resource {
  target = aws_cloudwatch_metric_alarm.this
}

override_resource {
  target = aws_s3_bucket_notification.this
}

override_resource {
  target = aws_dynamodb_table.this
  values = { arn = "arn:aws:dynamodb:us-east-1:123456789012:table/test-prod-uploads" }
}

override_resource {
  target = aws_appautoscaling_target.table_write
}

override_resource {
  target = aws_appautoscaling_policy.table_write
}

override_resource {
  target = aws_cloudwatch_event_rule.this
}

override_resource {
  target = aws_cloudwatch_event_target.this
}

override_resource {
  target = aws_iam_role.lambda
  values = { arn = "arn:aws:iam::123456789012:role/test-prod-lambda", id = "test-prod-lambda" }
}

override_resource {
  target = aws_iam_role_policy.lambda
}

override_resource {
  target = aws_kms_key.this
  values = {
    arn    = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    key_id = "11111111-2222-3333-4444-555555555555"
  }
}

override_resource {
  target = aws_kms_alias.this
}

override_resource {
  target = aws_lambda_function.this
  values = { arn = "arn:aws:lambda:us-east-1:123456789012:function:test-prod" }
}

override_resource {
  target = aws_cloudwatch_log_group.lambda
  values = { arn = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/test-prod" }
}

override_resource {
  target = aws_lambda_permission.s3
}

override_resource {
  target = aws_lambda_function_event_invoke_config.this
}

override_resource {
  target = aws_sns_topic.this["notifications"]
  values = { arn = "arn:aws:sns:us-east-1:123456789012:test-prod-notifications" }
}

override_resource {
  target = aws_sns_topic.this["security_alerts"]
  values = { arn = "arn:aws:sns:us-east-1:123456789012:test-prod-security-alerts" }
}

override_resource {
  target = aws_sns_topic_policy.this
}

override_resource {
  target = aws_sns_topic_subscription.email
}

override_resource {
  target = aws_sqs_queue.dead_letter
  values = { arn = "arn:aws:sqs:us-east-1:123456789012:test-prod-failed-events", url = "https://sqs.us-east-1.amazonaws.com/123456789012/test-prod-failed-events" }
}

override_resource {
  target = aws_sqs_queue_policy.dead_letter
}

override_resource {
  target = module.images_bucket.aws_s3_bucket.this
  values = { arn = "arn:aws:s3:::test-prod-images-123456789012", id = "test-prod-images-123456789012" }
}

override_resource {
  target = module.images_bucket.aws_s3_bucket_public_access_block.this
}

override_resource {
  target = module.images_bucket.aws_s3_bucket_ownership_controls.this
}

override_resource {
  target = module.images_bucket.aws_s3_bucket_server_side_encryption_configuration.this
}

override_resource {
  target = module.images_bucket.aws_s3_bucket_versioning.this
}

override_resource {
  target = module.images_bucket.aws_s3_bucket_lifecycle_configuration.this
}

override_resource {
  target = module.images_bucket.aws_s3_bucket_logging.this
}

override_resource {
  target = module.images_bucket.aws_s3_bucket_policy.this
}

override_resource {
  target = module.logs_bucket.aws_s3_bucket.this
  values = { arn = "arn:aws:s3:::test-prod-logs-123456789012", id = "test-prod-logs-123456789012" }
}

override_resource {
  target = module.logs_bucket.aws_s3_bucket_public_access_block.this
}

override_resource {
  target = module.logs_bucket.aws_s3_bucket_ownership_controls.this
}

override_resource {
  target = module.logs_bucket.aws_s3_bucket_server_side_encryption_configuration.this
}

override_resource {
  target = module.logs_bucket.aws_s3_bucket_versioning.this
}

override_resource {
  target = module.logs_bucket.aws_s3_bucket_lifecycle_configuration.this
}

override_resource {
  target = module.logs_bucket.aws_s3_bucket_logging.this
}

override_resource {
  target = module.logs_bucket.aws_s3_bucket_policy.this
}

variables {
  name                = "test-prod"
  lambda_package_path = "tests/fixtures/placeholder.zip"

  # Everything that adds a grant or an alarm is on, so that the properties
  # below are checked on every statement and alarm the module can create.
  cloudtrail_name                = "test-prod-trail"
  enable_config_delivery         = true
  enable_guardduty_findings_rule = true
  enable_dynamodb_autoscaling    = true
}

# ---------------------------------------------------------------------------
# Buckets: the skeleton, and the policies as rendered
# ---------------------------------------------------------------------------

run "both_buckets_block_public_access_and_acls" {
  module {
    source = "./modules/image-pipeline"
  }

  assert {
    condition = alltrue([for b in [module.images_bucket, module.logs_bucket] :
    b.public_access_blocked && b.acls_disabled && b.versioning_enabled])
    error_message = "Both buckets must block public access (all four settings), disable ACLs and keep versions."
  }
}

run "images_bucket_is_encrypted_with_the_cmk_and_expires_data" {
  module {
    source = "./modules/image-pipeline"
  }

  assert {
    condition     = module.images_bucket.encryption == { sse_algorithm = "aws:kms", kms_master_key_id = aws_kms_key.this.arn, bucket_key_enabled = true }
    error_message = "The images bucket must default to SSE-KMS with the stack's key and an S3 bucket key."
  }
  assert {
    condition = alltrue([for prefix in ["uploads/", "processed/"] :
    contains(module.images_bucket.expiring_prefixes, prefix)])
    error_message = "Uploads and results must expire (upload_retention_days)."
  }
  assert {
    condition     = module.logs_bucket.encryption.sse_algorithm == "AES256"
    error_message = "The logs bucket must use SSE-S3: S3 server access logging cannot deliver into SSE-KMS."
  }
}

run "every_bucket_policy_denies_requests_without_tls" {
  module {
    source = "./modules/image-pipeline"
  }

  assert {
    condition = alltrue([for b in [module.images_bucket, module.logs_bucket] :
      anytrue([for s in jsondecode(b.policy).Statement :
        s.Effect == "Deny" && contains(flatten([s.Action]), "s3:*") && s.Principal == "*" &&
        toset(flatten([s.Resource])) == toset([b.arn, "${b.arn}/*"]) &&
        contains(flatten([try(s.Condition.Bool["aws:SecureTransport"], [])]), "false")
    ])])
    error_message = "Every bucket policy must deny s3:* on the bucket and its objects to everyone without TLS."
  }
}

run "each_bucket_policy_is_its_own" {
  module {
    source = "./modules/image-pipeline"
  }

  # A policy meant for one bucket would name another bucket's ARN.
  assert {
    condition = alltrue(flatten([for b in [module.images_bucket, module.logs_bucket] : [
      for s in jsondecode(b.policy).Statement : [
        for r in flatten([s.Resource]) : r == b.arn || startswith(r, "${b.arn}/")
    ]]]))
    error_message = "A bucket policy may name only its own bucket."
  }
  assert {
    condition = anytrue([for s in jsondecode(module.images_bucket.policy).Statement :
      s.Effect == "Deny" && contains(flatten([s.Action]), "s3:PutObject") &&
      contains(flatten([try(s.Condition.StringNotEquals["s3:x-amz-server-side-encryption-aws-kms-key-id"], [])]), aws_kms_key.this.arn)
    ])
    error_message = "The images bucket must refuse uploads that name another KMS key."
  }
  assert {
    condition = alltrue([for s in jsondecode(module.images_bucket.policy).Statement :
    s.Effect == "Deny"])
    error_message = "The images bucket policy grants nothing: the function's access comes from its role."
  }
}

# ---------------------------------------------------------------------------
# Topics and queue: TLS only, and only the stack publishes
# ---------------------------------------------------------------------------

run "topics_and_queue_deny_requests_without_tls" {
  module {
    source = "./modules/image-pipeline"
  }

  assert {
    condition = alltrue([for name, topic in aws_sns_topic_policy.this :
      anytrue([for s in jsondecode(topic.policy).Statement :
        s.Effect == "Deny" && contains(flatten([s.Action]), "sns:Publish") && s.Principal == "*" &&
        contains(flatten([try(s.Condition.Bool["aws:SecureTransport"], [])]), "false")
    ])])
    error_message = "Every topic policy must deny publishing without TLS."
  }
  assert {
    condition = anytrue([for s in jsondecode(aws_sqs_queue_policy.dead_letter.policy).Statement :
      s.Effect == "Deny" && contains(flatten([s.Action]), "sqs:*") && s.Principal == "*" &&
      contains(flatten([try(s.Condition.Bool["aws:SecureTransport"], [])]), "false")
    ])
    error_message = "The failed-events queue policy must deny every request without TLS."
  }
  assert {
    condition = alltrue([for t in [aws_sns_topic.this["notifications"], aws_sns_topic.this["security_alerts"], aws_sqs_queue.dead_letter] :
    t.kms_master_key_id == aws_kms_key.this.arn])
    error_message = "Both topics and the failed-events queue must be encrypted with the stack's key."
  }
}

# Every grant to an AWS service names the resource it acts for (aws:SourceArn,
# or an encryption context that names it), so that no other alarm, rule,
# trail or bucket of the account can borrow it (the confused deputy).
run "service_grants_name_their_source" {
  module {
    source = "./modules/image-pipeline"
  }

  assert {
    condition = alltrue(flatten([
      for policy in concat(
        [aws_kms_key.this.policy, module.images_bucket.policy, module.logs_bucket.policy],
        [for topic in aws_sns_topic_policy.this : topic.policy],
        ) : [
        for s in jsondecode(policy).Statement : anytrue([
          for key in flatten([for operator, pairs in try(s.Condition, {}) : keys(pairs)]) :
          key == "aws:SourceArn" || startswith(key, "kms:EncryptionContext:")
        ])
        # Account-scoped until issue 10 (item 4) scopes them: EventBridge's
        # use of the key (see kms.tf) and AWS Config's delivery (buckets.tf).
        if s.Effect == "Allow" && can(s.Principal.Service) && !contains(["RulesPublishToEncryptedTopics", "ConfigChecksBucket", "ConfigWritesSnapshots"], s.Sid)
    ]]))
    error_message = "Every Allow to a service principal must carry aws:SourceArn (or an encryption context naming its resource)."
  }
  assert {
    condition     = aws_lambda_permission.s3.source_arn == module.images_bucket.arn && aws_lambda_permission.s3.source_account == "123456789012"
    error_message = "The S3 invoke permission must name the images bucket and the account."
  }
}

# ---------------------------------------------------------------------------
# The function: least privilege, as rendered
# ---------------------------------------------------------------------------

run "role_is_least_privilege" {
  module {
    source = "./modules/image-pipeline"
  }

  assert {
    condition = alltrue(flatten([for s in jsondecode(aws_iam_role_policy.lambda.policy).Statement :
    [for a in flatten([s.Action]) : !strcontains(a, "*")]]))
    error_message = "The function's policy must not use wildcard actions."
  }
  assert {
    condition = toset(flatten([for s in jsondecode(aws_iam_role_policy.lambda.policy).Statement :
      flatten([s.Resource]) if anytrue([for a in flatten([s.Action]) : startswith(a, "s3:")])])) == toset([
      "${module.images_bucket.arn}/uploads/*",
      "${module.images_bucket.arn}/processed/*",
    ])
    error_message = "The function's S3 access must be exactly uploads/* and processed/*."
  }
  assert {
    condition = alltrue([for s in jsondecode(aws_iam_role_policy.lambda.policy).Statement :
      toset(flatten([s.Resource])) == toset(["${module.images_bucket.arn}/processed/*"])
    if anytrue([for a in flatten([s.Action]) : a == "s3:PutObject"])])
    error_message = "The function may write only under processed/."
  }
  assert {
    condition = alltrue([for s in jsondecode(aws_iam_role_policy.lambda.policy).Statement :
      alltrue([for a in flatten([s.Action]) : startswith(a, "xray:")])
    if contains(flatten([s.Resource]), "*")])
    error_message = "Only X-Ray (which has no resource-level permissions) may use a '*' resource."
  }
  assert {
    condition = alltrue([for s in jsondecode(aws_iam_role_policy.lambda.policy).Statement :
      can(s.Condition.StringEquals["kms:ViaService"])
    if anytrue([for a in flatten([s.Action]) : startswith(a, "kms:")])])
    error_message = "The function may use the key only through the stack's services (kms:ViaService)."
  }
}

run "function_is_hardened_and_reads_its_limits_from_terraform" {
  module {
    source = "./modules/image-pipeline"
  }

  variables {
    max_upload_mb = 3
    max_dimension = 1000
  }

  assert {
    condition     = aws_lambda_function.this.reserved_concurrent_executions >= 1
    error_message = "The function must have reserved concurrency of at least 1 (a ceiling on cost and on a flood)."
  }
  assert {
    condition     = aws_lambda_function.this.tracing_config[0].mode == "Active" && aws_lambda_function.this.kms_key_arn == aws_kms_key.this.arn
    error_message = "X-Ray must be active and the environment encrypted with the stack's key."
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
    error_message = "The environment must be exactly the handler's contract (lambda/config.py)."
  }
  assert {
    condition     = aws_lambda_function.this.environment[0].variables.MAX_UPLOAD_BYTES == tostring(3 * 1024 * 1024) && aws_lambda_function.this.environment[0].variables.MAX_DIMENSION == "1000"
    error_message = "The limits must reach the function from max_upload_mb (MiB) and max_dimension."
  }
  assert {
    condition     = aws_cloudwatch_log_group.lambda.kms_key_id == aws_kms_key.this.arn && aws_lambda_function.this.logging_config[0].log_group == aws_cloudwatch_log_group.lambda.name
    error_message = "The function must log into its own encrypted log group."
  }
}

run "table_and_key_protect_the_records" {
  module {
    source = "./modules/image-pipeline"
  }

  assert {
    condition     = aws_dynamodb_table.this.server_side_encryption[0].enabled && aws_dynamodb_table.this.server_side_encryption[0].kms_key_arn == aws_kms_key.this.arn
    error_message = "The table must be encrypted with the stack's key."
  }
  assert {
    condition     = aws_dynamodb_table.this.ttl[0].enabled && aws_dynamodb_table.this.ttl[0].attribute_name == "expires_at"
    error_message = "Records must expire by TTL on expires_at (the attribute the handler writes)."
  }
  assert {
    condition = (aws_dynamodb_table.this.billing_mode == "PROVISIONED" && aws_dynamodb_table.this.read_capacity <= 25 &&
    alltrue([for t in aws_appautoscaling_target.table_write : t.max_capacity <= 25]))
    error_message = "The table must stay inside the always-free 25 RCU / 25 WCU, autoscaling included."
  }
  assert {
    condition     = aws_kms_key.this.enable_key_rotation && aws_kms_key.this.deletion_window_in_days >= 7
    error_message = "The key must rotate and keep a deletion window."
  }
}

run "only_uploads_trigger_the_function" {
  module {
    source = "./modules/image-pipeline"
  }

  assert {
    condition     = [for f in aws_s3_bucket_notification.this.lambda_function : f.filter_prefix] == ["uploads/"]
    error_message = "Only uploads/ may trigger the function (it writes processed/)."
  }
}

# ---------------------------------------------------------------------------
# Alarms: every one pages someone, and all fit in CloudWatch's free 10
# ---------------------------------------------------------------------------

run "every_alarm_and_rule_pages_the_security_topic" {
  module {
    source = "./modules/image-pipeline"
  }

  assert {
    condition = length(aws_cloudwatch_metric_alarm.this) > 0 && alltrue([for a in aws_cloudwatch_metric_alarm.this :
    a.alarm_actions == toset([aws_sns_topic.this["security_alerts"].arn])])
    error_message = "Every alarm must notify the security-alerts topic."
  }
  assert {
    condition = keys(aws_cloudwatch_event_target.this) == keys(aws_cloudwatch_event_rule.this) && alltrue([for t in aws_cloudwatch_event_target.this :
    t.arn == aws_sns_topic.this["security_alerts"].arn])
    error_message = "Every EventBridge rule must target the security-alerts topic."
  }
  assert {
    condition = alltrue([for a in aws_cloudwatch_metric_alarm.this :
    strcontains(a.alarm_description, "Runbook: INCIDENT_RESPONSE.md#")])
    error_message = "Every alarm must link its runbook section."
  }
}

run "alarms_stay_inside_the_free_ten" {
  module {
    source = "./modules/image-pipeline"
  }

  # Counted from what is planned, not from a list: an alarm added anywhere in
  # the module's alarm map, or a second scaling policy, changes the count.
  assert {
    condition = output.cloudwatch_alarm_count == (length(aws_cloudwatch_metric_alarm.this) +
    4 * length(aws_appautoscaling_policy.table_write))
    error_message = "cloudwatch_alarm_count must count the module's alarms and the 4 per target-tracking policy."
  }
  assert {
    condition     = output.cloudwatch_alarm_count <= 10
    error_message = "The stack must stay within CloudWatch's 10 free alarms (autoscaling alarms included)."
  }
}

# ---------------------------------------------------------------------------
# Without the account-wide services, nothing is granted to them
# ---------------------------------------------------------------------------

run "no_grants_for_services_that_are_not_there" {
  module {
    source = "./modules/image-pipeline"
  }

  variables {
    cloudtrail_name                = null
    enable_config_delivery         = false
    enable_guardduty_findings_rule = false
  }

  assert {
    condition = length([for s in concat(jsondecode(module.logs_bucket.policy).Statement, jsondecode(aws_kms_key.this.policy).Statement) : s
    if can(regex("cloudtrail|config", lower(jsonencode(try(s.Principal.Service, "")))))]) == 0
    error_message = "Without a trail or Config delivery, neither the logs bucket nor the key may grant them."
  }
  assert {
    condition     = keys(aws_cloudwatch_event_rule.this) == ["kms-key-state"]
    error_message = "Without GuardDuty, only the key-state rule remains."
  }
}

run "alert_email_subscribes_both_topics" {
  module {
    source = "./modules/image-pipeline"
  }

  variables {
    alert_email = "oncall@example.com"
  }

  assert {
    condition     = keys(aws_sns_topic_subscription.email) == ["notifications", "security_alerts"]
    error_message = "alert_email must subscribe to both topics."
  }
}

# The security promises of issue 20, asserted on the policies the real AWS
# provider renders (see pipeline.tftest.hcl for how: every managed resource
# is overridden, so nothing reaches AWS, and the data sources that build
# policies run locally). Separate from pipeline.tftest.hcl so that both can
# grow without conflicts; a resource added to the module needs an
# override_resource in both files.
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
  values = { account_id = "123456789012", arn = "arn:aws:sts::123456789012:assumed-role/deployer/terraform" }
}

# The role that runs Terraform (a key administrator of the security key).
override_data {
  target = data.aws_iam_session_context.deployer
  values = { issuer_arn = "arn:aws:iam::123456789012:role/deployer" }
}

# ---------------------------------------------------------------------------
# Every managed resource of the module, so that no run calls AWS.
# ---------------------------------------------------------------------------

override_resource {
  target = aws_appautoscaling_target.write
}

override_resource {
  target = aws_appautoscaling_policy.write
}

override_resource {
  target = aws_iam_role.batch_operations
  values = { arn = "arn:aws:iam::123456789012:role/test-prod-batch-operations", id = "test-prod-batch-operations" }
}

override_resource {
  target = aws_iam_role_policy.batch_operations
}

override_resource {
  target = aws_lambda_event_source_mapping.uploads
  values = { uuid = "a1b2c3d4-5678-90ab-cdef-111111111111" }
}

override_resource {
  target = aws_sqs_queue_redrive_allow_policy.dead_letter
}

override_resource {
  target = aws_sqs_queue.uploads
  values = { arn = "arn:aws:sqs:us-east-1:123456789012:test-prod-uploads", url = "https://sqs.us-east-1.amazonaws.com/123456789012/test-prod-uploads" }
}

override_resource {
  target = aws_sqs_queue_policy.uploads
}

override_resource {
  target = aws_cloudwatch_metric_alarm.this
}

override_resource {
  target = aws_s3_bucket_notification.this
}

override_resource {
  target = aws_guardduty_malware_protection_plan.this
  values = { arn = "arn:aws:guardduty:us-east-1:123456789012:malware-protection-plan/test" }
}

override_resource {
  target = aws_iam_role.malware_protection
  values = { arn = "arn:aws:iam::123456789012:role/test-prod-malware-protection", id = "test-prod-malware-protection" }
}

override_resource {
  target = aws_iam_role_policy.malware_protection
}

override_resource {
  target = aws_cloudwatch_event_rule.malware_scan_result
  values = { arn = "arn:aws:events:us-east-1:123456789012:rule/test-prod-malware-scan-result", name = "test-prod-malware-scan-result" }
}

override_resource {
  target = aws_cloudwatch_event_target.malware_scan_result
}

override_resource {
  target = aws_dynamodb_table.this
  values = { arn = "arn:aws:dynamodb:us-east-1:123456789012:table/test-prod-uploads" }
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
  target = aws_kms_key.security
  values = {
    arn    = "arn:aws:kms:us-east-1:123456789012:key/99999999-8888-7777-6666-555555555555"
    key_id = "99999999-8888-7777-6666-555555555555"
  }
}

override_resource {
  target = aws_kms_alias.security
}

override_resource {
  target = aws_cloudwatch_event_rule.sweep
  values = { arn = "arn:aws:events:us-east-1:123456789012:rule/test-prod-sweep", name = "test-prod-sweep" }
}

override_resource {
  target = aws_cloudwatch_event_target.sweep
}

override_resource {
  target = aws_lambda_permission.sweep
}

override_resource {
  target = aws_sqs_queue.rule_dead_letter
  values = { arn = "arn:aws:sqs:us-east-1:123456789012:test-prod-undelivered-events", url = "https://sqs.us-east-1.amazonaws.com/123456789012/test-prod-undelivered-events" }
}

override_resource {
  target = aws_sqs_queue_policy.rule_dead_letter
}

override_resource {
  target = aws_sqs_queue.failed_sweeps
  values = { arn = "arn:aws:sqs:us-east-1:123456789012:test-prod-failed-sweeps", url = "https://sqs.us-east-1.amazonaws.com/123456789012/test-prod-failed-sweeps" }
}

override_resource {
  target = aws_sqs_queue_policy.failed_sweeps
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

# The security key's own alerts, on the data key (key_alerts.tf).
override_resource {
  target = aws_sns_topic.key_alerts
  values = { arn = "arn:aws:sns:us-east-1:123456789012:test-prod-key-alerts" }
}

override_resource {
  target = aws_sns_topic_policy.key_alerts
}

override_resource {
  target = aws_sns_topic_subscription.key_alerts
}

override_resource {
  target = aws_cloudwatch_event_target.key_alerts
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

override_resource {
  target = module.logs_bucket.aws_s3_bucket_object_lock_configuration.this
}

override_resource {
  target = module.audit_bucket["this"].aws_s3_bucket.this
  values = { arn = "arn:aws:s3:::test-prod-audit-123456789012", id = "test-prod-audit-123456789012" }
}

override_resource {
  target = module.audit_bucket["this"].aws_s3_bucket_public_access_block.this
}

override_resource {
  target = module.audit_bucket["this"].aws_s3_bucket_ownership_controls.this
}

override_resource {
  target = module.audit_bucket["this"].aws_s3_bucket_server_side_encryption_configuration.this
}

override_resource {
  target = module.audit_bucket["this"].aws_s3_bucket_versioning.this
}

override_resource {
  target = module.audit_bucket["this"].aws_s3_bucket_lifecycle_configuration.this
}

override_resource {
  target = module.audit_bucket["this"].aws_s3_bucket_logging.this
}

override_resource {
  target = module.audit_bucket["this"].aws_s3_bucket_policy.this
}

override_resource {
  target = module.audit_bucket["this"].aws_s3_bucket_object_lock_configuration.this
}

# Code signing (enable_code_signing): AWS-assigned names and the signed copy.
override_resource {
  target = aws_signer_signing_profile.this
  values = {
    name        = "test_prod_20261202"
    version_arn = "arn:aws:signer:us-east-1:123456789012:/signing-profiles/test_prod_20261202/abcdef1234"
  }
}

override_resource {
  target = aws_lambda_code_signing_config.this
  values = { arn = "arn:aws:lambda:us-east-1:123456789012:code-signing-config:csc-0123456789abcdef0" }
}

override_resource {
  target = aws_s3_object.unsigned_package
  values = { version_id = "unsigned-version-1" }
}

override_resource {
  target = aws_signer_signing_job.package
  values = {
    job_id        = "job-1"
    signed_object = [{ s3 = [{ bucket = "test-prod-code-123456789012", key = "signed/job-1.zip" }] }]
  }
}

override_resource {
  target = module.code_bucket["this"].aws_s3_bucket.this
  values = { arn = "arn:aws:s3:::test-prod-code-123456789012", id = "test-prod-code-123456789012" }
}

override_resource {
  target = module.code_bucket["this"].aws_s3_bucket_public_access_block.this
}

override_resource {
  target = module.code_bucket["this"].aws_s3_bucket_ownership_controls.this
}

override_resource {
  target = module.code_bucket["this"].aws_s3_bucket_server_side_encryption_configuration.this
}

override_resource {
  target = module.code_bucket["this"].aws_s3_bucket_versioning.this
}

override_resource {
  target = module.code_bucket["this"].aws_s3_bucket_lifecycle_configuration.this
}

override_resource {
  target = module.code_bucket["this"].aws_s3_bucket_logging.this
}

override_resource {
  target = module.code_bucket["this"].aws_s3_bucket_policy.this
}


variables {
  name                = "test-prod"
  lambda_package_path = "tests/fixtures/placeholder.zip"

  # Everything that adds a grant, a rule or an alarm is on.
  cloudtrail_name                = "test-prod-trail"
  enable_config_delivery         = true
  enable_guardduty_findings_rule = true
  enable_dynamodb_autoscaling    = true
}

# ---------------------------------------------------------------------------
# The security key: separation of duties and a break-glass principal
# ---------------------------------------------------------------------------

run "security_key_refuses_destruction_except_to_break_glass" {
  module {
    source = "./modules/image-pipeline"
  }

  # Every call that destroys the key, makes its data unreadable or hands its
  # use away is denied to every principal but the break-glass one (by
  # default the account's root user).
  assert {
    condition = anytrue([for s in jsondecode(data.aws_iam_policy_document.security_key.json).Statement :
      s.Effect == "Deny" && flatten([try(s.Principal.AWS, [])]) == ["*"] &&
      length(setsubtract(["kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:CreateGrant", "kms:DisableKeyRotation", "kms:DeleteImportedKeyMaterial"], flatten([s.Action]))) == 0 &&
      keys(try(s.Condition, {})) == ["ArnNotEquals"] &&
      flatten([try(s.Condition.ArnNotEquals["aws:PrincipalArn"], [])]) == ["arn:aws:iam::123456789012:root"]
    ])
    error_message = "The security key must deny ScheduleKeyDeletion, DisableKey, CreateGrant, DisableKeyRotation and DeleteImportedKeyMaterial to everyone but the break-glass principal (default: the account's root user)."
  }
  # Changing the policy (the way around every Deny) is for the key
  # administrators (by default the identity that runs Terraform) and
  # break-glass only.
  assert {
    condition = anytrue([for s in jsondecode(data.aws_iam_policy_document.security_key.json).Statement :
      s.Effect == "Deny" && flatten([try(s.Principal.AWS, [])]) == ["*"] && contains(flatten([s.Action]), "kms:PutKeyPolicy") &&
      toset(flatten([try(s.Condition.ArnNotEquals["aws:PrincipalArn"], [])])) == toset(["arn:aws:iam::123456789012:role/deployer", "arn:aws:iam::123456789012:root"])
    ])
    error_message = "The security key must deny PutKeyPolicy to everyone but the key administrators (default: the deployer) and the break-glass principal."
  }
  # KMS's lockout check: the caller must be able to call PutKeyPolicy again,
  # which it can through its IAM policy only if the account statement
  # delegates it.
  assert {
    condition = anytrue([for s in jsondecode(data.aws_iam_policy_document.security_key.json).Statement :
      s.Effect == "Allow" && flatten([try(s.Principal.AWS, [])]) == ["arn:aws:iam::123456789012:root"] && contains(flatten([s.Action]), "kms:Put*")
    ])
    error_message = "The account statement must delegate PutKeyPolicy to IAM, or KMS refuses the policy (lockout safety check)."
  }
}

run "security_key_grants_no_use_through_iam" {
  module {
    source = "./modules/image-pipeline"
  }

  # The account (root) statement delegates administration only: no "kms:*"
  # and no cryptographic operation for any AWS-account principal but those
  # named with the service they use the key through.
  assert {
    condition = alltrue([for s in jsondecode(data.aws_iam_policy_document.security_key.json).Statement :
      !contains(flatten([s.Action]), "kms:*") if s.Effect == "Allow"
    ])
    error_message = "No statement of the security key may allow kms:*."
  }
  assert {
    condition = alltrue([for s in jsondecode(data.aws_iam_policy_document.security_key.json).Statement :
      can(s.Condition.StringEquals["kms:ViaService"])
      if s.Effect == "Allow" && can(s.Principal.AWS) && anytrue([for a in flatten([s.Action]) :
      can(regex("^kms:(Decrypt|Encrypt|GenerateDataKey|ReEncrypt|\\*)", a))])
    ])
    error_message = "Every AWS-account principal allowed to use the security key must be bound to a service (kms:ViaService)."
  }
  assert {
    condition = anytrue([for s in jsondecode(data.aws_iam_policy_document.security_key.json).Statement :
      s.Effect == "Deny" && flatten([try(s.Principal.AWS, [])]) == ["*"] && contains(flatten([s.Action]), "kms:Decrypt") &&
      toset(flatten([try(s.Condition.StringNotEquals["kms:ViaService"], [])])) == toset(["sns.us-east-1.amazonaws.com", "sqs.us-east-1.amazonaws.com", "s3.us-east-1.amazonaws.com", "logs.us-east-1.amazonaws.com"]) &&
      flatten([try(s.Condition.Bool["aws:PrincipalIsAWSService"], [])]) == ["false"]
    ])
    error_message = "The security key must deny its use outside SNS, SQS, S3 and CloudWatch Logs to every principal that is not an AWS service."
  }
}

run "security_key_names_the_given_administrators_users_and_break_glass" {
  module {
    source = "./modules/image-pipeline"
  }

  variables {
    kms_key_administrators    = ["arn:aws:iam::123456789012:role/deployer", "arn:aws:iam::123456789012:role/key-admin"]
    break_glass_principal_arn = "arn:aws:iam::123456789012:role/break-glass"
    kms_key_users             = ["arn:aws:iam::123456789012:role/auditor"]
  }

  assert {
    condition = anytrue([for s in jsondecode(data.aws_iam_policy_document.security_key.json).Statement :
      s.Effect == "Deny" && contains(flatten([s.Action]), "kms:ScheduleKeyDeletion") &&
      flatten([try(s.Condition.ArnNotEquals["aws:PrincipalArn"], [])]) == ["arn:aws:iam::123456789012:role/break-glass"]
    ])
    error_message = "break_glass_principal_arn must be the only principal exempt from the destruction Deny."
  }
  assert {
    condition = anytrue([for s in jsondecode(data.aws_iam_policy_document.security_key.json).Statement :
      s.Effect == "Allow" && flatten([try(s.Principal.AWS, [])]) == ["arn:aws:iam::123456789012:role/auditor"] &&
      flatten([s.Action]) == ["kms:Decrypt"] && toset(flatten([try(s.Condition.StringEquals["kms:ViaService"], [])])) == toset(["s3.us-east-1.amazonaws.com", "sqs.us-east-1.amazonaws.com"])
    ])
    error_message = "kms_key_users may only decrypt, through S3 and SQS."
  }
}

run "security_key_refuses_to_lock_out_the_deployer" {
  command = plan

  module {
    source = "./modules/image-pipeline"
  }

  variables {
    kms_key_administrators = ["arn:aws:iam::123456789012:role/someone-else"]
  }

  expect_failures = [aws_kms_key.security]
}

# ---------------------------------------------------------------------------
# Alerts for the changes that matter, and a path the security key cannot
# silence
# ---------------------------------------------------------------------------

run "the_changes_that_matter_page_the_security_topic" {
  module {
    source = "./modules/image-pipeline"
  }

  # Each API call that changes the evidence, a resource policy, the function
  # or a detector is matched by a rule whose target is the security topic.
  assert {
    condition = alltrue([for call in [
      "cloudtrail.amazonaws.com:StopLogging", "cloudtrail.amazonaws.com:DeleteTrail", "cloudtrail.amazonaws.com:UpdateTrail", "cloudtrail.amazonaws.com:PutEventSelectors",
      "s3.amazonaws.com:PutBucketPolicy", "s3.amazonaws.com:DeleteBucketPolicy", "s3.amazonaws.com:PutBucketObjectLockConfiguration",
      "kms.amazonaws.com:PutKeyPolicy", "kms.amazonaws.com:CreateGrant", "kms.amazonaws.com:DisableKey", "kms.amazonaws.com:ScheduleKeyDeletion",
      "sqs.amazonaws.com:SetQueueAttributes", "sns.amazonaws.com:SetTopicAttributes",
      "guardduty.amazonaws.com:DeleteDetector", "config.amazonaws.com:StopConfigurationRecorder", "securityhub.amazonaws.com:DisableSecurityHub",
      ] : anytrue([for name, rule in aws_cloudwatch_event_rule.this :
        contains([for v in try(jsondecode(rule.event_pattern).detail.eventSource, []) : jsonencode(v)], jsonencode(split(":", call)[0])) &&
        contains([for v in try(jsondecode(rule.event_pattern).detail.eventName, []) : jsonencode(v)], jsonencode(split(":", call)[1])) &&
        aws_cloudwatch_event_target.this[name].arn == aws_sns_topic.this["security_alerts"].arn
    ])])
    error_message = "Every trail, bucket/key/queue/topic policy, GuardDuty/Config/Security Hub change must match a rule that pages the security topic."
  }
  # Lambda's event names carry a version suffix: matched by prefix.
  assert {
    condition = alltrue([for action in ["UpdateFunctionCode", "UpdateFunctionConfiguration", "PutFunctionConcurrency", "DeleteFunctionConcurrency", "UpdateEventSourceMapping", "DeleteEventSourceMapping"] :
      contains([for v in jsondecode(aws_cloudwatch_event_rule.this["function-changed"].event_pattern).detail.eventName : jsonencode(v)], jsonencode({ prefix = action }))
    ])
    error_message = "The function rule must match code, configuration, concurrency and event source mapping changes (by prefix: UpdateFunctionCode20150331v2)."
  }
  # The bucket rule watches the stack's own buckets, by the names the
  # buckets are created with.
  assert {
    condition = toset(jsondecode(aws_cloudwatch_event_rule.this["bucket-changed"].event_pattern).detail.requestParameters.bucketName) == toset(concat(
    [module.images_bucket.bucket, module.logs_bucket.bucket, module.audit_bucket["this"].bucket], ["test-prod-code-123456789012"]))
    error_message = "The bucket rule must name the stack's buckets."
  }
  # The rules' names, known before they exist, are the ones the topic and
  # key policies let publish.
  assert {
    condition     = toset([for rule in aws_cloudwatch_event_rule.this : rule.name]) == toset([for arn in local.rule_arns : split("/", arn)[1]])
    error_message = "local.rule_names must list exactly the alert rules (the topic and key policies name them)."
  }
  assert {
    condition = alltrue([for rule in aws_cloudwatch_event_rule.this :
    can(regex("Runbook: INCIDENT_RESPONSE.md#[a-z-]+$", rule.description))])
    error_message = "Every alert rule must link its runbook section."
  }
}

run "the_security_keys_alerts_do_not_depend_on_it" {
  module {
    source = "./modules/image-pipeline"
  }

  # The rules about the keys also page a topic on the DATA key.
  assert {
    condition = alltrue([for name in ["kms-key-state", "key-policy-changed"] :
      contains(jsondecode(aws_cloudwatch_event_rule.this[name].event_pattern).detail.resources.ARN, aws_kms_key.security.arn) &&
    aws_cloudwatch_event_target.key_alerts[name].arn == aws_sns_topic.key_alerts.arn])
    error_message = "The rules about the security key must also target the key-alerts topic."
  }
  assert {
    condition     = aws_sns_topic.key_alerts.kms_master_key_id == aws_kms_key.this.arn && aws_kms_key.this.arn != aws_kms_key.security.arn
    error_message = "The key-alerts topic must be encrypted with the data key, not the security key."
  }
  # The grants that path needs, as rendered, on the data key and the topic.
  assert {
    condition = anytrue([for s in jsondecode(data.aws_iam_policy_document.kms.json).Statement :
      s.Effect == "Allow" && try(s.Principal.Service, "") == "events.amazonaws.com" &&
      contains(flatten([s.Action]), "kms:GenerateDataKey*") && contains(flatten([s.Action]), "kms:Decrypt") &&
      toset(flatten([try(s.Condition.ArnLike["aws:SourceArn"], [])])) == toset([for name in ["kms-key-state", "key-policy-changed"] : "arn:aws:events:us-east-1:123456789012:rule/test-prod-${name}"])
    ])
    error_message = "The data key must let exactly the two key rules encrypt for the key-alerts topic."
  }
  assert {
    condition = anytrue([for s in jsondecode(data.aws_iam_policy_document.key_alerts.json).Statement :
      s.Effect == "Allow" && try(s.Principal.Service, "") == "events.amazonaws.com" && s.Action == "sns:Publish" &&
      toset(flatten([try(s.Condition.ArnLike["aws:SourceArn"], [])])) == toset([for name in ["kms-key-state", "key-policy-changed"] : "arn:aws:events:us-east-1:123456789012:rule/test-prod-${name}"])
    ])
    error_message = "The key-alerts topic must let the two key rules publish, by ARN."
  }
}

run "undelivered_events_raise_an_alarm" {
  module {
    source = "./modules/image-pipeline"
  }

  assert {
    condition = (aws_cloudwatch_metric_alarm.this["undelivered-events"].dimensions.QueueName == aws_sqs_queue.rule_dead_letter.name &&
      aws_cloudwatch_metric_alarm.this["undelivered-events"].metric_name == "ApproximateNumberOfMessagesVisible" &&
      aws_cloudwatch_metric_alarm.this["undelivered-events"].threshold == 0 &&
    aws_cloudwatch_metric_alarm.this["undelivered-events"].comparison_operator == "GreaterThanThreshold")
    error_message = "An alarm must fire when a message waits in the undelivered-events queue (its name, as the queue is created)."
  }
}

# ---------------------------------------------------------------------------
# Audit evidence
# ---------------------------------------------------------------------------

run "audit_evidence_is_kept_from_everyone_but_break_glass" {
  module {
    source = "./modules/image-pipeline"
  }

  assert {
    condition = anytrue([for s in jsondecode(data.aws_iam_policy_document.audit_bucket["this"].json).Statement :
      s.Effect == "Deny" && try(s.Principal, "") == "*" &&
      length(setsubtract(["s3:BypassGovernanceRetention", "s3:DeleteObjectVersion", "s3:PutObjectRetention", "s3:PutObjectLegalHold", "s3:PutBucketObjectLockConfiguration"], flatten([s.Action]))) == 0 &&
      toset(flatten([s.Resource])) == toset(["arn:aws:s3:::test-prod-audit-123456789012", "arn:aws:s3:::test-prod-audit-123456789012/*"]) &&
      flatten([try(s.Condition.ArnNotEquals["aws:PrincipalArn"], [])]) == ["arn:aws:iam::123456789012:root"]
    ])
    error_message = "The audit bucket must refuse retention bypass, version deletion, retention and legal-hold changes and Object Lock changes to everyone but the break-glass principal."
  }
  # The function's logs are kept as long as the trail's files by default.
  assert {
    condition     = aws_cloudwatch_log_group.lambda.retention_in_days == 365
    error_message = "The function's log group must keep its logs 365 days by default (CKV_AWS_338)."
  }
}

run "audit_replication_may_decrypt_the_trails_files_through_s3" {
  module {
    source = "./modules/image-pipeline"
  }

  variables {
    enable_audit_replication = true
  }

  assert {
    condition = anytrue([for s in jsondecode(data.aws_iam_policy_document.security_key.json).Statement :
      s.Effect == "Allow" && flatten([s.Action]) == ["kms:Decrypt"] &&
      flatten([try(s.Condition.ArnEquals["aws:PrincipalArn"], [])]) == ["arn:aws:iam::123456789012:role/test-prod-audit-replication"] &&
      flatten([try(s.Condition.StringEquals["kms:ViaService"], [])]) == ["s3.us-east-1.amazonaws.com"]
    ])
    error_message = "With enable_audit_replication, the security key must let the replication role decrypt through S3 only."
  }
}

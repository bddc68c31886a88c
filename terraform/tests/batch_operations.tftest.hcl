# The role S3 Batch Operations assumes to reprocess images
# (modules/image-pipeline/batch_operations.tf), asserted on the policies the
# real AWS provider renders: least privilege per action and resource.
#
# As in pipeline.tftest.hcl (whose overrides this file repeats: a test file
# cannot share them), every managed resource is overridden and the runs
# "apply" without calling AWS, so that the policy documents that reference
# resources are computed. Run: terraform test -filter=tests/batch_operations.tftest.hcl

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

# ---------------------------------------------------------------------------
# Every managed resource of the module, so that no run calls AWS.
# ---------------------------------------------------------------------------

override_data {
  target = data.aws_iam_session_context.deployer
  values = { issuer_arn = "arn:aws:iam::123456789012:role/deployer" }
}

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
  target = aws_iam_role.batch_operations
  values = { arn = "arn:aws:iam::123456789012:role/test-prod-batch-operations", id = "test-prod-batch-operations" }
}

override_resource {
  target = aws_iam_role_policy.batch_operations
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
  target = aws_sqs_queue.uploads
  values = { arn = "arn:aws:sqs:us-east-1:123456789012:test-prod-uploads", url = "https://sqs.us-east-1.amazonaws.com/123456789012/test-prod-uploads" }
}

override_resource {
  target = aws_sqs_queue_policy.uploads
}

override_resource {
  target = aws_sqs_queue_redrive_allow_policy.dead_letter
}

override_resource {
  target = aws_lambda_event_source_mapping.uploads
}

override_resource {
  target = aws_appautoscaling_target.write
}

override_resource {
  target = aws_appautoscaling_policy.write
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

  # Everything that adds a grant or an alarm is on, so that the properties
  # below are checked on every statement and alarm the module can create.
  cloudtrail_name                = "test-prod-trail"
  enable_config_delivery         = true
  enable_guardduty_findings_rule = true
  enable_dynamodb_autoscaling    = true
}

run "batch_operations_role_is_least_privilege" {
  module {
    source = "./modules/image-pipeline"
  }

  # Every grant, as "action resource": exactly these, nothing more.
  assert {
    condition = toset(flatten([for s in jsondecode(aws_iam_role_policy.batch_operations.policy).Statement : [
      for a in flatten([s.Action]) : [for r in flatten([s.Resource]) : "${a} ${r}"]
      ]])) == toset([
      "lambda:InvokeFunction ${aws_lambda_function.this.arn}",
      "s3:GetObject ${module.images_bucket.arn}/batch-operations/manifests/*",
      "s3:GetObjectVersion ${module.images_bucket.arn}/batch-operations/manifests/*",
      "s3:PutObject ${module.images_bucket.arn}/batch-operations/reports/*",
      "s3:GetBucketLocation ${module.images_bucket.arn}",
      "kms:Decrypt ${aws_kms_key.this.arn}",
      "kms:GenerateDataKey ${aws_kms_key.this.arn}",
    ])
    error_message = "The Batch Operations role may invoke exactly the function, read manifests and write reports under batch-operations/ of the images bucket, and use the data key: nothing else."
  }
  assert {
    condition = alltrue([for s in jsondecode(aws_iam_role_policy.batch_operations.policy).Statement :
      s.Effect == "Allow" && !anytrue([for a in flatten([s.Action]) : strcontains(a, "*")]) &&
      !contains(flatten([s.Resource]), "*")
    ])
    error_message = "The Batch Operations role must use no wildcard action and no '*' resource."
  }
  assert {
    condition = alltrue([for s in jsondecode(aws_iam_role_policy.batch_operations.policy).Statement :
      flatten([try(s.Condition.StringEquals["kms:ViaService"], [])]) == ["s3.us-east-1.amazonaws.com"]
    if anytrue([for a in flatten([s.Action]) : startswith(a, "kms:")])])
    error_message = "The Batch Operations role may use the data key only through S3 (the manifest and the report)."
  }
  assert {
    condition     = !strcontains(aws_iam_role_policy.batch_operations.policy, aws_kms_key.security.arn)
    error_message = "The Batch Operations role must not touch the security key."
  }
  assert {
    condition     = aws_iam_role_policy.batch_operations.role == aws_iam_role.batch_operations.id
    error_message = "The policy must be attached to the Batch Operations role."
  }
  assert {
    condition     = output.batch_operations_role_arn == aws_iam_role.batch_operations.arn && output.batch_operations_prefix == "batch-operations/"
    error_message = "The module must output the role's ARN and the prefix that scripts/reprocess.sh uses."
  }
}

run "its_reports_may_be_sse_s3_and_nothing_else_is" {
  module {
    source = "./modules/image-pipeline"
  }

  assert {
    # Only Batch Operations' reports are SSE-S3 (AWS encrypts them so), and only its role writes them.
    condition = alltrue([for s in jsondecode(module.images_bucket.policy).Statement :
      flatten([try(s.Condition.ArnNotEquals["aws:PrincipalArn"], [])]) == [aws_iam_role.batch_operations.arn]
      if try(s.Condition.StringNotEquals["s3:x-amz-server-side-encryption"], null) != null
    ])
    error_message = "The refusal of other encryptions exempts the Batch Operations role (its reports are SSE-S3) and no one else."
  }
  assert {
    condition = alltrue([for s in jsondecode(aws_iam_role_policy.batch_operations.policy).Statement :
      alltrue([for r in flatten([s.Resource]) : endswith(r, "/batch-operations/reports/*")])
      if contains(flatten([s.Action]), "s3:PutObject")
    ])
    error_message = "The Batch Operations role may write only its reports (it is exempt from the bucket's encryption rule)."
  }
}

run "only_batch_operations_of_this_account_may_assume_the_role" {
  module {
    source = "./modules/image-pipeline"
  }

  assert {
    condition = [for s in jsondecode(aws_iam_role.batch_operations.assume_role_policy).Statement : {
      effect    = s.Effect
      action    = s.Action
      principal = s.Principal
      accounts  = flatten([s.Condition.StringEquals["aws:SourceAccount"]])
      }] == [{
      effect    = "Allow"
      action    = "sts:AssumeRole"
      principal = { Service = "batchoperations.s3.amazonaws.com" }
      accounts  = ["123456789012"]
    }]
    error_message = "Only S3 Batch Operations (batchoperations.s3.amazonaws.com) of this account may assume the role."
  }
}

# The function can be given a reprocess at all: it reads the record first.
run "the_function_reads_a_record_before_a_reprocess" {
  module {
    source = "./modules/image-pipeline"
  }

  assert {
    condition = anytrue([for s in jsondecode(aws_iam_role_policy.lambda.policy).Statement :
      contains(flatten([s.Action]), "dynamodb:GetItem") && flatten([s.Resource]) == [aws_dynamodb_table.this.arn]
    ])
    error_message = "The function needs dynamodb:GetItem on the table (and only the table) to plan a reprocess."
  }
}

# Manifests and reports list upload keys: they expire like the uploads, and
# they are outside uploads/ and processed/, so they never reach the function
# and the function never overwrites them.
run "manifests_and_reports_expire_and_stay_out_of_the_pipelines_prefixes" {
  module {
    source = "./modules/image-pipeline"
  }

  assert {
    condition     = contains(module.images_bucket.expiring_prefixes, "batch-operations/")
    error_message = "Batch Operations manifests and reports must expire (upload_retention_days)."
  }
  assert {
    condition = alltrue([for p in [local.input_prefix, local.output_prefix] :
    !startswith("batch-operations/", p) && !startswith(p, "batch-operations/")])
    error_message = "batch-operations/ must not overlap the input or output prefix."
  }
}

# The longest name the module accepts still gives a role name IAM takes (64).
run "the_role_name_fits_iam_for_the_longest_name" {
  module {
    source = "./modules/image-pipeline"
  }

  variables {
    name = "a23456789-123456789-123456789-123456789-123"
  }

  assert {
    condition     = length(var.name) == 43 && length(aws_iam_role.batch_operations.name) <= 64
    error_message = "The Batch Operations role's name must fit IAM's 64 characters for every name the module accepts."
  }
}

# The root configuration users deploy: names, outputs the scripts read, and
# the toggles of the account-wide services. Composition only, so a mocked
# provider is enough here; the policies themselves are asserted as rendered
# by the real provider in pipeline.tftest.hcl.

mock_provider "aws" {
  source          = "./tests/mocks"
  override_during = plan
}

mock_provider "aws" {
  alias           = "replica"
  source          = "./tests/mocks"
  override_during = plan

  # A replica (the audit-replica module) must be in another region.
  mock_data "aws_region" {
    defaults = { name = "us-west-2" }
  }
}

variables {
  lambda_package_path = "tests/fixtures/placeholder.zip"
}

run "the_stack_with_its_defaults" {
  command = plan

  # names_and_outputs_the_scripts_read
  assert {
    condition     = output.lambda_function_name == "image-processor-prod" && output.log_group_name == "/aws/lambda/image-processor-prod"
    error_message = "The function and its log group must be named after project and environment, as the runbook says."
  }
  assert {
    condition     = output.s3_bucket_name == "image-processor-prod-images-123456789012" && output.dynamodb_table_name == "image-processor-prod-uploads"
    error_message = "The bucket and table names must carry project, environment (and the account, for the bucket)."
  }

  # account_wide_services_are_on_by_default_and_wired_to_the_pipeline
  assert {
    condition = (module.account_baseline.guardduty_detector_id != null && module.account_baseline.config_recorder_name == "image-processor-prod-recorder" &&
    module.account_baseline.security_hub_enabled)
    error_message = "GuardDuty, Config and Security Hub must be on by default (the seed asks for them)."
  }
  # the_baseline_owns_the_audit_sinks
  # The trail and Config deliver into the account baseline's buckets, and the
  # pipeline logs into the baseline's logs bucket instead of one of its own
  # (issue 21: the baseline never depends on the application for its sinks).
  assert {
    condition = (output.audit_bucket_name == module.account_baseline.audit_bucket_name && module.account_baseline.cloudtrail_bucket_name == output.audit_bucket_name &&
      output.logs_bucket_name == module.account_baseline.logs_bucket_name && module.account_baseline.config_bucket_name == output.logs_bucket_name &&
    module.pipeline.logs_bucket_name == null && length(module.pipeline.evidence_bucket_arns) == 0)
    error_message = "The trail and Config must deliver into the account baseline's audit and logs buckets, and the pipeline must create no logs bucket of its own."
  }
  # (The mocked provider gives every key the same ARN: that the audit key is
  # not the pipeline's is in the baseline's alias and policy,
  # account_baseline.tftest.hcl.)
  assert {
    condition     = output.audit_kms_key_arn != null && output.audit_kms_key_arn == module.account_baseline.audit_kms_key_arn
    error_message = "The trail's files must be under the baseline's own audit key."
  }
  # The two modules' break-glass principals are one (both default to the
  # account's root user): destroy.sh --delete-audit-logs runs as it.
  assert {
    condition     = module.pipeline.break_glass_principal_arn == module.account_baseline.break_glass_principal_arn
    error_message = "The pipeline and the account baseline must name the same break-glass principal."
  }

  assert {
    condition     = module.pipeline.cloudwatch_alarm_count == 9
    error_message = "The default stack (on-demand table, nothing autoscaled) causes 9 alarms, inside CloudWatch's free 10 (README, Cost)."
  }
  # A test cannot list the plan's resources by type, so cloudwatch_alarm_count
  # sees only the resources it names. Those must be the only ones in the whole
  # configuration (root and modules) that create alarms: one alarm resource
  # (the map) and one scaling policy resource (for_each: the table's and the
  # index's writes, PROVISIONED only); an alarm or a
  # scaling policy declared anywhere else would escape the budget. Checked
  # here, under the mocked provider: pipeline.tftest.hcl's runs stop earlier,
  # at the AWS call of a resource it does not override.
  assert {
    condition = module.pipeline.cloudwatch_alarm_count > 0 && [for kind in ["aws_cloudwatch_metric_alarm", "aws_cloudwatch_composite_alarm", "aws_appautoscaling_policy"] :
      length(flatten([for f in concat(tolist(fileset(".", "*.tf")), tolist(fileset(".", "modules/**/*.tf"))) : regexall("resource\\s+\"${kind}\"", file(f))]))
    ] == [1, 0, 1]
    error_message = "Only aws_cloudwatch_metric_alarm.this and aws_appautoscaling_policy.write may create alarms: count any other in cloudwatch_alarm_count."
  }

  # queue_outputs_the_runbook_reads
  # The runbook stops processing by disabling the event source mapping, and
  # replays from the queues: the outputs it reads must exist.
  assert {
    condition     = output.uploads_queue_url != null && output.event_source_mapping_uuid != null && output.dead_letter_queue_url != null
    error_message = "The root must output the uploads queue, the failed-events queue and the event source mapping (INCIDENT_RESPONSE.md)."
  }

  # no_vpc_by_default
  assert {
    condition     = module.pipeline.vpc_id == null
    error_message = "enable_vpc must be off by default: its SNS endpoint is billed by the hour."
  }

  # code_signing_is_on_by_default
  assert {
    condition     = output.code_signing_config_arn != null
    error_message = "Outside the local profile the function must enforce code signing by default (AWS charges nothing for it)."
  }
  assert {
    condition     = output.kms_deletion_window_days == 30
    error_message = "Outside the local profile a key scheduled for deletion must wait 30 days, the longest KMS allows."
  }
}

# The free-tier DynamoDB profile, in the module: 4 alarms for each of the two
# target-tracking policies (the table's writes and the index's).
run "provisioned_autoscaling_alarms_reach_the_module_count" {
  command = plan

  module {
    source = "./modules/image-pipeline"
  }

  variables {
    name                        = "image-processor-prod"
    dynamodb_billing_mode       = "PROVISIONED"
    enable_dynamodb_autoscaling = true
  }

  assert {
    condition     = output.cloudwatch_alarm_count == 17
    error_message = "With PROVISIONED and autoscaling the stack causes 17 alarms (9 + 2 policies x 4), 7 beyond the free 10 (README, Cost)."
  }
}

run "enable_vpc_gives_the_function_a_vpc" {
  command = plan

  module {
    source = "./modules/image-pipeline"
  }

  variables {
    name       = "image-processor-prod"
    enable_vpc = true
  }

  assert {
    condition     = output.vpc_id == "vpc-0123456789abcdef0"
    error_message = "enable_vpc must give the module a VPC (its vpc_id output)."
  }
}

# The local profile (local.tfvars: deploy.sh --local, make demo): what the
# local AWS cannot run is off, teardown is quick, and nothing else changes.
run "the_local_profile_turns_off_what_the_local_aws_cannot_run" {
  command = plan

  variables {
    environment = "local"
    local_aws   = true
  }

  assert {
    condition     = module.account_baseline.security_hub_enabled == false && output.code_signing_config_arn == null && output.code_bucket_name == null
    error_message = "The local profile must turn Security Hub and code signing off (moto has neither UpdateSecurityHubConfiguration nor CreateCodeSigningConfig)."
  }
  assert {
    condition     = output.audit_bucket_name != null && output.logs_bucket_name != null && output.audit_kms_key_arn != null && output.kms_deletion_window_days == 7 && module.account_baseline.guardduty_detector_id != null && module.account_baseline.config_recorder_name == "image-processor-local-recorder"
    error_message = "The local profile must keep the trail (its audit bucket and key), GuardDuty, Config and the logs bucket, with the shortest KMS deletion window (7 days)."
  }
  assert {
    condition     = output.lambda_function_name == "image-processor-local" && output.s3_bucket_name == "image-processor-local-images-123456789012"
    error_message = "The local profile's names must carry environment local (local.tfvars)."
  }
  assert {
    condition     = module.pipeline.vpc_id != null && length(module.audit_replica) == 1
    error_message = "The local profile must deploy the priced protections the local AWS can run: the VPC and the audit replica."
  }
}

run "baseline_services_are_complete_when_on" {
  command = plan

  module {
    source = "./modules/account-baseline"
  }

  variables {
    name = "image-processor-prod"

    cloudtrail_s3_data_event_bucket_arns       = ["arn:aws:s3:::image-processor-prod-images-123456789012"]
    cloudtrail_lambda_data_event_function_arns = ["arn:aws:lambda:us-east-1:123456789012:function:image-processor-prod"]
  }

  # The given buckets' and functions' data events, and always the baseline's
  # own evidence buckets (audit and logs).
  assert {
    condition = (one(aws_cloudtrail.this[0].event_selector).data_resource == tolist([
      { type = "AWS::S3::Object", values = tolist(["arn:aws:s3:::image-processor-prod-images-123456789012/", "arn:aws:s3:::image-processor-prod-audit-123456789012/", "arn:aws:s3:::image-processor-prod-logs-123456789012/"]) },
      { type = "AWS::Lambda::Function", values = tolist(["arn:aws:lambda:us-east-1:123456789012:function:image-processor-prod"]) },
    ]))
    error_message = "The trail must record the images bucket's object calls, its own evidence buckets' and the function's invocations (data events)."
  }
  assert {
    condition     = aws_guardduty_detector_feature.s3[0].name == "S3_DATA_EVENTS" && aws_guardduty_detector_feature.s3[0].status == "ENABLED"
    error_message = "GuardDuty must come with S3 protection."
  }
  assert {
    condition     = aws_guardduty_detector_feature.lambda[0].name == "LAMBDA_NETWORK_LOGS" && aws_guardduty_detector_feature.lambda[0].status == "ENABLED"
    error_message = "GuardDuty must watch the functions' network activity (Lambda Protection)."
  }
  assert {
    condition     = keys(aws_securityhub_standards_subscription.this) == ["cis", "fsbp"]
    error_message = "Security Hub must subscribe to CIS and FSBP."
  }
  assert {
    condition     = length(aws_config_config_rule.this) == 7 && aws_config_configuration_recorder_status.this[0].is_enabled
    error_message = "AWS Config must record and evaluate its 7 rules."
  }
  assert {
    condition = (aws_cloudtrail.this[0].is_multi_region_trail && aws_cloudtrail.this[0].enable_log_file_validation &&
      aws_cloudtrail.this[0].kms_key_id == aws_kms_key.this[0].arn &&
    aws_cloudtrail.this[0].s3_bucket_name == module.audit_bucket["this"].id)
    error_message = "The trail must be multi-region, validated, encrypted with the baseline's audit key and delivered into its audit bucket."
  }
}

run "baseline_creates_nothing_when_off" {
  command = plan

  module {
    source = "./modules/account-baseline"
  }

  variables {
    name                = "image-processor-prod"
    enable_guardduty    = false
    enable_security_hub = false
    enable_config       = false
    enable_cloudtrail   = false
  }

  assert {
    condition = (length(aws_guardduty_detector.this) + length(aws_securityhub_account.this) +
      length(aws_securityhub_standards_subscription.this) + length(aws_config_configuration_recorder.this) +
      length(aws_config_config_rule.this) + length(aws_iam_role.config) + length(aws_cloudtrail.this) +
    length(aws_kms_key.this) + length(module.audit_bucket) + length(module.logs_bucket)) == 0
    error_message = "With every toggle off the baseline must create nothing (an organisation runs these)."
  }
  assert {
    condition     = output.guardduty_detector_id == null && output.cloudtrail_arn == null && output.config_recorder_name == null && output.security_hub_enabled == false
    error_message = "Turning the toggles off must remove the account-wide services, and their outputs must be null, not errors."
  }
}

# Security Hub names CIS 1.2.0 by a global "ruleset/" ARN and later versions
# by a regional "standards/" ARN.
run "cis_1_2_0_uses_its_ruleset_arn" {
  command = plan

  module {
    source = "./modules/account-baseline"
  }

  variables {
    name                    = "image-processor-prod"
    enable_guardduty        = false
    enable_config           = false
    enable_cloudtrail       = false
    securityhub_cis_version = "1.2.0"
  }

  assert {
    condition     = aws_securityhub_standards_subscription.this["cis"].standards_arn == "arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0"
    error_message = "CIS 1.2.0 must be subscribed by its ruleset ARN."
  }
}

run "cis_3_0_0_uses_its_regional_standards_arn" {
  command = plan

  module {
    source = "./modules/account-baseline"
  }

  variables {
    name              = "image-processor-prod"
    enable_guardduty  = false
    enable_config     = false
    enable_cloudtrail = false
  }

  assert {
    condition     = aws_securityhub_standards_subscription.this["cis"].standards_arn == "arn:aws:securityhub:us-east-1::standards/cis-aws-foundations-benchmark/v/3.0.0"
    error_message = "CIS 3.0.0 (the default) must be subscribed by its regional standards ARN."
  }
}

run "cis_5_0_0_uses_its_regional_standards_arn" {
  command = plan

  module {
    source = "./modules/account-baseline"
  }

  variables {
    name                    = "image-processor-prod"
    enable_guardduty        = false
    enable_config           = false
    enable_cloudtrail       = false
    securityhub_cis_version = "5.0.0"
  }

  assert {
    condition     = aws_securityhub_standards_subscription.this["cis"].standards_arn == "arn:aws:securityhub:us-east-1::standards/cis-aws-foundations-benchmark/v/5.0.0"
    error_message = "CIS 5.0.0 must be subscribed by its regional standards ARN."
  }
}

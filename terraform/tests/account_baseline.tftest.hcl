# The account-baseline module planned on its own, without the image-pipeline
# module: what a platform team applies to an account before any application.
# Today that holds for GuardDuty and Security Hub; the trail and the Config
# recorder still need a bucket (and, for the trail, a key) that the caller
# grants (issue 21: the baseline is to own those sinks). The run that asks
# for the trail without them shows the precondition that says so.

mock_provider "aws" {
  source          = "./tests/mocks"
  override_during = plan
}

mock_provider "aws" {
  alias           = "replica"
  source          = "./tests/mocks"
  override_during = plan
}

variables {
  name              = "platform-baseline"
  enable_cloudtrail = false
  enable_config     = false
}

run "the_baseline_alone_with_its_defaults" {
  command = plan

  module {
    source = "./modules/account-baseline"
  }

  # guardduty_and_security_hub_apply_without_the_application_module
  assert {
    condition     = output.guardduty_detector_id != null && output.security_hub_enabled
    error_message = "The baseline alone must create the GuardDuty detector and enable Security Hub."
  }
  assert {
    condition     = output.cloudtrail_arn == null && output.config_recorder_name == null
    error_message = "With the trail and Config off, the baseline must create neither."
  }

  # guardduty_watches_workloads_the_stack_does_not_run
  # The plans for workloads the stack does not run are on by default: an EC2
  # instance, EKS cluster, ECS task or Aurora database someone creates later is
  # watched from the start (Prowler's guardduty_ec2_malware_protection_enabled,
  # guardduty_eks_audit_log_enabled, guardduty_eks_runtime_monitoring_enabled and
  # guardduty_rds_protection_enabled), and Runtime Monitoring deploys its agent itself.
  assert {
    condition = {
      for name, f in aws_guardduty_detector_feature.workloads : name => f.status
      } == {
      EKS_AUDIT_LOGS = "ENABLED", EBS_MALWARE_PROTECTION = "ENABLED", RDS_LOGIN_EVENTS = "ENABLED", RUNTIME_MONITORING = "ENABLED"
    }
    error_message = "EKS Protection, Malware Protection for EC2, RDS Protection and Runtime Monitoring must be enabled by default."
  }
  assert {
    condition = {
      for c in aws_guardduty_detector_feature.workloads["RUNTIME_MONITORING"].additional_configuration : c.name => c.status
      } == {
      EKS_ADDON_MANAGEMENT = "ENABLED", ECS_FARGATE_AGENT_MANAGEMENT = "ENABLED", EC2_AGENT_MANAGEMENT = "ENABLED"
    }
    error_message = "Runtime Monitoring must deploy its agent to EKS, Fargate and EC2 itself (automated agent configuration), or it watches nothing."
  }
}

run "guardduty_workload_features_can_be_turned_off_and_only_to_known_plans" {
  command = plan

  module {
    source = "./modules/account-baseline"
  }

  variables {
    guardduty_workload_features = []
  }

  assert {
    condition     = length(aws_guardduty_detector_feature.workloads) == 0 && aws_guardduty_detector_feature.s3[0].status == "ENABLED"
    error_message = "An empty guardduty_workload_features must enable no workload plan, and leave S3 protection on."
  }
}

run "an_unknown_guardduty_feature_is_refused" {
  command = plan

  module {
    source = "./modules/account-baseline"
  }

  variables {
    guardduty_workload_features = ["EKS_RUNTIME_MONITORING"]
  }

  expect_failures = [var.guardduty_workload_features]
}

run "the_trail_without_a_bucket_and_key_is_refused_at_plan" {
  command = plan

  module {
    source = "./modules/account-baseline"
  }

  variables {
    enable_cloudtrail = true
    cloudtrail_name   = "platform-baseline-trail"
  }

  expect_failures = [aws_cloudtrail.this]
}

# CloudTrail Insights (enable_cloudtrail_insights, off by default for its
# price per event analysed; on in the local profile): both types on the trail,
# which Prowler's cloudtrail_insights_exist reads back.
run "cloudtrail_insights_are_off_by_default" {
  command = plan

  module {
    source = "./modules/account-baseline"
  }

  variables {
    enable_cloudtrail      = true
    cloudtrail_name        = "platform-baseline-trail"
    cloudtrail_bucket_name = "platform-baseline-audit"
    cloudtrail_kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  }

  assert {
    condition     = length(aws_cloudtrail.this[0].insight_selector) == 0
    error_message = "CloudTrail Insights is charged per event analysed: off unless enable_cloudtrail_insights."
  }
}

run "cloudtrail_insights_watch_call_and_error_rates" {
  command = plan

  module {
    source = "./modules/account-baseline"
  }

  variables {
    enable_cloudtrail          = true
    enable_cloudtrail_insights = true
    cloudtrail_name            = "platform-baseline-trail"
    cloudtrail_bucket_name     = "platform-baseline-audit"
    cloudtrail_kms_key_arn     = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  }

  assert {
    condition     = toset([for s in aws_cloudtrail.this[0].insight_selector : s.insight_type]) == toset(["ApiCallRateInsight", "ApiErrorRateInsight"])
    error_message = "enable_cloudtrail_insights must turn on both Insights types: unusual write-call rates and unusual error rates."
  }
}

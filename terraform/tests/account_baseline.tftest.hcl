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

run "guardduty_and_security_hub_apply_without_the_application_module" {
  command = plan

  module {
    source = "./modules/account-baseline"
  }

  assert {
    condition     = output.guardduty_detector_id != null && output.security_hub_enabled
    error_message = "The baseline alone must create the GuardDuty detector and enable Security Hub."
  }
  assert {
    condition     = output.cloudtrail_arn == null && output.config_recorder_name == null
    error_message = "With the trail and Config off, the baseline must create neither."
  }
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

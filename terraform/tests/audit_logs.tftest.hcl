# Audit logs (S3 access logs, CloudTrail and Config files) are tamper-resistant:
# the logs bucket is created with Object Lock, every version is retained as
# long as the logs are kept, in GOVERNANCE mode unless COMPLIANCE is asked
# for, and a deleted version is not gone a week later. Values come from the
# configuration, so a mocked provider at plan time shows what AWS would get.

mock_provider "aws" {
  source          = "./tests/mocks"
  override_during = plan
}

variables {
  lambda_package_path = "tests/fixtures/placeholder.zip"
}

run "audit_logs_are_locked_in_governance_mode_for_the_log_retention" {
  command = plan

  assert {
    condition     = output.audit_log_object_lock == { enabled = true, mode = "GOVERNANCE", days = 365 }
    error_message = "The logs bucket must have Object Lock, GOVERNANCE by default, retained for access_log_retention_days (365)."
  }
  assert {
    condition     = module.pipeline.logs_bucket_retention.noncurrent_version_expiration_days == 365
    error_message = "A deleted or overwritten log version must be kept as long as the logs (not 7 days)."
  }
}

run "compliance_mode_and_retention_follow_the_variables" {
  command = plan

  variables {
    audit_log_object_lock_mode = "COMPLIANCE"
    access_log_retention_days  = 400
  }

  assert {
    condition     = output.audit_log_object_lock == { enabled = true, mode = "COMPLIANCE", days = 400 }
    error_message = "audit_log_object_lock_mode and access_log_retention_days must set the logs bucket's Object Lock."
  }
  assert {
    condition     = module.pipeline.logs_bucket_retention.noncurrent_version_expiration_days == 400
    error_message = "Deleted log versions must be kept for access_log_retention_days."
  }
}

run "rejects_an_object_lock_mode_s3_does_not_have" {
  command = plan
  variables {
    audit_log_object_lock_mode = "governance"
  }
  expect_failures = [var.audit_log_object_lock_mode]
}

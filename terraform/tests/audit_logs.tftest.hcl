# Audit logs are tamper-resistant where S3 allows it. The trail's files go to
# the audit bucket, created with Object Lock: every version is retained as
# long as the logs are kept, in GOVERNANCE mode unless COMPLIANCE is asked
# for, and a deleted version is not gone a week later. S3 server access logs
# and AWS Config's files cannot be delivered into a bucket with Object Lock,
# so the logs bucket keeps them versioned, deleted versions as long as the
# logs; it also receives the audit bucket's own access logs (CloudTrail.7).
# Values come from the configuration, so a mocked provider at plan time shows
# what AWS would get. The first run is the stack's (terraform/main.tf), the
# last two the account-baseline module's, whose inputs set the retention.

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
  lambda_package_path = "tests/fixtures/placeholder.zip"
}

run "the_stack_with_its_defaults" {
  command = plan

  # trail_files_are_locked_for_the_log_retention
  # The property, not the defaults: locked, in GOVERNANCE mode, every version
  # for as long as the logs are kept.
  assert {
    condition = (try(output.audit_log_object_lock.enabled, false) &&
      try(output.audit_log_object_lock.mode, null) == "GOVERNANCE" &&
    try(output.audit_log_object_lock.days >= module.account_baseline.audit_log_retention.audit.noncurrent_version_expiration_days, false))
    error_message = "The audit bucket must have Object Lock, GOVERNANCE by default (scripts/destroy.sh --delete-audit-logs relies on the bypass; COMPLIANCE must be asked for), retaining every version as long as the logs are kept."
  }
  assert {
    condition     = module.account_baseline.cloudtrail_bucket_name == output.audit_bucket_name && output.audit_bucket_name != output.logs_bucket_name
    error_message = "The trail must deliver into the locked audit bucket, not into the access-log bucket."
  }
  assert {
    condition = alltrue([for bucket in values(module.account_baseline.audit_log_retention) :
    try(bucket.noncurrent_version_expiration_days >= output.audit_log_object_lock.days, false)])
    error_message = "In both buckets a deleted or overwritten log version must be kept as long as the logs (not 7 days)."
  }

  # access_logs_and_config_go_where_s3_and_config_can_deliver
  assert {
    condition     = module.account_baseline.audit_log_retention.logs.object_lock == null
    error_message = "S3 server access logs and AWS Config files cannot be delivered into a bucket with Object Lock: the logs bucket must have none."
  }
  assert {
    condition     = module.account_baseline.config_bucket_name == output.logs_bucket_name
    error_message = "AWS Config must deliver into the logs bucket (no Object Lock)."
  }
}

run "compliance_mode_and_retention_follow_the_variables" {
  command = plan

  module {
    source = "./modules/account-baseline"
  }

  variables {
    name                       = "image-processor-prod"
    audit_log_object_lock_mode = "COMPLIANCE"
    access_log_retention_days  = 400
  }

  assert {
    condition     = output.audit_log_retention.audit.object_lock == { enabled = true, mode = "COMPLIANCE", days = 400 }
    error_message = "audit_log_object_lock_mode and access_log_retention_days must set the audit bucket's Object Lock."
  }
  assert {
    condition = alltrue([for bucket in values(output.audit_log_retention) :
    bucket.noncurrent_version_expiration_days == 400])
    error_message = "Deleted log versions must be kept for access_log_retention_days."
  }
}

run "rejects_an_object_lock_mode_s3_does_not_have" {
  command = plan

  module {
    source = "./modules/account-baseline"
  }

  variables {
    name                       = "image-processor-prod"
    audit_log_object_lock_mode = "governance"
  }

  expect_failures = [var.audit_log_object_lock_mode]
}

# The trail records object-level calls on the evidence buckets (the
# baseline's own logs and audit buckets, and any given), whatever the images
# bucket's toggle says. Composition only: a mocked provider is enough (see
# stack.tftest.hcl).

mock_provider "aws" {
  source          = "./tests/mocks"
  override_during = plan
}

mock_provider "aws" {
  alias           = "replica"
  source          = "./tests/mocks"
  override_during = plan

  mock_data "aws_region" {
    defaults = { name = "us-west-2" }
  }
}

variables {
  lambda_package_path = "tests/fixtures/placeholder.zip"
}

run "the_trail_records_object_calls_on_the_evidence_buckets" {
  command = plan

  module {
    source = "./modules/account-baseline"
  }

  variables {
    name = "image-processor-prod"

    cloudtrail_s3_data_event_bucket_arns = []
    cloudtrail_evidence_bucket_arns      = ["arn:aws:s3:::image-processor-prod-logs-123456789012", "arn:aws:s3:::other-evidence"]
  }

  assert {
    condition = (one(aws_cloudtrail.this[0].event_selector).data_resource == tolist([
      { type = "AWS::S3::Object", values = tolist(["arn:aws:s3:::image-processor-prod-audit-123456789012/", "arn:aws:s3:::image-processor-prod-logs-123456789012/", "arn:aws:s3:::other-evidence/"]) },
    ]))
    error_message = "The trail must record its own evidence buckets' object calls, and those of the evidence buckets given, even with the images bucket's data events off."
  }
}

run "the_stack_with_its_defaults" {
  command = plan

  # the_stack_keeps_its_evidence_in_the_baseline
  # The evidence buckets are the baseline's (recorded by its own trail): the
  # pipeline has none of its own to hand over.
  assert {
    condition     = length(module.pipeline.evidence_bucket_arns) == 0 && output.audit_bucket_name != null && output.logs_bucket_name != null
    error_message = "The stack's evidence buckets must be the account baseline's (audit and logs), the pipeline holding none."
  }

  # audit_replication_is_off_by_default
  assert {
    condition     = length(module.audit_replica) == 0
    error_message = "Audit replication must be off by default (it costs a key and storage in a second region)."
  }
}

# The local profile replicates the audit and logs buckets (terraform/main.tf).
run "audit_replication_replicates_the_audit_bucket_with_the_audit_key" {
  command = plan

  variables {
    environment = "local"
    local_aws   = true
  }

  assert {
    condition     = length(module.audit_replica) == 1
    error_message = "enable_audit_replication must create the replica."
  }
}

run "the_replica_region_must_differ_from_the_stacks" {
  command = plan

  variables {
    aws_region           = "eu-west-1"
    audit_replica_region = "eu-west-1"
  }

  expect_failures = [var.audit_replica_region]
}

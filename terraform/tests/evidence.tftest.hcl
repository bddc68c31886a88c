# The trail records object-level calls on the evidence buckets (logs and
# audit), whatever the images bucket's toggle says. Composition only: a
# mocked provider is enough (see stack.tftest.hcl).

mock_provider "aws" {
  source          = "./tests/mocks"
  override_during = plan
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
    name                   = "image-processor-prod"
    logs_bucket_name       = "image-processor-prod-logs-123456789012"
    cloudtrail_bucket_name = "image-processor-prod-audit-123456789012"
    cloudtrail_name        = "image-processor-prod-trail"
    cloudtrail_kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"

    cloudtrail_s3_data_event_bucket_arns = []
    cloudtrail_evidence_bucket_arns      = ["arn:aws:s3:::image-processor-prod-logs-123456789012", "arn:aws:s3:::image-processor-prod-audit-123456789012"]
  }

  assert {
    condition = (one(aws_cloudtrail.this[0].event_selector).data_resource == tolist([
      { type = "AWS::S3::Object", values = tolist(["arn:aws:s3:::image-processor-prod-logs-123456789012/", "arn:aws:s3:::image-processor-prod-audit-123456789012/"]) },
    ]))
    error_message = "The trail must record the evidence buckets' object calls even with the images bucket's data events off."
  }
}

run "the_stack_passes_its_evidence_buckets_to_the_trail" {
  command = plan

  variables {
    enable_cloudtrail_s3_data_events = false
  }

  assert {
    condition     = length(module.pipeline.evidence_bucket_arns) == 2
    error_message = "The stack must hand the logs and audit buckets to the trail as evidence buckets."
  }
}

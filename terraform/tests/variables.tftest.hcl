# Bad variable values fail at plan with a clear message, not late or unsafely.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_region" {
    defaults = { name = "us-east-1" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
}

variables {
  lambda_package_path = "tests/fixtures/placeholder.zip"
}
run "rejects_a_malformed_email" {
  command = plan
  variables {
    alert_email = "not-an-email"
  }
  expect_failures = [var.alert_email]
}

run "rejects_memory_below_128" {
  command = plan
  variables {
    lambda_memory_mb = 64
  }
  expect_failures = [var.lambda_memory_mb]
}

run "rejects_memory_above_10240" {
  command = plan
  variables {
    lambda_memory_mb = 20480
  }
  expect_failures = [var.lambda_memory_mb]
}

run "rejects_a_retention_cloudwatch_does_not_accept" {
  command = plan
  variables {
    log_retention_days = 31
  }
  expect_failures = [var.log_retention_days]
}

run "rejects_an_unknown_architecture" {
  command = plan
  variables {
    lambda_architecture = "riscv"
  }
  expect_failures = [var.lambda_architecture]
}

run "rejects_a_missing_package_with_build_instructions" {
  command = plan
  variables {
    lambda_package_path = "does/not/exist.zip"
  }
  expect_failures = [var.lambda_package_path]
}

run "rejects_a_project_name_unfit_for_buckets" {
  command = plan
  variables {
    project_name = "Image_Processor"
  }
  expect_failures = [var.project_name]
}

run "rejects_a_short_kms_window" {
  command = plan
  variables {
    kms_deletion_window_days = 3
  }
  expect_failures = [var.kms_deletion_window_days]
}

run "module_rejects_a_name_unfit_for_buckets" {
  command = plan
  module {
    source = "./modules/image-pipeline"
  }
  variables {
    name = "Image_Processor"
  }
  expect_failures = [var.name]
}

run "bucket_module_refuses_a_bucket_that_keeps_data_forever" {
  command = plan
  module {
    source = "./modules/hardened-bucket"
  }
  variables {
    bucket          = "example-bucket-123456789012"
    lifecycle_rules = [{ id = "nothing" }]
  }
  expect_failures = [var.lifecycle_rules]
}

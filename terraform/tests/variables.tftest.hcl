# Bad variable values fail at plan with a clear message, not late or unsafely.

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

# The longest names the root accepts still make valid bucket names: the images
# bucket, <project>-<env>-images-<12-digit account>, is then exactly 63.
run "accepts_the_longest_project_and_environment" {
  command = plan
  variables {
    project_name = "abcdefghijklmnopqrstuvwxyz"
    environment  = "abcdefghijklmnop"
  }
}

run "rejects_a_project_name_too_long_for_bucket_names" {
  command = plan
  variables {
    project_name = "abcdefghijklmnopqrstuvwxyza"
  }
  expect_failures = [var.project_name]
}

run "rejects_a_cis_version_security_hub_does_not_offer" {
  command = plan
  variables {
    securityhub_cis_version = "4.0.0"
  }
  expect_failures = [var.securityhub_cis_version]
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

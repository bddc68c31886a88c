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

# The uploads queue's event source mapping: MaximumConcurrency is 2 to 1000
# (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html).
run "rejects_a_queue_concurrency_of_1" {
  command = plan
  variables {
    queue_maximum_concurrency = 1
  }
  expect_failures = [var.queue_maximum_concurrency]
}

run "rejects_a_queue_concurrency_of_1001" {
  command = plan
  variables {
    queue_maximum_concurrency = 1001
  }
  expect_failures = [var.queue_maximum_concurrency]
}

run "rejects_a_fractional_queue_concurrency" {
  command = plan
  variables {
    queue_maximum_concurrency = 2.5
  }
  expect_failures = [var.queue_maximum_concurrency]
}

run "accepts_a_queue_concurrency_of_2" {
  command = plan
  variables {
    queue_maximum_concurrency = 2
  }
}

run "accepts_a_queue_concurrency_of_1000" {
  command = plan
  variables {
    queue_maximum_concurrency = 1000
  }
}

run "rejects_a_batch_of_0" {
  command = plan
  variables {
    queue_batch_size = 0
  }
  expect_failures = [var.queue_batch_size]
}

run "rejects_a_batch_of_11" {
  command = plan
  variables {
    queue_batch_size = 11
  }
  expect_failures = [var.queue_batch_size]
}

run "accepts_a_batch_of_1" {
  command = plan
  variables {
    queue_batch_size = 1
  }
}

run "accepts_a_batch_of_10" {
  command = plan
  variables {
    queue_batch_size = 10
  }
}

run "rejects_a_receive_count_of_1" {
  command = plan
  variables {
    queue_max_receive_count = 1
  }
  expect_failures = [var.queue_max_receive_count]
}

run "rejects_a_receive_count_of_1001" {
  command = plan
  variables {
    queue_max_receive_count = 1001
  }
  expect_failures = [var.queue_max_receive_count]
}

run "accepts_a_receive_count_of_2" {
  command = plan
  variables {
    queue_max_receive_count = 2
  }
}

run "rejects_a_queue_age_alarm_beyond_the_retention" {
  command = plan
  variables {
    queue_age_alarm_s = 1209601
  }
  expect_failures = [var.queue_age_alarm_s]
}

run "rejects_a_billing_mode_dynamodb_does_not_have" {
  command = plan
  variables {
    dynamodb_billing_mode = "ON_DEMAND"
  }
  expect_failures = [var.dynamodb_billing_mode]
}

run "rejects_a_lowercase_billing_mode" {
  command = plan
  variables {
    dynamodb_billing_mode = "pay_per_request"
  }
  expect_failures = [var.dynamodb_billing_mode]
}

run "accepts_provisioned_billing" {
  command = plan
  variables {
    dynamodb_billing_mode = "PROVISIONED"
  }
}

# 0 no longer stops processing (disabling the event source mapping does:
# INCIDENT_RESPONSE.md); null, the default, reserves nothing.
run "rejects_a_reserved_concurrency_of_0" {
  command = plan
  variables {
    lambda_reserved_concurrency = 0
  }
  expect_failures = [var.lambda_reserved_concurrency]
}

run "rejects_a_reserved_concurrency_of_1001" {
  command = plan
  variables {
    lambda_reserved_concurrency = 1001
  }
  expect_failures = [var.lambda_reserved_concurrency]
}

run "accepts_no_reserved_concurrency" {
  command = plan
  variables {
    lambda_reserved_concurrency = null
  }
}

run "module_rejects_a_queue_concurrency_of_1" {
  command = plan
  module {
    source = "./modules/image-pipeline"
  }
  variables {
    name                      = "image-processor-prod"
    queue_maximum_concurrency = 1
  }
  expect_failures = [var.queue_maximum_concurrency]
}

run "module_rejects_a_reserved_concurrency_of_0" {
  command = plan
  module {
    source = "./modules/image-pipeline"
  }
  variables {
    name                        = "image-processor-prod"
    lambda_reserved_concurrency = 0
  }
  expect_failures = [var.lambda_reserved_concurrency]
}

run "module_rejects_a_billing_mode_dynamodb_does_not_have" {
  command = plan
  module {
    source = "./modules/image-pipeline"
  }
  variables {
    name                  = "image-processor-prod"
    dynamodb_billing_mode = "ON_DEMAND"
  }
  expect_failures = [var.dynamodb_billing_mode]
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

run "accepts_the_default_recipes_and_a_valid_set" {
  command = plan
  variables {
    recipes = [
      { name = "display", max_edge = 1024, format = "jpeg", quality = 85 },
      { name = "thumb", max_edge = 200, format = "webp" },
      { name = "modern", max_edge = 1024, format = "avif" },
      { name = "banner", width = 1200, height = 400, format = "png", key = "banners/{path}.{ext}" },
      { name = "grey", grayscale = true, lossless = true },
    ]
    enable_heic_input = true
  }
}

run "rejects_recipes_with_a_duplicate_name" {
  command = plan
  variables {
    recipes = [{ name = "a", max_edge = 10 }, { name = "a", max_edge = 20 }]
  }
  expect_failures = [var.recipes]
}

run "rejects_a_recipe_name_with_a_slash" {
  command = plan
  variables {
    recipes = [{ name = "a/b" }]
  }
  expect_failures = [var.recipes]
}

run "rejects_an_unknown_output_format" {
  command = plan
  variables {
    recipes = [{ name = "a", format = "heic" }]
  }
  expect_failures = [var.recipes]
}

run "rejects_max_edge_with_a_box" {
  command = plan
  variables {
    recipes = [{ name = "a", max_edge = 100, width = 100, height = 50 }]
  }
  expect_failures = [var.recipes]
}

run "rejects_a_box_without_its_height" {
  command = plan
  variables {
    recipes = [{ name = "a", width = 100 }]
  }
  expect_failures = [var.recipes]
}

run "rejects_an_edge_of_zero" {
  command = plan
  variables {
    recipes = [{ name = "a", max_edge = 0 }]
  }
  expect_failures = [var.recipes]
}

run "rejects_a_quality_for_png" {
  command = plan
  variables {
    recipes = [{ name = "a", format = "png", quality = 80 }]
  }
  expect_failures = [var.recipes]
}

run "rejects_lossless_avif" {
  command = plan
  variables {
    recipes = [{ name = "a", format = "avif", lossless = true }]
  }
  expect_failures = [var.recipes]
}

run "rejects_a_key_without_the_path" {
  command = plan
  variables {
    recipes = [{ name = "a", key = "{recipe}/all.{ext}" }]
  }
  expect_failures = [var.recipes]
}

run "rejects_a_key_with_an_unknown_placeholder" {
  command = plan
  variables {
    recipes = [{ name = "a", key = "{recipe}/{path}.{format}" }]
  }
  expect_failures = [var.recipes]
}

run "rejects_a_key_that_climbs_out_of_the_prefix" {
  command = plan
  variables {
    recipes = [{ name = "a", key = "../{path}.{ext}" }]
  }
  expect_failures = [var.recipes]
}

run "rejects_two_recipes_writing_the_same_key" {
  command = plan
  variables {
    recipes = [{ name = "a", max_edge = 10, key = "{path}.{ext}" }, { name = "b", max_edge = 20, key = "{path}.{ext}" }]
  }
  expect_failures = [var.recipes]
}

run "rejects_eleven_recipes" {
  command = plan
  variables {
    recipes = [for i in range(11) : { name = "r${i}" }]
  }
  expect_failures = [var.recipes]
}

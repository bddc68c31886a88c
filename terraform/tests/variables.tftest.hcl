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

# Every validation of the image-pipeline module's variables, with a value it
# must refuse (the root and the account baseline's own follow). Each run sets
# one bad value per variable (Terraform validates each on its own and
# expect_failures requires every listed one to fail, so a validation removed
# fails its run); the comment above each value names the case. (A plan per
# case cost about 2.5 s of CPU each: 35 plans became 13, as many as the most
# cases of one variable.)

run "rejects_bad_values_1" {
  command = plan
  module {
    source = "./modules/image-pipeline"
  }
  variables {
    name = "image-processor-prod"
    # rejects a malformed email
    alert_email = "not-an-email"
    # rejects memory below 128
    lambda_memory_mb = 64
    # rejects a retention cloudwatch does not accept
    log_retention_days = 31
    # rejects an unknown architecture
    lambda_architecture = "riscv"
    # rejects a missing package with build instructions
    lambda_package_path = "does/not/exist.zip"
    # rejects a short kms window
    kms_deletion_window_days = 3
    # The uploads queue's event source mapping: MaximumConcurrency is 2 to 1000
    # (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html).
    # rejects a queue concurrency of 1
    queue_maximum_concurrency = 1
    # rejects a batch of 0
    queue_batch_size = 0
    # rejects a receive count of 1
    queue_max_receive_count = 1
    # rejects a queue age alarm beyond the retention
    queue_age_alarm_s = 1209601
    # rejects a billing mode dynamodb does not have
    dynamodb_billing_mode = "ON_DEMAND"
    # 0 no longer stops processing (disabling the event source mapping does:
    # INCIDENT_RESPONSE.md); null, the default, reserves nothing.
    # rejects a reserved concurrency of 0
    lambda_reserved_concurrency = 0
    # rejects recipes with a duplicate name
    recipes = [{ name = "a", max_edge = 10 }, { name = "a", max_edge = 20 }]
  }
  expect_failures = [
    var.alert_email,
    var.lambda_memory_mb,
    var.log_retention_days,
    var.lambda_architecture,
    var.lambda_package_path,
    var.kms_deletion_window_days,
    var.queue_maximum_concurrency,
    var.queue_batch_size,
    var.queue_max_receive_count,
    var.queue_age_alarm_s,
    var.dynamodb_billing_mode,
    var.lambda_reserved_concurrency,
    var.recipes,
  ]
}

run "rejects_bad_values_2" {
  command = plan
  module {
    source = "./modules/image-pipeline"
  }
  variables {
    name = "image-processor-prod"
    # rejects memory above 10240
    lambda_memory_mb = 20480
    # rejects a queue concurrency of 1001
    queue_maximum_concurrency = 1001
    # rejects a batch of 11
    queue_batch_size = 11
    # rejects a receive count of 1001
    queue_max_receive_count = 1001
    # rejects a lowercase billing mode
    dynamodb_billing_mode = "pay_per_request"
    # rejects a reserved concurrency of 1001
    lambda_reserved_concurrency = 1001
    # rejects a recipe name with a slash
    recipes = [{ name = "a/b" }]
    # rejects a tenant tag key in IAM's reserved aws: prefix
    uploader_tenant_tag_key = "aws:tenant"
  }
  expect_failures = [
    var.lambda_memory_mb,
    var.queue_maximum_concurrency,
    var.queue_batch_size,
    var.queue_max_receive_count,
    var.dynamodb_billing_mode,
    var.lambda_reserved_concurrency,
    var.recipes,
    var.uploader_tenant_tag_key,
  ]
}

run "rejects_bad_values_3" {
  command = plan
  module {
    source = "./modules/image-pipeline"
  }
  variables {
    name = "image-processor-prod"
    # rejects a fractional queue concurrency
    queue_maximum_concurrency = 2.5
    # rejects an unknown output format
    recipes = [{ name = "a", format = "heic" }]
  }
  expect_failures = [
    var.queue_maximum_concurrency,
    var.recipes,
  ]
}

run "rejects_bad_values_4" {
  command = plan
  module {
    source = "./modules/image-pipeline"
  }
  variables {
    name = "image-processor-prod"
    # rejects max edge with a box
    recipes = [{ name = "a", max_edge = 100, width = 100, height = 50 }]
  }
  expect_failures = [
    var.recipes,
  ]
}

run "rejects_bad_values_5" {
  command = plan
  module {
    source = "./modules/image-pipeline"
  }
  variables {
    name = "image-processor-prod"
    # rejects a box without its height
    recipes = [{ name = "a", width = 100 }]
  }
  expect_failures = [
    var.recipes,
  ]
}

run "rejects_bad_values_6" {
  command = plan
  module {
    source = "./modules/image-pipeline"
  }
  variables {
    name = "image-processor-prod"
    # rejects an edge of zero
    recipes = [{ name = "a", max_edge = 0 }]
  }
  expect_failures = [
    var.recipes,
  ]
}

run "rejects_bad_values_7" {
  command = plan
  module {
    source = "./modules/image-pipeline"
  }
  variables {
    name = "image-processor-prod"
    # rejects a quality for png
    recipes = [{ name = "a", format = "png", quality = 80 }]
  }
  expect_failures = [
    var.recipes,
  ]
}

run "rejects_bad_values_8" {
  command = plan
  module {
    source = "./modules/image-pipeline"
  }
  variables {
    name = "image-processor-prod"
    # rejects lossless avif
    recipes = [{ name = "a", format = "avif", lossless = true }]
  }
  expect_failures = [
    var.recipes,
  ]
}

run "rejects_bad_values_9" {
  command = plan
  module {
    source = "./modules/image-pipeline"
  }
  variables {
    name = "image-processor-prod"
    # rejects a key without the path
    recipes = [{ name = "a", key = "{recipe}/all.{ext}" }]
  }
  expect_failures = [
    var.recipes,
  ]
}

run "rejects_bad_values_10" {
  command = plan
  module {
    source = "./modules/image-pipeline"
  }
  variables {
    name = "image-processor-prod"
    # rejects a key with an unknown placeholder
    recipes = [{ name = "a", key = "{recipe}/{path}.{format}" }]
  }
  expect_failures = [
    var.recipes,
  ]
}

run "rejects_bad_values_11" {
  command = plan
  module {
    source = "./modules/image-pipeline"
  }
  variables {
    name = "image-processor-prod"
    # rejects a key that climbs out of the prefix
    recipes = [{ name = "a", key = "../{path}.{ext}" }]
  }
  expect_failures = [
    var.recipes,
  ]
}

run "rejects_bad_values_12" {
  command = plan
  module {
    source = "./modules/image-pipeline"
  }
  variables {
    name = "image-processor-prod"
    # rejects two recipes writing the same key
    recipes = [{ name = "a", max_edge = 10, key = "{path}.{ext}" }, { name = "b", max_edge = 20, key = "{path}.{ext}" }]
  }
  expect_failures = [
    var.recipes,
  ]
}

run "rejects_bad_values_13" {
  command = plan
  module {
    source = "./modules/image-pipeline"
  }
  variables {
    name = "image-processor-prod"
    # rejects eleven recipes
    recipes = [for i in range(11) : { name = "r${i}" }]
  }
  expect_failures = [
    var.recipes,
  ]
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

# Values each validation must accept: the edges of each range in two plans,
# one per edge (a plan per value cost about 2 s of CPU; a plan fails on any
# value refused, naming its variable). Each comment names the run the value
# had to itself before.
run "accepts_the_lower_edges_and_the_other_valid_choices" {
  command = plan
  module {
    source = "./modules/image-pipeline"
  }
  variables {
    name = "image-processor-prod"
    # accepts_a_queue_concurrency_of_2
    queue_maximum_concurrency = 2
    # accepts_a_batch_of_1
    queue_batch_size = 1
    # accepts_a_receive_count_of_2
    queue_max_receive_count = 2
    # accepts_provisioned_billing
    dynamodb_billing_mode = "PROVISIONED"
    # accepts_no_reserved_concurrency
    lambda_reserved_concurrency = null
    # accepts_the_default_recipes_and_a_valid_set (every other plan of this
    # file accepts the default recipes)
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

run "accepts_the_upper_edges" {
  command = plan
  module {
    source = "./modules/image-pipeline"
  }
  variables {
    name = "image-processor-prod"
    # accepts_a_queue_concurrency_of_1000
    queue_maximum_concurrency = 1000
    # accepts_a_batch_of_10
    queue_batch_size = 10
  }
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

# The root's own variables (terraform/variables.tf).
run "rejects_bad_root_values_1" {
  command = plan
  variables {
    # rejects a project name unfit for buckets
    project_name = "Image_Processor"
    # rejects an environment with an upper-case letter
    environment = "Prod"
    # rejects a region name with underscores
    aws_region = "us_east_1"
  }
  expect_failures = [
    var.project_name,
    var.environment,
    var.aws_region,
  ]
}

run "rejects_bad_root_values_2" {
  command = plan
  variables {
    # rejects a project name too long for bucket names
    project_name = "abcdefghijklmnopqrstuvwxyza"
  }
  expect_failures = [
    var.project_name,
  ]
}

run "baseline_rejects_a_cis_version_security_hub_does_not_offer" {
  command = plan
  module {
    source = "./modules/account-baseline"
  }
  variables {
    name                    = "image-processor-prod"
    enable_guardduty        = false
    enable_config           = false
    enable_cloudtrail       = false
    securityhub_cis_version = "4.0.0"
  }
  expect_failures = [var.securityhub_cis_version]
}

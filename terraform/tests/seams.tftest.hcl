# Names that must be the same string on both sides of a boundary, checked at
# plan time. An alarm's dimensions are plain strings (alarms.tf names them
# rather than referencing the resources, so that the topic and key policies
# can name the alarms without a cycle): CloudWatch accepts an alarm on a
# queue, function, table or bucket that does not exist, and it then never
# fires. Each dimension must be the name Terraform gives a resource of the
# module. A new queue, table or bucket an alarm watches goes into the map.

mock_provider "aws" {
  source          = "./tests/mocks"
  override_during = plan
}

# The caller the security key's administrators default to (kms.tf).
override_data {
  target = data.aws_caller_identity.current
  values = { account_id = "123456789012", arn = "arn:aws:sts::123456789012:assumed-role/deployer/terraform" }
}

override_data {
  target = data.aws_iam_session_context.deployer
  values = { issuer_arn = "arn:aws:iam::123456789012:role/deployer" }
}

variables {
  name                = "test-prod"
  lambda_package_path = "tests/fixtures/placeholder.zip"
  # Every optional alarm and resource on.
  enable_guardduty_findings_rule = true
  enable_dynamodb_autoscaling    = true
}

run "every_alarm_dimension_names_a_resource_of_the_module" {
  command = plan

  module {
    source = "./modules/image-pipeline"
  }

  assert {
    condition = length(aws_cloudwatch_metric_alarm.this) > 0 && alltrue([
      for alarm in aws_cloudwatch_metric_alarm.this : alltrue([
        for dimension, value in alarm.dimensions : contains(lookup({
          FunctionName = [aws_lambda_function.this.function_name]
          QueueName    = [aws_sqs_queue.uploads.name, aws_sqs_queue.dead_letter.name, aws_sqs_queue.rule_dead_letter.name, aws_sqs_queue.failed_sweeps.name]
          TableName    = [aws_dynamodb_table.this.name]
          BucketName   = [module.images_bucket.bucket, module.logs_bucket[0].bucket]
          StorageType  = ["StandardStorage"]
        }, dimension, []), value)
      ])
    ])
    error_message = "An alarm's dimension names no resource of the module (it would never fire): ${jsonencode({ for name, alarm in aws_cloudwatch_metric_alarm.this : name => alarm.dimensions })}"
  }
}

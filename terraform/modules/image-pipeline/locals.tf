# ---------------------------------------------------------------------------
# Names and values derived once
# ---------------------------------------------------------------------------

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name

  # Bucket names are global: the account id keeps them unique.
  images_bucket_name = "${var.name}-images-${local.account_id}"
  logs_bucket_name   = "${var.name}-logs-${local.account_id}" # access_log_target null
  code_bucket_name   = "${var.name}-code-${local.account_id}" # enable_code_signing

  function_name  = var.name
  log_group_name = "/aws/lambda/${local.function_name}"

  # Key prefixes: the function reads only the first and writes only the second.
  input_prefix = "uploads/"
  # DynamoDB index of the records in flight (dynamodb.tf; PROCESSING_INDEX).
  processing_index = "in-progress"

  output_prefix = "processed/"

  # Where the images and code buckets send their access logs: the bucket
  # given (access_log_target), or the module's own logs bucket (buckets.tf).
  access_logs_prefix = "s3-access-logs/"
  # The buckets that log there (access_log_source_bucket_arns output).
  access_log_source_bucket_arns = [for name in concat([local.images_bucket_name], var.enable_code_signing ? [local.code_bucket_name] : []) :
  "arn:${local.partition}:s3:::${name}"]
  access_log_target = var.access_log_target != null ? var.access_log_target : {
    bucket = try(module.logs_bucket[0].id, null)
    prefix = local.access_logs_prefix
  }

  # The limits the handler enforces: these variables are their one source;
  # the function reads them from its environment (lambda/config.py).
  max_upload_bytes = var.max_upload_mb * 1024 * 1024

  tags = var.tags
}

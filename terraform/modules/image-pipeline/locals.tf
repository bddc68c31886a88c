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
  logs_bucket_name   = "${var.name}-logs-${local.account_id}"
  audit_bucket_name  = "${var.name}-audit-${local.account_id}" # the trail's files (cloudtrail_name)
  code_bucket_name   = "${var.name}-code-${local.account_id}"  # enable_code_signing

  function_name  = var.name
  log_group_name = "/aws/lambda/${local.function_name}"

  # Key prefixes: the function reads only the first and writes only the second.
  input_prefix = "uploads/"
  # DynamoDB index of the records in flight (dynamodb.tf; PROCESSING_INDEX).
  processing_index = "in-progress"

  output_prefix = "processed/"

  # Where the logs bucket receives access logs and Config files, and the
  # audit bucket the trail's files.
  access_logs_prefix = "s3-access-logs/"
  cloudtrail_prefix  = "cloudtrail"
  config_prefix      = "config"

  cloudtrail_arn = var.cloudtrail_name == null ? null : "arn:${local.partition}:cloudtrail:${local.region}:${local.account_id}:trail/${var.cloudtrail_name}"

  # The limits the handler enforces: these variables are their one source;
  # the function reads them from its environment (lambda/config.py).
  max_upload_bytes = var.max_upload_mb * 1024 * 1024

  tags = var.tags
}

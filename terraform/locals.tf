# ---------------------------------------------------------------------------
# Names and values derived once
# ---------------------------------------------------------------------------

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  name       = "${var.project_name}-${var.environment}"
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name

  # Bucket names are global: the account id keeps them unique.
  images_bucket_name = "${local.name}-images-${local.account_id}"
  logs_bucket_name   = "${local.name}-logs-${local.account_id}"

  function_name  = local.name
  log_group_name = "/aws/lambda/${local.function_name}"
  trail_name     = "${local.name}-trail"

  # Key prefixes: the function reads only the first and writes only the second.
  input_prefix  = "uploads/"
  output_prefix = "processed/"

  # Where the logs bucket receives each kind of log.
  access_logs_prefix = "s3-access-logs/"
  cloudtrail_prefix  = "cloudtrail"
  config_prefix      = "config"

  max_upload_bytes = var.max_upload_mb * 1024 * 1024
}

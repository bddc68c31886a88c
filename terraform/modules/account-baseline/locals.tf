# ---------------------------------------------------------------------------
# Names and values derived once
# ---------------------------------------------------------------------------

data "aws_caller_identity" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name

  # Bucket names are global: the account id keeps them unique. The same
  # names the image-pipeline module gave these buckets before the baseline
  # owned them (terraform/main.tf moves an existing deployment's).
  audit_bucket_name = "${var.name}-audit-${local.account_id}" # the trail's files (enable_cloudtrail)
  logs_bucket_name  = "${var.name}-logs-${local.account_id}"  # access logs and Config's files

  cloudtrail_name = coalesce(var.cloudtrail_name, "${var.name}-trail")
  # Known before the trail exists, so that the key and bucket policies it
  # needs can name it (the trail depends on both).
  cloudtrail_arn = "arn:${local.partition}:cloudtrail:${local.region}:${local.account_id}:trail/${local.cloudtrail_name}"

  # Where the logs bucket receives S3 server access logs (the audit bucket's
  # and access_log_source_bucket_arns').
  access_logs_prefix = "s3-access-logs/"

  # The logs bucket takes the audit bucket's access logs (enable_cloudtrail),
  # Config's files (enable_config) and the access logs of the buckets the
  # caller names.
  create_logs_bucket = var.enable_cloudtrail || var.enable_config || length(var.access_log_source_bucket_arns) > 0

  # modules/audit-replica names its role the same way (enable_audit_replication).
  audit_replication_role_arn = "arn:${local.partition}:iam::${local.account_id}:role/${var.name}-audit-replication"
}

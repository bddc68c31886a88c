# ---------------------------------------------------------------------------
# CloudTrail: every region, validated files, into the audit bucket, encrypted
# with the audit key (buckets.tf, kms.tf)
# ---------------------------------------------------------------------------

locals {
  # The baseline's own evidence buckets are always among the data events.
  evidence_bucket_arns = [for name in concat(
    var.enable_cloudtrail ? [local.audit_bucket_name] : [],
    local.create_logs_bucket ? [local.logs_bucket_name] : [],
  ) : "arn:${local.partition}:s3:::${name}"]
  data_event_bucket_arns = distinct(concat(var.cloudtrail_s3_data_event_bucket_arns, local.evidence_bucket_arns, var.cloudtrail_evidence_bucket_arns))
}

resource "aws_cloudtrail" "this" {
  #checkov:skip=CKV_AWS_252:Alerting on the trail goes through EventBridge rules (the image-pipeline module's events.tf), not an SNS topic per log file delivery.
  #checkov:skip=CKV2_AWS_10:Streaming the trail to CloudWatch Logs costs USD 0.50 per GB ingested; the trail is in S3 with file validation and EventBridge sees its events for alerting.
  count = var.enable_cloudtrail ? 1 : 0

  name                          = local.cloudtrail_name
  s3_bucket_name                = module.audit_bucket["this"].id
  s3_key_prefix                 = var.cloudtrail_s3_key_prefix
  is_multi_region_trail         = true
  include_global_service_events = true
  enable_log_file_validation    = true
  kms_key_id                    = aws_kms_key.this[0].arn
  tags                          = var.tags

  # Data events (USD 0.10 per 100,000, https://aws.amazon.com/cloudtrail/pricing/):
  # object-level calls on the given buckets (an application's images bucket,
  # and always the evidence buckets, the baseline's own and any given: who
  # read, deleted or changed the retention of a log), invocations of the
  # given functions.
  dynamic "event_selector" {
    for_each = length(local.data_event_bucket_arns) + length(var.cloudtrail_lambda_data_event_function_arns) > 0 ? [1] : []
    content {
      read_write_type           = "All"
      include_management_events = true

      dynamic "data_resource" {
        for_each = length(local.data_event_bucket_arns) > 0 ? [1] : []
        content {
          type   = "AWS::S3::Object"
          values = [for arn in local.data_event_bucket_arns : "${arn}/"]
        }
      }

      dynamic "data_resource" {
        for_each = length(var.cloudtrail_lambda_data_event_function_arns) > 0 ? [1] : []
        content {
          type   = "AWS::Lambda::Function"
          values = var.cloudtrail_lambda_data_event_function_arns
        }
      }
    }
  }

  # CloudTrail Insights (enable_cloudtrail_insights): unusual rates of write
  # calls and of errors (an insider's or a stolen credential's burst of
  # changes or AccessDenied), charged per management event analysed; with
  # both types the write events are analysed twice
  # (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/insights-events-costs.html).
  dynamic "insight_selector" {
    for_each = var.enable_cloudtrail_insights ? ["ApiCallRateInsight", "ApiErrorRateInsight"] : []
    content {
      insight_type = insight_selector.value
    }
  }
}

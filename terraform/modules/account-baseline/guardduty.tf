# ---------------------------------------------------------------------------
# GuardDuty: threat detection, with S3 protection and Lambda protection
# (network activity monitoring of every function in the account) on. The image-pipeline module's
# rule sends high-severity findings to on-call.
# ---------------------------------------------------------------------------

resource "aws_guardduty_detector" "this" {
  #checkov:skip=CKV2_AWS_3:This stack deploys into one account and region; organisation-wide GuardDuty is set up once by the organisation's security account, not per application.
  count = var.enable_guardduty ? 1 : 0

  enable                       = true
  finding_publishing_frequency = "FIFTEEN_MINUTES"
  tags                         = var.tags
}

resource "aws_guardduty_detector_feature" "s3" {
  count = var.enable_guardduty ? 1 : 0

  detector_id = aws_guardduty_detector.this[0].id
  name        = "S3_DATA_EVENTS"
  status      = "ENABLED"
}

# Lambda Protection: GuardDuty watches the network activity of the account's
# functions (feature LAMBDA_NETWORK_LOGS, enabled with UpdateDetector):
# https://docs.aws.amazon.com/guardduty/latest/ug/configure-lambda-protection-standalone-acc.html
# https://docs.aws.amazon.com/guardduty/latest/APIReference/API_DetectorFeatureConfiguration.html
resource "aws_guardduty_detector_feature" "lambda" {
  count = var.enable_guardduty ? 1 : 0

  detector_id = aws_guardduty_detector.this[0].id
  name        = "LAMBDA_NETWORK_LOGS"
  status      = "ENABLED"
}

# The protection plans for workloads this stack does not run (EC2, EKS, ECS,
# Aurora): on, so that whatever is later created in the account is watched
# from its first minute, by whoever created it. Each is billed by what it
# analyses or scans ("GuardDuty prices are based on the volume of service
# logs, events, workloads or data analysed": https://aws.amazon.com/guardduty/pricing/;
# the usage each one is metered by: https://docs.aws.amazon.com/guardduty/latest/ug/monitoring_costs.html),
# so in an account without those workloads they analyse nothing.
# Runtime Monitoring needs GuardDuty's security agent on each workload: with
# automated agent configuration GuardDuty deploys it (and the VPC endpoint it
# reports through, at no additional cost for that connectivity:
# https://docs.aws.amazon.com/guardduty/latest/ug/runtime-monitoring-agent-connectivity.html)
# to EKS clusters, Fargate tasks and EC2 instances as they appear
# (https://docs.aws.amazon.com/guardduty/latest/ug/how-does-runtime-monitoring-work.html).
locals {
  guardduty_runtime_agent_management = ["EKS_ADDON_MANAGEMENT", "ECS_FARGATE_AGENT_MANAGEMENT", "EC2_AGENT_MANAGEMENT"]
}

resource "aws_guardduty_detector_feature" "workloads" {
  for_each = var.enable_guardduty ? toset(var.guardduty_workload_features) : toset([])

  detector_id = aws_guardduty_detector.this[0].id
  name        = each.key
  status      = "ENABLED"

  dynamic "additional_configuration" {
    for_each = each.key == "RUNTIME_MONITORING" ? local.guardduty_runtime_agent_management : []
    content {
      name   = additional_configuration.value
      status = "ENABLED"
    }
  }
}

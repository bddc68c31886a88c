# ---------------------------------------------------------------------------
# Security Hub: CIS AWS Foundations and AWS Foundational Security Best Practices
# ---------------------------------------------------------------------------

data "aws_partition" "current" {}
data "aws_region" "current" {}

resource "aws_securityhub_account" "this" {
  count = var.enable_security_hub ? 1 : 0

  enable_default_standards = false # subscribed explicitly below
}

resource "aws_securityhub_standards_subscription" "this" {
  for_each = var.enable_security_hub ? {
    cis  = "arn:${data.aws_partition.current.partition}:securityhub:${data.aws_region.current.name}::standards/cis-aws-foundations-benchmark/v/${var.securityhub_cis_version}"
    fsbp = "arn:${data.aws_partition.current.partition}:securityhub:${data.aws_region.current.name}::standards/aws-foundational-security-best-practices/v/1.0.0"
  } : {}

  standards_arn = each.value

  depends_on = [aws_securityhub_account.this]
}

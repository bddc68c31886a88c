# ---------------------------------------------------------------------------
# Security Hub: CIS AWS Foundations and AWS Foundational Security Best Practices
# ---------------------------------------------------------------------------

data "aws_partition" "current" {}
data "aws_region" "current" {}

resource "aws_securityhub_account" "this" {
  count = var.enable_security_hub ? 1 : 0

  enable_default_standards = false # subscribed explicitly below
}

# CIS 1.2.0 predates Security Hub's "standards/" ARNs: its ARN is a global
# "ruleset/" one, without a region
# (https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/securityhub_standards_subscription).
locals {
  cis_standard_arn = (var.securityhub_cis_version == "1.2.0" ?
    "arn:${data.aws_partition.current.partition}:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0" :
  "arn:${data.aws_partition.current.partition}:securityhub:${data.aws_region.current.name}::standards/cis-aws-foundations-benchmark/v/${var.securityhub_cis_version}")
}

resource "aws_securityhub_standards_subscription" "this" {
  for_each = var.enable_security_hub ? {
    cis  = local.cis_standard_arn
    fsbp = "arn:${data.aws_partition.current.partition}:securityhub:${data.aws_region.current.name}::standards/aws-foundational-security-best-practices/v/1.0.0"
  } : {}

  standards_arn = each.value

  depends_on = [aws_securityhub_account.this]
}

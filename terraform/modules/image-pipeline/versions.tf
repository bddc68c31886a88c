# Minimum versions only: the caller (a root module) pins the versions it
# tests. 5.59 (July 19, 2024): the first release dated after
# aws_guardduty_malware_protection_plan (provider PR #37919, merged after its
# 2024-06-11 review) and aws_kms_key's rotation_period_in_days (PR #37140).
terraform {
  required_version = ">= 1.7"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.59"
    }
  }
}

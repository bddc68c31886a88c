# Minimum versions only: the caller (a root module) pins the versions it
# tests. 5.59 (July 19, 2024): the first release dated after aws_kms_key's
# rotation_period_in_days (provider PR #37140) was merged.
terraform {
  required_version = ">= 1.7"

  required_providers {
    aws = {
      source                = "hashicorp/aws"
      version               = ">= 5.59"
      configuration_aliases = [aws.replica]
    }
  }
}

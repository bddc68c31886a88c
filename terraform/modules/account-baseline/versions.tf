# Minimum versions only: the caller (a root module) pins the versions it
# tests. 5.40: the project's floor; aws_guardduty_detector_feature (provider
# PR #31463) arrived in a 5.x release before it.
terraform {
  required_version = ">= 1.7"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.40"
    }
  }
}

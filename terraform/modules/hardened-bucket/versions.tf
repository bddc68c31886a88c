# Minimum versions only: the caller (a root module) pins the versions it
# tests. 5.40: the project's floor; every resource here (the S3 bucket's
# configuration resources) predates it.
terraform {
  required_version = ">= 1.7"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.40"
    }
  }
}

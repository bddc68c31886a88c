# ---------------------------------------------------------------------------
# Terraform and the AWS provider
# ---------------------------------------------------------------------------

terraform {
  # 1.7 brings `terraform test` with mock providers (terraform/tests/).
  required_version = ">= 1.7"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.40, < 7.0"
    }
  }

  # State is local by default. For a team, keep it in S3 with native locking
  # (Terraform >= 1.10): create the bucket once, then uncomment and run
  # `terraform init -migrate-state`.
  #
  # backend "s3" {
  #   bucket       = "my-terraform-state-123456789012"
  #   key          = "image-processor/prod.tfstate"
  #   region       = "eu-west-1"
  #   encrypt      = true
  #   use_lockfile = true # S3 conditional writes; no DynamoDB lock table needed
  # }
}

# Credentials come from the environment (profile, SSO, instance role), never
# from this file. AWS_ENDPOINT_URL points every service at a local AWS.
provider "aws" {
  region = var.aws_region

  default_tags {
    tags = {
      Project     = var.project_name
      Environment = var.environment
      ManagedBy   = "terraform"
    }
  }
}

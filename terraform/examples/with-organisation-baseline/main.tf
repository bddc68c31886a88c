# ---------------------------------------------------------------------------
# The pipeline in a stack of its own, in an account whose organisation already
# runs GuardDuty, Security Hub, AWS Config and an organisation trail: only the
# pipeline module, no account-baseline. `make test-terraform` validates it.
#
#   terraform init && terraform apply -var lambda_package_path=../../../dist/lambda.zip
# ---------------------------------------------------------------------------

terraform {
  required_version = ">= 1.7"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.59, < 7.0"
    }
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = { ManagedBy = "terraform", Stack = "media-platform" }
  }
}

variable "region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "eu-west-1"
}

variable "lambda_package_path" {
  description = "The package scripts/build_lambda.sh builds (dist/lambda.zip), relative to this directory."
  type        = string
  default     = "../../../dist/lambda.zip"
}

module "image_pipeline" {
  # From another repository: "git::https://github.com/<owner>/image-processor.git//terraform/modules/image-pipeline?ref=<tag>"
  source = "../../modules/image-pipeline"

  name                = "media-images-prod"
  lambda_package_path = var.lambda_package_path
  tags                = { CostCentre = "media" }

  # The organisation's GuardDuty raises the findings; page this stack's on-call.
  enable_guardduty_findings_rule = true
  # The organisation's trail and recorder deliver into its own buckets; the
  # access logs stay in a logs bucket of the module's own (null; or name the
  # organisation's log bucket, whose policy grants access_log_source_bucket_arns).
  access_log_target = null
}

output "upload_bucket" {
  description = "Upload under uploads/ here."
  value       = module.image_pipeline.images_bucket_name
}

output "security_alerts_topic_arn" {
  description = "Subscribe on-call here."
  value       = module.image_pipeline.security_alerts_topic_arn
}

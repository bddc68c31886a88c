# ---------------------------------------------------------------------------
# The account baseline in a stack of its own: what a platform team applies to
# an account before any application. GuardDuty, Security Hub, AWS Config and
# a multi-region trail, and the sinks they deliver into, which the module
# owns: its audit key, the audit bucket (the trail's files, under Object
# Lock) and the logs bucket (Config's files and S3 access logs). No
# image-pipeline module. `make test-terraform` validates this directory;
# tests/e2e/test_baseline_alone.py applies and destroys it on a local AWS.
#
#   terraform init && terraform apply
#
# An application stack in the same account logs its buckets' access into the
# logs bucket: pass this stack's access_log_target output to the
# image-pipeline module's access_log_target input, and add the application's
# buckets to access_log_source_bucket_arns below.
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
    tags = { ManagedBy = "terraform", Stack = "account-baseline" }
  }
}

variable "region" {
  description = "AWS region to deploy into (the trail is multi-region; GuardDuty, Security Hub and Config are per region)."
  type        = string
  default     = "eu-west-1"
}

variable "local_aws" {
  description = "true on a local AWS (moto's server, as the end-to-end test uses it): Security Hub off (moto does not implement UpdateSecurityHubConfiguration), buckets Terraform may delete with their objects, and the shortest KMS deletion window."
  type        = bool
  default     = false
}

module "account_baseline" {
  # From another repository: "git::https://github.com/<owner>/image-processor.git//terraform/modules/account-baseline?ref=<tag>"
  source = "../../modules/account-baseline"

  name = "acme-platform"
  tags = { CostCentre = "platform" }

  enable_security_hub = !var.local_aws

  # The application buckets whose S3 server access logs the logs bucket
  # accepts (by aws:SourceArn); none yet.
  access_log_source_bucket_arns = []

  force_destroy            = var.local_aws
  kms_deletion_window_days = var.local_aws ? 7 : 30
}

output "cloudtrail_arn" {
  description = "The account's trail."
  value       = module.account_baseline.cloudtrail_arn
}

output "audit_bucket_name" {
  description = "The trail's files, under Object Lock."
  value       = module.account_baseline.audit_bucket_name
}

output "audit_kms_key_arn" {
  description = "The key that encrypts the trail's files."
  value       = module.account_baseline.audit_kms_key_arn
}

output "logs_bucket_name" {
  description = "AWS Config's files and S3 server access logs."
  value       = module.account_baseline.logs_bucket_name
}

output "access_log_target" {
  description = "Pass to the image-pipeline module's access_log_target input."
  value       = module.account_baseline.access_log_target
}

output "config_recorder_name" {
  description = "The account's AWS Config recorder."
  value       = module.account_baseline.config_recorder_name
}

output "guardduty_detector_id" {
  description = "The account's GuardDuty detector in this region."
  value       = module.account_baseline.guardduty_detector_id
}

# The root's own inputs: where and under which name the stack is deployed,
# and the local profile. Every module input is set in main.tf, literally;
# the modules' READMEs list them (terraform/modules/*/README.md).

# ---------------------------------------------------------------------------
# Naming and placement
# ---------------------------------------------------------------------------

variable "aws_region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.aws_region))
    error_message = "aws_region must be a region name such as us-east-1 or eu-west-2."
  }
}


variable "audit_replica_region" {
  description = "Region of the audit bucket's replica (enable_audit_replication); must differ from aws_region."
  type        = string
  default     = "us-west-2"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.audit_replica_region))
    error_message = "audit_replica_region must be an AWS region name, such as us-west-2."
  }

  validation {
    condition     = var.audit_replica_region != var.aws_region
    error_message = "audit_replica_region must differ from aws_region: the copy is there to survive the first region."
  }
}

variable "project_name" {
  description = "Prefix of every resource name; with environment it gives names like image-processor-prod-*."
  type        = string
  default     = "image-processor"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,24}[a-z0-9]$", var.project_name))
    error_message = "project_name must be 3-26 characters of lower-case letters, digits and hyphens: with a 16-character environment, <project>-<env>-images-<12-digit account id> must fit S3's 63-character bucket names."
  }
}


variable "environment" {
  description = "Environment name (prod, staging, dev, ...); part of every resource name."
  type        = string
  default     = "prod"

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,15}$", var.environment))
    error_message = "environment must be 2-16 lower-case letters and digits, starting with a letter."
  }
}


# ---------------------------------------------------------------------------
# What is deployed, and where to
# ---------------------------------------------------------------------------

variable "lambda_package_path" {
  description = "Path of the Lambda deployment package scripts/build_lambda.sh builds, relative to terraform/ (the image-pipeline module's input of the same name, which checks that the file exists). The one name declared both here and in a module: the build is made outside Terraform and its place is the caller's (deploy.sh builds it; destroy.sh and terraform test pass a placeholder)."
  type        = string
  default     = "../dist/lambda.zip"
}

variable "local_aws" {
  description = "The local profile: true when the stack is applied to the local AWS (moto's server: deploy.sh --local and make demo set it through local.tfvars). It turns off what the local AWS cannot run (Security Hub, DynamoDB autoscaling, code signing, malware protection) and makes teardown quick (force_destroy, a 7-day KMS deletion window); main.tf says which module input each reason applies to. Never true for an AWS account."
  type        = bool
  default     = false
  nullable    = false
}

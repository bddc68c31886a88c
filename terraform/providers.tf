# ---------------------------------------------------------------------------
# Terraform and the AWS provider
# ---------------------------------------------------------------------------

terraform {
  # 1.7 brings `terraform test` with mock providers (terraform/tests/); 1.9
  # lets a variable's validation refer to another variable
  # (audit_replica_region's; Terraform 1.9.0 changelog,
  # https://github.com/hashicorp/terraform/pull/34955).
  required_version = ">= 1.9"

  # The modules state minimum versions only (modules/*/versions.tf); this
  # root pins the range it is tested in: from the modules' highest floor up
  # to the next major version (tests/unit/test_module_versions.py).
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.59, < 7.0"
    }
  }

  # State is local by default: terraform.tfstate in this directory. The
  # scripts' local AWS runs (deploy.sh --local, make demo) give this backend
  # a path of their own at init (-backend-config=path=...), so a local run
  # never reads or writes a real deployment's state.
  backend "local" {}

  # For a team, keep the state in S3 with native locking (Terraform >= 1.10):
  # create the bucket once, replace the backend "local" block above with this
  # one and run `terraform init -migrate-state`. (deploy.sh --local and
  # make demo rely on the local backend: they stop working with this one.)
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

# The region of the audit bucket's replica (enable_audit_replication). Only
# the audit-replica module uses it; with replication off it creates nothing.
provider "aws" {
  alias  = "replica"
  region = var.audit_replica_region

  default_tags {
    tags = {
      Project     = var.project_name
      Environment = var.environment
      ManagedBy   = "terraform"
    }
  }
}

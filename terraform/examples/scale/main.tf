# ---------------------------------------------------------------------------
# Scale profile: at least 1,000 uploads/s on paper (make capacity), the
# pipeline in a stack of its own, called as terraform/main.tf calls it. Copy
# the values of the module block below into terraform/main.tf to scale the
# stack deploy.sh deploys, or apply this directory as it is
# (`make test-terraform` validates it):
#
#   terraform init && terraform apply
#
# and see what each stage allows with
#
#   make capacity STACK=terraform/examples/scale
#
# The binding limit is the queue's maximum concurrency below: the cost and
# flood ceiling, chosen under the account's default 1,000 concurrent
# executions so that other functions keep 200. Next come DynamoDB's 4,000
# write units a second that a new on-demand table takes at once (3 writes an
# upload: 1,333 uploads/s until the table has seen a higher peak) and the
# account's concurrency quota (ask for more in Service Quotas before raising
# the cap). README, "Capacity and scale", has the table.
# ---------------------------------------------------------------------------

terraform {
  required_version = ">= 1.9"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.59, < 7.0"
    }
  }
}

provider "aws" {
  region = var.aws_region

  default_tags {
    tags = { ManagedBy = "terraform", Stack = "image-processor-scale" }
  }
}

variable "aws_region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "us-east-1"
}

variable "lambda_package_path" {
  description = "The package scripts/build_lambda.sh builds (dist/lambda.zip), relative to this directory."
  type        = string
  default     = "../../../dist/lambda.zip"
}

module "pipeline" {
  source = "../../modules/image-pipeline"

  name                = "image-processor-scale"
  lambda_package_path = var.lambda_package_path

  # 800 instances x 1.59 images/s an instance (0.63 s an image at 1,024 MB,
  # measured by make bench) = 1,270 uploads/s.
  queue_maximum_concurrency = 800
  queue_batch_size          = 10

  # No reserved concurrency: the mapping's cap limits the function instead, and a
  # reservation of 800 would leave other functions 200 of the 1,000.
  lambda_reserved_concurrency = null

  # On-demand: no capacity to provision; per-request price (README, Cost).
  dynamodb_billing_mode = "PAY_PER_REQUEST"

  lambda_memory_mb = 1024
  lambda_timeout_s = 30
}

output "images_bucket_name" {
  description = "Upload under uploads/ here."
  value       = module.pipeline.images_bucket_name
}

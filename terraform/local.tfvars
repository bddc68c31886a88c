# Profile for the local AWS (moto's server), used by `deploy.sh --local` and
# `make demo`. Never point this at a real account: the scripts keep its state
# apart. What the profile changes is in main.tf (var.local_aws).

project_name = "image-processor"
environment  = "local"
aws_region   = "us-east-1"

local_aws = true

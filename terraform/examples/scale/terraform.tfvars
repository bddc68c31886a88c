# ---------------------------------------------------------------------------
# Scale profile: at least 1,000 uploads/s on paper (make capacity), for the
# root configuration in terraform/. Deploy with
#
#   terraform -chdir=terraform apply -var-file=examples/scale/terraform.tfvars
#
# and see what each stage allows with
#
#   make capacity VARS=terraform/examples/scale/terraform.tfvars
#
# The binding limit is the queue's maximum concurrency below: the cost and
# flood ceiling, chosen under the account's default 1,000 concurrent
# executions so that other functions keep 200. Next come DynamoDB's 4,000
# write units a second that a new on-demand table takes at once (3 writes an
# upload: 1,333 uploads/s until the table has seen a higher peak) and the
# account's concurrency quota (ask for more in Service Quotas before raising
# the cap). README, "Capacity and scale", has the table.
# ---------------------------------------------------------------------------

aws_region = "us-east-1"

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

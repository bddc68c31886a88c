# Profile for the local AWS (moto's server), used by `deploy.sh --local`.
# Never point this at a real account: the scripts keep its state apart.

project_name = "image-processor"
environment  = "local"
aws_region   = "us-east-1"

# moto does not implement Security Hub's UpdateSecurityHubConfiguration, so
# aws_securityhub_account waits until its timeout: off locally.
enable_security_hub = false

# moto does not implement Application Auto Scaling's ListTagsForResource, which
# the provider calls after registering a scalable target: off locally.
enable_dynamodb_autoscaling = false

force_destroy = true

# Quick teardown of a local stack: the shortest KMS deletion window. The
# table keeps its deletion protection, as in every profile; `destroy.sh --local`
# turns it off on the local AWS before it destroys.
kms_deletion_window_days = 7

# moto has no GuardDuty Malware Protection (CreateMalwareProtectionPlan): the
# scan-result trigger is proven at plan time (terraform/tests/pipeline.tftest.hcl).
enable_malware_protection = false

# moto has no AWS Signer signing jobs and no Lambda code signing configurations
# (CreateCodeSigningConfig): code signing is proven at plan time
# (terraform/tests/pipeline.tftest.hcl, stack.tftest.hcl).
enable_code_signing = false

# The priced protections the local AWS can deploy are on here, so that
# `make audit` and the end-to-end tests measure them deployed (nothing is
# billed locally); the default profile keeps them off (README, Cost;
# SECURITY.md, "Prowler findings on the stack's own resources").
# The decoder in a VPC without a route out (moto creates the VPC, subnets,
# endpoints, security groups and the function's vpc_config; the wrapper
# reads security-group rules back as AWS does, scripts/lib/moto_server.py).
enable_vpc = true

# The audit and logs buckets replicated to a second region of the same
# local AWS. moto stores the replication configurations but copies no
# object (README, "Where the local AWS differs").
enable_audit_replication = true
audit_replica_region     = "us-west-2"

# CloudTrail Insights on the trail (moto stores the insight selectors).
enable_cloudtrail_insights = true

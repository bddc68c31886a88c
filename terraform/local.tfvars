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

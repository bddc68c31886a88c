# ---------------------------------------------------------------------------
# The stack users deploy: the pipeline, and the account-wide security services
# the seed asks for. A thin caller, as terraform-aws-modules' examples/complete
# are: each module input is declared once, in its module (the modules' READMEs
# list them with their defaults), and this file gives the values this stack
# chooses, literally. Edit them here; an input not named below keeps its
# module's default. The root's own variables (variables.tf) are its concerns
# only: region, replica region, naming, the package built outside Terraform,
# and local_aws, the local profile (deploy.sh --local, make demo).
# tests/unit/test_variables_declared_once.py fails when a name is declared in
# this root and in a module it calls.
# ---------------------------------------------------------------------------

locals {
  name       = "${var.project_name}-${var.environment}"
  trail_name = "${local.name}-trail"

  # Read by more than one module below: one switch each.
  enable_guardduty  = true # ACCOUNT-WIDE: false if the account already has a detector
  enable_config     = true # ACCOUNT-WIDE: false if the account already has a recorder
  enable_cloudtrail = true # false if an organisation trail already covers the account
  # The audit and logs buckets replicated to audit_replica_region (USD 1 a
  # month for the replica's key in its first year, up to USD 3 once rotated,
  # plus storage: README, Cost): true to turn it on. On in the local
  # profile, so that make audit and the end-to-end tests measure it deployed
  # (moto stores the replication configurations but copies no object).
  enable_audit_replication = var.local_aws
  # The local profile keeps its teardown quick: the shortest KMS deletion
  # window (7 days; 30, the longest, gives on-call the most time to cancel,
  # https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys.html)
  # and buckets Terraform may delete with their objects (on AWS, destroy.sh
  # empties them itself after asking).
  kms_deletion_window_days = var.local_aws ? 7 : 30
  force_destroy            = var.local_aws
}

module "pipeline" {
  source = "./modules/image-pipeline"

  name                = local.name
  lambda_package_path = var.lambda_package_path

  # Subscribe an address to both topics (AWS sends a confirmation e-mail first),
  # e.g. "oncall@example.com". Empty: no subscription.
  alert_email = ""

  force_destroy            = local.force_destroy
  kms_deletion_window_days = local.kms_deletion_window_days

  # Deploy only packages this stack's AWS Signer profile signed. moto has no
  # Signer signing jobs and no CreateCodeSigningConfig: off locally, and proven
  # at plan time (terraform/tests/pipeline.tftest.hcl).
  enable_code_signing = !var.local_aws

  # GuardDuty Malware Protection for S3 scans each upload before it is
  # processed (paid; README, Cost): replace false with true to turn it on.
  # moto has no CreateMalwareProtectionPlan: off locally whatever this says
  # (proven at plan time, terraform/tests/pipeline.tftest.hcl).
  enable_malware_protection = !var.local_aws && false

  # Applies with dynamodb_billing_mode = "PROVISIONED" only. moto does not
  # implement Application Auto Scaling's ListTagsForResource, which the
  # provider calls after registering a scalable target: off locally.
  enable_dynamodb_autoscaling = !var.local_aws

  enable_audit_replication = local.enable_audit_replication && local.enable_cloudtrail

  # The decoder in a VPC without a route out; its SNS endpoint is billed by
  # the hour (README, Cost): true to turn it on. On in the local profile (the
  # wrapper reads security-group rules back as AWS does, scripts/local/moto_server.py).
  enable_vpc = var.local_aws

  # What the account baseline below delivers into the pipeline's logs and
  # audit buckets and key, and the findings the pipeline pages on-call for.
  cloudtrail_name                = local.enable_cloudtrail ? local.trail_name : null
  enable_config_delivery         = local.enable_config
  enable_guardduty_findings_rule = local.enable_guardduty
}

module "account_baseline" {
  source = "./modules/account-baseline"

  name = local.name

  enable_guardduty  = local.enable_guardduty
  enable_config     = local.enable_config
  enable_cloudtrail = local.enable_cloudtrail

  # ACCOUNT-WIDE: false if the account already has Security Hub. moto does not
  # implement UpdateSecurityHubConfiguration (aws_securityhub_account would
  # wait until its timeout): off locally.
  enable_security_hub = !var.local_aws

  # CloudTrail Insights, charged per management event analysed (README,
  # Cost): true to turn it on. On in the local profile (moto stores the
  # insight selectors).
  enable_cloudtrail_insights = var.local_aws

  logs_bucket_name         = module.pipeline.logs_bucket_name
  cloudtrail_bucket_name   = module.pipeline.audit_bucket_name
  cloudtrail_name          = local.trail_name
  cloudtrail_s3_key_prefix = module.pipeline.cloudtrail_s3_key_prefix
  cloudtrail_kms_key_arn   = module.pipeline.security_kms_key_arn
  # Data events in the trail, USD 0.10 per 100,000 (https://aws.amazon.com/cloudtrail/pricing/):
  # object-level S3 calls on the images bucket (who read or wrote which
  # object), and every invocation of the function. [] records none.
  cloudtrail_s3_data_event_bucket_arns       = [module.pipeline.images_bucket_arn]
  cloudtrail_lambda_data_event_function_arns = [module.pipeline.lambda_function_arn]
  cloudtrail_evidence_bucket_arns            = module.pipeline.evidence_bucket_arns
  config_s3_key_prefix                       = module.pipeline.config_s3_key_prefix
}

# A copy of the trail's files, and of the logs bucket's access logs and
# Config files, in a second region under the same retention
# (enable_audit_replication above; SECURITY.md, "Audit logs").
module "audit_replica" {
  source = "./modules/audit-replica"
  count  = local.enable_audit_replication && local.enable_cloudtrail ? 1 : 0

  providers = {
    aws         = aws
    aws.replica = aws.replica
  }

  name                      = local.name
  source_bucket_name        = module.pipeline.audit_bucket_name
  source_kms_key_arn        = module.pipeline.security_kms_key_arn
  replicate_logs_bucket     = true
  logs_source_bucket_name   = module.pipeline.logs_bucket_name
  object_lock               = { mode = module.pipeline.audit_log_retention.audit.object_lock.mode, days = module.pipeline.audit_log_retention.audit.object_lock.days }
  break_glass_principal_arn = module.pipeline.break_glass_principal_arn
  force_destroy             = local.force_destroy
  kms_deletion_window_days  = local.kms_deletion_window_days
}

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

# The account's security services and their audit sinks first: a platform
# team applies this module to an account before any application (it needs
# nothing from the pipeline but the names of what it records and logs).
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

  cloudtrail_name = local.trail_name
  # Data events in the trail, USD 0.10 per 100,000 (https://aws.amazon.com/cloudtrail/pricing/):
  # object-level S3 calls on the images bucket (who read or wrote which
  # object), and every invocation of the function. [] records none. The
  # baseline's own audit and logs buckets are always recorded.
  cloudtrail_s3_data_event_bucket_arns       = [module.pipeline.images_bucket_arn]
  cloudtrail_lambda_data_event_function_arns = [module.pipeline.lambda_function_arn]

  # The logs bucket accepts the pipeline's buckets' access logs (and the
  # pipeline sends them there: access_log_target below).
  access_log_source_bucket_arns = module.pipeline.access_log_source_bucket_arns

  # The trail's files under the baseline's own audit key, and their
  # replica's role (audit_replica below) may decrypt them.
  enable_audit_replication = local.enable_audit_replication && local.enable_cloudtrail
  force_destroy            = local.force_destroy
  kms_deletion_window_days = local.kms_deletion_window_days
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

  # The decoder in a VPC without a route out; its SNS endpoint is billed by
  # the hour (README, Cost): true to turn it on. On in the local profile (the
  # wrapper reads security-group rules back as AWS does, scripts/local/moto_server.py).
  enable_vpc = var.local_aws

  # The images and code buckets log their access into the account
  # baseline's logs bucket (the pipeline creates no logs bucket of its own);
  # the alerts watch the baseline's audit key and buckets with the
  # pipeline's own; and GuardDuty's findings page on-call.
  access_log_target              = module.account_baseline.access_log_target
  watched_kms_key_arns           = compact([module.account_baseline.audit_kms_key_arn])
  watched_bucket_names           = compact([module.account_baseline.audit_bucket_name, module.account_baseline.logs_bucket_name])
  enable_guardduty_findings_rule = local.enable_guardduty
}

# An existing deployment keeps its audit evidence: the audit and logs
# buckets the pipeline module created before the account baseline owned them
# are the baseline's now (same names). The logs bucket arrives through the
# pipeline module's own move (module.logs_bucket to module.logs_bucket[0]).
# The pipeline's security key stays where it is: it still encrypts the
# trail's files written before the move.
moved {
  from = module.pipeline.module.audit_bucket["this"]
  to   = module.account_baseline.module.audit_bucket["this"]
}

moved {
  from = module.pipeline.module.logs_bucket[0]
  to   = module.account_baseline.module.logs_bucket["this"]
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
  source_bucket_name        = module.account_baseline.audit_bucket_name
  source_kms_key_arn        = module.account_baseline.audit_kms_key_arn
  replicate_logs_bucket     = true
  logs_source_bucket_name   = module.account_baseline.logs_bucket_name
  object_lock               = { mode = module.account_baseline.audit_log_retention.audit.object_lock.mode, days = module.account_baseline.audit_log_retention.audit.object_lock.days }
  break_glass_principal_arn = module.account_baseline.break_glass_principal_arn
  force_destroy             = local.force_destroy
  kms_deletion_window_days  = local.kms_deletion_window_days
}

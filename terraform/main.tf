# ---------------------------------------------------------------------------
# The stack users deploy: the pipeline, and the account-wide security services
# the seed asks for (one variable each turns them off for an account or an
# organisation that already runs them).
# ---------------------------------------------------------------------------

locals {
  name       = "${var.project_name}-${var.environment}"
  trail_name = "${local.name}-trail"
}

module "pipeline" {
  source = "./modules/image-pipeline"

  name        = local.name
  alert_email = var.alert_email

  lambda_package_path             = var.lambda_package_path
  lambda_architecture             = var.lambda_architecture
  lambda_runtime                  = var.lambda_runtime
  lambda_memory_mb                = var.lambda_memory_mb
  lambda_timeout_s                = var.lambda_timeout_s
  lambda_reserved_concurrency     = var.lambda_reserved_concurrency
  queue_maximum_concurrency       = var.queue_maximum_concurrency
  queue_batch_size                = var.queue_batch_size
  queue_max_receive_count         = var.queue_max_receive_count
  queue_age_alarm_s               = var.queue_age_alarm_s
  lambda_log_level                = var.lambda_log_level
  lambda_permissions_boundary_arn = var.lambda_permissions_boundary_arn

  max_upload_mb = var.max_upload_mb
  max_dimension = var.max_dimension

  upload_retention_days      = var.upload_retention_days
  record_ttl_days            = var.record_ttl_days
  log_retention_days         = var.log_retention_days
  access_log_retention_days  = var.access_log_retention_days
  audit_log_object_lock_mode = var.audit_log_object_lock_mode

  force_destroy                  = var.force_destroy
  kms_deletion_window_days       = var.kms_deletion_window_days
  dynamodb_billing_mode          = var.dynamodb_billing_mode
  kms_key_administrators         = var.kms_key_administrators
  break_glass_principal_arn      = var.break_glass_principal_arn
  kms_key_users                  = var.kms_key_users
  enable_audit_replication       = var.enable_audit_replication && var.enable_cloudtrail
  dynamodb_read_capacity         = var.dynamodb_read_capacity
  dynamodb_write_capacity        = var.dynamodb_write_capacity
  enable_dynamodb_autoscaling    = var.enable_dynamodb_autoscaling
  enable_point_in_time_recovery  = var.enable_point_in_time_recovery
  enable_malware_protection      = var.enable_malware_protection
  enable_uploader_isolation      = var.enable_uploader_isolation
  uploader_tenant_tag_key        = var.uploader_tenant_tag_key
  enable_code_signing            = var.enable_code_signing
  code_signature_validity_months = var.code_signature_validity_months
  enable_deletion_protection     = var.enable_deletion_protection
  recipes                        = var.recipes
  enable_heic_input              = var.enable_heic_input
  enable_vpc                     = var.enable_vpc

  storage_alarm_threshold_gb = var.storage_alarm_threshold_gb

  # What the account baseline below delivers into the pipeline's logs and
  # audit buckets and key, and the findings the pipeline pages on-call for.
  cloudtrail_name                = var.enable_cloudtrail ? local.trail_name : null
  enable_config_delivery         = var.enable_config
  enable_guardduty_findings_rule = var.enable_guardduty
}

module "account_baseline" {
  source = "./modules/account-baseline"

  name = local.name

  enable_guardduty            = var.enable_guardduty
  guardduty_workload_features = var.guardduty_workload_features
  enable_security_hub         = var.enable_security_hub
  enable_config               = var.enable_config
  enable_cloudtrail           = var.enable_cloudtrail
  enable_cloudtrail_insights  = var.enable_cloudtrail_insights
  securityhub_cis_version     = var.securityhub_cis_version

  logs_bucket_name                           = module.pipeline.logs_bucket_name
  cloudtrail_bucket_name                     = module.pipeline.audit_bucket_name
  cloudtrail_name                            = local.trail_name
  cloudtrail_s3_key_prefix                   = module.pipeline.cloudtrail_s3_key_prefix
  cloudtrail_kms_key_arn                     = module.pipeline.security_kms_key_arn
  cloudtrail_s3_data_event_bucket_arns       = var.enable_cloudtrail_s3_data_events ? [module.pipeline.images_bucket_arn] : []
  cloudtrail_lambda_data_event_function_arns = var.enable_cloudtrail_lambda_data_events ? [module.pipeline.lambda_function_arn] : []
  cloudtrail_evidence_bucket_arns            = module.pipeline.evidence_bucket_arns
  config_s3_key_prefix                       = module.pipeline.config_s3_key_prefix
}

# A copy of the trail's files, and of the logs bucket's access logs and
# Config files, in a second region under the same retention
# (enable_audit_replication; SECURITY.md, "Audit logs").
module "audit_replica" {
  source = "./modules/audit-replica"
  count  = var.enable_audit_replication && var.enable_cloudtrail ? 1 : 0

  providers = {
    aws         = aws
    aws.replica = aws.replica
  }

  name                      = local.name
  source_bucket_name        = module.pipeline.audit_bucket_name
  source_kms_key_arn        = module.pipeline.security_kms_key_arn
  replicate_logs_bucket     = true
  logs_source_bucket_name   = module.pipeline.logs_bucket_name
  object_lock               = { mode = var.audit_log_object_lock_mode, days = var.access_log_retention_days }
  break_glass_principal_arn = module.pipeline.break_glass_principal_arn
  force_destroy             = var.force_destroy
  kms_deletion_window_days  = var.kms_deletion_window_days
}

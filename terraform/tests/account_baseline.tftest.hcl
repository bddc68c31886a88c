# The account-baseline module planned on its own, without the image-pipeline
# module: what a platform team applies to an account before any application.
# It owns its audit sinks (issue 21): the trail delivers into its own audit
# bucket under its own audit key, Config into its own logs bucket. The
# composition runs use the mocked provider; the grants are asserted as the
# real provider renders them (the run with_the_trail_and_config_on).

mock_provider "aws" {
  source          = "./tests/mocks"
  override_during = plan
}

mock_provider "aws" {
  alias           = "replica"
  source          = "./tests/mocks"
  override_during = plan
}

# The real provider renders the policy documents locally; nothing reaches AWS
# (the caller identity, the only data source that would call it, is
# overridden in the run).
provider "aws" {
  alias                       = "real"
  region                      = "us-east-1"
  access_key                  = "never-used"
  secret_key                  = "never-used"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}

variables {
  name              = "platform-baseline"
  enable_cloudtrail = false
  enable_config     = false
}

run "the_baseline_alone_with_its_defaults" {
  command = plan

  module {
    source = "./modules/account-baseline"
  }

  # guardduty_and_security_hub_apply_without_the_application_module
  assert {
    condition     = output.guardduty_detector_id != null && output.security_hub_enabled
    error_message = "The baseline alone must create the GuardDuty detector and enable Security Hub."
  }
  assert {
    condition     = output.cloudtrail_arn == null && output.config_recorder_name == null
    error_message = "With the trail and Config off, the baseline must create neither."
  }

  # guardduty_watches_workloads_the_stack_does_not_run
  # The plans for workloads the stack does not run are on by default: an EC2
  # instance, EKS cluster, ECS task or Aurora database someone creates later is
  # watched from the start (Prowler's guardduty_ec2_malware_protection_enabled,
  # guardduty_eks_audit_log_enabled, guardduty_eks_runtime_monitoring_enabled and
  # guardduty_rds_protection_enabled), and Runtime Monitoring deploys its agent itself.
  assert {
    condition = {
      for name, f in aws_guardduty_detector_feature.workloads : name => f.status
      } == {
      EKS_AUDIT_LOGS = "ENABLED", EBS_MALWARE_PROTECTION = "ENABLED", RDS_LOGIN_EVENTS = "ENABLED", RUNTIME_MONITORING = "ENABLED"
    }
    error_message = "EKS Protection, Malware Protection for EC2, RDS Protection and Runtime Monitoring must be enabled by default."
  }
  assert {
    condition = {
      for c in aws_guardduty_detector_feature.workloads["RUNTIME_MONITORING"].additional_configuration : c.name => c.status
      } == {
      EKS_ADDON_MANAGEMENT = "ENABLED", ECS_FARGATE_AGENT_MANAGEMENT = "ENABLED", EC2_AGENT_MANAGEMENT = "ENABLED"
    }
    error_message = "Runtime Monitoring must deploy its agent to EKS, Fargate and EC2 itself (automated agent configuration), or it watches nothing."
  }
}

run "guardduty_workload_features_can_be_turned_off_and_only_to_known_plans" {
  command = plan

  module {
    source = "./modules/account-baseline"
  }

  variables {
    guardduty_workload_features = []
  }

  assert {
    condition     = length(aws_guardduty_detector_feature.workloads) == 0 && aws_guardduty_detector_feature.s3[0].status == "ENABLED"
    error_message = "An empty guardduty_workload_features must enable no workload plan, and leave S3 protection on."
  }
}

run "an_unknown_guardduty_feature_is_refused" {
  command = plan

  module {
    source = "./modules/account-baseline"
  }

  variables {
    guardduty_workload_features = ["EKS_RUNTIME_MONITORING"]
  }

  expect_failures = [var.guardduty_workload_features]
}

# the_baseline_applies_without_the_application_module
# The trail and Config on, nothing given: the baseline creates its audit key,
# audit bucket and logs bucket, and grants the trail and Config exactly what
# they need, as the real provider renders the policies.
run "with_the_trail_and_config_on" {
  command = plan

  module {
    source = "./modules/account-baseline"
  }

  providers = {
    aws = aws.real
  }

  override_data {
    target = data.aws_caller_identity.current
    values = { account_id = "123456789012", arn = "arn:aws:sts::123456789012:assumed-role/deployer/terraform" }
  }

  override_data {
    target = data.aws_iam_session_context.deployer
    values = { issuer_arn = "arn:aws:iam::123456789012:role/deployer" }
  }

  variables {
    enable_cloudtrail             = true
    enable_config                 = true
    enable_audit_replication      = true
    kms_key_users                 = ["arn:aws:iam::123456789012:role/auditor"]
    access_log_source_bucket_arns = ["arn:aws:s3:::app-images-123456789012"]
  }

  # its_own_key_buckets_and_trail
  assert {
    condition = (length(aws_kms_key.this) == 1 && aws_kms_alias.this[0].name == "alias/platform-baseline-audit" &&
      aws_kms_key.this[0].enable_key_rotation && aws_kms_key.this[0].deletion_window_in_days == 30 &&
      module.audit_bucket["this"].bucket == "platform-baseline-audit-123456789012" && module.logs_bucket["this"].bucket == "platform-baseline-logs-123456789012" &&
    aws_cloudtrail.this[0].name == "platform-baseline-trail" && aws_config_delivery_channel.this[0].s3_key_prefix == "config")
    error_message = "The baseline alone must create its audit key (rotated, alias/<name>-audit), its audit and logs buckets, the trail <name>-trail and Config's delivery."
  }
  assert {
    condition     = module.audit_bucket["this"].object_lock == { enabled = true, mode = "GOVERNANCE", days = 365 } && module.logs_bucket["this"].object_lock == null
    error_message = "The audit bucket must lock every version for access_log_retention_days (GOVERNANCE by default); the logs bucket, a log target, can have no Object Lock."
  }

  # the_access_log_target_is_known_at_plan
  # The image-pipeline module decides by it whether to create a logs bucket
  # of its own (for_each): while the logs bucket's name is still unknown
  # (here, as in a first plan), the output must be known not to be null.
  assert {
    condition     = output.access_log_target != null
    error_message = "access_log_target must be known (not null) at plan, before the logs bucket exists."
  }

  # the_audit_key_grants_the_trail_by_its_arn
  assert {
    condition = length([for s in jsondecode(data.aws_iam_policy_document.audit_key[0].json).Statement : s
      if s.Effect == "Allow" && try(s.Principal.Service, "") == "cloudtrail.amazonaws.com" &&
      try(s.Condition.StringEquals["aws:SourceArn"], "") == "arn:aws:cloudtrail:us-east-1:123456789012:trail/platform-baseline-trail"
    ]) == 2
    error_message = "The audit key must let CloudTrail encrypt and describe it for this trail only (aws:SourceArn on both grants)."
  }
  assert {
    condition = anytrue([for s in jsondecode(data.aws_iam_policy_document.audit_key[0].json).Statement :
      s.Sid == "CloudTrailEncryptsTrailFiles" && s.Action == "kms:GenerateDataKey*" &&
      try(s.Condition.StringLike["kms:EncryptionContext:aws:cloudtrail:arn"], "") == "arn:aws:cloudtrail:*:123456789012:trail/*"
    ])
    error_message = "CloudTrail must encrypt with the audit key under this account's trail encryption context."
  }

  # the_audit_key_gives_the_account_administration_not_use
  assert {
    condition = alltrue([for s in jsondecode(data.aws_iam_policy_document.audit_key[0].json).Statement :
      !contains(flatten([s.Action]), "kms:*") && (
        !can(s.Principal.AWS) || !anytrue([for a in flatten([s.Action]) : can(regex("^kms:(Decrypt|Encrypt|GenerateDataKey|ReEncrypt)", a))]) ||
        flatten([try(s.Condition.StringEquals["kms:ViaService"], [])]) == ["s3.us-east-1.amazonaws.com"]
      )
      if s.Effect == "Allow"
    ])
    error_message = "No principal of an account may use the audit key but through S3 (kms:ViaService), and no statement may allow kms:*."
  }
  assert {
    condition = anytrue([for s in jsondecode(data.aws_iam_policy_document.audit_key[0].json).Statement :
      s.Effect == "Allow" && flatten([try(s.Principal.AWS, [])]) == ["arn:aws:iam::123456789012:role/auditor"] &&
      flatten([s.Action]) == ["kms:Decrypt"] && flatten([try(s.Condition.StringEquals["kms:ViaService"], [])]) == ["s3.us-east-1.amazonaws.com"]
    ])
    error_message = "kms_key_users may only decrypt the trail's files, through S3."
  }
  # The seam with modules/audit-replica, which names its role the same way.
  assert {
    condition = anytrue([for s in jsondecode(data.aws_iam_policy_document.audit_key[0].json).Statement :
      s.Effect == "Allow" && flatten([s.Action]) == ["kms:Decrypt"] &&
      flatten([try(s.Condition.ArnEquals["aws:PrincipalArn"], [])]) == ["arn:aws:iam::123456789012:role/platform-baseline-audit-replication"] &&
      flatten([try(s.Condition.StringEquals["kms:ViaService"], [])]) == ["s3.us-east-1.amazonaws.com"]
    ])
    error_message = "With enable_audit_replication, the audit key must let the replication role decrypt through S3 only."
  }

  # the_audit_key_refuses_destruction_except_to_break_glass
  # The Denies the pipeline's security key carries (key_guards.tf there).
  assert {
    condition = anytrue([for s in jsondecode(data.aws_iam_policy_document.audit_key[0].json).Statement :
      s.Effect == "Deny" && flatten([try(s.Principal.AWS, [])]) == ["*"] &&
      length(setsubtract(["kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:CreateGrant", "kms:DisableKeyRotation", "kms:DeleteImportedKeyMaterial"], flatten([s.Action]))) == 0 &&
      keys(try(s.Condition, {})) == ["ArnNotEquals"] &&
      flatten([try(s.Condition.ArnNotEquals["aws:PrincipalArn"], [])]) == ["arn:aws:iam::123456789012:root"]
    ])
    error_message = "The audit key must deny ScheduleKeyDeletion, DisableKey, CreateGrant, DisableKeyRotation and DeleteImportedKeyMaterial to everyone but the break-glass principal (default: the account's root user)."
  }
  assert {
    condition = anytrue([for s in jsondecode(data.aws_iam_policy_document.audit_key[0].json).Statement :
      s.Effect == "Deny" && flatten([try(s.Principal.AWS, [])]) == ["*"] && contains(flatten([s.Action]), "kms:PutKeyPolicy") &&
      toset(flatten([try(s.Condition.ArnNotEquals["aws:PrincipalArn"], [])])) == toset(["arn:aws:iam::123456789012:role/deployer", "arn:aws:iam::123456789012:root"])
    ])
    error_message = "The audit key must deny PutKeyPolicy to everyone but the key administrators (default: the deployer) and the break-glass principal."
  }
  assert {
    condition = anytrue([for s in jsondecode(data.aws_iam_policy_document.audit_key[0].json).Statement :
      s.Effect == "Deny" && flatten([try(s.Principal.AWS, [])]) == ["*"] && contains(flatten([s.Action]), "kms:Decrypt") &&
      flatten([try(s.Condition.StringNotEquals["kms:ViaService"], [])]) == ["s3.us-east-1.amazonaws.com"] &&
      flatten([try(s.Condition.Bool["aws:PrincipalIsAWSService"], [])]) == ["false"]
    ])
    error_message = "The audit key must deny its use outside S3 to every principal that is not an AWS service."
  }
  assert {
    condition = anytrue([for s in jsondecode(data.aws_iam_policy_document.audit_key[0].json).Statement :
      s.Effect == "Allow" && flatten([try(s.Principal.AWS, [])]) == ["arn:aws:iam::123456789012:root"] && !can(s.Condition) && contains(flatten([s.Action]), "kms:Put*")
    ])
    error_message = "The account statement must delegate PutKeyPolicy to IAM, or KMS refuses the policy (lockout safety check)."
  }

  # the_audit_bucket_takes_the_trails_files_and_keeps_them
  assert {
    condition = length([for s in jsondecode(data.aws_iam_policy_document.audit_bucket[0].json).Statement : s
      if s.Effect == "Allow" && try(s.Principal.Service, "") == "cloudtrail.amazonaws.com" &&
      try(s.Condition.StringEquals["aws:SourceArn"], "") == "arn:aws:cloudtrail:us-east-1:123456789012:trail/platform-baseline-trail"
    ]) == 2
    error_message = "The audit bucket must grant this trail alone (aws:SourceArn) its ACL check and its writes."
  }
  assert {
    condition = anytrue([for s in jsondecode(data.aws_iam_policy_document.audit_bucket[0].json).Statement :
      s.Sid == "CloudTrailWritesTrailFiles" && s.Resource == "arn:aws:s3:::platform-baseline-audit-123456789012/${aws_cloudtrail.this[0].s3_key_prefix}/AWSLogs/123456789012/*"
    ])
    error_message = "The audit bucket must accept the trail's files under the prefix the trail writes to, for this account."
  }
  # audit_evidence_is_kept_from_everyone_but_break_glass
  assert {
    condition = anytrue([for s in jsondecode(data.aws_iam_policy_document.audit_bucket[0].json).Statement :
      s.Effect == "Deny" && try(s.Principal, "") == "*" &&
      length(setsubtract(["s3:BypassGovernanceRetention", "s3:DeleteObjectVersion", "s3:PutObjectRetention", "s3:PutObjectLegalHold", "s3:PutBucketObjectLockConfiguration"], flatten([s.Action]))) == 0 &&
      toset(flatten([s.Resource])) == toset(["arn:aws:s3:::platform-baseline-audit-123456789012", "arn:aws:s3:::platform-baseline-audit-123456789012/*"]) &&
      flatten([try(s.Condition.ArnNotEquals["aws:PrincipalArn"], [])]) == ["arn:aws:iam::123456789012:root"]
    ])
    error_message = "The audit bucket must refuse retention bypass, version deletion, retention and legal-hold changes and Object Lock changes to everyone but the break-glass principal."
  }

  # the_logs_bucket_takes_config_and_the_access_logs_it_is_told_of
  # AWS Config's documented bucket policy scopes by aws:SourceAccount only
  # (https://docs.aws.amazon.com/config/latest/developerguide/s3-bucket-policy.html;
  # registered in SECURITY.md); the access logs are granted by bucket and account.
  assert {
    condition = length([for s in jsondecode(data.aws_iam_policy_document.logs_bucket.json).Statement : s
      if contains(["ConfigChecksBucket", "ConfigWritesSnapshots"], s.Sid) && try(s.Principal.Service, "") == "config.amazonaws.com" &&
    flatten([try(s.Condition.StringEquals["aws:SourceAccount"], [])]) == ["123456789012"]]) == 2
    error_message = "AWS Config's two grants must be scoped to the account (aws:SourceAccount)."
  }
  assert {
    condition = anytrue([for s in jsondecode(data.aws_iam_policy_document.logs_bucket.json).Statement :
      s.Sid == "ConfigWritesSnapshots" && s.Resource == "arn:aws:s3:::platform-baseline-logs-123456789012/${aws_config_delivery_channel.this[0].s3_key_prefix}/AWSLogs/123456789012/Config/*"
    ])
    error_message = "The logs bucket must accept Config's files under the prefix its delivery channel writes to."
  }
  assert {
    condition = anytrue([for s in jsondecode(data.aws_iam_policy_document.logs_bucket.json).Statement :
      s.Effect == "Allow" && try(s.Principal.Service, "") == "logging.s3.amazonaws.com" && s.Action == "s3:PutObject" &&
      s.Resource == "arn:aws:s3:::platform-baseline-logs-123456789012/s3-access-logs/*" &&
      toset(flatten([try(s.Condition.ArnLike["aws:SourceArn"], [])])) == toset(["arn:aws:s3:::platform-baseline-audit-123456789012", "arn:aws:s3:::app-images-123456789012"]) &&
      flatten([try(s.Condition.StringEquals["aws:SourceAccount"], [])]) == ["123456789012"]
    ])
    error_message = "The logs bucket must accept S3 server access logs from the audit bucket and access_log_source_bucket_arns only (aws:SourceArn, aws:SourceAccount), under s3-access-logs/ (the prefix the access_log_target output names: the_trail_and_config_deliver_into_the_baselines_own_sinks)."
  }
}

# The sinks wired to each other and to the trail and Config, with the mocked
# provider (it gives every computed value at plan).
run "the_trail_and_config_deliver_into_the_baselines_own_sinks" {
  command = plan

  module {
    source = "./modules/account-baseline"
  }

  variables {
    enable_cloudtrail = true
    enable_config     = true
  }

  assert {
    condition = (aws_cloudtrail.this[0].s3_bucket_name == module.audit_bucket["this"].id && aws_cloudtrail.this[0].kms_key_id == aws_kms_key.this[0].arn &&
      aws_config_delivery_channel.this[0].s3_bucket_name == module.logs_bucket["this"].id &&
    output.cloudtrail_bucket_name == output.audit_bucket_name && output.config_bucket_name == output.logs_bucket_name)
    error_message = "The trail must deliver into the baseline's audit bucket under its audit key, and Config into its logs bucket."
  }
  # the_trails_bucket_logs_its_own_access (CloudTrail.7 / CIS 3.4)
  assert {
    condition     = module.audit_bucket["this"].access_log_target == output.access_log_target && output.access_log_target == { bucket = module.logs_bucket["this"].id, prefix = "s3-access-logs/" }
    error_message = "The audit bucket must log its access into the logs bucket, under the prefix the logs bucket grants (the access_log_target output)."
  }
  assert {
    condition     = output.audit_kms_key_arn == aws_kms_key.this[0].arn && output.audit_log_retention.audit.object_lock.mode == "GOVERNANCE"
    error_message = "The outputs must name the audit key and the audit bucket's retention."
  }
}

run "the_audit_key_refuses_to_lock_out_the_deployer" {
  command = plan

  module {
    source = "./modules/account-baseline"
  }

  variables {
    enable_cloudtrail      = true
    kms_key_administrators = ["arn:aws:iam::123456789012:role/someone-else"]
  }

  expect_failures = [aws_kms_key.this]
}

# CloudTrail Insights (enable_cloudtrail_insights, off by default for its
# price per event analysed; on in the local profile): both types on the trail,
# which Prowler's cloudtrail_insights_exist reads back.
run "cloudtrail_insights_are_off_by_default" {
  command = plan

  module {
    source = "./modules/account-baseline"
  }

  variables {
    enable_cloudtrail = true
  }

  assert {
    condition     = length(aws_cloudtrail.this[0].insight_selector) == 0
    error_message = "CloudTrail Insights is charged per event analysed: off unless enable_cloudtrail_insights."
  }
}

run "cloudtrail_insights_watch_call_and_error_rates" {
  command = plan

  module {
    source = "./modules/account-baseline"
  }

  variables {
    enable_cloudtrail          = true
    enable_cloudtrail_insights = true
  }

  assert {
    condition     = toset([for s in aws_cloudtrail.this[0].insight_selector : s.insight_type]) == toset(["ApiCallRateInsight", "ApiErrorRateInsight"])
    error_message = "enable_cloudtrail_insights must turn on both Insights types: unusual write-call rates and unusual error rates."
  }
}

variable "name" {
  description = "Prefix of every resource name (for example image-processor-prod): the buckets are <name>-audit-<account> and <name>-logs-<account>, the audit key's alias alias/<name>-audit, the trail <name>-trail (cloudtrail_name)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,42}[a-z0-9]$", var.name))
    error_message = "name must be 3-44 characters of lower-case letters, digits and hyphens: the longest bucket name, <name>-audit-<12-digit account id>, must fit S3's 63."
  }
}

variable "tags" {
  description = "Tags added to every resource the module creates that takes tags (merged with the provider's default_tags)."
  type        = map(string)
  default     = {}
}

# ---------------------------------------------------------------------------
# One toggle per account-wide service: set off what the account (or its
# organisation) already runs.
# ---------------------------------------------------------------------------

variable "enable_guardduty" {
  description = "Create a GuardDuty detector with S3 protection and Lambda protection (the S3_DATA_EVENTS and LAMBDA_NETWORK_LOGS features). ACCOUNT-WIDE: one detector per account and region."
  type        = bool
  default     = true
}

variable "guardduty_workload_features" {
  description = "GuardDuty protection plans for workloads this stack does not run, enabled with the detector so that an EC2 instance, EKS cluster, ECS task or Aurora database created later in the account is watched from the start: EKS_AUDIT_LOGS (EKS Protection), EBS_MALWARE_PROTECTION (Malware Protection for EC2), RDS_LOGIN_EVENTS (RDS Protection) and RUNTIME_MONITORING (with automated agent configuration for EKS, Fargate and EC2). Each is billed by what it analyses or scans, so nothing in an account without such workloads (https://aws.amazon.com/guardduty/pricing/). Empty: none."
  type        = list(string)
  default     = ["EKS_AUDIT_LOGS", "EBS_MALWARE_PROTECTION", "RDS_LOGIN_EVENTS", "RUNTIME_MONITORING"]

  validation {
    condition     = alltrue([for f in var.guardduty_workload_features : contains(["EKS_AUDIT_LOGS", "EBS_MALWARE_PROTECTION", "RDS_LOGIN_EVENTS", "RUNTIME_MONITORING"], f)])
    error_message = "guardduty_workload_features may hold EKS_AUDIT_LOGS, EBS_MALWARE_PROTECTION, RDS_LOGIN_EVENTS and RUNTIME_MONITORING only."
  }
}

variable "enable_security_hub" {
  description = "Enable Security Hub with the CIS AWS Foundations and AWS Foundational Security Best Practices standards. ACCOUNT-WIDE."
  type        = bool
  default     = true
}

variable "enable_config" {
  description = "Record config_resource_types with AWS Config and evaluate managed rules on them. ACCOUNT-WIDE: one recorder per account and region."
  type        = bool
  default     = true
}

variable "enable_cloudtrail" {
  description = "Create a multi-region CloudTrail trail (management events, plus S3 data events on cloudtrail_s3_data_event_bucket_arns) with file validation."
  type        = bool
  default     = true
}

variable "enable_cloudtrail_insights" {
  description = "Turn on CloudTrail Insights on the trail (enable_cloudtrail), both types: API call rate (write management events) and API error rate (read and write). Charged per management event analysed, the write events twice (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/insights-events-costs.html; the rate is on https://aws.amazon.com/cloudtrail/pricing/)."
  type        = bool
  default     = false
}

variable "securityhub_cis_version" {
  description = "Version of the CIS AWS Foundations Benchmark standard to subscribe to in Security Hub: 1.2.0, 1.4.0, 3.0.0 or 5.0.0, the versions the Security Hub user guide lists (https://docs.aws.amazon.com/securityhub/latest/userguide/cis-aws-foundations-benchmark.html). SECURITY.md numbers the CIS controls as v3.0.0 does."
  type        = string
  default     = "3.0.0"

  validation {
    condition     = contains(["1.2.0", "1.4.0", "3.0.0", "5.0.0"], var.securityhub_cis_version)
    error_message = "securityhub_cis_version must be 1.2.0, 1.4.0, 3.0.0 or 5.0.0 (the versions Security Hub offers)."
  }
}

# ---------------------------------------------------------------------------
# The trail and Config, and where they deliver: the module's own audit and
# logs buckets and audit key (buckets.tf, kms.tf)
# ---------------------------------------------------------------------------

variable "cloudtrail_name" {
  description = "Name of the trail (enable_cloudtrail); the audit bucket's and audit key's policies grant exactly this trail. Null: <name>-trail."
  type        = string
  default     = null

  validation {
    condition     = var.cloudtrail_name == null || can(regex("^[A-Za-z0-9][A-Za-z0-9._-]{2,127}$", var.cloudtrail_name))
    error_message = "cloudtrail_name must be null or a trail name (3-128 letters, digits, periods, underscores and hyphens)."
  }
}

variable "cloudtrail_s3_key_prefix" {
  description = "Key prefix of the trail's files in the audit bucket (the bucket policy grants the trail this prefix only)."
  type        = string
  default     = "cloudtrail"

  validation {
    condition     = can(regex("^[A-Za-z0-9!_.*'()-]+$", var.cloudtrail_s3_key_prefix))
    error_message = "cloudtrail_s3_key_prefix must be a key prefix without slashes at either end."
  }
}

variable "cloudtrail_s3_data_event_bucket_arns" {
  description = "Buckets whose object-level API calls (GetObject, PutObject, ...) the trail records: who read or wrote which object. Empty: management events only."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.cloudtrail_s3_data_event_bucket_arns : can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9.-]+$", arn))])
    error_message = "cloudtrail_s3_data_event_bucket_arns must hold S3 bucket ARNs."
  }
}

variable "cloudtrail_lambda_data_event_function_arns" {
  description = "Functions whose invocations (Lambda Invoke data events) the trail records: who or what invoked which function. Empty: none."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.cloudtrail_lambda_data_event_function_arns : can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]+$", arn))])
    error_message = "cloudtrail_lambda_data_event_function_arns must hold Lambda function ARNs (unqualified)."
  }
}

variable "config_s3_key_prefix" {
  description = "Key prefix of AWS Config's deliveries in the logs bucket (the bucket policy grants Config this prefix only)."
  type        = string
  default     = "config"

  validation {
    condition     = can(regex("^[A-Za-z0-9!_.*'()-]+$", var.config_s3_key_prefix))
    error_message = "config_s3_key_prefix must be a key prefix without slashes at either end."
  }
}

variable "config_resource_types" {
  description = "Resource types the AWS Config recorder records. Recording every type in a busy account costs per configuration change (README's cost table)."
  type        = list(string)
  default = [
    "AWS::S3::Bucket",
    "AWS::Lambda::Function",
    "AWS::DynamoDB::Table",
    "AWS::KMS::Key",
    "AWS::IAM::Role",
    "AWS::SNS::Topic",
    "AWS::SQS::Queue",
    "AWS::CloudTrail::Trail",
  ]

  validation {
    condition     = length(var.config_resource_types) > 0 && alltrue([for t in var.config_resource_types : can(regex("^AWS::[A-Za-z0-9]+::[A-Za-z0-9]+$", t))])
    error_message = "config_resource_types must be a non-empty list of types such as AWS::S3::Bucket."
  }
}

variable "cloudtrail_evidence_bucket_arns" {
  description = "S3 buckets (ARNs) that hold audit evidence besides the module's own audit and logs buckets (always recorded): the trail always records their object-level calls (who read, wrote, deleted or changed the retention of which log), whatever cloudtrail_s3_data_event_bucket_arns says. USD 0.10 per 100,000 data events (https://aws.amazon.com/cloudtrail/pricing/)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.cloudtrail_evidence_bucket_arns : can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9.-]+$", arn))])
    error_message = "cloudtrail_evidence_bucket_arns must hold S3 bucket ARNs."
  }
}

# ---------------------------------------------------------------------------
# The audit sinks: the audit bucket (the trail's files under Object Lock),
# the logs bucket (Config's files and S3 server access logs) and the audit key
# ---------------------------------------------------------------------------

variable "access_log_source_bucket_arns" {
  description = "Buckets (ARNs) of this account whose S3 server access logs the logs bucket accepts, under s3-access-logs/ (the access_log_target output): an application's buckets, e.g. the image-pipeline module's access_log_source_bucket_arns output. The grant names each bucket (aws:SourceArn) and the account (aws:SourceAccount). The audit bucket's own access logs are always accepted."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.access_log_source_bucket_arns : can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9.-]+$", arn))])
    error_message = "access_log_source_bucket_arns must hold S3 bucket ARNs."
  }
}

variable "access_log_retention_days" {
  description = "Days the trail's files (audit bucket, under Object Lock for as long), S3 server access logs and Config files (logs bucket) are kept, deleted versions included."
  type        = number
  default     = 365

  validation {
    condition     = var.access_log_retention_days >= 90 && var.access_log_retention_days <= 3650
    error_message = "access_log_retention_days must be between 90 and 3650 (audit evidence is kept at least 90 days)."
  }
}

variable "audit_log_object_lock_mode" {
  description = "S3 Object Lock mode of the audit bucket (the trail's files), retained for access_log_retention_days: GOVERNANCE lets a principal allowed s3:BypassGovernanceRetention delete them early (scripts/destroy.sh --delete-audit-logs); COMPLIANCE lets no one, not even the root user, until the retention ends. Changing it on a deployed stack replaces the audit bucket."
  type        = string
  default     = "GOVERNANCE"

  validation {
    condition     = contains(["GOVERNANCE", "COMPLIANCE"], var.audit_log_object_lock_mode)
    error_message = "audit_log_object_lock_mode must be GOVERNANCE or COMPLIANCE."
  }
}

variable "force_destroy" {
  description = "Let `terraform destroy` delete the audit and logs buckets while they hold objects (Object Lock still refuses locked versions). Keep false in production; scripts/destroy.sh keeps both buckets."
  type        = bool
  default     = false
}

variable "kms_deletion_window_days" {
  description = "Days the audit key waits after its deletion is scheduled before it is gone for good (and can still be recovered). 30, the longest KMS allows, gives on-call the most time to cancel (https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys.html)."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_deletion_window_days >= 7 && var.kms_deletion_window_days <= 30
    error_message = "kms_deletion_window_days must be between 7 and 30."
  }
}

variable "kms_key_administrators" {
  description = "IAM roles or users (ARNs, not role sessions) that administer the audit key: describe, tag, rotate and change its policy. They cannot use it outside S3, disable it, schedule its deletion or grant it (only break_glass_principal_arn can). null names the identity that runs Terraform, which must stay in the list: KMS refuses a key policy that would lock out its caller (https://docs.aws.amazon.com/sdkforruby/api/Aws/KMS/Types/PutKeyPolicyRequest.html)."
  type        = list(string)
  default     = null

  validation {
    condition     = var.kms_key_administrators == null || alltrue([for arn in coalesce(var.kms_key_administrators, []) : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/", arn))])
    error_message = "kms_key_administrators must be null or a list of IAM role or user ARNs (arn:aws:iam::<account>:role/... or :user/...)."
  }
}

variable "break_glass_principal_arn" {
  description = "The one principal (ARN) that may disable the audit key, schedule its deletion, create grants on it, turn its rotation off, and bypass the audit bucket's retention, delete its versions or change its Object Lock configuration. null means the account's root user (arn:aws:iam::<account>:root), used only in an emergency and with MFA. A `terraform destroy` run by anyone else keeps the key and the bucket (destroy.sh leaves them out; SECURITY.md, \"Encryption and key management\")."
  type        = string
  default     = null

  validation {
    condition     = var.break_glass_principal_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(root|role/.+|user/.+)$", coalesce(var.break_glass_principal_arn, "-")))
    error_message = "break_glass_principal_arn must be null or an IAM role, user or account root ARN."
  }
}

variable "kms_key_users" {
  description = "IAM roles or users (ARNs) that may decrypt the trail's files, through S3 only: on-call and auditors. Empty by default: nobody's IAM policy alone can; CloudTrail's 90-day event history needs no key."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.kms_key_users : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/", arn))])
    error_message = "kms_key_users must be IAM role or user ARNs."
  }
}

variable "enable_audit_replication" {
  description = "The audit bucket is replicated to a second region by the audit-replica module: let its role (<name>-audit-replication) decrypt the trail's files through S3."
  type        = bool
  default     = false
}

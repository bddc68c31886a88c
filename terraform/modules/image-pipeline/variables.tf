# ---------------------------------------------------------------------------
# Naming
# ---------------------------------------------------------------------------

variable "name" {
  description = "Prefix of every resource name (for example image-processor-prod): the function, table, topics, queue, key alias and alarms are named after it, the buckets <name>-images-<account>, <name>-logs-<account> and (enable_code_signing) <name>-code-<account>."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,41}[a-z0-9]$", var.name))
    error_message = "name must be 3-43 characters of lower-case letters, digits and hyphens: the longest bucket name, <name>-images-<12-digit account id>, must fit S3's 63."
  }
}

variable "tags" {
  description = "Tags added to every resource the module creates that takes tags (merged with the provider's default_tags)."
  type        = map(string)
  default     = {}
}

variable "alert_email" {
  description = "Optional e-mail address subscribed to both SNS topics (AWS sends a confirmation mail). Empty: no subscription."
  type        = string
  default     = ""

  validation {
    condition     = var.alert_email == "" || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alert_email))
    error_message = "alert_email must be empty or an e-mail address."
  }
}

# ---------------------------------------------------------------------------
# Lambda
# ---------------------------------------------------------------------------

variable "lambda_package_path" {
  description = "Path of the Lambda deployment package built by scripts/build_lambda.sh, relative to the directory Terraform runs in."
  type        = string
  validation {
    condition     = fileexists(var.lambda_package_path)
    error_message = "The Lambda package was not found at lambda_package_path. Build it first: ./scripts/build_lambda.sh (it writes dist/lambda.zip)."
  }
}

variable "lambda_architecture" {
  description = "Instruction set of the function. arm64 (Graviton) costs about 20% less per GB-second than x86_64."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.lambda_architecture)
    error_message = "lambda_architecture must be arm64 or x86_64."
  }
}

variable "lambda_runtime" {
  description = "Python runtime of the function; scripts/build_lambda.sh builds wheels for the same version."
  type        = string
  default     = "python3.13"

  validation {
    condition     = contains(["python3.12", "python3.13"], var.lambda_runtime)
    error_message = "lambda_runtime must be python3.12 or python3.13 (the versions the package is built and tested for)."
  }
}

variable "lambda_memory_mb" {
  description = "Memory of the function in MB; CPU grows with it (1,769 MB is one vCPU). 1024 is the smallest size at which every allowed input fits (`make bench`: the greyscale of a 4096x4096 WEBP peaks at 530 MB lossless, 476 MB lossy; README, Performance); because processing is CPU-bound, GB-seconds per image are about the same at 512 or 1024. Smaller sizes work: what would not fit is rejected as too_large_for_memory."
  type        = number
  default     = 1024

  validation {
    condition     = var.lambda_memory_mb >= 128 && var.lambda_memory_mb <= 10240 && floor(var.lambda_memory_mb) == var.lambda_memory_mb
    error_message = "lambda_memory_mb must be a whole number between 128 and 10240."
  }
}

variable "lambda_timeout_s" {
  description = "Timeout of one invocation in seconds."
  type        = number
  default     = 30

  validation {
    condition     = var.lambda_timeout_s >= 10 && var.lambda_timeout_s <= 900
    error_message = "lambda_timeout_s must be between 10 (the handler needs 5 s of headroom per upload) and 900."
  }
}

variable "lambda_reserved_concurrency" {
  description = "Concurrent executions reserved for (and capping) the function: a ceiling on cost and on what a flood of uploads can consume."
  type        = number
  default     = 5

  validation {
    condition     = var.lambda_reserved_concurrency >= 0 && var.lambda_reserved_concurrency <= 1000
    error_message = "lambda_reserved_concurrency must be between 0 (stops processing) and 1000."
  }
}

variable "lambda_log_level" {
  description = "Log level of the handler (DEBUG, INFO, WARNING, ERROR)."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR"], var.lambda_log_level)
    error_message = "lambda_log_level must be DEBUG, INFO, WARNING or ERROR."
  }
}

variable "lambda_maximum_retry_attempts" {
  description = "Retries of a failed asynchronous invocation before its event goes to the dead-letter queue."
  type        = number
  default     = 2

  validation {
    condition     = var.lambda_maximum_retry_attempts >= 0 && var.lambda_maximum_retry_attempts <= 2
    error_message = "lambda_maximum_retry_attempts must be 0, 1 or 2 (the Lambda limit)."
  }
}

variable "lambda_maximum_event_age_s" {
  description = "Age after which an unprocessed event is sent to the dead-letter queue instead of being retried."
  type        = number
  default     = 3600

  validation {
    condition     = var.lambda_maximum_event_age_s >= 60 && var.lambda_maximum_event_age_s <= 21600
    error_message = "lambda_maximum_event_age_s must be between 60 and 21600 seconds."
  }
}

variable "lambda_permissions_boundary_arn" {
  description = "Optional ARN of an IAM permissions boundary for the function's role (organisations that require one)."
  type        = string
  default     = null

  validation {
    condition     = var.lambda_permissions_boundary_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:policy/.+$", var.lambda_permissions_boundary_arn))
    error_message = "lambda_permissions_boundary_arn must be null or an IAM policy ARN."
  }
}

# ---------------------------------------------------------------------------
# Processing limits (the function reads them from its environment)
# ---------------------------------------------------------------------------

variable "max_upload_mb" {
  description = "Uploads larger than this (MiB) are rejected without being downloaded."
  type        = number
  default     = 10

  validation {
    condition     = var.max_upload_mb >= 1 && var.max_upload_mb <= 100
    error_message = "max_upload_mb must be between 1 and 100."
  }
}

variable "max_dimension" {
  description = "Images wider or taller than this (pixels) are rejected before any pixel is decoded."
  type        = number
  default     = 4096

  validation {
    condition     = var.max_dimension >= 200 && var.max_dimension <= 16384
    error_message = "max_dimension must be between 200 and 16384."
  }
}

# ---------------------------------------------------------------------------
# Retention
# ---------------------------------------------------------------------------

variable "upload_retention_days" {
  description = "Days after which uploads and processed images expire (S3 lifecycle)."
  type        = number
  default     = 30

  validation {
    condition     = var.upload_retention_days >= 1 && var.upload_retention_days <= 3650
    error_message = "upload_retention_days must be between 1 and 3650."
  }
}

variable "record_ttl_days" {
  description = "Days after which an upload's DynamoDB record expires (TTL)."
  type        = number
  default     = 90

  validation {
    condition     = var.record_ttl_days >= 1 && var.record_ttl_days <= 3650
    error_message = "record_ttl_days must be between 1 and 3650."
  }
}

variable "log_retention_days" {
  description = "Retention of the function's CloudWatch log group, in days."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "access_log_retention_days" {
  description = "Days S3 server access logs, Config files (logs bucket) and the trail's files (audit bucket) are kept, deleted versions included."
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

# ---------------------------------------------------------------------------
# Data protection
# ---------------------------------------------------------------------------

variable "force_destroy" {
  description = "Let `terraform destroy` delete buckets that still hold objects. Keep false in production; scripts/destroy.sh empties the buckets itself after asking."
  type        = bool
  default     = false
}

variable "kms_deletion_window_days" {
  description = "Days a KMS key scheduled for deletion waits before it is gone for good (and can still be recovered); applies to both keys. 30, the longest KMS allows, gives on-call the most time to cancel (https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys.html); the local profile uses 7."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_deletion_window_days >= 7 && var.kms_deletion_window_days <= 30
    error_message = "kms_deletion_window_days must be between 7 and 30."
  }
}

variable "dynamodb_read_capacity" {
  description = "Provisioned read capacity units of the table (the always-free tier covers 25 across the account)."
  type        = number
  default     = 5

  validation {
    condition     = var.dynamodb_read_capacity >= 1 && var.dynamodb_read_capacity <= 1000
    error_message = "dynamodb_read_capacity must be between 1 and 1000."
  }
}

variable "dynamodb_write_capacity" {
  description = "Provisioned write capacity units of the table (the always-free tier covers 25 across the account). Each upload costs three to five writes (claim, result, one per notification)."
  type        = number
  default     = 5

  validation {
    condition     = var.dynamodb_write_capacity >= 1 && var.dynamodb_write_capacity <= 1000
    error_message = "dynamodb_write_capacity must be between 1 and 1000."
  }
}

variable "enable_dynamodb_autoscaling" {
  description = "Let the table's write capacity follow load, from dynamodb_write_capacity up to 25 WCU (writes are what an upload costs most of); the in-progress index keeps its own dynamodb_write_capacity, so the peak is 25 + 5 = 30 WCU by default, 5 beyond the always-free 25. Reads stay at dynamodb_read_capacity: every target-tracking policy adds 4 CloudWatch alarms, and this one policy makes the stack's 11, one beyond CloudWatch's 10 free (USD 0.10 a month; README, Cost)."
  type        = bool
  default     = true
}

variable "enable_point_in_time_recovery" {
  description = "Continuous backups of the table for 35 days. Costs about USD 0.20 per GB-month of table size (cents for this table)."
  type        = bool
  default     = true
}

variable "enable_deletion_protection" {
  description = "Refuse to delete the DynamoDB table (DynamoDB.6). On by default: `terraform destroy` then fails on the table until this is set to false and applied; the local profile turns it off."
  type        = bool
  default     = true
}

variable "stuck_after_s" {
  description = "Seconds after a processing claim's lease expired at which the scheduled sweep (every 15 minutes) records the upload FAILED with reason LeaseExpired and announces it."
  type        = number
  default     = 900

  validation {
    condition     = var.stuck_after_s >= 60 && var.stuck_after_s <= 86400 && floor(var.stuck_after_s) == var.stuck_after_s
    error_message = "stuck_after_s must be a whole number of seconds between 60 and 86400."
  }
}

# ---------------------------------------------------------------------------
# Alerting
# ---------------------------------------------------------------------------

variable "storage_alarm_threshold_gb" {
  description = "Alarm when the images bucket holds more than this many GB, noncurrent versions included (CloudWatch's BucketSizeBytes counts them). The default, 4, is below the 5 GB S3 free tier of accounts created before 15 July 2025; at 10,000 images a month the bucket holds about 14.8 GB (README, Cost)."
  type        = number
  default     = 4

  validation {
    condition     = var.storage_alarm_threshold_gb > 0
    error_message = "storage_alarm_threshold_gb must be positive."
  }
}

# ---------------------------------------------------------------------------
# Account-wide services that deliver into this module's resources
# (terraform/modules/account-baseline, or an organisation's own)
# ---------------------------------------------------------------------------

variable "cloudtrail_name" {
  description = "Name of a trail in this account and region that writes into the module's audit bucket (audit_bucket_name, under the cloudtrail_s3_key_prefix output; Object Lock) and encrypts with the module's security key. The bucket and key policies grant exactly that trail. Null: no trail writes here, and there is no audit bucket."
  type        = string
  default     = null

  validation {
    condition     = var.cloudtrail_name == null || can(regex("^[A-Za-z0-9][A-Za-z0-9._-]{2,127}$", var.cloudtrail_name))
    error_message = "cloudtrail_name must be null or a trail name (3-128 letters, digits, periods, underscores and hyphens)."
  }
}

variable "enable_config_delivery" {
  description = "Let AWS Config of this account deliver configuration snapshots and history into the logs bucket (under the config_s3_key_prefix output)."
  type        = bool
  default     = false
}

variable "enable_malware_protection" {
  description = "Scan every upload with GuardDuty Malware Protection for S3 before it is processed: the scan result, not S3's event, starts the function, and an infected upload is rejected (reason malware) and reported on the security-alerts topic. Paid per GB scanned and per object (see README, Cost); the local AWS cannot scan, so the local profile keeps it off."
  type        = bool
  default     = false
}

variable "enable_code_signing" {
  description = "Deploy only code that AWS Signer signed with this stack's signing profile: Terraform uploads the package to a versioned code bucket (<name>-code-<account>), a signing job signs it, and a code signing configuration in Enforce mode makes Lambda refuse any other package. No extra charge for Signer or code signing (https://docs.aws.amazon.com/lambda/latest/dg/configuration-codesigning.html); the bucket costs its storage. The local AWS has no Signer, so the local profile keeps it off."
  type        = bool
  default     = false
}

variable "code_signature_validity_months" {
  description = "How long a signature stays valid. Lambda refuses to deploy a package whose signature has expired: a changed build is signed again, but re-creating the function from an unchanged, expired package fails until it is re-signed (terraform apply -replace on the signing job). AWS Signer allows at most 135 months (https://docs.aws.amazon.com/signer/latest/developerguide/cli-profile.html)."
  type        = number
  default     = 12

  validation {
    condition     = var.code_signature_validity_months >= 1 && var.code_signature_validity_months <= 135 && floor(var.code_signature_validity_months) == var.code_signature_validity_months
    error_message = "code_signature_validity_months must be a whole number from 1 to 135."
  }
}

variable "enable_guardduty_findings_rule" {
  description = "Send GuardDuty findings of high severity (7.0 and above) raised in this account and region to the security-alerts topic. Needs a GuardDuty detector in the account (the account-baseline module's, or the organisation's)."
  type        = bool
  default     = false
}

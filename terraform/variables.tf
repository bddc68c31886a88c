# ---------------------------------------------------------------------------
# Naming and placement
# ---------------------------------------------------------------------------

variable "aws_region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.aws_region))
    error_message = "aws_region must be a region name such as us-east-1 or eu-west-2."
  }
}

variable "project_name" {
  description = "Prefix of every resource name; with environment it gives names like image-processor-prod-*."
  type        = string
  default     = "image-processor"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,24}[a-z0-9]$", var.project_name))
    error_message = "project_name must be 3-26 characters of lower-case letters, digits and hyphens: with a 16-character environment, <project>-<env>-images-<12-digit account id> must fit S3's 63-character bucket names."
  }
}

variable "environment" {
  description = "Environment name (prod, staging, dev, ...); part of every resource name."
  type        = string
  default     = "prod"

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,15}$", var.environment))
    error_message = "environment must be 2-16 lower-case letters and digits, starting with a letter."
  }
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
  description = "Path of the Lambda deployment package built by scripts/build_lambda.sh, relative to terraform/."
  type        = string
  default     = "../dist/lambda.zip"

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
  description = "Memory of the function in MB; CPU grows with it (1,769 MB is one vCPU). 1024 is the smallest size at which every allowed input fits (`make bench`: a 4096x4096 WEBP peaks near 475 MB); because processing is CPU-bound, GB-seconds per image are about the same at 512 or 1024. Smaller sizes work: what would not fit is rejected as too_large_for_memory."
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
# Processing limits
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
  description = "Let the table's write capacity follow load, from dynamodb_write_capacity up to the always-free 25 WCU (writes are what an upload costs most of). Reads stay at dynamodb_read_capacity: every target-tracking policy adds 4 CloudWatch alarms, and one policy keeps the stack inside CloudWatch's 10 free alarms."
  type        = bool
  default     = true
}

variable "enable_malware_protection" {
  description = "Scan every upload with GuardDuty Malware Protection for S3 before it is processed; an infected upload is rejected (reason malware) and reported on the security-alerts topic. Paid per GB scanned and per object (README, Cost). Off in the local profile: the local AWS cannot scan."
  type        = bool
  default     = false
}

variable "enable_code_signing" {
  description = "Deploy only packages signed by this stack's AWS Signer profile: deploy.sh's apply uploads the package to a versioned code bucket, AWS Signer signs it, and Lambda (code signing configuration, Enforce) refuses anything else. No extra charge for Signer or code signing (https://docs.aws.amazon.com/lambda/latest/dg/configuration-codesigning.html). Off in the local profile: the local AWS has no Signer."
  type        = bool
  default     = true
}

variable "code_signature_validity_months" {
  description = "How long a package signature stays valid (1-135 months; AWS Signer's maximum is 135: https://docs.aws.amazon.com/signer/latest/developerguide/cli-profile.html). Lambda refuses to deploy a package whose signature has expired: a changed build is signed again; an unchanged one is re-signed with terraform apply -replace='module.pipeline.aws_signer_signing_job.package[\"this\"]'."
  type        = number
  default     = 12

  validation {
    condition     = var.code_signature_validity_months >= 1 && var.code_signature_validity_months <= 135 && floor(var.code_signature_validity_months) == var.code_signature_validity_months
    error_message = "code_signature_validity_months must be a whole number from 1 to 135."
  }
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

# ---------------------------------------------------------------------------
# Account-wide and paid security services
# ---------------------------------------------------------------------------

variable "enable_guardduty" {
  description = "Create a GuardDuty detector with S3 protection. ACCOUNT-WIDE (one detector per account and region: turn off if the account already has one). Paid after a 30-day trial, by volume of events analysed (typically a few USD a month for a small account)."
  type        = bool
  default     = true
}

variable "enable_security_hub" {
  description = "Enable Security Hub with the CIS AWS Foundations and AWS Foundational Security Best Practices standards. ACCOUNT-WIDE (turn off if the account already has it). Paid after a 30-day trial, per security check (typically a few USD a month for a small account)."
  type        = bool
  default     = true
}

variable "enable_config" {
  description = "Record this stack's resource types with AWS Config and evaluate managed rules on them. ACCOUNT-WIDE (one recorder per account and region: turn off if the account already has one). Paid: USD 0.003 per configuration item and USD 0.001 per rule evaluation."
  type        = bool
  default     = true
}

variable "enable_cloudtrail" {
  description = "Create a multi-region CloudTrail trail (management events, plus S3 data events on the images bucket) with file validation, encrypted with the stack's key. The first copy of management events is free; a second trail in the account costs USD 2 per 100,000 events, data events USD 0.10 per 100,000. Turn off if an organisation trail already covers the account."
  type        = bool
  default     = true
}

variable "enable_cloudtrail_lambda_data_events" {
  description = "Record every invocation of the function (Lambda Invoke data events) in the trail: who or what invoked it. USD 0.10 per 100,000 events (https://aws.amazon.com/cloudtrail/pricing/)."
  type        = bool
  default     = true
}

variable "enable_cloudtrail_s3_data_events" {
  description = "Record object-level S3 API calls (GetObject, PutObject, ...) on the images bucket in the trail: who read or wrote which object. USD 0.10 per 100,000 events."
  type        = bool
  default     = true
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

variable "storage_alarm_threshold_gb" {
  description = "Alarm when the images bucket holds more than this many GB (the S3 free tier is 5 GB)."
  type        = number
  default     = 4

  validation {
    condition     = var.storage_alarm_threshold_gb > 0
    error_message = "storage_alarm_threshold_gb must be positive."
  }
}

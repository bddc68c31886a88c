variable "name" {
  description = "Prefix of every resource name (for example image-processor-prod)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,45}[a-z0-9]$", var.name))
    error_message = "name must be 3-47 characters of lower-case letters, digits and hyphens."
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
# Where the trail and Config deliver (the image-pipeline module's audit and
# logs buckets and its key grant exactly these)
# ---------------------------------------------------------------------------

variable "logs_bucket_name" {
  description = "Bucket AWS Config delivers into; its policy must grant Config (image-pipeline's logs_bucket_name output does). Config cannot deliver into a bucket with Object Lock."
  type        = string
  default     = null

  validation {
    condition     = var.logs_bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.logs_bucket_name))
    error_message = "logs_bucket_name must be null or an S3 bucket name."
  }
}

variable "cloudtrail_bucket_name" {
  description = "Bucket the trail delivers into; its policy must grant this trail (image-pipeline's audit_bucket_name output does)."
  type        = string
  default     = null

  validation {
    condition     = var.cloudtrail_bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.cloudtrail_bucket_name))
    error_message = "cloudtrail_bucket_name must be null or an S3 bucket name."
  }
}

variable "cloudtrail_name" {
  description = "Name of the trail (the image-pipeline module's cloudtrail_name must be the same, so that its policies grant this trail)."
  type        = string
  default     = null

  validation {
    condition     = var.cloudtrail_name == null || can(regex("^[A-Za-z0-9][A-Za-z0-9._-]{2,127}$", var.cloudtrail_name))
    error_message = "cloudtrail_name must be null or a trail name (3-128 letters, digits, periods, underscores and hyphens)."
  }
}

variable "cloudtrail_s3_key_prefix" {
  description = "Key prefix of the trail's files in cloudtrail_bucket_name."
  type        = string
  default     = "cloudtrail"

  validation {
    condition     = can(regex("^[A-Za-z0-9!_.*'()-]+$", var.cloudtrail_s3_key_prefix))
    error_message = "cloudtrail_s3_key_prefix must be a key prefix without slashes at either end."
  }
}

variable "cloudtrail_kms_key_arn" {
  description = "KMS key that encrypts the trail's files; its policy must grant the trail (image-pipeline's key does)."
  type        = string
  default     = null

  validation {
    condition     = var.cloudtrail_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.cloudtrail_kms_key_arn))
    error_message = "cloudtrail_kms_key_arn must be null or the ARN of a KMS key."
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
  description = "Key prefix of AWS Config's deliveries in logs_bucket_name."
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
  description = "S3 buckets (ARNs) that hold audit evidence: the trail always records their object-level calls (who read, wrote, deleted or changed the retention of which log), whatever cloudtrail_s3_data_event_bucket_arns says. USD 0.10 per 100,000 data events (https://aws.amazon.com/cloudtrail/pricing/)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.cloudtrail_evidence_bucket_arns : can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9.-]+$", arn))])
    error_message = "cloudtrail_evidence_bucket_arns must hold S3 bucket ARNs."
  }
}

variable "bucket" {
  description = "Name of the bucket (globally unique)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket))
    error_message = "bucket must be 3-63 characters of lower-case letters, digits, dots and hyphens."
  }
}

variable "force_destroy" {
  description = "Let `terraform destroy` delete the bucket while it still holds objects."
  type        = bool
  default     = false
}

variable "kms_key_arn" {
  description = "Customer-managed key for default encryption (SSE-KMS with an S3 bucket key). Null: SSE-S3, for buckets that receive S3 server access logs, which cannot be delivered into an SSE-KMS bucket."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be null or the ARN of a KMS key."
  }
}

variable "lifecycle_rules" {
  description = "Lifecycle rules, in order. prefix null applies the rule to the whole bucket; each *_days null leaves that action out. The module adds a rule of its own that aborts incomplete multipart uploads (abort_incomplete_multipart_upload_days)."
  type = list(object({
    id                                 = string
    prefix                             = optional(string)
    expiration_days                    = optional(number)
    noncurrent_version_expiration_days = optional(number)
  }))

  validation {
    condition     = length(var.lifecycle_rules) > 0
    error_message = "Every bucket needs at least one lifecycle rule: data that never expires is cost without an owner."
  }
  validation {
    condition = alltrue([for r in var.lifecycle_rules :
      r.expiration_days != null || r.noncurrent_version_expiration_days != null
    ])
    error_message = "Each lifecycle rule must expire something (objects or noncurrent versions)."
  }
  validation {
    condition = alltrue(flatten([for r in var.lifecycle_rules : [
      for d in [r.expiration_days, r.noncurrent_version_expiration_days] :
      d == null ? true : d >= 1 && floor(d) == d
    ]]))
    error_message = "Lifecycle days must be whole numbers of at least 1."
  }
}

variable "abort_incomplete_multipart_upload_days" {
  description = "Days after which the parts of a multipart upload that never completed are deleted."
  type        = number
  default     = 1

  validation {
    condition     = var.abort_incomplete_multipart_upload_days >= 1 && floor(var.abort_incomplete_multipart_upload_days) == var.abort_incomplete_multipart_upload_days
    error_message = "abort_incomplete_multipart_upload_days must be a whole number of at least 1."
  }
}

variable "access_log_target" {
  description = "Where S3 server access logs of this bucket go (bucket name and key prefix). Null: no access logging, for the bucket that is itself the log target."
  type = object({
    bucket = string
    prefix = string
  })
  default = null
}

variable "policy_documents" {
  description = "Extra bucket policy documents (JSON, e.g. from aws_iam_policy_document) merged before the module's own statements. The module always adds a Deny of every request without TLS."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags for the bucket."
  type        = map(string)
  default     = {}
}

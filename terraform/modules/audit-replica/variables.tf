variable "name" {
  description = "Name prefix of the stack (project-environment): the replica bucket is <name>-audit-replica-<account>, its key alias/<name>-audit-replica."
  type        = string
}

variable "source_bucket_name" {
  description = "The audit bucket whose every object version is replicated (versioned, under Object Lock)."
  type        = string
}

variable "source_kms_key_arn" {
  description = "The key that encrypts the trail's files in the source bucket (the security key): the replication role decrypts with it through S3 only."
  type        = string
}

variable "replicate_logs_bucket" {
  description = "Also replicate every new version of logs_source_bucket_name (the logs bucket: S3 server access logs and AWS Config files; versioned, SSE-S3, no Object Lock, which log delivery refuses) to <name>-logs-replica-<account> in the replica region, under the object_lock retention there. A bool of its own because the bucket's name may be known only at apply."
  type        = bool
  default     = false
}

variable "logs_source_bucket_name" {
  description = "The logs bucket to replicate with replicate_logs_bucket."
  type        = string
  default     = null
}

variable "object_lock" {
  description = "Object Lock default retention of the replica: the same mode and days as the source, so that the copy is as hard to delete as the original."
  type = object({
    mode = string
    days = number
  })
}

variable "break_glass_principal_arn" {
  description = "The one principal that may bypass the replica's retention, delete its versions, change its Object Lock configuration, or disable or delete its key."
  type        = string
}

variable "force_destroy" {
  description = "Let terraform destroy delete the replica bucket while it holds objects (Object Lock still refuses locked versions)."
  type        = bool
  default     = false
}

variable "kms_deletion_window_days" {
  description = "Deletion window of the replica's key, 7-30 days."
  type        = number
  default     = 30
}

variable "tags" {
  description = "Tags of every resource that takes them."
  type        = map(string)
  default     = {}
}

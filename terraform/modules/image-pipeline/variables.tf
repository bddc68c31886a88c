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
  description = "Instruction set of the function. arm64 (Graviton) costs about 20% less per GB-second than x86_64 (\"duration charges are 20 percent lower\", https://aws.amazon.com/blogs/aws/aws-lambda-functions-powered-by-aws-graviton2-processor-run-your-functions-on-arm-and-get-up-to-34-better-price-performance/)."
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
  description = "Optional concurrency reserved for the function (null: none, the default). Not the flood ceiling (queue_maximum_concurrency is): reserving takes concurrency away from the rest of the account, and Lambda refuses a reservation that leaves less than its minimum unreserved, which a new account's quota of 10 cannot give. If set, keep it at or above queue_maximum_concurrency."
  type        = number
  default     = null

  validation {
    condition     = var.lambda_reserved_concurrency == null || try(var.lambda_reserved_concurrency >= 1 && var.lambda_reserved_concurrency <= 1000, false)
    error_message = "lambda_reserved_concurrency must be null or between 1 and 1000 (to stop processing, disable the event source mapping: INCIDENT_RESPONSE.md)."
  }
}

variable "queue_maximum_concurrency" {
  description = "Most invocations the uploads queue's event source mapping runs at once (scaling_config.maximum_concurrency, 2-1000): the ceiling on cost and on what a flood can consume. Uploads beyond it wait in the queue."
  type        = number
  default     = 5

  validation {
    condition     = var.queue_maximum_concurrency >= 2 && var.queue_maximum_concurrency <= 1000 && floor(var.queue_maximum_concurrency) == var.queue_maximum_concurrency
    error_message = "queue_maximum_concurrency must be a whole number between 2 and 1000 (the Lambda limits of MaximumConcurrency)."
  }
}

variable "queue_batch_size" {
  description = "Uploads given to one invocation (1-10). Each is decided and reported on its own: a failed one is retried alone."
  type        = number
  default     = 10

  validation {
    condition     = var.queue_batch_size >= 1 && var.queue_batch_size <= 10 && floor(var.queue_batch_size) == var.queue_batch_size
    error_message = "queue_batch_size must be a whole number between 1 and 10 (above 10 Lambda requires a batching window)."
  }
}

variable "queue_max_receive_count" {
  description = "Deliveries of an upload's event before the uploads queue moves it to the failed-events queue (redrive policy maxReceiveCount)."
  type        = number
  default     = 5

  validation {
    condition     = var.queue_max_receive_count >= 2 && var.queue_max_receive_count <= 1000 && floor(var.queue_max_receive_count) == var.queue_max_receive_count
    error_message = "queue_max_receive_count must be a whole number between 2 and 1000."
  }
}

variable "queue_age_alarm_s" {
  description = "Alarm when the oldest upload waiting in the uploads queue is older than this many seconds (processing stopped, or uploads arrive faster than queue_maximum_concurrency allows)."
  type        = number
  default     = 900

  validation {
    condition     = var.queue_age_alarm_s >= 60 && var.queue_age_alarm_s <= 1209600
    error_message = "queue_age_alarm_s must be between 60 and 1209600 (the queue's 14-day retention)."
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
  description = "Retention of the function's CloudWatch log group, in days. 365 by default: the logs say which upload a principal sent and what became of it, evidence for as long as the trail's files are kept (CKV_AWS_338)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "access_log_retention_days" {
  description = "Days the module's own logs bucket (created when access_log_target is null) keeps the S3 server access logs of the images and code buckets, deleted versions included."
  type        = number
  default     = 365

  validation {
    condition     = var.access_log_retention_days >= 90 && var.access_log_retention_days <= 3650
    error_message = "access_log_retention_days must be between 90 and 3650 (audit evidence is kept at least 90 days)."
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

variable "dynamodb_billing_mode" {
  description = "PAY_PER_REQUEST (on demand, the default: no capacity to run out of, billed per request) or PROVISIONED (dynamodb_read_capacity and dynamodb_write_capacity, starting inside the always-free 25 RCU and 25 WCU, with a lower ceiling: make capacity; autoscaling can take the table and its index to 25 WCU each, beyond the free 25 together)."
  type        = string
  default     = "PAY_PER_REQUEST"

  validation {
    condition     = contains(["PAY_PER_REQUEST", "PROVISIONED"], var.dynamodb_billing_mode)
    error_message = "dynamodb_billing_mode must be PAY_PER_REQUEST or PROVISIONED."
  }
}

variable "dynamodb_read_capacity" {
  description = "With dynamodb_billing_mode PROVISIONED: read capacity units of the table (the always-free tier covers 25 across the account)."
  type        = number
  default     = 5

  validation {
    condition     = var.dynamodb_read_capacity >= 1 && var.dynamodb_read_capacity <= 1000
    error_message = "dynamodb_read_capacity must be between 1 and 1000."
  }
}

variable "dynamodb_write_capacity" {
  description = "With dynamodb_billing_mode PROVISIONED: write capacity units of the table and of its in-progress index (the always-free tier covers 25 across the account). Each upload costs three or four table writes (claim, result, one per topic announced) and two index writes."
  type        = number
  default     = 5

  validation {
    condition     = var.dynamodb_write_capacity >= 1 && var.dynamodb_write_capacity <= 1000
    error_message = "dynamodb_write_capacity must be between 1 and 1000."
  }
}

variable "enable_dynamodb_autoscaling" {
  description = "With dynamodb_billing_mode PROVISIONED: let the write capacity of the table and of its in-progress index follow load, from dynamodb_write_capacity up to 25 WCU each. Reads stay at dynamodb_read_capacity. Each target-tracking policy adds 4 CloudWatch alarms (8 for the two)."
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
# The account around the module: where its buckets log their access, and
# what else the alerts watch (terraform/modules/account-baseline, or an
# organisation's own)
# ---------------------------------------------------------------------------

variable "access_log_target" {
  description = "Where the images and code buckets send their S3 server access logs: a bucket whose policy grants them (logging.s3.amazonaws.com, by the buckets' ARNs, the access_log_source_bucket_arns output) and the key prefix it grants, e.g. the account-baseline module's access_log_target output. Null: the module creates its own logs bucket, <name>-logs-<account>, and logs into it under s3-access-logs/."
  type = object({
    bucket = string
    prefix = string
  })
  default = null

  validation {
    condition     = var.access_log_target == null || can(regex("^[A-Za-z0-9!_.*'()/-]*$", var.access_log_target.prefix))
    error_message = "access_log_target.prefix must be an S3 key prefix."
  }
}

variable "watched_kms_key_arns" {
  description = "KMS keys outside the module (e.g. the account-baseline module's audit key, its audit_kms_key_arn output) whose disabling, scheduled deletion, policy changes, grants and rotation changes page on-call like the module's own two keys (the kms-key-state and key-policy-changed rules)."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for arn in var.watched_kms_key_arns : can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", arn))])
    error_message = "watched_kms_key_arns must hold KMS key ARNs."
  }
}

variable "watched_bucket_names" {
  description = "Buckets outside the module (e.g. the account-baseline module's audit and logs buckets) whose policy, public access block, Object Lock, encryption, versioning or lifecycle changes page on-call like the module's own (the bucket-changed rule)."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "enable_malware_protection" {
  description = "Scan every upload with GuardDuty Malware Protection for S3 before it is processed: the scan result, not S3's event, starts the function, and an infected upload is rejected (reason malware) and reported on the security-alerts topic. Paid per GB scanned and per object (see README, Cost); the local AWS cannot scan, so the local profile keeps it off."
  type        = bool
  default     = false
}

variable "enable_uploader_isolation" {
  description = "Keep uploaders apart: the images bucket's policy lets a principal write only under uploads/<tenant>/, where <tenant> is the value of its principal tag uploader_tenant_tag_key (a tag on its IAM role or user, or a session tag); it cannot overwrite or delete another tenant's upload, and a principal without the tag (or with an empty tenant or one containing '/') uploads nothing. The stack's own roles are exempt. The record and the notification name the tenant. Free. Off by default, so that `aws s3 cp photo.jpg s3://<bucket>/uploads/` keeps working."
  type        = bool
  default     = false
  nullable    = false
}

variable "uploader_tenant_tag_key" {
  description = "The principal tag (aws:PrincipalTag/<key>) whose value is an uploader's tenant, with enable_uploader_isolation. An IAM tag key: 1 to 128 letters, digits, spaces and _.:/=+-@, not starting with aws: (https://docs.aws.amazon.com/IAM/latest/APIReference/API_Tag.html)."
  type        = string
  default     = "image-processor:tenant"
  nullable    = false

  validation {
    condition     = can(regex("^[\\p{L}\\p{Z}\\p{N}_.:/=+@-]{1,128}$", var.uploader_tenant_tag_key)) && !startswith(lower(var.uploader_tenant_tag_key), "aws:")
    error_message = "uploader_tenant_tag_key must be an IAM tag key: 1 to 128 letters, digits, spaces and _.:/=+-@, not starting with aws:."
  }
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

variable "recipes" {
  description = "The outputs each upload yields, decoded once (README, Image processing). null (the default) keeps the seed's rule: one output per upload, chosen by its file name (_thumb: 200 px, _grayscale: greyscale, otherwise 1,024 px), in the upload's format, under the output prefix with the upload's name. A list of 1 to 10 recipes: name (a-z, 0-9, _ and -), max_edge or width and height (the box the upright output fits in, never enlarged; neither keeps the size), grayscale, format (same, jpeg, png, webp or avif; same writes a HEIC upload as JPEG), quality (1 to 100; not for png) or lossless (png, webp or same), and key, the output key below the output prefix, from {path} (the upload's key below the input prefix, without its extension), {ext} and {recipe} (default {recipe}/{path}.{ext}). Changing the set makes a redelivered or backfilled upload a reprocess, not a duplicate."
  type = list(object({
    name      = string
    max_edge  = optional(number)
    width     = optional(number)
    height    = optional(number)
    grayscale = optional(bool, false)
    format    = optional(string, "same")
    quality   = optional(number)
    lossless  = optional(bool, false)
    key       = optional(string, "{recipe}/{path}.{ext}")
  }))
  default = null

  validation {
    condition = var.recipes == null ? true : (
      length(var.recipes) >= 1 && length(var.recipes) <= 10 &&
      length(distinct([for r in var.recipes : r.name])) == length(var.recipes) &&
      alltrue([for r in var.recipes : can(regex("^[a-z0-9][a-z0-9_-]{0,31}$", r.name))])
    )
    error_message = "recipes must be null or a list of 1 to 10 recipes with unique names of 1 to 32 characters from a-z, 0-9, '_' and '-' (starting with a letter or digit)."
  }
  validation {
    condition     = var.recipes == null ? true : alltrue([for r in var.recipes : contains(["same", "jpeg", "png", "webp", "avif"], r.format)])
    error_message = "Each recipe's format must be same, jpeg, png, webp or avif."
  }
  validation {
    condition = var.recipes == null ? true : alltrue([for r in var.recipes : alltrue([
      alltrue([for v in [r.max_edge, r.width, r.height] : v == null ? true : (v >= 1 && v <= 16384 && floor(v) == v)]),
      r.max_edge == null || (r.width == null && r.height == null),
      (r.width == null) == (r.height == null),
    ])])
    error_message = "Each recipe gives max_edge, or width and height together, or neither; each a whole number of pixels from 1 to 16384."
  }
  validation {
    condition = var.recipes == null ? true : alltrue([for r in var.recipes : alltrue([
      r.quality == null ? true : (r.quality >= 1 && r.quality <= 100 && floor(r.quality) == r.quality && r.format != "png" && !r.lossless),
      !r.lossless || contains(["same", "png", "webp"], r.format),
    ])])
    error_message = "A recipe's quality is a whole number from 1 to 100 and applies to same, jpeg, webp and avif, not with lossless; lossless applies to same, png and webp."
  }
  validation {
    condition = var.recipes == null ? true : alltrue([for r in var.recipes : alltrue([
      strcontains(r.key, "{path}"),
      alltrue([for p in regexall("\\{[^}]*\\}", r.key) : contains(["{path}", "{ext}", "{recipe}"], p)]),
      length(regexall("[{}]", replace(replace(replace(r.key, "{path}", ""), "{ext}", ""), "{recipe}", ""))) == 0,
      !startswith(r.key, "/"), !strcontains(r.key, "//"), !contains(split("/", r.key), ".."),
    ])])
    error_message = "A recipe's key is a relative key below the output prefix that contains {path} and uses only {path}, {ext} and {recipe}."
  }
  validation {
    condition = var.recipes == null ? true : length(distinct([
      for r in var.recipes : replace(replace(replace(r.key, "{recipe}", r.name), "{path}", "p"), "{ext}", r.format == "same" ? "same" : (r.format == "jpeg" ? "jpg" : r.format))
    ])) == length(var.recipes)
    error_message = "Two recipes would write the same output key: put {recipe} (or a different {ext}) in their key templates."
  }
}

variable "enable_heic_input" {
  description = "Accept HEIC/HEIF uploads (the iPhone's default photo format), recognised by the brands of their ftyp box and decoded by pillow-heif (libheif and libde265): the primary image, turned by HEIF's own transforms, colour-managed into sRGB, every piece of metadata stripped. Off, a HEIC upload is rejected as before (unsupported_extension for a .heic name, unsupported_type for HEIC content under another name). SECURITY.md names the decoder's attack surface."
  type        = bool
  default     = false
}

variable "enable_vpc" {
  description = "Run the function in a VPC of its own without a route out: private subnets in two Availability Zones, no internet gateway, no NAT; gateway endpoints for S3 and DynamoDB (free) and an interface endpoint for SNS, each with a policy naming only this stack's bucket, table or topics; a security group that allows HTTPS to those endpoints only. The SNS endpoint is billed per hour in each of the two zones and per GB (https://aws.amazon.com/privatelink/pricing/; README, Cost): off by default."
  type        = bool
  default     = false
  nullable    = false
}

variable "kms_key_administrators" {
  description = "IAM roles or users (ARNs, not role sessions) that administer both keys, data and security: describe, tag, rotate and change their policies. They cannot use a key to decrypt outside its services, disable it, schedule the security key's deletion or grant it (only break_glass_principal_arn can); they may schedule the data key's deletion, which destroy.sh does. null names the identity that runs Terraform, which must stay in the list: KMS refuses a key policy that would lock out its caller (https://docs.aws.amazon.com/sdkforruby/api/Aws/KMS/Types/PutKeyPolicyRequest.html)."
  type        = list(string)
  default     = null

  validation {
    condition     = var.kms_key_administrators == null || alltrue([for arn in coalesce(var.kms_key_administrators, []) : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/", arn))])
    error_message = "kms_key_administrators must be null or a list of IAM role or user ARNs (arn:aws:iam::<account>:role/... or :user/...)."
  }
}

variable "break_glass_principal_arn" {
  description = "The one principal (ARN) that may disable either key (data and security), schedule the security key's deletion (the data key's: also kms_key_administrators), create grants on it (but those DynamoDB and Lambda create for the data key), turn its rotation off, import key material or replicate it. null means the account's root user (arn:aws:iam::<account>:root), used only in an emergency and with MFA. A `terraform destroy` run by anyone else keeps the security key (destroy.sh leaves it out; SECURITY.md, \"Encryption and key management\")."
  type        = string
  default     = null

  validation {
    condition     = var.break_glass_principal_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(root|role/.+|user/.+)$", coalesce(var.break_glass_principal_arn, "-")))
    error_message = "break_glass_principal_arn must be null or an IAM role, user or account root ARN."
  }
}

variable "kms_key_users" {
  description = "IAM roles or users (ARNs) that may decrypt what the security key protects for people, through SQS (the undelivered-events and failed-events queues) and S3 (the trail's files a deployment wrote before the account baseline had its own audit key) only: on-call and auditors. Empty by default: nobody's IAM policy alone can; the key's other uses are its services' own (SNS, SQS, CloudWatch Logs)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.kms_key_users : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/", arn))])
    error_message = "kms_key_users must be IAM role or user ARNs."
  }
}


output "replica_bucket_arn" {
  description = "ARN of the replica bucket, in the replica region."
  value       = module.replica_bucket.arn
}

output "replica_kms_key_arn" {
  description = "ARN of the replica's key, in the replica region."
  value       = aws_kms_key.replica.arn
}

output "replication_role_arn" {
  description = "ARN of the role S3 replicates with."
  value       = aws_iam_role.replication.arn
}

output "replication_rule" {
  description = "The replication rule as configured (for tests and audits)."
  value       = one(aws_s3_bucket_replication_configuration.this.rule)
}

output "replica_object_lock" {
  description = "Object Lock of the replica bucket, as configured."
  value       = module.replica_bucket.object_lock
}

output "policies" {
  description = "The policies as rendered: the replica key's, the replica bucket's, the replication role's and the logs replica bucket's (null without replicate_logs_bucket)."
  value = {
    replica_key    = data.aws_iam_policy_document.replica_key.json
    replica_bucket = data.aws_iam_policy_document.evidence_tampering["audit"].json
    replication    = data.aws_iam_policy_document.replication.json
    logs_replica   = try(data.aws_iam_policy_document.evidence_tampering["logs"].json, null)
  }
}

output "replication_role_name" {
  description = "Name of the replication role: the security key's policy expects <name>-audit-replication."
  value       = aws_iam_role.replication.name
}

output "logs_replica_bucket_arn" {
  description = "ARN of the logs bucket's replica, in the replica region; null without replicate_logs_bucket."
  value       = try(module.logs_replica_bucket["this"].arn, null)
}

output "logs_replication_rule" {
  description = "The logs bucket's replication rule as configured; null without replicate_logs_bucket."
  value       = try(one(aws_s3_bucket_replication_configuration.logs["this"].rule), null)
}

output "logs_replica_object_lock" {
  description = "Object Lock of the logs bucket's replica, as configured; null without replicate_logs_bucket."
  value       = try(module.logs_replica_bucket["this"].object_lock, null)
}

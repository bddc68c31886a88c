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

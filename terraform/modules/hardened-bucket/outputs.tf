output "id" {
  description = "Name of the bucket, known once its policy is in place: services the policy grants (S3 logging, CloudTrail, Config) can be pointed at it through this output without a depends_on."
  value       = try(aws_s3_bucket_policy.this.bucket, null)
}

output "bucket" {
  description = "Name of the bucket."
  value       = try(aws_s3_bucket.this.bucket, null)
}

output "arn" {
  description = "ARN of the bucket."
  value       = try(aws_s3_bucket.this.arn, null)
}

output "policy" {
  description = "The bucket policy as applied (JSON)."
  value       = try(aws_s3_bucket_policy.this.policy, null)
}

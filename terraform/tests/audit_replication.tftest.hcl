# enable_audit_replication: the audit-replica module, asserted on what the
# real AWS provider renders, through tests/fixtures/terraform-audit-replica (which
# configures its two regions; see pipeline.tftest.hcl for how nothing reaches
# AWS: every managed resource is overridden). The stack's wiring is in
# evidence.tftest.hcl.

override_data {
  target = module.audit_replica.data.aws_caller_identity.current
  values = { account_id = "123456789012", arn = "arn:aws:sts::123456789012:assumed-role/deployer/terraform" }
}

override_resource {
  target = module.audit_replica.aws_kms_key.replica
  values = {
    arn    = "arn:aws:kms:us-west-2:123456789012:key/22222222-3333-4444-5555-666666666666"
    key_id = "22222222-3333-4444-5555-666666666666"
  }
}

override_resource {
  target = module.audit_replica.aws_kms_alias.replica
}

override_resource {
  target = module.audit_replica.aws_iam_role.replication
  values = { arn = "arn:aws:iam::123456789012:role/test-prod-audit-replication", id = "test-prod-audit-replication" }
}

override_resource {
  target = module.audit_replica.aws_iam_role_policy.replication
}

override_resource {
  target = module.audit_replica.aws_s3_bucket_replication_configuration.this
}

override_resource {
  target = module.audit_replica.module.replica_bucket.aws_s3_bucket.this
  values = { arn = "arn:aws:s3:::test-prod-audit-replica-123456789012", id = "test-prod-audit-replica-123456789012" }
}

override_resource {
  target = module.audit_replica.module.replica_bucket.aws_s3_bucket_public_access_block.this
}

override_resource {
  target = module.audit_replica.module.replica_bucket.aws_s3_bucket_ownership_controls.this
}

override_resource {
  target = module.audit_replica.module.replica_bucket.aws_s3_bucket_server_side_encryption_configuration.this
}

override_resource {
  target = module.audit_replica.module.replica_bucket.aws_s3_bucket_versioning.this
}

override_resource {
  target = module.audit_replica.module.replica_bucket.aws_s3_bucket_lifecycle_configuration.this
}

override_resource {
  target = module.audit_replica.module.replica_bucket.aws_s3_bucket_policy.this
}

override_resource {
  target = module.audit_replica.module.replica_bucket.aws_s3_bucket_object_lock_configuration.this
}

override_resource {
  target = module.audit_replica.aws_s3_bucket_replication_configuration.logs["this"]
}

override_resource {
  target = module.audit_replica.module.logs_replica_bucket["this"].aws_s3_bucket.this
  values = { arn = "arn:aws:s3:::test-prod-logs-replica-123456789012", id = "test-prod-logs-replica-123456789012" }
}

override_resource {
  target = module.audit_replica.module.logs_replica_bucket["this"].aws_s3_bucket_public_access_block.this
}

override_resource {
  target = module.audit_replica.module.logs_replica_bucket["this"].aws_s3_bucket_ownership_controls.this
}

override_resource {
  target = module.audit_replica.module.logs_replica_bucket["this"].aws_s3_bucket_server_side_encryption_configuration.this
}

override_resource {
  target = module.audit_replica.module.logs_replica_bucket["this"].aws_s3_bucket_versioning.this
}

override_resource {
  target = module.audit_replica.module.logs_replica_bucket["this"].aws_s3_bucket_lifecycle_configuration.this
}

override_resource {
  target = module.audit_replica.module.logs_replica_bucket["this"].aws_s3_bucket_policy.this
}

override_resource {
  target = module.audit_replica.module.logs_replica_bucket["this"].aws_s3_bucket_object_lock_configuration.this
}

run "the_replica_of_both_buckets" {
  module {
    source = "../tests/fixtures/terraform-audit-replica"
  }

  # the_replica_is_locked_encrypted_in_its_region_and_kept_from_all_but_break_glass
  # Every version, Object Lock included, to the replica; deletions stay behind.
  assert {
    condition = (output.replication_rule.status == "Enabled" &&
      one(output.replication_rule.delete_marker_replication).status == "Disabled" &&
      one(output.replication_rule.destination).bucket == output.replica_bucket_arn &&
    one(one(output.replication_rule.destination).encryption_configuration).replica_kms_key_id == output.replica_kms_key_arn)
    error_message = "The audit bucket must replicate every version to the replica, encrypted with the replica's key, without delete markers."
  }
  assert {
    condition     = output.replica_object_lock == { enabled = true, mode = "GOVERNANCE", days = 365 }
    error_message = "The replica must be under the same Object Lock retention as the source."
  }
  assert {
    condition = anytrue([for s in jsondecode(output.policies.replica_bucket).Statement :
      s.Effect == "Deny" && contains(flatten([s.Action]), "s3:BypassGovernanceRetention") && contains(flatten([s.Action]), "s3:DeleteObjectVersion") &&
      flatten([try(s.Condition.ArnNotEquals["aws:PrincipalArn"], [])]) == ["arn:aws:iam::123456789012:root"]
    ])
    error_message = "The replica must refuse retention bypass and version deletion to all but the break-glass principal."
  }
  assert {
    condition = anytrue([for s in jsondecode(output.policies.replica_key).Statement :
      s.Effect == "Deny" && contains(flatten([s.Action]), "kms:ScheduleKeyDeletion") && contains(flatten([s.Action]), "kms:DisableKey")
    ]) && alltrue([for s in jsondecode(output.policies.replica_key).Statement : !contains(flatten([s.Action]), "kms:*")])
    error_message = "The replica's key must refuse deletion and disabling to all but break-glass, and grant kms:* to no one."
  }
  # The role decrypts the source and encrypts the replica through S3 only,
  # each in its region; its name is the one the security key's policy expects.
  assert {
    condition = alltrue([for s in jsondecode(output.policies.replication).Statement :
      contains(["s3.us-east-1.amazonaws.com", "s3.us-west-2.amazonaws.com"], try(s.Condition.StringEquals["kms:ViaService"], ""))
    if anytrue([for a in flatten([s.Action]) : startswith(a, "kms:")])])
    error_message = "The replication role may use the keys only through S3."
  }
  assert {
    condition     = output.replication_role_name == "test-prod-audit-replication"
    error_message = "The replication role must be <name>-audit-replication: the security key's policy names it so (enable_audit_replication)."
  }

  # the_logs_bucket_is_replicated_to_a_locked_replica_of_its_own
  # The logs bucket (access logs, Config files) with the same toggle: every new
  # version to a replica of its own in the replica region, under the same
  # Object Lock retention, kept from all but break-glass; SSE-S3 as its source
  # (no replica key: neither side is SSE-KMS), deletions stay behind.
  assert {
    condition = (output.logs_replication_rule.status == "Enabled" &&
      one(output.logs_replication_rule.delete_marker_replication).status == "Disabled" &&
      one(output.logs_replication_rule.destination).bucket == output.logs_replica_bucket_arn &&
    length(one(output.logs_replication_rule.destination).encryption_configuration) == 0)
    error_message = "The logs bucket must replicate every version to its own replica (SSE-S3, no replica key), without delete markers."
  }
  assert {
    condition     = output.logs_replica_bucket_arn != output.replica_bucket_arn
    error_message = "The logs must have a replica bucket of their own, not the trail's."
  }
  assert {
    condition     = output.logs_replica_object_lock == { enabled = true, mode = "GOVERNANCE", days = 365 }
    error_message = "The logs' replica must be under the same Object Lock retention as the audit evidence."
  }
  assert {
    condition = anytrue([for s in jsondecode(output.policies.logs_replica).Statement :
      s.Effect == "Deny" && contains(flatten([s.Action]), "s3:BypassGovernanceRetention") && contains(flatten([s.Action]), "s3:DeleteObjectVersion") &&
      flatten([try(s.Condition.ArnNotEquals["aws:PrincipalArn"], [])]) == ["arn:aws:iam::123456789012:root"] &&
      contains(flatten([s.Resource]), "arn:aws:s3:::test-prod-logs-replica-123456789012/*")
    ])
    error_message = "The logs' replica must refuse retention bypass and version deletion to all but the break-glass principal."
  }
  assert {
    condition = anytrue([for s in jsondecode(output.policies.replication).Statement :
      contains(flatten([s.Action]), "s3:GetObjectVersionForReplication") && contains(flatten([s.Resource]), "arn:aws:s3:::test-prod-logs-123456789012/*")
    ])
    error_message = "The replication role must read each version of the logs bucket."
  }
}

run "without_the_logs_option_only_the_audit_bucket_is_replicated" {
  module {
    source = "../tests/fixtures/terraform-audit-replica"
  }

  variables {
    replicate_logs_bucket = false
  }

  assert {
    condition     = output.logs_replication_rule == null && output.logs_replica_bucket_arn == null && output.policies.logs_replica == null
    error_message = "Without replicate_logs_bucket, the logs bucket must not be replicated."
  }
  assert {
    condition = alltrue([for s in jsondecode(output.policies.replication).Statement :
    !contains(flatten([s.Resource]), "arn:aws:s3:::test-prod-logs-123456789012/*")])
    error_message = "Without replicate_logs_bucket, the replication role must not read the logs bucket."
  }
}

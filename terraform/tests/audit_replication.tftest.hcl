# enable_audit_replication: the audit-replica module, asserted on what the
# real AWS provider renders (see pipeline.tftest.hcl for how nothing reaches
# AWS: every managed resource is overridden), and its wiring in the stack
# (mocked provider, plan only).

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "never-used"
  secret_key                  = "never-used"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}

provider "aws" {
  alias                       = "replica"
  region                      = "us-west-2"
  access_key                  = "never-used"
  secret_key                  = "never-used"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}

override_data {
  target = data.aws_caller_identity.current
  values = { account_id = "123456789012", arn = "arn:aws:sts::123456789012:assumed-role/deployer/terraform" }
}

override_resource {
  target = aws_kms_key.replica
  values = {
    arn    = "arn:aws:kms:us-west-2:123456789012:key/22222222-3333-4444-5555-666666666666"
    key_id = "22222222-3333-4444-5555-666666666666"
  }
}

override_resource {
  target = aws_kms_alias.replica
}

override_resource {
  target = aws_iam_role.replication
  values = { arn = "arn:aws:iam::123456789012:role/test-prod-audit-replication", id = "test-prod-audit-replication" }
}

override_resource {
  target = aws_iam_role_policy.replication
}

override_resource {
  target = aws_s3_bucket_replication_configuration.this
}

override_resource {
  target = module.replica_bucket.aws_s3_bucket.this
  values = { arn = "arn:aws:s3:::test-prod-audit-replica-123456789012", id = "test-prod-audit-replica-123456789012" }
}

override_resource {
  target = module.replica_bucket.aws_s3_bucket_public_access_block.this
}

override_resource {
  target = module.replica_bucket.aws_s3_bucket_ownership_controls.this
}

override_resource {
  target = module.replica_bucket.aws_s3_bucket_server_side_encryption_configuration.this
}

override_resource {
  target = module.replica_bucket.aws_s3_bucket_versioning.this
}

override_resource {
  target = module.replica_bucket.aws_s3_bucket_lifecycle_configuration.this
}

override_resource {
  target = module.replica_bucket.aws_s3_bucket_policy.this
}

override_resource {
  target = module.replica_bucket.aws_s3_bucket_object_lock_configuration.this
}

variables {
  name                      = "test-prod"
  source_bucket_name        = "test-prod-audit-123456789012"
  source_kms_key_arn        = "arn:aws:kms:us-east-1:123456789012:key/99999999-8888-7777-6666-555555555555"
  object_lock               = { mode = "GOVERNANCE", days = 365 }
  break_glass_principal_arn = "arn:aws:iam::123456789012:root"
}

run "the_replica_is_locked_encrypted_in_its_region_and_kept_from_all_but_break_glass" {
  module {
    source = "./modules/audit-replica"
  }

  providers = {
    aws         = aws
    aws.replica = aws.replica
  }

  # Every version, Object Lock included, to the replica; deletions stay behind.
  assert {
    condition = (one(aws_s3_bucket_replication_configuration.this.rule).status == "Enabled" &&
      one(one(aws_s3_bucket_replication_configuration.this.rule).delete_marker_replication).status == "Disabled" &&
      one(one(aws_s3_bucket_replication_configuration.this.rule).destination).bucket == module.replica_bucket.arn &&
    one(one(one(aws_s3_bucket_replication_configuration.this.rule).destination).encryption_configuration).replica_kms_key_id == aws_kms_key.replica.arn)
    error_message = "The audit bucket must replicate every version to the replica, encrypted with the replica's key, without delete markers."
  }
  assert {
    condition     = module.replica_bucket.object_lock == { enabled = true, mode = "GOVERNANCE", days = 365 }
    error_message = "The replica must be under the same Object Lock retention as the source."
  }
  assert {
    condition = anytrue([for s in jsondecode(data.aws_iam_policy_document.replica_bucket.json).Statement :
      s.Effect == "Deny" && contains(flatten([s.Action]), "s3:BypassGovernanceRetention") && contains(flatten([s.Action]), "s3:DeleteObjectVersion") &&
      flatten([try(s.Condition.ArnNotEquals["aws:PrincipalArn"], [])]) == ["arn:aws:iam::123456789012:root"]
    ])
    error_message = "The replica must refuse retention bypass and version deletion to all but the break-glass principal."
  }
  assert {
    condition = anytrue([for s in jsondecode(data.aws_iam_policy_document.replica_key.json).Statement :
      s.Effect == "Deny" && contains(flatten([s.Action]), "kms:ScheduleKeyDeletion") && contains(flatten([s.Action]), "kms:DisableKey")
    ]) && alltrue([for s in jsondecode(data.aws_iam_policy_document.replica_key.json).Statement : !contains(flatten([s.Action]), "kms:*")])
    error_message = "The replica's key must refuse deletion and disabling to all but break-glass, and grant kms:* to no one."
  }
  # The role decrypts the source and encrypts the replica through S3 only,
  # each in its region; its name is the one the security key's policy expects.
  assert {
    condition = alltrue([for s in jsondecode(data.aws_iam_policy_document.replication.json).Statement :
      contains(["s3.us-east-1.amazonaws.com", "s3.us-west-2.amazonaws.com"], try(s.Condition.StringEquals["kms:ViaService"], ""))
    if anytrue([for a in flatten([s.Action]) : startswith(a, "kms:")])])
    error_message = "The replication role may use the keys only through S3."
  }
  assert {
    condition     = aws_iam_role.replication.name == "test-prod-audit-replication"
    error_message = "The replication role must be <name>-audit-replication: the security key's policy names it so (enable_audit_replication)."
  }
}

run "the_replica_region_must_differ" {
  command = plan

  module {
    source = "./modules/audit-replica"
  }

  providers = {
    aws         = aws
    aws.replica = aws
  }

  expect_failures = [aws_kms_key.replica]
}

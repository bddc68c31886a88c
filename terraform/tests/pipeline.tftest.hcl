# The image-pipeline module's security promises, asserted on what the real
# AWS provider renders: every aws_iam_policy_document is computed by the
# provider, locally, and the assertions read the JSON that the bucket, key,
# topic, queue and role policies would send to AWS.
#
# Nothing reaches AWS. Terraform defers a data source that references a
# resource still to be created to apply time, so these runs "apply" with every
# managed resource overridden (Terraform does not call the provider for
# them; AWS-assigned ARNs are given below). The only data source that would
# call AWS, the caller identity, is overridden too. Run: terraform test
# (or `make test-terraform`).
#
# Every run that needs these overrides lives in this file: the pipeline, the
# security key and its alerts, audit evidence, the Batch Operations role and
# the network of enable_vpc. Terraform 1.11 shares override blocks between
# test files only through mock data files (*.tfmock.hcl), and those apply only
# to what a mock_provider creates ("Terraform will only override the target
# data source if the mock provider creates it",
# https://developer.hashicorp.com/terraform/language/tests/mocking): the
# policy documents would then be mock strings, not what the provider renders.
#
# One run per set of variables: each run plans and applies the whole module
# with the real provider (about 2.4 s of CPU a run, measured), so the
# properties that hold under the same variables share a run, one group of
# asserts each, under a comment with the name the property's run had
# (SECURITY.md and README.md cite those names: `pipeline.tftest.hcl::NAME`).
# Terraform evaluates every assert of a run and reports each that fails with
# its own message.

provider "aws" {
  region                      = "us-east-1"
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

# The role that runs Terraform (a key administrator of the security key).
override_data {
  target = data.aws_iam_session_context.deployer
  values = { issuer_arn = "arn:aws:iam::123456789012:role/deployer" }
}

# ---------------------------------------------------------------------------
# Every managed resource of the module, so that no run calls AWS.
# ---------------------------------------------------------------------------

override_resource {
  target = aws_cloudwatch_metric_alarm.this
}

override_resource {
  target = aws_s3_bucket_notification.this
}

override_resource {
  target = aws_guardduty_malware_protection_plan.this
  values = { arn = "arn:aws:guardduty:us-east-1:123456789012:malware-protection-plan/test" }
}

override_resource {
  target = aws_iam_role.malware_protection
  values = { arn = "arn:aws:iam::123456789012:role/test-prod-malware-protection", id = "test-prod-malware-protection" }
}

override_resource {
  target = aws_iam_role_policy.malware_protection
}

override_resource {
  target = aws_cloudwatch_event_rule.malware_scan_result
  values = { arn = "arn:aws:events:us-east-1:123456789012:rule/test-prod-malware-scan-result", name = "test-prod-malware-scan-result" }
}

override_resource {
  target = aws_cloudwatch_event_target.malware_scan_result
}

override_resource {
  target = aws_dynamodb_table.this
  values = { arn = "arn:aws:dynamodb:us-east-1:123456789012:table/test-prod-uploads" }
}

override_resource {
  target = aws_appautoscaling_target.write
}

override_resource {
  target = aws_appautoscaling_policy.write
}

override_resource {
  target = aws_cloudwatch_event_rule.this
}

override_resource {
  target = aws_cloudwatch_event_target.this
}

override_resource {
  target = aws_iam_role.lambda
  values = { arn = "arn:aws:iam::123456789012:role/test-prod-lambda", id = "test-prod-lambda" }
}

override_resource {
  target = aws_iam_role_policy.lambda
}

override_resource {
  target = aws_iam_role.batch_operations
  values = { arn = "arn:aws:iam::123456789012:role/test-prod-batch-operations", id = "test-prod-batch-operations" }
}

override_resource {
  target = aws_iam_role_policy.batch_operations
}

override_resource {
  target = aws_kms_key.this
  values = {
    arn    = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    key_id = "11111111-2222-3333-4444-555555555555"
  }
}

override_resource {
  target = aws_kms_alias.this
}

override_resource {
  target = aws_kms_key.security
  values = {
    arn    = "arn:aws:kms:us-east-1:123456789012:key/99999999-8888-7777-6666-555555555555"
    key_id = "99999999-8888-7777-6666-555555555555"
  }
}

override_resource {
  target = aws_kms_alias.security
}

override_resource {
  target = aws_cloudwatch_event_rule.sweep
  values = { arn = "arn:aws:events:us-east-1:123456789012:rule/test-prod-sweep", name = "test-prod-sweep" }
}

override_resource {
  target = aws_cloudwatch_event_target.sweep
}

override_resource {
  target = aws_lambda_permission.sweep
}

override_resource {
  target = aws_sqs_queue.rule_dead_letter
  values = { arn = "arn:aws:sqs:us-east-1:123456789012:test-prod-undelivered-events", url = "https://sqs.us-east-1.amazonaws.com/123456789012/test-prod-undelivered-events" }
}

override_resource {
  target = aws_sqs_queue_policy.rule_dead_letter
}

override_resource {
  target = aws_sqs_queue.failed_sweeps
  values = { arn = "arn:aws:sqs:us-east-1:123456789012:test-prod-failed-sweeps", url = "https://sqs.us-east-1.amazonaws.com/123456789012/test-prod-failed-sweeps" }
}

override_resource {
  target = aws_sqs_queue_policy.failed_sweeps
}

override_resource {
  target = aws_lambda_function.this
  values = { arn = "arn:aws:lambda:us-east-1:123456789012:function:test-prod" }
}

override_resource {
  target = aws_cloudwatch_log_group.lambda
  values = { arn = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/test-prod" }
}

override_resource {
  target = aws_lambda_event_source_mapping.uploads
  values = { uuid = "a1b2c3d4-5678-90ab-cdef-111111111111" }
}

override_resource {
  target = aws_lambda_function_event_invoke_config.this
}

override_resource {
  target = aws_sns_topic.this["notifications"]
  values = { arn = "arn:aws:sns:us-east-1:123456789012:test-prod-notifications" }
}

override_resource {
  target = aws_sns_topic.this["security_alerts"]
  values = { arn = "arn:aws:sns:us-east-1:123456789012:test-prod-security-alerts" }
}

override_resource {
  target = aws_sns_topic_policy.this
}

override_resource {
  target = aws_sns_topic_subscription.email
}

override_resource {
  target = aws_sqs_queue.dead_letter
  values = { arn = "arn:aws:sqs:us-east-1:123456789012:test-prod-failed-events", url = "https://sqs.us-east-1.amazonaws.com/123456789012/test-prod-failed-events" }
}

override_resource {
  target = aws_sqs_queue_policy.dead_letter
}

# The security key's own alerts, on the data key (key_alerts.tf).
override_resource {
  target = aws_sns_topic.key_alerts
  values = { arn = "arn:aws:sns:us-east-1:123456789012:test-prod-key-alerts" }
}

override_resource {
  target = aws_sns_topic_policy.key_alerts
}

override_resource {
  target = aws_sns_topic_subscription.key_alerts
}

override_resource {
  target = aws_cloudwatch_event_target.key_alerts
}

override_resource {
  target = aws_sqs_queue_redrive_allow_policy.dead_letter
}

override_resource {
  target = aws_sqs_queue.uploads
  values = { arn = "arn:aws:sqs:us-east-1:123456789012:test-prod-uploads", url = "https://sqs.us-east-1.amazonaws.com/123456789012/test-prod-uploads" }
}

override_resource {
  target = aws_sqs_queue_policy.uploads
}

override_resource {
  target = module.images_bucket.aws_s3_bucket.this
  values = { arn = "arn:aws:s3:::test-prod-images-123456789012", id = "test-prod-images-123456789012" }
}

override_resource {
  target = module.images_bucket.aws_s3_bucket_public_access_block.this
}

override_resource {
  target = module.images_bucket.aws_s3_bucket_ownership_controls.this
}

override_resource {
  target = module.images_bucket.aws_s3_bucket_server_side_encryption_configuration.this
}

override_resource {
  target = module.images_bucket.aws_s3_bucket_versioning.this
}

override_resource {
  target = module.images_bucket.aws_s3_bucket_lifecycle_configuration.this
}

override_resource {
  target = module.images_bucket.aws_s3_bucket_logging.this
}

override_resource {
  target = module.images_bucket.aws_s3_bucket_policy.this
}

override_resource {
  target = module.logs_bucket[0].aws_s3_bucket.this
  values = { arn = "arn:aws:s3:::test-prod-logs-123456789012", id = "test-prod-logs-123456789012" }
}

override_resource {
  target = module.logs_bucket[0].aws_s3_bucket_public_access_block.this
}

override_resource {
  target = module.logs_bucket[0].aws_s3_bucket_ownership_controls.this
}

override_resource {
  target = module.logs_bucket[0].aws_s3_bucket_server_side_encryption_configuration.this
}

override_resource {
  target = module.logs_bucket[0].aws_s3_bucket_versioning.this
}

override_resource {
  target = module.logs_bucket[0].aws_s3_bucket_lifecycle_configuration.this
}

override_resource {
  target = module.logs_bucket[0].aws_s3_bucket_logging.this
}

override_resource {
  target = module.logs_bucket[0].aws_s3_bucket_policy.this
}

override_resource {
  target = module.logs_bucket[0].aws_s3_bucket_object_lock_configuration.this
}

# Code signing (enable_code_signing): AWS-assigned names and the signed copy.
override_resource {
  target = aws_signer_signing_profile.this
  values = {
    name        = "test_prod_20261202"
    version_arn = "arn:aws:signer:us-east-1:123456789012:/signing-profiles/test_prod_20261202/abcdef1234"
  }
}

override_resource {
  target = aws_lambda_code_signing_config.this
  values = { arn = "arn:aws:lambda:us-east-1:123456789012:code-signing-config:csc-0123456789abcdef0" }
}

override_resource {
  target = aws_s3_object.unsigned_package
  values = { version_id = "unsigned-version-1" }
}

override_resource {
  target = aws_signer_signing_job.package
  values = {
    job_id        = "job-1"
    signed_object = [{ s3 = [{ bucket = "test-prod-code-123456789012", key = "signed/job-1.zip" }] }]
  }
}

override_resource {
  target = module.code_bucket["this"].aws_s3_bucket.this
  values = { arn = "arn:aws:s3:::test-prod-code-123456789012", id = "test-prod-code-123456789012" }
}

override_resource {
  target = module.code_bucket["this"].aws_s3_bucket_public_access_block.this
}

override_resource {
  target = module.code_bucket["this"].aws_s3_bucket_ownership_controls.this
}

override_resource {
  target = module.code_bucket["this"].aws_s3_bucket_server_side_encryption_configuration.this
}

override_resource {
  target = module.code_bucket["this"].aws_s3_bucket_versioning.this
}

override_resource {
  target = module.code_bucket["this"].aws_s3_bucket_lifecycle_configuration.this
}

override_resource {
  target = module.code_bucket["this"].aws_s3_bucket_logging.this
}

override_resource {
  target = module.code_bucket["this"].aws_s3_bucket_policy.this
}

# ---------------------------------------------------------------------------
# The network of enable_vpc (network.tf)
# ---------------------------------------------------------------------------

override_data {
  target = data.aws_availability_zones.this["this"]
  values = { names = ["us-east-1a", "us-east-1b", "us-east-1c"] }
}

override_resource {
  target = aws_vpc.this["this"]
  values = { id = "vpc-0123456789abcdef0" }
}

override_resource {
  target = aws_default_security_group.this["this"]
}

override_resource {
  target = aws_subnet.this["us-east-1a"]
  values = { id = "subnet-0aaaaaaaaaaaaaaaa", arn = "arn:aws:ec2:us-east-1:123456789012:subnet/subnet-0aaaaaaaaaaaaaaaa" }
}

override_resource {
  target = aws_subnet.this["us-east-1b"]
  values = { id = "subnet-0bbbbbbbbbbbbbbbb", arn = "arn:aws:ec2:us-east-1:123456789012:subnet/subnet-0bbbbbbbbbbbbbbbb" }
}

override_resource {
  target = aws_route_table.this["this"]
  values = { id = "rtb-0123456789abcdef0" }
}

override_resource {
  target = aws_route_table_association.this
}

override_resource {
  target = aws_vpc_endpoint.gateway["s3"]
  values = { id = "vpce-0s3", prefix_list_id = "pl-63a5400a" }
}

override_resource {
  target = aws_vpc_endpoint.gateway["dynamodb"]
  values = { id = "vpce-0dynamodb", prefix_list_id = "pl-02cd2c6b" }
}

override_resource {
  target = aws_vpc_endpoint.sns["this"]
  values = { id = "vpce-0sns" }
}

override_resource {
  target = aws_security_group.lambda["this"]
  values = { id = "sg-0lambda", arn = "arn:aws:ec2:us-east-1:123456789012:security-group/sg-0lambda" }
}

override_resource {
  target = aws_security_group.sns_endpoint["this"]
  values = { id = "sg-0snsendpoint", arn = "arn:aws:ec2:us-east-1:123456789012:security-group/sg-0snsendpoint" }
}

override_resource {
  target = aws_vpc_security_group_egress_rule.lambda_to_gateway
}

override_resource {
  target = aws_vpc_security_group_egress_rule.lambda_to_sns
}

override_resource {
  target = aws_vpc_security_group_ingress_rule.sns_from_lambda
}

override_resource {
  target = aws_iam_role_policy.lambda_network
}

variables {
  name                = "test-prod"
  lambda_package_path = "tests/fixtures/placeholder.zip"

  # Everything that adds a grant or an alarm is on, so that the properties
  # below are checked on every statement and alarm the module can create.
  enable_guardduty_findings_rule = true
  enable_dynamodb_autoscaling    = true
}

# ---------------------------------------------------------------------------
# Buckets: the skeleton, and the policies as rendered
# ---------------------------------------------------------------------------

run "with_every_grant_and_alarm_on" {
  module {
    source = "./modules/image-pipeline"
  }

  # every_bucket_blocks_public_access_and_acls
  assert {
    condition = alltrue([for b in [module.images_bucket, module.logs_bucket[0]] :
    b.public_access_blocked && b.acls_disabled && b.versioning_enabled])
    error_message = "Every bucket must block public access (all four settings), disable ACLs and keep versions."
  }

  # images_bucket_is_encrypted_with_the_cmk_and_expires_data
  assert {
    condition     = module.images_bucket.encryption == { sse_algorithm = "aws:kms", kms_master_key_id = aws_kms_key.this.arn, bucket_key_enabled = true }
    error_message = "The images bucket must default to SSE-KMS with the stack's key and an S3 bucket key."
  }
  assert {
    condition = alltrue([for prefix in ["uploads/", "processed/"] :
    contains(module.images_bucket.expiring_prefixes, prefix)])
    error_message = "Uploads and results must expire (upload_retention_days)."
  }
  assert {
    condition     = module.logs_bucket[0].encryption.sse_algorithm == "AES256"
    error_message = "The logs bucket must use SSE-S3: S3 server access logging cannot deliver into SSE-KMS."
  }
  assert {
    condition     = module.logs_bucket[0].object_lock == null
    error_message = "The logs bucket must not have Object Lock: S3 cannot deliver server access logs, nor AWS Config its files, into such a bucket."
  }

  # the_buckets_log_their_access_into_the_modules_own_logs_bucket
  # Without access_log_target the module has a logs bucket of its own, which
  # accepts the images bucket's access logs by the bucket's ARN, under the
  # prefix the images bucket logs to.
  assert {
    condition     = module.images_bucket.access_log_target == { bucket = module.logs_bucket[0].id, prefix = "s3-access-logs/" }
    error_message = "Without access_log_target, the images bucket must log its access into the module's own logs bucket."
  }
  assert {
    condition = anytrue([for s in jsondecode(module.logs_bucket[0].policy).Statement :
      s.Sid == "S3ServerAccessLogsFromTheStacksBuckets" && s.Resource == "${module.logs_bucket[0].arn}/${module.images_bucket.access_log_target.prefix}*" &&
      contains(flatten([try(s.Condition.ArnLike["aws:SourceArn"], [])]), module.images_bucket.arn)
    ])
    error_message = "The logs bucket must accept the images bucket's access logs, by the images bucket's ARN, under the prefix the images bucket logs to."
  }
  assert {
    condition     = output.access_log_source_bucket_arns == [module.images_bucket.arn] && output.evidence_bucket_arns == [module.logs_bucket[0].arn]
    error_message = "The module must name the buckets that log (the images bucket) and its own logs bucket as evidence."
  }

  # every_bucket_policy_denies_requests_without_tls
  assert {
    condition = alltrue([for b in [module.images_bucket, module.logs_bucket[0]] :
      anytrue([for s in try(jsondecode(b.policy).Statement, []) :
        s.Effect == "Deny" && contains(flatten([s.Action]), "s3:*") && s.Principal == "*" &&
        toset(flatten([s.Resource])) == toset([b.arn, "${b.arn}/*"]) &&
        contains(flatten([try(s.Condition.Bool["aws:SecureTransport"], [])]), "false")
    ])])
    error_message = "Every bucket policy must deny s3:* on the bucket and its objects to everyone without TLS."
  }

  # each_bucket_policy_is_its_own
  # A policy meant for one bucket would name another bucket's ARN.
  assert {
    condition = alltrue(flatten([for b in [module.images_bucket, module.logs_bucket[0]] : [
      for s in jsondecode(b.policy).Statement : [
        for r in flatten([s.Resource]) : r == b.arn || startswith(r, "${b.arn}/")
    ]]]))
    error_message = "A bucket policy may name only its own bucket."
  }
  assert {
    condition = anytrue([for s in jsondecode(module.images_bucket.policy).Statement :
      s.Effect == "Deny" && contains(flatten([s.Action]), "s3:PutObject") &&
      contains(flatten([try(s.Condition.StringNotEquals["s3:x-amz-server-side-encryption-aws-kms-key-id"], [])]), aws_kms_key.this.arn)
    ])
    error_message = "The images bucket must refuse uploads that name another KMS key."
  }
  assert {
    condition = alltrue([for s in jsondecode(module.images_bucket.policy).Statement :
    s.Effect == "Deny"])
    error_message = "The images bucket policy grants nothing: the function's access comes from its role."
  }

  # images_bucket_refuses_other_encryption_and_foreign_output_writes
  # Each Deny as rendered: the header it keys on, and what it refuses.
  assert {
    condition = anytrue([for s in jsondecode(module.images_bucket.policy).Statement :
      s.Effect == "Deny" && contains(flatten([s.Action]), "s3:PutObject") &&
      try(s.Condition.Null["s3:x-amz-server-side-encryption"], "") == "false" &&
      contains(flatten([try(s.Condition.StringNotEquals["s3:x-amz-server-side-encryption"], [])]), "aws:kms")
    ])
    error_message = "The images bucket must refuse uploads that ask for another encryption (SSE-S3, DSSE)."
  }
  assert {
    condition = anytrue([for s in jsondecode(module.images_bucket.policy).Statement :
      s.Effect == "Deny" && contains(flatten([s.Action]), "s3:PutObject") &&
      try(s.Condition.Null["s3:x-amz-server-side-encryption"], "") == "false" &&
      try(s.Condition.Null["s3:x-amz-server-side-encryption-aws-kms-key-id"], "") == "true"
    ])
    error_message = "The images bucket must refuse aws:kms uploads that name no key (S3 would use aws/s3)."
  }
  assert {
    condition = anytrue([for s in jsondecode(module.images_bucket.policy).Statement :
      s.Effect == "Deny" && contains(flatten([s.Action]), "s3:PutObject") &&
      try(s.Condition.Null["s3:x-amz-server-side-encryption-customer-algorithm"], "") == "false" &&
      length(keys(s.Condition)) == 1
    ])
    error_message = "The images bucket must refuse every SSE-C upload."
  }
  assert {
    condition = anytrue([for s in jsondecode(module.images_bucket.policy).Statement :
      s.Effect == "Deny" && contains(flatten([s.Action]), "s3:PutObject") &&
      contains(flatten([s.Resource]), "${module.images_bucket.arn}/processed/*") &&
      flatten([try(s.Condition.ArnNotEquals["aws:PrincipalArn"], [])]) == [aws_iam_role.lambda.arn]
    ])
    error_message = "Only the function's role may write under processed/."
  }

  # -------------------------------------------------------------------------
  # Topics and queues: TLS only, and only the stack publishes
  # -------------------------------------------------------------------------

  # topics_and_queues_deny_requests_without_tls
  # Every action the topic policy grants anyone, and every action a topic
  # policy can name (SNS refuses "sns:*" there), is denied without TLS.
  assert {
    condition = alltrue([for name, topic in aws_sns_topic_policy.this :
      anytrue([for s in try(jsondecode(topic.policy).Statement, []) :
        s.Effect == "Deny" && s.Principal == "*" &&
        contains(flatten([try(s.Condition.Bool["aws:SecureTransport"], [])]), "false") &&
        length(setsubtract(
          toset(concat(flatten([for a in try(jsondecode(topic.policy).Statement, []) : flatten([a.Action]) if a.Effect == "Allow"]), [
            "sns:AddPermission", "sns:DeleteTopic", "sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic",
            "sns:Publish", "sns:Receive", "sns:RemovePermission", "sns:SetTopicAttributes", "sns:Subscribe",
          ])),
          toset(flatten([s.Action]))
        )) == 0
    ])])
    error_message = "Every topic policy must deny every topic action (every action it allows, and all nine a topic policy can name) without TLS."
  }
  assert {
    condition = alltrue([for q in [
      { arn = aws_sqs_queue.uploads.arn, policy = aws_sqs_queue_policy.uploads.policy },
      { arn = aws_sqs_queue.dead_letter.arn, policy = aws_sqs_queue_policy.dead_letter.policy },
      { arn = aws_sqs_queue.rule_dead_letter.arn, policy = aws_sqs_queue_policy.rule_dead_letter.policy },
      ] : anytrue([for s in try(jsondecode(q.policy).Statement, []) :
        s.Effect == "Deny" && contains(flatten([s.Action]), "sqs:*") && s.Principal == "*" &&
        flatten([s.Resource]) == [q.arn] &&
        contains(flatten([try(s.Condition.Bool["aws:SecureTransport"], [])]), "false")
    ])])
    error_message = "Every queue policy (uploads, failed-events, undelivered-events) must deny sqs:* on its own queue without TLS."
  }
  assert {
    condition     = aws_sns_topic.this["notifications"].kms_master_key_id == aws_kms_key.this.arn
    error_message = "The notifications topic must be encrypted with the data key."
  }

  # service_grants_name_their_source
  # Every grant to an AWS service names the resource it acts for (aws:SourceArn,
  # or an encryption context that names it), so that no other alarm, rule,
  # trail or bucket of the account can borrow it (the confused deputy). A value
  # with a wildcard names no one resource: CloudTrail's encryption context
  # (trail/*) matches every trail of the account, so that grant counts as
  # scoped only through its aws:SourceArn.
  assert {
    condition = alltrue(flatten([
      for policy in concat(
        [aws_kms_key.this.policy, aws_kms_key.security.policy, module.images_bucket.policy, module.logs_bucket[0].policy],
        [aws_sqs_queue_policy.uploads.policy, aws_sqs_queue_policy.dead_letter.policy, aws_sqs_queue_policy.rule_dead_letter.policy],
        [for topic in aws_sns_topic_policy.this : topic.policy],
        ) : [
        for s in try(jsondecode(policy).Statement, []) : anytrue(flatten([
          for operator, pairs in try(s.Condition, {}) : [
            for key, values in pairs :
            (key == "aws:SourceArn" || startswith(key, "kms:EncryptionContext:")) &&
            alltrue([for v in flatten([values]) : !strcontains(v, "*")])
          ]
        ]))
        if s.Effect == "Allow" && can(s.Principal.Service)
    ]]))
    error_message = "Every Allow to a service principal must carry aws:SourceArn (or an encryption context naming its resource), without a wildcard."
  }
  # S3 delivers into the uploads queue (no invoke permission any more): each
  # of its grants, on the queue and on the queue's key, names the images
  # bucket and the account.
  assert {
    condition = alltrue([for policy in [aws_sqs_queue_policy.uploads.policy, aws_kms_key.security.policy] :
      length([for s in jsondecode(policy).Statement : s if s.Effect == "Allow" && try(s.Principal.Service, "") == "s3.amazonaws.com"]) == 1
      ]) && alltrue(flatten([for policy in [aws_sqs_queue_policy.uploads.policy, aws_kms_key.security.policy] : [
        for s in jsondecode(policy).Statement :
        flatten([try(s.Condition.ArnEquals["aws:SourceArn"], [])]) == [module.images_bucket.arn] &&
        flatten([try(s.Condition.StringEquals["aws:SourceAccount"], [])]) == ["123456789012"]
        if s.Effect == "Allow" && try(s.Principal.Service, "") == "s3.amazonaws.com"
    ]]))
    error_message = "S3's grants on the uploads queue and on the security key must name the images bucket (aws:SourceArn) and the account (aws:SourceAccount)."
  }
  assert {
    condition     = aws_lambda_permission.sweep.source_arn == aws_cloudwatch_event_rule.sweep.arn && aws_lambda_permission.sweep.source_account == "123456789012"
    error_message = "The sweep's invoke permission must name its rule and the account."
  }
  # The ARNs the grants name are those of the rules that exist (they are
  # computed before the rules, so they could drift apart).
  assert {
    condition     = toset([for r in aws_cloudwatch_event_rule.this : "arn:aws:events:us-east-1:123456789012:rule/${r.name}"]) == toset(local.rule_arns)
    error_message = "rule_arns must name exactly the alerting rules."
  }

  # -------------------------------------------------------------------------
  # The function: least privilege, as rendered
  # -------------------------------------------------------------------------

  # role_is_least_privilege
  assert {
    condition = alltrue(flatten([for s in jsondecode(aws_iam_role_policy.lambda.policy).Statement :
    [for a in flatten([s.Action]) : !strcontains(a, "*")]]))
    error_message = "The function's policy must not use wildcard actions."
  }
  assert {
    condition = toset(flatten([for s in jsondecode(aws_iam_role_policy.lambda.policy).Statement :
      flatten([s.Resource]) if anytrue([for a in flatten([s.Action]) : startswith(a, "s3:")])])) == toset([
      "${module.images_bucket.arn}/uploads/*",
      "${module.images_bucket.arn}/processed/*",
    ])
    error_message = "The function's S3 access must be exactly uploads/* and processed/*."
  }
  assert {
    condition = alltrue([for s in jsondecode(aws_iam_role_policy.lambda.policy).Statement :
      toset(flatten([s.Resource])) == toset(["${module.images_bucket.arn}/processed/*"])
    if anytrue([for a in flatten([s.Action]) : a == "s3:PutObject"])])
    error_message = "The function may write only under processed/."
  }
  assert {
    condition = alltrue([for s in jsondecode(aws_iam_role_policy.lambda.policy).Statement :
      alltrue([for a in flatten([s.Action]) : startswith(a, "xray:")])
    if contains(flatten([s.Resource]), "*")])
    error_message = "Only X-Ray (which has no resource-level permissions) may use a '*' resource."
  }
  assert {
    condition = alltrue([for s in jsondecode(aws_iam_role_policy.lambda.policy).Statement :
      can(s.Condition.StringEquals["kms:ViaService"])
    if anytrue([for a in flatten([s.Action]) : startswith(a, "kms:")])])
    error_message = "The function may use the key only through the stack's services (kms:ViaService)."
  }
  # Exactly the DynamoDB calls the handler makes (lambda/storage.py): claim,
  # finish and a reprocess's read on the table, the sweep's Scan on the
  # in-progress index only.
  assert {
    condition = toset(flatten([for s in jsondecode(aws_iam_role_policy.lambda.policy).Statement : [
      for a in flatten([s.Action]) : [for r in flatten([s.Resource]) : "${a} ${r}"]
      ] if anytrue([for a in flatten([s.Action]) : startswith(a, "dynamodb:")])])) == toset([
      "dynamodb:GetItem ${aws_dynamodb_table.this.arn}",
      "dynamodb:PutItem ${aws_dynamodb_table.this.arn}",
      "dynamodb:UpdateItem ${aws_dynamodb_table.this.arn}",
      "dynamodb:Scan ${aws_dynamodb_table.this.arn}/index/in-progress",
    ])
    error_message = "The function's DynamoDB access must be exactly GetItem, PutItem and UpdateItem on the table and Scan on its in-progress index."
  }
  # The security key: encrypt for the security-alerts topic through SNS, and
  # only decrypt what it receives from the uploads queue through SQS.
  assert {
    condition = toset(flatten([for s in jsondecode(aws_iam_role_policy.lambda.policy).Statement : [
      for a in flatten([s.Action]) : [for via in flatten([try(s.Condition.StringEquals["kms:ViaService"], ["(none)"])]) : "${a} via ${via}"]
      ] if contains(flatten([s.Resource]), aws_kms_key.security.arn)])) == toset([
      "kms:Decrypt via sns.us-east-1.amazonaws.com",
      "kms:GenerateDataKey via sns.us-east-1.amazonaws.com",
      "kms:Decrypt via sqs.us-east-1.amazonaws.com",
    ])
    error_message = "The function may use the security key only through SNS (to publish alerts) and, to decrypt only, through SQS (to read the uploads queue)."
  }
  # Exactly what the event source mapping does with the role, on the uploads
  # queue only, and what Lambda does with it for a failed sweep: send to the
  # failed-sweeps queue. The function sends to no other queue (the
  # failed-events queue is the uploads queue's redrive target, filled by SQS
  # itself).
  assert {
    condition = toset(flatten([for s in jsondecode(aws_iam_role_policy.lambda.policy).Statement : [
      for a in flatten([s.Action]) : [for r in flatten([s.Resource]) : "${a} ${r}"]
      ] if anytrue([for a in flatten([s.Action]) : startswith(a, "sqs:")])])) == toset(concat([
      for a in ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"] :
      "${a} ${aws_sqs_queue.uploads.arn}"
    ], ["sqs:SendMessage ${aws_sqs_queue.failed_sweeps.arn}"]))
    error_message = "The function's SQS access must be exactly ReceiveMessage, DeleteMessage, GetQueueAttributes and ChangeMessageVisibility on the uploads queue, and SendMessage on the failed-sweeps queue only."
  }

  # failed_sweeps_are_kept_and_page
  # A sweep that failed, or that Lambda dropped before it ran, is kept with why
  # (the function's dead-letter queue, Prowler's awslambda_function_no_dead_letter_queue)
  # and pages on-call; the queue is on the data key and the function's role
  # reaches it, and that key through SQS, for nothing else.
  assert {
    condition     = aws_lambda_function.this.dead_letter_config[0].target_arn == aws_sqs_queue.failed_sweeps.arn
    error_message = "The function's dead-letter queue must be the failed-sweeps queue."
  }
  assert {
    condition     = aws_sqs_queue.failed_sweeps.kms_master_key_id == aws_kms_key.this.arn && aws_sqs_queue.failed_sweeps.message_retention_seconds == 1209600
    error_message = "The failed-sweeps queue must be on the data key (not the security key, whose alert path the decoder must not reach) and keep its messages 14 days."
  }
  assert {
    condition = (aws_cloudwatch_metric_alarm.this["failed-sweeps"].dimensions.QueueName == aws_sqs_queue.failed_sweeps.name &&
      aws_cloudwatch_metric_alarm.this["failed-sweeps"].metric_name == "ApproximateNumberOfMessagesVisible" &&
    aws_cloudwatch_metric_alarm.this["failed-sweeps"].threshold == 0)
    error_message = "An event in the failed-sweeps queue must raise the failed-sweeps alarm."
  }
  assert {
    condition = toset(flatten([for s in jsondecode(aws_iam_role_policy.lambda.policy).Statement : flatten([s.Action])
      if contains(flatten([s.Resource]), aws_kms_key.this.arn) && flatten([try(s.Condition.StringEquals["kms:ViaService"], [])]) == ["sqs.us-east-1.amazonaws.com"]
    ])) == toset(["kms:Decrypt", "kms:GenerateDataKey"])
    error_message = "The function may use the data key through SQS (for the failed-sweeps queue) in a statement of its own: Decrypt and GenerateDataKey."
  }
  assert {
    condition = alltrue([for s in jsondecode(aws_iam_role_policy.lambda.policy).Statement :
      flatten([try(s.Condition.StringEquals["kms:ViaService"], [])]) == ["sqs.us-east-1.amazonaws.com"]
      if contains(flatten([s.Resource]), aws_kms_key.this.arn) && contains(flatten([try(s.Condition.StringEquals["kms:ViaService"], [])]), "sqs.us-east-1.amazonaws.com")
    ])
    error_message = "SQS must not join the data key's other services in one statement."
  }
  assert {
    condition = alltrue([for pair in [
      [aws_sqs_queue_policy.uploads, aws_sqs_queue.uploads],
      [aws_sqs_queue_policy.dead_letter, aws_sqs_queue.dead_letter],
      [aws_sqs_queue_policy.failed_sweeps, aws_sqs_queue.failed_sweeps],
      [aws_sqs_queue_policy.rule_dead_letter, aws_sqs_queue.rule_dead_letter],
      ] : pair[0].queue_url == pair[1].id && anytrue([for s in jsondecode(pair[0].policy).Statement :
        s.Effect == "Deny" && s.Principal == "*" && flatten([s.Action]) == ["sqs:*"] &&
        flatten([s.Resource]) == [pair[1].arn] && flatten([try(s.Condition.Bool["aws:SecureTransport"], [])]) == ["false"]
      ])
    ])
    error_message = "Every queue (uploads, failed events, failed sweeps, the rules' dead letters) must refuse requests without TLS, on itself."
  }

  # the_default_keeps_the_seeds_rule_and_heic_off
  assert {
    condition     = aws_lambda_function.this.environment[0].variables.RECIPES == "" && aws_lambda_function.this.environment[0].variables.HEIC_INPUT == "off"
    error_message = "By default the function must get no recipes (the seed's rule) and HEIC input off."
  }

  # -------------------------------------------------------------------------
  # The uploads queue: the function's only source of uploads, capped, with
  # partial batch responses, a redrive to the failed-events queue, and a policy
  # that lets in only the images bucket (and the scan-result rule)
  # -------------------------------------------------------------------------

  # visibility_timeout_fits_the_function_timeout
  # AWS: "set the source queue's visibility timeout to at least six times the
  # configuration timeout on your function"
  # (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html);
  # SQS takes at most 43200 s (12 hours; the provider's aws_sqs_queue page,
  # visibility_timeout_seconds). Compared with the function's rendered timeout.
  assert {
    condition     = aws_sqs_queue.uploads.visibility_timeout_seconds >= 6 * aws_lambda_function.this.timeout && aws_sqs_queue.uploads.visibility_timeout_seconds <= 43200
    error_message = "The uploads queue's visibility timeout must be at least six times the function's timeout (and at most SQS's 43200 s)."
  }

  # nobody_sends_to_the_failed_events_queue
  # Only SQS's own redrive from the uploads queue fills the failed-events
  # queue, which the runbook replays (issue 20, item 3): its policy denies
  # sqs:SendMessage (and with it SendMessageBatch) to every principal, with no
  # exception, and allows nothing. A forged event sent there would otherwise
  # be replayed into the uploads queue.
  assert {
    condition = aws_sqs_queue_policy.dead_letter.queue_url == aws_sqs_queue.dead_letter.id && [
      for s in jsondecode(aws_sqs_queue_policy.dead_letter.policy).Statement : {
        effect = s.Effect, principal = s.Principal, actions = flatten([s.Action]), resources = flatten([s.Resource]), conditions = try(s.Condition, {})
        } if contains(flatten([s.Action]), "sqs:SendMessage")] == [{
        effect = "Deny", principal = "*", actions = ["sqs:SendMessage"], resources = [aws_sqs_queue.dead_letter.arn], conditions = {}
    }]
    error_message = "The failed-events queue's policy must deny sqs:SendMessage to every principal, without a condition or an exemption."
  }
  assert {
    condition     = alltrue([for s in jsondecode(aws_sqs_queue_policy.dead_letter.policy).Statement : s.Effect == "Deny"])
    error_message = "The failed-events queue's policy must allow nothing: only SQS's redrive from the uploads queue fills it."
  }

  # no_reserved_concurrency_by_default
  # Reserved concurrency is optional: Lambda refuses a reservation that leaves
  # the account less than its minimum unreserved concurrency, which a new
  # account's quota of 10 cannot give (issue 18). The cap is the mapping's.
  assert {
    condition     = var.lambda_reserved_concurrency == null && aws_lambda_function.this.reserved_concurrent_executions == -1
    error_message = "By default the function must reserve no concurrency (reserved_concurrent_executions = -1), so that a new account can deploy it."
  }

  # uploads_queue_accepts_only_the_images_bucket_and_account
  # Without malware gating, S3 is the only sender: SendMessage, on this
  # queue, for this bucket (aws:SourceArn) owned by this account
  # (aws:SourceAccount), nothing else.
  assert {
    condition = [for s in jsondecode(aws_sqs_queue_policy.uploads.policy).Statement : {
      principal = s.Principal, actions = flatten([s.Action]), resources = flatten([s.Resource]), conditions = s.Condition
      } if s.Effect == "Allow"] == [{
      principal = { Service = "s3.amazonaws.com" }
      actions   = ["sqs:SendMessage"]
      resources = [aws_sqs_queue.uploads.arn]
      conditions = {
        ArnEquals    = { "aws:SourceArn" = module.images_bucket.arn }
        StringEquals = { "aws:SourceAccount" = "123456789012" }
      }
    }]
    error_message = "The uploads queue must let only s3.amazonaws.com SendMessage, only for the images bucket (aws:SourceArn) and the account (aws:SourceAccount)."
  }
  assert {
    condition = anytrue([for s in jsondecode(aws_sqs_queue_policy.uploads.policy).Statement :
      s.Effect == "Deny" && s.Principal == "*" && flatten([s.Action]) == ["sqs:*"] &&
      flatten([s.Resource]) == [aws_sqs_queue.uploads.arn] &&
      flatten([try(s.Condition.Bool["aws:SecureTransport"], [])]) == ["false"]
    ])
    error_message = "The uploads queue must deny every request without TLS."
  }
  assert {
    condition     = aws_sqs_queue_policy.uploads.queue_url == aws_sqs_queue.uploads.id
    error_message = "The uploads queue's policy must be attached to the uploads queue."
  }

  # queues_use_the_security_key_which_lets_only_the_images_bucket_in
  # Both queues use the security key, so that a disabled data key cannot make
  # S3 drop the events of uploads made during the incident (sqs.tf); the key
  # lets S3 encrypt into the queue for the images bucket of this account only.
  assert {
    condition = alltrue([for q in [aws_sqs_queue.uploads, aws_sqs_queue.dead_letter] :
    q.kms_master_key_id == aws_kms_key.security.arn && q.kms_master_key_id != aws_kms_key.this.arn])
    error_message = "The uploads and failed-events queues must be encrypted with the security key, not the data key."
  }
  assert {
    condition = [for s in jsondecode(aws_kms_key.security.policy).Statement : {
      actions = toset(flatten([s.Action])), resources = flatten([s.Resource]), conditions = s.Condition
      } if s.Effect == "Allow" && try(s.Principal.Service, "") == "s3.amazonaws.com"] == [{
      actions   = toset(["kms:GenerateDataKey", "kms:Decrypt"])
      resources = ["*"] # in a key policy, this key
      conditions = {
        ArnEquals    = { "aws:SourceArn" = module.images_bucket.arn }
        StringEquals = { "aws:SourceAccount" = "123456789012" }
      }
    }]
    error_message = "The security key must let s3.amazonaws.com GenerateDataKey and Decrypt only for the images bucket (aws:SourceArn) and the account (aws:SourceAccount)."
  }
  assert {
    condition = length([for s in jsondecode(aws_kms_key.this.policy).Statement : s
    if s.Effect == "Allow" && try(s.Principal.Service, "") == "s3.amazonaws.com"]) == 0
    error_message = "The data key must not be on the upload-event path (no grant to s3.amazonaws.com)."
  }

  # in_progress_index_has_no_hot_key
  # The in-progress index: only claims in flight carry lease_until, so an index
  # keyed by it is sparse; its partition key is the object key, so that claims
  # made in the same second do not all write one partition key value.
  assert {
    condition = try(one(aws_dynamodb_table.this.global_secondary_index).name == "in-progress" &&
      one(aws_dynamodb_table.this.global_secondary_index).hash_key != "lease_until" &&
    one(aws_dynamodb_table.this.global_secondary_index).hash_key == aws_dynamodb_table.this.hash_key, false)
    error_message = "The in-progress index's partition key must not be lease_until (a hot key): it must be the object key, spread like the table's."
  }
  assert {
    condition = try(one(aws_dynamodb_table.this.global_secondary_index).range_key == "lease_until" &&
      aws_dynamodb_table.this.hash_key != "lease_until" && try(aws_dynamodb_table.this.range_key, null) == null &&
    contains([for a in aws_dynamodb_table.this.attribute : "${a.name}:${a.type}"], "lease_until:N"), false)
    error_message = "The in-progress index must have the range key lease_until (a number) that the table's own key lacks, so only records in flight are in it (sparse)."
  }

  # table_and_key_protect_the_records
  assert {
    condition     = aws_dynamodb_table.this.server_side_encryption[0].enabled && aws_dynamodb_table.this.server_side_encryption[0].kms_key_arn == aws_kms_key.this.arn
    error_message = "The table must be encrypted with the stack's key."
  }
  assert {
    condition     = aws_dynamodb_table.this.ttl[0].enabled && aws_dynamodb_table.this.ttl[0].attribute_name == "expires_at"
    error_message = "Records must expire by TTL on expires_at (the attribute the handler writes)."
  }
  # On demand by default: no capacity for DynamoDB to run out of below the
  # event source mapping's concurrency cap, hence nothing to scale.
  assert {
    condition     = aws_dynamodb_table.this.billing_mode == "PAY_PER_REQUEST" && length(aws_appautoscaling_target.write) == 0 && length(aws_appautoscaling_policy.write) == 0
    error_message = "The table must be on demand (PAY_PER_REQUEST) by default, with no autoscaling (enable_dynamodb_autoscaling applies to PROVISIONED only)."
  }
  assert {
    condition = alltrue([for k in [aws_kms_key.this, aws_kms_key.security] :
    k.enable_key_rotation && k.deletion_window_in_days == 30])
    error_message = "Both keys must rotate and, by default, keep the longest deletion window (30 days)."
  }
  assert {
    condition     = aws_dynamodb_table.this.deletion_protection_enabled
    error_message = "The table must refuse deletion by default (DynamoDB.6)."
  }

  # only_uploads_reach_the_function_through_the_queue
  # The images bucket announces every new object under uploads/ (and nothing
  # else: the function writes processed/) into the uploads queue, the
  # function's only source of uploads.
  assert {
    condition = (length(aws_s3_bucket_notification.this.lambda_function) == 0 && length(aws_s3_bucket_notification.this.topic) == 0 &&
      [for q in aws_s3_bucket_notification.this.queue : "${q.queue_arn} ${join(",", q.events)} ${q.filter_prefix}*${q.filter_suffix == null ? "" : q.filter_suffix}"] ==
      ["${aws_sqs_queue.uploads.arn} s3:ObjectCreated:* uploads/*"] &&
    aws_s3_bucket_notification.this.bucket == module.images_bucket.bucket)
    error_message = "The images bucket must send s3:ObjectCreated:* under uploads/ (only) to the uploads queue, and to nothing else."
  }
  assert {
    condition     = !aws_s3_bucket_notification.this.eventbridge
    error_message = "Without malware protection the bucket's events go to the queue only (EventBridge is for GuardDuty's plan)."
  }

  # -------------------------------------------------------------------------
  # Alarms: every one pages someone, and all fit in CloudWatch's free 10
  # -------------------------------------------------------------------------

  # every_alarm_and_rule_pages_the_security_topic
  assert {
    condition = length(aws_cloudwatch_metric_alarm.this) > 0 && alltrue([for a in aws_cloudwatch_metric_alarm.this :
    a.alarm_actions == toset([aws_sns_topic.this["security_alerts"].arn]) && a.actions_enabled != false])
    error_message = "Every alarm must notify the security-alerts topic, with its actions enabled."
  }
  assert {
    condition = keys(aws_cloudwatch_event_target.this) == keys(aws_cloudwatch_event_rule.this) && alltrue([for t in aws_cloudwatch_event_target.this :
    t.arn == aws_sns_topic.this["security_alerts"].arn])
    error_message = "Every EventBridge rule must target the security-alerts topic."
  }
  assert {
    condition = alltrue([for a in aws_cloudwatch_metric_alarm.this :
    strcontains(a.alarm_description, "Runbook: INCIDENT_RESPONSE.md#")])
    error_message = "Every alarm must link its runbook section."
  }

  # alert_path_does_not_depend_on_the_data_key
  # The alert about the data key must not depend on the data key: the topic it
  # is sent to, the retries' dead-letter queue and the grants that let alarms
  # and rules use them are all on the security key.
  assert {
    condition     = aws_kms_key.security.arn != aws_kms_key.this.arn && aws_sns_topic.this["security_alerts"].kms_master_key_id == aws_kms_key.security.arn
    error_message = "The security-alerts topic must be encrypted with the security key, not the data key."
  }
  assert {
    condition = (contains(jsondecode(aws_cloudwatch_event_rule.this["kms-key-state"].event_pattern).detail.resources.ARN, aws_kms_key.this.arn) &&
      toset(jsondecode(aws_cloudwatch_event_rule.this["kms-key-state"].event_pattern).detail.eventName) == toset(["DisableKey", "ScheduleKeyDeletion"]) &&
    aws_cloudwatch_event_target.this["kms-key-state"].arn == aws_sns_topic.this["security_alerts"].arn)
    error_message = "The rule for the data key's DisableKey and ScheduleKeyDeletion must target the security-alerts topic."
  }
  assert {
    condition = alltrue([for t in concat(values(aws_cloudwatch_event_target.this), [aws_cloudwatch_event_target.sweep], values(aws_cloudwatch_event_target.malware_scan_result)) :
      length(t.retry_policy) == 1 && t.retry_policy[0].maximum_retry_attempts > 0 &&
    length(t.dead_letter_config) == 1 && t.dead_letter_config[0].arn == aws_sqs_queue.rule_dead_letter.arn])
    error_message = "Every EventBridge target must retry and dead-letter into the undelivered-events queue."
  }
  assert {
    condition     = aws_sqs_queue.rule_dead_letter.kms_master_key_id == aws_kms_key.security.arn
    error_message = "The undelivered-events queue must be encrypted with the security key."
  }
  # The grants, as rendered: only the security key lets alarms and rules use
  # it, and the data key grants no service that the alert path needs, but
  # EventBridge for the two rules about the keys (their second path,
  # key_alerts.tf; the_security_keys_alerts_do_not_depend_on_it below checks it).
  assert {
    condition = length([for s in jsondecode(aws_kms_key.this.policy).Statement : s
      if s.Effect == "Allow" && can(regex("cloudwatch|events|logs|cloudtrail", jsonencode(try(s.Principal.Service, "")))) &&
      !(try(s.Principal.Service, "") == "events.amazonaws.com" && toset(flatten([try(s.Condition.ArnLike["aws:SourceArn"], [])])) == toset(["arn:aws:events:us-east-1:123456789012:rule/test-prod-kms-key-state", "arn:aws:events:us-east-1:123456789012:rule/test-prod-key-policy-changed"]))
    ]) == 0
    error_message = "The data key must not be part of the alert or audit path (no grant to CloudWatch, EventBridge, Logs or CloudTrail but the key rules' second path)."
  }
  assert {
    condition = alltrue([for service in ["cloudwatch.amazonaws.com", "events.amazonaws.com"] :
      anytrue([for s in jsondecode(aws_kms_key.security.policy).Statement :
        s.Effect == "Allow" && flatten([try(s.Principal.Service, [])]) == [service] &&
        contains(flatten([s.Action]), "kms:Decrypt") && contains(flatten([s.Action]), "kms:GenerateDataKey*")
    ])])
    error_message = "The security key must let the stack's alarms and rules encrypt for the topic and queue."
  }
  assert {
    condition = anytrue([for s in jsondecode(aws_sqs_queue_policy.rule_dead_letter.policy).Statement :
      s.Effect == "Allow" && try(s.Principal.Service, "") == "events.amazonaws.com" && contains(flatten([s.Action]), "sqs:SendMessage") &&
      contains(flatten([try(s.Condition.ArnEquals["aws:SourceArn"], [])]), "arn:aws:events:us-east-1:123456789012:rule/test-prod-kms-key-state")
    ])
    error_message = "The undelivered-events queue must let EventBridge send for the key-state rule, by the rule's ARN."
  }

  # alarms_stay_inside_the_free_ten
  # Counted from what is planned, not from a list: an alarm added anywhere in
  # the module's alarm map, or a scaling policy, changes the count.
  assert {
    condition = output.cloudwatch_alarm_count == (length(aws_cloudwatch_metric_alarm.this) +
    4 * length(aws_appautoscaling_policy.write))
    error_message = "cloudwatch_alarm_count must count the module's alarms and the 4 per target-tracking policy."
  }
  # The default (on-demand table, nothing to scale): the module's 8 alarms,
  # inside CloudWatch's free 10. Exact, so that a new alarm is a decision
  # that updates the budget (alarms.tf, README: Cost).
  assert {
    condition     = output.cloudwatch_alarm_count <= 10 && output.cloudwatch_alarm_count == 9
    error_message = "By default the stack causes exactly 9 alarms, inside CloudWatch's free 10 (alarms.tf, README: Cost)."
  }

  # -------------------------------------------------------------------------
  # Without the account-wide services, nothing is granted to them
  # -------------------------------------------------------------------------

  # malware_protection_is_off_by_default (was a plan)
  assert {
    condition = (length(aws_guardduty_malware_protection_plan.this) == 0 && length(aws_cloudwatch_event_rule.malware_scan_result) == 0 &&
    length(aws_s3_bucket_notification.this.queue) == 1)
    error_message = "Off by default (paid): S3's event, through the uploads queue, starts the function."
  }

  # -------------------------------------------------------------------------
  # Code signing: proven here, because the local AWS has no Signer
  # -------------------------------------------------------------------------

  # code_signing_is_off_by_default_in_the_module (was a plan)
  assert {
    condition = (length(aws_lambda_code_signing_config.this) == 0 && length(module.code_bucket) == 0 &&
    aws_lambda_function.this.filename == var.lambda_package_path && aws_lambda_function.this.code_signing_config_arn == null)
    error_message = "Off (the module's default): the package file is deployed as it is, and nothing of Signer is created."
  }

  # -------------------------------------------------------------------------
  # Malware gating in the bucket, not the message (issue 20, item 3): with
  # enable_malware_protection, nobody but GuardDuty's plan role reads an upload
  # GuardDuty has not tagged NO_THREATS_FOUND, and nobody but that role sets,
  # changes or removes the tag; with it off, the policy is what it was.
  # -------------------------------------------------------------------------

  # gating_off_leaves_the_images_bucket_policy_as_it_was
  # The bucket's policy is the pipeline's own statements and the hardened
  # bucket's TLS-only Deny, in that order, and nothing else: nothing of the
  # gating is rendered, so the policy sent to AWS is unchanged.
  assert {
    condition     = length(data.aws_iam_policy_document.malware_gating) == 0
    error_message = "With malware protection off, no gating statement may be rendered."
  }
  assert {
    condition = jsondecode(module.images_bucket.policy).Statement == concat(
      jsondecode(data.aws_iam_policy_document.images_bucket.json).Statement,
      [for s in jsondecode(module.images_bucket.policy).Statement : s if s.Sid == "DenyInsecureTransport"],
    )
    error_message = "With malware protection off, the images bucket's policy must be the pipeline's statements and the TLS-only Deny only."
  }
  assert {
    condition     = !strcontains(module.images_bucket.policy, "GuardDutyMalwareScanStatus") && !strcontains(module.images_bucket.policy, "Tagging")
    error_message = "With malware protection off, the images bucket's policy must not mention GuardDuty's tag or object tagging."
  }

  # The local AWS enforces exactly this policy
  # (tests/integration/test_local_aws_bucket_policy.py): its fixture is the
  # rendered policy with the ARNs as placeholders, never a hand copy. After a
  # change to the policy, `make policy-fixtures` rewrites the fixture from
  # this message.
  assert {
    condition = jsondecode(module.images_bucket.policy) == jsondecode(templatefile("../tests/fixtures/policies/images_bucket_denies.json", {
      bucket_arn                = module.images_bucket.arn
      key_arn                   = aws_kms_key.this.arn
      function_role_arn         = aws_iam_role.lambda.arn
      batch_operations_role_arn = aws_iam_role.batch_operations.arn
    }))
    error_message = "The images bucket's policy is not tests/fixtures/policies/images_bucket_denies.json, which the local AWS enforces; `make policy-fixtures` rewrites it as rendered:\npolicy-fixture: images_bucket_denies.json\n${replace(replace(replace(replace(module.images_bucket.policy, module.images_bucket.arn, "$${bucket_arn}"), aws_kms_key.this.arn, "$${key_arn}"), aws_iam_role.lambda.arn, "$${function_role_arn}"), aws_iam_role.batch_operations.arn, "$${batch_operations_role_arn}")}"
  }

  # -------------------------------------------------------------------------
  # The security key (issue 20): separation of duties and a break-glass principal
  # -------------------------------------------------------------------------

  # security_key_refuses_destruction_except_to_break_glass
  # Every call that destroys the key, makes its data unreadable or hands its
  # use away is denied to every principal but the break-glass one (by
  # default the account's root user).
  assert {
    condition = anytrue([for s in jsondecode(data.aws_iam_policy_document.security_key.json).Statement :
      s.Effect == "Deny" && flatten([try(s.Principal.AWS, [])]) == ["*"] &&
      length(setsubtract(["kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:CreateGrant", "kms:DisableKeyRotation", "kms:DeleteImportedKeyMaterial"], flatten([s.Action]))) == 0 &&
      keys(try(s.Condition, {})) == ["ArnNotEquals"] &&
      flatten([try(s.Condition.ArnNotEquals["aws:PrincipalArn"], [])]) == ["arn:aws:iam::123456789012:root"]
    ])
    error_message = "The security key must deny ScheduleKeyDeletion, DisableKey, CreateGrant, DisableKeyRotation and DeleteImportedKeyMaterial to everyone but the break-glass principal (default: the account's root user)."
  }
  # Changing the policy (the way around every Deny) is for the key
  # administrators (by default the identity that runs Terraform) and
  # break-glass only.
  assert {
    condition = anytrue([for s in jsondecode(data.aws_iam_policy_document.security_key.json).Statement :
      s.Effect == "Deny" && flatten([try(s.Principal.AWS, [])]) == ["*"] && contains(flatten([s.Action]), "kms:PutKeyPolicy") &&
      toset(flatten([try(s.Condition.ArnNotEquals["aws:PrincipalArn"], [])])) == toset(["arn:aws:iam::123456789012:role/deployer", "arn:aws:iam::123456789012:root"])
    ])
    error_message = "The security key must deny PutKeyPolicy to everyone but the key administrators (default: the deployer) and the break-glass principal."
  }
  # KMS's lockout check: the caller must be able to call PutKeyPolicy again,
  # which it can through its IAM policy only if the account statement
  # delegates it.
  assert {
    condition = anytrue([for s in jsondecode(data.aws_iam_policy_document.security_key.json).Statement :
      s.Effect == "Allow" && flatten([try(s.Principal.AWS, [])]) == ["arn:aws:iam::123456789012:root"] && contains(flatten([s.Action]), "kms:Put*")
    ])
    error_message = "The account statement must delegate PutKeyPolicy to IAM, or KMS refuses the policy (lockout safety check)."
  }

  # security_key_grants_no_use_through_iam
  # The account (root) statement delegates administration only: no "kms:*"
  # and no cryptographic operation for any AWS-account principal but those
  # named with the service they use the key through.
  assert {
    condition = alltrue([for s in jsondecode(data.aws_iam_policy_document.security_key.json).Statement :
      !contains(flatten([s.Action]), "kms:*") if s.Effect == "Allow"
    ])
    error_message = "No statement of the security key may allow kms:*."
  }
  assert {
    condition = alltrue([for s in jsondecode(data.aws_iam_policy_document.security_key.json).Statement :
      can(s.Condition.StringEquals["kms:ViaService"])
      if s.Effect == "Allow" && can(s.Principal.AWS) && anytrue([for a in flatten([s.Action]) :
      can(regex("^kms:(Decrypt|Encrypt|GenerateDataKey|ReEncrypt|\\*)", a))])
    ])
    error_message = "Every AWS-account principal allowed to use the security key must be bound to a service (kms:ViaService)."
  }
  assert {
    condition = anytrue([for s in jsondecode(data.aws_iam_policy_document.security_key.json).Statement :
      s.Effect == "Deny" && flatten([try(s.Principal.AWS, [])]) == ["*"] && contains(flatten([s.Action]), "kms:Decrypt") &&
      toset(flatten([try(s.Condition.StringNotEquals["kms:ViaService"], [])])) == toset(["sns.us-east-1.amazonaws.com", "sqs.us-east-1.amazonaws.com", "s3.us-east-1.amazonaws.com", "logs.us-east-1.amazonaws.com"]) &&
      flatten([try(s.Condition.Bool["aws:PrincipalIsAWSService"], [])]) == ["false"]
    ])
    error_message = "The security key must deny its use outside SNS, SQS, S3 and CloudWatch Logs to every principal that is not an AWS service."
  }

  # -------------------------------------------------------------------------
  # The data key: the same separation of duties (issue 20, item 6)
  # -------------------------------------------------------------------------

  # data_key_gives_the_account_administration_not_use
  # Root is not granted kms:* (nor "*") by any statement.
  assert {
    condition = alltrue([for s in jsondecode(data.aws_iam_policy_document.kms.json).Statement :
      length(setintersection(toset(flatten([s.Action])), toset(["kms:*", "*"]))) == 0 if s.Effect == "Allow"
    ])
    error_message = "No statement of the data key may allow kms:* (or *)."
  }
  # The account's unconditional statement administers: none of its actions,
  # read as the wildcards they may be, reaches a cryptographic operation or
  # a break-glass call. It does delegate PutKeyPolicy (KMS's lockout check).
  assert {
    condition = alltrue([for s in jsondecode(data.aws_iam_policy_document.kms.json).Statement :
      alltrue([for a in flatten([s.Action]) : !anytrue([for x in [
        "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:GenerateDataKeyPair",
        "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:Sign", "kms:GenerateMac",
        "kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:DisableKeyRotation", "kms:CreateGrant",
        "kms:DeleteImportedKeyMaterial", "kms:ImportKeyMaterial", "kms:ReplicateKey", "kms:UpdatePrimaryRegion",
      ] : can(regex("^${replace(a, "*", ".*")}$", x))])])
      if s.Effect == "Allow" && can(s.Principal.AWS) && !can(s.Condition)
    ])
    error_message = "The data key's unconditional account statement may not grant a cryptographic operation or a break-glass call (CreateGrant, DisableKey, ScheduleKeyDeletion, ...), not even through a wildcard."
  }
  assert {
    condition = anytrue([for s in jsondecode(data.aws_iam_policy_document.kms.json).Statement :
      s.Effect == "Allow" && flatten([try(s.Principal.AWS, [])]) == ["arn:aws:iam::123456789012:root"] && !can(s.Condition) &&
      contains(flatten([s.Action]), "kms:PutKeyPolicy")
    ])
    error_message = "The data key's account statement must delegate PutKeyPolicy to IAM, or KMS refuses the policy (lockout safety check)."
  }
  # Every cryptographic grant to a principal of an AWS account is bound to
  # one of the services that hold data under the key, and to this account.
  assert {
    condition = alltrue([for s in jsondecode(data.aws_iam_policy_document.kms.json).Statement :
      length(flatten([try(s.Condition.StringEquals["kms:ViaService"], [])])) > 0 &&
      length(setsubtract(toset(flatten([try(s.Condition.StringEquals["kms:ViaService"], [])])),
      toset(["s3.us-east-1.amazonaws.com", "dynamodb.us-east-1.amazonaws.com", "sns.us-east-1.amazonaws.com", "lambda.us-east-1.amazonaws.com", "sqs.us-east-1.amazonaws.com"]))) == 0 &&
      flatten([try(s.Condition.StringEquals["kms:CallerAccount"], [])]) == ["123456789012"]
      if s.Effect == "Allow" && can(s.Principal.AWS) && anytrue([for a in flatten([s.Action]) : anytrue([for x in [
        "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom", "kms:ReEncryptTo",
      ] : can(regex("^${replace(a, "*", ".*")}$", x))])])
    ])
    error_message = "Every statement that lets principals of an account use the data key must bind them to S3, DynamoDB, SNS, Lambda or SQS (kms:ViaService) and to this account (kms:CallerAccount)."
  }
  # And whatever an Allow says, no principal that is not an AWS service uses
  # the key outside those four services.
  assert {
    condition = anytrue([for s in jsondecode(data.aws_iam_policy_document.kms.json).Statement :
      s.Effect == "Deny" && flatten([try(s.Principal.AWS, [])]) == ["*"] &&
      length(setsubtract(["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"], flatten([s.Action]))) == 0 &&
      toset(flatten([try(s.Condition.StringNotEquals["kms:ViaService"], [])])) == toset(["s3.us-east-1.amazonaws.com", "dynamodb.us-east-1.amazonaws.com", "sns.us-east-1.amazonaws.com", "lambda.us-east-1.amazonaws.com", "sqs.us-east-1.amazonaws.com"]) &&
      flatten([try(s.Condition.Bool["aws:PrincipalIsAWSService"], [])]) == ["false"]
    ])
    error_message = "The data key must deny its cryptographic use outside S3, DynamoDB, SNS, Lambda and SQS to every principal that is not an AWS service."
  }
  # The seam: each role that uses the data key through a service (the
  # function's, Batch Operations', GuardDuty's malware scan) is allowed that
  # use by the key policy too, action by action; otherwise it works in IAM
  # and fails in KMS.
  assert {
    condition = alltrue(flatten([for policy in [
      data.aws_iam_policy_document.lambda.json, data.aws_iam_policy_document.batch_operations.json, data.aws_iam_policy_document.malware_protection.json,
      ] : [
      for r in jsondecode(policy).Statement : [
        for pair in setproduct(flatten([r.Action]), flatten([try(r.Condition.StringEquals["kms:ViaService"], r.Condition.StringLike["kms:ViaService"], [])])) :
        anytrue([for s in jsondecode(data.aws_iam_policy_document.kms.json).Statement :
          s.Effect == "Allow" && contains(flatten([try(s.Condition.StringEquals["kms:ViaService"], [])]), pair[1]) &&
          anytrue([for a in flatten([s.Action]) : can(regex("^${replace(a, "*", ".*")}$", pair[0]))])
        ])
      ] if contains(flatten([r.Resource]), aws_kms_key.this.arn)
    ]]))
    error_message = "A role's use of the data key through a service (iam.tf, batch_operations.tf, malware_protection.tf) must also be allowed, for that service, by the key policy."
  }

  # data_key_refuses_destruction_and_grants_except_to_break_glass
  assert {
    condition = anytrue([for s in jsondecode(data.aws_iam_policy_document.kms.json).Statement :
      s.Effect == "Deny" && flatten([try(s.Principal.AWS, [])]) == ["*"] &&
      length(setsubtract(["kms:DisableKey", "kms:DisableKeyRotation", "kms:DeleteImportedKeyMaterial", "kms:ImportKeyMaterial", "kms:ReplicateKey", "kms:UpdatePrimaryRegion"], flatten([s.Action]))) == 0 &&
      keys(try(s.Condition, {})) == ["ArnNotEquals"] &&
      flatten([try(s.Condition.ArnNotEquals["aws:PrincipalArn"], [])]) == ["arn:aws:iam::123456789012:root"]
    ])
    error_message = "The data key must deny disabling, rotation off, key material and replication to everyone but the break-glass principal (default: the account's root user)."
  }
  # Deletion: the key administrators too (destroy.sh runs as one), no one else.
  assert {
    condition = anytrue([for s in jsondecode(data.aws_iam_policy_document.kms.json).Statement :
      s.Effect == "Deny" && flatten([try(s.Principal.AWS, [])]) == ["*"] && flatten([s.Action]) == ["kms:ScheduleKeyDeletion"] &&
      keys(try(s.Condition, {})) == ["ArnNotEquals"] &&
      toset(flatten([try(s.Condition.ArnNotEquals["aws:PrincipalArn"], [])])) == toset(["arn:aws:iam::123456789012:role/deployer", "arn:aws:iam::123456789012:root"])
    ])
    error_message = "The data key must deny ScheduleKeyDeletion to everyone but the key administrators (default: the deployer) and the break-glass principal."
  }
  # Grants: break-glass only, but for those DynamoDB and Lambda make through
  # their own service.
  assert {
    condition = anytrue([for s in jsondecode(data.aws_iam_policy_document.kms.json).Statement :
      s.Effect == "Deny" && flatten([try(s.Principal.AWS, [])]) == ["*"] && contains(flatten([s.Action]), "kms:CreateGrant") &&
      flatten([try(s.Condition.ArnNotEquals["aws:PrincipalArn"], [])]) == ["arn:aws:iam::123456789012:root"] &&
      toset(flatten([try(s.Condition.StringNotEquals["kms:ViaService"], [])])) == toset(["dynamodb.us-east-1.amazonaws.com", "lambda.us-east-1.amazonaws.com"]) &&
      flatten([try(s.Condition.Bool["aws:PrincipalIsAWSService"], ["false"])]) == ["false"]
    ])
    error_message = "The data key must deny CreateGrant to everyone but the break-glass principal (and AWS services), outside DynamoDB and Lambda."
  }
  # No Allow hands a break-glass call (read through wildcards) to anyone but
  # the break-glass principal; CreateGrant also to DynamoDB and Lambda acting
  # for the account (kms:GrantIsForAWSResource).
  assert {
    condition = alltrue(flatten([for s in jsondecode(data.aws_iam_policy_document.kms.json).Statement : [
      for pair in setproduct(flatten([s.Action]), [
        "kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:DisableKeyRotation", "kms:CreateGrant",
        "kms:DeleteImportedKeyMaterial", "kms:ImportKeyMaterial", "kms:ReplicateKey", "kms:UpdatePrimaryRegion",
      ]) :
      flatten([try(s.Condition.ArnEquals["aws:PrincipalArn"], [])]) == ["arn:aws:iam::123456789012:root"] ||
      (pair[1] == "kms:ScheduleKeyDeletion" && toset(flatten([try(s.Condition.ArnEquals["aws:PrincipalArn"], [])])) == toset(["arn:aws:iam::123456789012:role/deployer", "arn:aws:iam::123456789012:root"])) ||
      (pair[1] == "kms:CreateGrant" && flatten([try(s.Condition.Bool["kms:GrantIsForAWSResource"], [])]) == ["true"] &&
        length(flatten([try(s.Condition.StringEquals["kms:ViaService"], [])])) > 0 &&
      length(setsubtract(toset(flatten([try(s.Condition.StringEquals["kms:ViaService"], [])])), toset(["dynamodb.us-east-1.amazonaws.com", "lambda.us-east-1.amazonaws.com"]))) == 0)
      if can(regex("^${replace(pair[0], "*", ".*")}$", pair[1]))
    ] if s.Effect == "Allow"]))
    error_message = "Only the break-glass principal may be allowed a break-glass call on the data key (ScheduleKeyDeletion also the key administrators; CreateGrant also DynamoDB and Lambda acting for the account)."
  }
  assert {
    condition = anytrue([for s in jsondecode(data.aws_iam_policy_document.kms.json).Statement :
      s.Effect == "Deny" && flatten([try(s.Principal.AWS, [])]) == ["*"] && contains(flatten([s.Action]), "kms:PutKeyPolicy") &&
      toset(flatten([try(s.Condition.ArnNotEquals["aws:PrincipalArn"], [])])) == toset(["arn:aws:iam::123456789012:role/deployer", "arn:aws:iam::123456789012:root"])
    ])
    error_message = "The data key must deny PutKeyPolicy to everyone but the key administrators (default: the deployer) and the break-glass principal."
  }

  # -------------------------------------------------------------------------
  # Alerts for the changes that matter, and a path the security key cannot
  # silence
  # -------------------------------------------------------------------------

  # the_changes_that_matter_page_the_security_topic
  # Each API call that changes the evidence, a resource policy, the function
  # or a detector is matched by a rule whose target is the security topic.
  assert {
    condition = alltrue([for call in [
      "cloudtrail.amazonaws.com:StopLogging", "cloudtrail.amazonaws.com:DeleteTrail", "cloudtrail.amazonaws.com:UpdateTrail", "cloudtrail.amazonaws.com:PutEventSelectors",
      "s3.amazonaws.com:PutBucketPolicy", "s3.amazonaws.com:DeleteBucketPolicy", "s3.amazonaws.com:PutBucketObjectLockConfiguration",
      "kms.amazonaws.com:PutKeyPolicy", "kms.amazonaws.com:CreateGrant", "kms.amazonaws.com:DisableKey", "kms.amazonaws.com:ScheduleKeyDeletion",
      "sqs.amazonaws.com:SetQueueAttributes", "sns.amazonaws.com:SetTopicAttributes",
      "guardduty.amazonaws.com:DeleteDetector", "config.amazonaws.com:StopConfigurationRecorder", "securityhub.amazonaws.com:DisableSecurityHub",
      ] : anytrue([for name, rule in aws_cloudwatch_event_rule.this :
        contains([for v in try(jsondecode(rule.event_pattern).detail.eventSource, []) : jsonencode(v)], jsonencode(split(":", call)[0])) &&
        contains([for v in try(jsondecode(rule.event_pattern).detail.eventName, []) : jsonencode(v)], jsonencode(split(":", call)[1])) &&
        aws_cloudwatch_event_target.this[name].arn == aws_sns_topic.this["security_alerts"].arn
    ])])
    error_message = "Every trail, bucket/key/queue/topic policy, GuardDuty/Config/Security Hub change must match a rule that pages the security topic."
  }
  # Lambda's event names carry a version suffix: matched by prefix.
  assert {
    condition = alltrue([for action in ["UpdateFunctionCode", "UpdateFunctionConfiguration", "PutFunctionConcurrency", "DeleteFunctionConcurrency", "UpdateEventSourceMapping", "DeleteEventSourceMapping"] :
      contains([for v in jsondecode(aws_cloudwatch_event_rule.this["function-changed"].event_pattern).detail.eventName : jsonencode(v)], jsonencode({ prefix = action }))
    ])
    error_message = "The function rule must match code, configuration, concurrency and event source mapping changes (by prefix: UpdateFunctionCode20150331v2)."
  }
  # The bucket rule watches the stack's own buckets, by the names the
  # buckets are created with.
  assert {
    condition = toset(jsondecode(aws_cloudwatch_event_rule.this["bucket-changed"].event_pattern).detail.requestParameters.bucketName) == toset(concat(
    [module.images_bucket.bucket, module.logs_bucket[0].bucket], ["test-prod-code-123456789012"]))
    error_message = "The bucket rule must name the stack's buckets."
  }
  # The rules' names, known before they exist, are the ones the topic and
  # key policies let publish.
  assert {
    condition     = toset([for rule in aws_cloudwatch_event_rule.this : rule.name]) == toset([for arn in local.rule_arns : split("/", arn)[1]])
    error_message = "local.rule_names must list exactly the alert rules (the topic and key policies name them)."
  }
  assert {
    condition = alltrue([for rule in aws_cloudwatch_event_rule.this :
    can(regex("Runbook: INCIDENT_RESPONSE.md#[a-z-]+$", rule.description))])
    error_message = "Every alert rule must link its runbook section."
  }

  # the_security_keys_alerts_do_not_depend_on_it
  # The rules about the keys also page a topic on the DATA key.
  assert {
    condition = alltrue([for name in ["kms-key-state", "key-policy-changed"] :
      contains(jsondecode(aws_cloudwatch_event_rule.this[name].event_pattern).detail.resources.ARN, aws_kms_key.security.arn) &&
    aws_cloudwatch_event_target.key_alerts[name].arn == aws_sns_topic.key_alerts.arn])
    error_message = "The rules about the security key must also target the key-alerts topic."
  }
  assert {
    condition     = aws_sns_topic.key_alerts.kms_master_key_id == aws_kms_key.this.arn && aws_kms_key.this.arn != aws_kms_key.security.arn
    error_message = "The key-alerts topic must be encrypted with the data key, not the security key."
  }
  # The grants that path needs, as rendered, on the data key and the topic.
  assert {
    condition = anytrue([for s in jsondecode(data.aws_iam_policy_document.kms.json).Statement :
      s.Effect == "Allow" && try(s.Principal.Service, "") == "events.amazonaws.com" &&
      contains(flatten([s.Action]), "kms:GenerateDataKey*") && contains(flatten([s.Action]), "kms:Decrypt") &&
      toset(flatten([try(s.Condition.ArnLike["aws:SourceArn"], [])])) == toset([for name in ["kms-key-state", "key-policy-changed"] : "arn:aws:events:us-east-1:123456789012:rule/test-prod-${name}"])
    ])
    error_message = "The data key must let exactly the two key rules encrypt for the key-alerts topic."
  }
  assert {
    condition = anytrue([for s in jsondecode(data.aws_iam_policy_document.key_alerts.json).Statement :
      s.Effect == "Allow" && try(s.Principal.Service, "") == "events.amazonaws.com" && s.Action == "sns:Publish" &&
      toset(flatten([try(s.Condition.ArnLike["aws:SourceArn"], [])])) == toset([for name in ["kms-key-state", "key-policy-changed"] : "arn:aws:events:us-east-1:123456789012:rule/test-prod-${name}"])
    ])
    error_message = "The key-alerts topic must let the two key rules publish, by ARN."
  }

  # undelivered_events_raise_an_alarm
  assert {
    condition = (aws_cloudwatch_metric_alarm.this["undelivered-events"].dimensions.QueueName == aws_sqs_queue.rule_dead_letter.name &&
      aws_cloudwatch_metric_alarm.this["undelivered-events"].metric_name == "ApproximateNumberOfMessagesVisible" &&
      aws_cloudwatch_metric_alarm.this["undelivered-events"].threshold == 0 &&
    aws_cloudwatch_metric_alarm.this["undelivered-events"].comparison_operator == "GreaterThanThreshold")
    error_message = "An alarm must fire when a message waits in the undelivered-events queue (its name, as the queue is created)."
  }

  # -------------------------------------------------------------------------
  # Audit evidence
  # -------------------------------------------------------------------------

  # The function's logs are kept as long as the trail's files by default
  # (the account baseline's access_log_retention_days, 365).
  assert {
    condition     = aws_cloudwatch_log_group.lambda.retention_in_days == 365
    error_message = "The function's log group must keep its logs 365 days by default (CKV_AWS_338)."
  }

  # -------------------------------------------------------------------------
  # The role S3 Batch Operations assumes to reprocess images
  # (batch_operations.tf): least privilege per action and resource
  # -------------------------------------------------------------------------

  # batch_operations_role_is_least_privilege
  # Every grant, as "action resource": exactly these, nothing more.
  assert {
    condition = toset(flatten([for s in jsondecode(aws_iam_role_policy.batch_operations.policy).Statement : [
      for a in flatten([s.Action]) : [for r in flatten([s.Resource]) : "${a} ${r}"]
      ]])) == toset([
      "lambda:InvokeFunction ${aws_lambda_function.this.arn}",
      "s3:GetObject ${module.images_bucket.arn}/batch-operations/manifests/*",
      "s3:GetObjectVersion ${module.images_bucket.arn}/batch-operations/manifests/*",
      "s3:PutObject ${module.images_bucket.arn}/batch-operations/reports/*",
      "s3:GetBucketLocation ${module.images_bucket.arn}",
      "kms:Decrypt ${aws_kms_key.this.arn}",
      "kms:GenerateDataKey ${aws_kms_key.this.arn}",
    ])
    error_message = "The Batch Operations role may invoke exactly the function, read manifests and write reports under batch-operations/ of the images bucket, and use the data key: nothing else."
  }
  assert {
    condition = alltrue([for s in jsondecode(aws_iam_role_policy.batch_operations.policy).Statement :
      s.Effect == "Allow" && !anytrue([for a in flatten([s.Action]) : strcontains(a, "*")]) &&
      !contains(flatten([s.Resource]), "*")
    ])
    error_message = "The Batch Operations role must use no wildcard action and no '*' resource."
  }
  assert {
    condition = alltrue([for s in jsondecode(aws_iam_role_policy.batch_operations.policy).Statement :
      flatten([try(s.Condition.StringEquals["kms:ViaService"], [])]) == ["s3.us-east-1.amazonaws.com"]
    if anytrue([for a in flatten([s.Action]) : startswith(a, "kms:")])])
    error_message = "The Batch Operations role may use the data key only through S3 (the manifest and the report)."
  }
  assert {
    condition     = !strcontains(aws_iam_role_policy.batch_operations.policy, aws_kms_key.security.arn)
    error_message = "The Batch Operations role must not touch the security key."
  }
  assert {
    condition     = aws_iam_role_policy.batch_operations.role == aws_iam_role.batch_operations.id
    error_message = "The policy must be attached to the Batch Operations role."
  }
  assert {
    condition     = output.batch_operations_role_arn == aws_iam_role.batch_operations.arn && output.batch_operations_prefix == "batch-operations/"
    error_message = "The module must output the role's ARN and the prefix that scripts/reprocess.sh uses."
  }

  # its_reports_may_be_sse_s3_and_nothing_else_is
  assert {
    # Only Batch Operations' reports are SSE-S3 (AWS encrypts them so), and only its role writes them.
    condition = alltrue([for s in jsondecode(module.images_bucket.policy).Statement :
      flatten([try(s.Condition.ArnNotEquals["aws:PrincipalArn"], [])]) == [aws_iam_role.batch_operations.arn]
      if try(s.Condition.StringNotEquals["s3:x-amz-server-side-encryption"], null) != null
    ])
    error_message = "The refusal of other encryptions exempts the Batch Operations role (its reports are SSE-S3) and no one else."
  }
  assert {
    condition = alltrue([for s in jsondecode(aws_iam_role_policy.batch_operations.policy).Statement :
      alltrue([for r in flatten([s.Resource]) : endswith(r, "/batch-operations/reports/*")])
      if contains(flatten([s.Action]), "s3:PutObject")
    ])
    error_message = "The Batch Operations role may write only its reports (it is exempt from the bucket's encryption rule)."
  }

  # only_batch_operations_of_this_account_may_assume_the_role
  assert {
    condition = [for s in jsondecode(aws_iam_role.batch_operations.assume_role_policy).Statement : {
      effect    = s.Effect
      action    = s.Action
      principal = s.Principal
      accounts  = flatten([s.Condition.StringEquals["aws:SourceAccount"]])
      }] == [{
      effect    = "Allow"
      action    = "sts:AssumeRole"
      principal = { Service = "batchoperations.s3.amazonaws.com" }
      accounts  = ["123456789012"]
    }]
    error_message = "Only S3 Batch Operations (batchoperations.s3.amazonaws.com) of this account may assume the role."
  }

  # the_function_reads_a_record_before_a_reprocess
  # The function can be given a reprocess at all: it reads the record first.
  assert {
    condition = anytrue([for s in jsondecode(aws_iam_role_policy.lambda.policy).Statement :
      contains(flatten([s.Action]), "dynamodb:GetItem") && flatten([s.Resource]) == [aws_dynamodb_table.this.arn]
    ])
    error_message = "The function needs dynamodb:GetItem on the table (and only the table) to plan a reprocess."
  }

  # manifests_and_reports_expire_and_stay_out_of_the_pipelines_prefixes
  # Manifests and reports list upload keys: they expire like the uploads, and
  # they are outside uploads/ and processed/, so they never reach the function
  # and the function never overwrites them.
  assert {
    condition     = contains(module.images_bucket.expiring_prefixes, "batch-operations/")
    error_message = "Batch Operations manifests and reports must expire (upload_retention_days)."
  }
  assert {
    condition = alltrue([for p in [local.input_prefix, local.output_prefix] :
    !startswith("batch-operations/", p) && !startswith(p, "batch-operations/")])
    error_message = "batch-operations/ must not overlap the input or output prefix."
  }

  # -------------------------------------------------------------------------
  # Off (the default): no VPC, nothing of this built
  # -------------------------------------------------------------------------

  # off_by_default
  assert {
    condition = (length(aws_lambda_function.this.vpc_config) == 0 && length(aws_vpc.this) == 0 && length(aws_subnet.this) == 0 &&
    length(aws_vpc_endpoint.gateway) == 0 && length(aws_vpc_endpoint.sns) == 0 && length(aws_iam_role_policy.lambda_network) == 0)
    error_message = "With enable_vpc off, nothing of the VPC may be built and the function must run outside one."
  }

  # -------------------------------------------------------------------------
  # Uploaders kept apart (issue 20, item 4): with enable_uploader_isolation, a
  # principal tagged with a tenant writes nothing but uploads/<tenant>/, and a
  # principal without one (or with an empty tenant or one containing "/")
  # uploads nothing; the stack's own roles are exempt. With it off, the policy
  # is what it was.
  # -------------------------------------------------------------------------

  # uploader_isolation_off_leaves_the_images_bucket_policy_as_it_was
  assert {
    condition     = length(data.aws_iam_policy_document.uploader_isolation) == 0
    error_message = "With uploader isolation off, no isolation statement may be rendered."
  }
  assert {
    condition = jsondecode(module.images_bucket.policy).Statement == concat(
      jsondecode(data.aws_iam_policy_document.images_bucket.json).Statement,
      [for s in jsondecode(module.images_bucket.policy).Statement : s if s.Sid == "DenyInsecureTransport"],
    )
    error_message = "With uploader isolation off, the images bucket's policy must be the pipeline's statements and the TLS-only Deny only."
  }
  assert {
    condition     = !strcontains(module.images_bucket.policy, "PrincipalTag") && !strcontains(module.images_bucket.policy, "NotResource")
    error_message = "With uploader isolation off, the images bucket's policy must not mention principal tags."
  }
  assert {
    condition     = aws_lambda_function.this.environment[0].variables.UPLOADER_ISOLATION == "off"
    error_message = "The handler must know that isolation is off (lambda/config.py UPLOADER_ISOLATION): no tenant is recorded."
  }
}

# ---------------------------------------------------------------------------
# The function: least privilege, as rendered
# ---------------------------------------------------------------------------

run "recipes_and_heic_input_reach_the_function_as_lambda_config_reads_them" {
  module {
    source = "./modules/image-pipeline"
  }

  variables {
    recipes           = [{ name = "thumb", max_edge = 200, format = "webp" }]
    enable_heic_input = true
  }

  assert {
    condition = jsondecode(aws_lambda_function.this.environment[0].variables.RECIPES) == [{
      name   = "thumb", max_edge = 200, width = null, height = null, grayscale = false,
      format = "webp", quality = null, lossless = false, key = "{recipe}/{path}.{ext}"
    }]
    error_message = "RECIPES must be the JSON of var.recipes (lambda/config.py reads it; tests/unit/test_config.py parses this shape)."
  }
  assert {
    condition     = aws_lambda_function.this.environment[0].variables.HEIC_INPUT == "on"
    error_message = "enable_heic_input must reach the function as HEIC_INPUT=on."
  }
}

run "function_is_hardened_and_reads_its_limits_from_terraform" {
  module {
    source = "./modules/image-pipeline"
  }

  variables {
    max_upload_mb = 3
    max_dimension = 1000
  }

  assert {
    condition     = aws_lambda_function.this.tracing_config[0].mode == "Active" && aws_lambda_function.this.kms_key_arn == aws_kms_key.this.arn
    error_message = "X-Ray must be active and the environment encrypted with the stack's key."
  }
  # Uploads arrive from the queue (a synchronous poll): the only asynchronous
  # invocation left is the sweep, which the next sweep repeats.
  assert {
    condition = (aws_lambda_function_event_invoke_config.this.function_name == aws_lambda_function.this.function_name &&
      aws_lambda_function_event_invoke_config.this.maximum_retry_attempts == 0 &&
    length(aws_lambda_function_event_invoke_config.this.destination_config) == 0)
    error_message = "The asynchronous invoke settings (the sweep's only) must not retry and send nowhere: failed uploads reach the failed-events queue through the uploads queue's redrive policy."
  }
  assert {
    condition = keys(aws_lambda_function.this.environment[0].variables) == sort([
      "TABLE_NAME", "NOTIFICATIONS_TOPIC_ARN", "SECURITY_TOPIC_ARN", "INPUT_PREFIX", "OUTPUT_PREFIX",
      "MAX_UPLOAD_BYTES", "MAX_DIMENSION", "RECORD_TTL_DAYS", "LOG_LEVEL", "MALWARE_PROTECTION",
      "STUCK_AFTER_S", "PROCESSING_INDEX", "RECIPES", "HEIC_INPUT", "UPLOADER_ISOLATION",
    ])
    error_message = "The environment must be exactly the handler's contract (lambda/config.py)."
  }
  assert {
    condition     = aws_lambda_function.this.environment[0].variables.MAX_UPLOAD_BYTES == tostring(3 * 1024 * 1024) && aws_lambda_function.this.environment[0].variables.MAX_DIMENSION == "1000"
    error_message = "The limits must reach the function from max_upload_mb (MiB) and max_dimension."
  }
  assert {
    condition     = aws_cloudwatch_log_group.lambda.kms_key_id == aws_kms_key.security.arn && aws_lambda_function.this.logging_config[0].log_group == aws_cloudwatch_log_group.lambda.name
    error_message = "The function must log into its own log group, encrypted with the security key (audit evidence)."
  }
  assert {
    condition = (aws_lambda_function.this.environment[0].variables.PROCESSING_INDEX == one(aws_dynamodb_table.this.global_secondary_index).name &&
      one(aws_dynamodb_table.this.global_secondary_index).range_key == "lease_until" &&
    aws_lambda_function.this.environment[0].variables.STUCK_AFTER_S == tostring(var.stuck_after_s))
    error_message = "The sweep must scan the table's index keyed by lease_until (PROCESSING_INDEX) and wait stuck_after_s (STUCK_AFTER_S)."
  }
}

# ---------------------------------------------------------------------------
# The uploads queue: the function's only source of uploads, capped, with
# partial batch responses, a redrive to the failed-events queue, and a policy
# that lets in only the images bucket (and the scan-result rule)
# ---------------------------------------------------------------------------

run "uploads_queue_feeds_the_function_with_a_cap_and_partial_batch_responses" {
  module {
    source = "./modules/image-pipeline"
  }

  variables {
    queue_maximum_concurrency = 7
    queue_batch_size          = 4
  }

  assert {
    condition = (aws_lambda_event_source_mapping.uploads.event_source_arn == aws_sqs_queue.uploads.arn &&
    aws_lambda_event_source_mapping.uploads.function_name == aws_lambda_function.this.arn)
    error_message = "The event source mapping must read the uploads queue into the image-processing function."
  }
  assert {
    condition     = try(one(aws_lambda_event_source_mapping.uploads.scaling_config).maximum_concurrency == var.queue_maximum_concurrency, false)
    error_message = "The mapping's maximum concurrency (the flood and cost ceiling) must be queue_maximum_concurrency."
  }
  assert {
    condition     = aws_lambda_event_source_mapping.uploads.function_response_types == toset(["ReportBatchItemFailures"])
    error_message = "The mapping must take partial batch responses (ReportBatchItemFailures): one bad upload must not make its batch-mates retry."
  }
  assert {
    condition     = aws_lambda_event_source_mapping.uploads.batch_size == var.queue_batch_size && aws_lambda_event_source_mapping.uploads.enabled != false
    error_message = "The mapping must be enabled and hand queue_batch_size uploads to an invocation."
  }
}

run "visibility_timeout_fits_the_longest_function_timeout" {
  module {
    source = "./modules/image-pipeline"
  }

  variables {
    lambda_timeout_s = 900
  }

  assert {
    condition = (aws_lambda_function.this.timeout == 900 &&
      aws_sqs_queue.uploads.visibility_timeout_seconds >= 6 * aws_lambda_function.this.timeout &&
    aws_sqs_queue.uploads.visibility_timeout_seconds <= 43200)
    error_message = "At Lambda's longest timeout (900 s) the uploads queue's visibility timeout must still be at least 5400 s, and within SQS's 43200 s."
  }
}

run "failed_uploads_redrive_to_the_failed_events_queue" {
  module {
    source = "./modules/image-pipeline"
  }

  variables {
    queue_max_receive_count = 3
  }

  assert {
    condition = try(jsondecode(aws_sqs_queue.uploads.redrive_policy) == {
      deadLetterTargetArn = aws_sqs_queue.dead_letter.arn
      maxReceiveCount     = var.queue_max_receive_count
    }, false)
    error_message = "After queue_max_receive_count deliveries, the uploads queue must move an event to the failed-events queue (redrive policy)."
  }
  # Only the uploads queue may use the failed-events queue as its dead-letter
  # queue (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html).
  assert {
    condition = (aws_sqs_queue_redrive_allow_policy.dead_letter.queue_url == aws_sqs_queue.dead_letter.id &&
      try(jsondecode(aws_sqs_queue_redrive_allow_policy.dead_letter.redrive_allow_policy) == {
        redrivePermission = "byQueue"
        sourceQueueArns   = [aws_sqs_queue.uploads.arn]
    }, false))
    error_message = "The failed-events queue's redrive-allow policy must name the uploads queue, and only it."
  }
  assert {
    condition     = aws_sqs_queue.dead_letter.message_retention_seconds >= aws_sqs_queue.uploads.message_retention_seconds
    error_message = "The failed-events queue must keep an event at least as long as the uploads queue (its age counts from the first enqueue)."
  }
}

run "reserved_concurrency_can_still_be_set" {
  module {
    source = "./modules/image-pipeline"
  }

  variables {
    lambda_reserved_concurrency = 10
  }

  assert {
    condition     = aws_lambda_function.this.reserved_concurrent_executions == 10
    error_message = "lambda_reserved_concurrency, when set, must reach the function."
  }
}

run "with_a_provisioned_table_that_scales" {
  module {
    source = "./modules/image-pipeline"
  }

  variables {
    dynamodb_billing_mode       = "PROVISIONED"
    enable_dynamodb_autoscaling = true
  }

  # provisioned_table_keeps_its_floors_inside_the_free_tier
  # The free-tier profile: provisioned capacity, the table's and the index's
  # (an index has its own throughput, and the account's provisioned capacity is
  # the sum of its tables' and indexes'), each write capacity autoscaled.
  assert {
    condition = (aws_dynamodb_table.this.billing_mode == "PROVISIONED" &&
      aws_dynamodb_table.this.read_capacity + one(aws_dynamodb_table.this.global_secondary_index).read_capacity <= 25 &&
    aws_dynamodb_table.this.write_capacity + one(aws_dynamodb_table.this.global_secondary_index).write_capacity <= 25)
    error_message = "With PROVISIONED, the table's and the in-progress index's capacity together must start inside the always-free 25 RCU / 25 WCU."
  }
  assert {
    condition = (keys(aws_appautoscaling_target.write) == ["index", "table"] &&
      try(aws_appautoscaling_target.write["table"].resource_id, null) == "table/${aws_dynamodb_table.this.name}" &&
      try(aws_appautoscaling_target.write["index"].resource_id, null) == "table/${aws_dynamodb_table.this.name}/index/${one(aws_dynamodb_table.this.global_secondary_index).name}" &&
      try(aws_appautoscaling_target.write["index"].scalable_dimension, null) == "dynamodb:index:WriteCapacityUnits" &&
    alltrue([for t in aws_appautoscaling_target.write : t.min_capacity == var.dynamodb_write_capacity && t.max_capacity <= 25]))
    error_message = "With PROVISIONED and autoscaling, the table's and the in-progress index's write capacity must each follow load, from dynamodb_write_capacity to at most 25 WCU (a throttled index throttles the table's writes)."
  }
  assert {
    condition     = keys(aws_appautoscaling_policy.write) == keys(aws_appautoscaling_target.write)
    error_message = "Every scalable target must have its target-tracking policy."
  }

  # -------------------------------------------------------------------------
  # Alarms: every one pages someone, and all fit in CloudWatch's free 10
  # -------------------------------------------------------------------------

  # provisioned_autoscaling_alarms_are_counted
  # The free-tier DynamoDB profile costs alarms: two target-tracking policies
  # (the table's writes and the in-progress index's), 4 alarms each.
  assert {
    condition = (length(aws_appautoscaling_policy.write) == 2 &&
      output.cloudwatch_alarm_count == length(aws_cloudwatch_metric_alarm.this) + 4 * 2 &&
    output.cloudwatch_alarm_count == 17)
    error_message = "With PROVISIONED and autoscaling the stack causes 17 alarms: its 9 and 4 for each of the 2 target-tracking policies (7 beyond the free 10; alarms.tf, README: Cost)."
  }
}

# ---------------------------------------------------------------------------
# Alarms: every one pages someone, and all fit in CloudWatch's free 10
# ---------------------------------------------------------------------------

run "provisioned_without_autoscaling_adds_no_alarm" {
  module {
    source = "./modules/image-pipeline"
  }

  variables {
    dynamodb_billing_mode       = "PROVISIONED"
    enable_dynamodb_autoscaling = false
  }

  assert {
    condition     = length(aws_appautoscaling_target.write) == 0 && output.cloudwatch_alarm_count == 9
    error_message = "With PROVISIONED and autoscaling off, nothing scales and the stack causes its 9 alarms."
  }
}

# The seam between alarms and queues: the alarms name their queues by names
# computed before the queues exist (alarms.tf); those names must be the
# queues Terraform creates, or the alarms watch a metric that never comes
# (and, treating missing data as not breaching, stay silent).
run "queue_alarms_watch_the_queues_terraform_creates" {
  module {
    source = "./modules/image-pipeline"
  }

  variables {
    queue_age_alarm_s = 600
  }

  assert {
    condition = try(aws_cloudwatch_metric_alarm.this["uploads-queue-age"].dimensions == tomap({ QueueName = aws_sqs_queue.uploads.name }) &&
      aws_cloudwatch_metric_alarm.this["uploads-queue-age"].namespace == "AWS/SQS" &&
      aws_cloudwatch_metric_alarm.this["uploads-queue-age"].metric_name == "ApproximateAgeOfOldestMessage" &&
      aws_cloudwatch_metric_alarm.this["uploads-queue-age"].threshold == 600 &&
    aws_cloudwatch_metric_alarm.this["uploads-queue-age"].comparison_operator == "GreaterThanThreshold", false)
    error_message = "uploads-queue-age must alarm on the uploads queue's ApproximateAgeOfOldestMessage above queue_age_alarm_s, by the queue's own name."
  }
  assert {
    condition = try(aws_cloudwatch_metric_alarm.this["failed-events"].dimensions == tomap({ QueueName = aws_sqs_queue.dead_letter.name }) &&
      aws_cloudwatch_metric_alarm.this["failed-events"].namespace == "AWS/SQS" &&
    aws_cloudwatch_metric_alarm.this["failed-events"].metric_name == "ApproximateNumberOfMessagesVisible", false)
    error_message = "failed-events must alarm on messages visible in the failed-events queue, by the queue's own name."
  }
  assert {
    condition = toset([for a in aws_cloudwatch_metric_alarm.this : try(a.dimensions.QueueName, "(none)") if a.namespace == "AWS/SQS"]) == toset([
    aws_sqs_queue.uploads.name, aws_sqs_queue.dead_letter.name, aws_sqs_queue.rule_dead_letter.name, aws_sqs_queue.failed_sweeps.name])
    error_message = "Every SQS alarm must name a queue this module creates, and the two upload queues, the undelivered-events queue and the failed-sweeps queue must be watched."
  }
  assert {
    condition     = !contains([for a in aws_cloudwatch_metric_alarm.this : a.metric_name], "AsyncEventsDropped")
    error_message = "Uploads no longer arrive asynchronously: the queue's age replaces async-events-dropped."
  }
}

# ---------------------------------------------------------------------------
# Without the account-wide services, nothing is granted to them
# ---------------------------------------------------------------------------

run "no_grants_for_services_that_are_not_there" {
  module {
    source = "./modules/image-pipeline"
  }

  variables {
    enable_guardduty_findings_rule = false
  }

  # The trail and AWS Config deliver into the account baseline's buckets and
  # key: none of the module's policies grants them.
  assert {
    condition = length([for s in concat(jsondecode(module.logs_bucket[0].policy).Statement, jsondecode(aws_kms_key.this.policy).Statement, jsondecode(aws_kms_key.security.policy).Statement) : s
    if can(regex("cloudtrail|config", lower(jsonencode(try(s.Principal.Service, "")))))]) == 0
    error_message = "Neither the logs bucket nor the keys may grant CloudTrail or AWS Config: their sinks are the account baseline's."
  }
  assert {
    condition     = !contains(keys(aws_cloudwatch_event_rule.this), "guardduty-high")
    error_message = "Without GuardDuty, there is no GuardDuty findings rule."
  }
}

# ---------------------------------------------------------------------------
# Called with the account baseline (terraform/main.tf): its logs bucket, and
# its audit key and buckets watched
# ---------------------------------------------------------------------------

run "with_the_account_baselines_logs_bucket_and_watched_sinks" {
  module {
    source = "./modules/image-pipeline"
  }

  variables {
    enable_code_signing  = true
    access_log_target    = { bucket = "test-prod-logs-123456789012", prefix = "s3-access-logs/" }
    watched_kms_key_arns = ["arn:aws:kms:us-east-1:123456789012:key/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"]
    watched_bucket_names = ["test-prod-audit-123456789012", "test-prod-logs-123456789012"]
  }

  # the_buckets_log_into_the_given_target
  # No logs bucket of its own: the images and code buckets log into the
  # bucket given, under its prefix, and the module names both buckets for
  # the target's grant (the account baseline's access_log_source_bucket_arns).
  assert {
    condition     = length(module.logs_bucket) == 0 && output.logs_bucket_name == null && output.evidence_bucket_arns == [] && output.access_log_retention == null
    error_message = "With access_log_target, the module must create no logs bucket of its own."
  }
  assert {
    condition = alltrue([for b in [module.images_bucket, module.code_bucket["this"]] :
    b.access_log_target == { bucket = "test-prod-logs-123456789012", prefix = "s3-access-logs/" }])
    error_message = "The images and code buckets must log their access into access_log_target, under its prefix."
  }
  assert {
    condition     = output.access_log_source_bucket_arns == [module.images_bucket.arn, module.code_bucket["this"].arn]
    error_message = "access_log_source_bucket_arns must name exactly the buckets that log into access_log_target (images and code)."
  }

  # the_alerts_watch_the_baselines_key_and_buckets
  assert {
    condition = alltrue([for name in ["kms-key-state", "key-policy-changed"] :
      toset(jsondecode(aws_cloudwatch_event_rule.this[name].event_pattern).detail.resources.ARN) == toset([aws_kms_key.this.arn, aws_kms_key.security.arn, "arn:aws:kms:us-east-1:123456789012:key/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"])
    ])
    error_message = "The key rules must watch the module's two keys and watched_kms_key_arns (the account baseline's audit key)."
  }
  assert {
    condition = toset(jsondecode(aws_cloudwatch_event_rule.this["bucket-changed"].event_pattern).detail.requestParameters.bucketName) == toset(
    [module.images_bucket.bucket, module.code_bucket["this"].bucket, "test-prod-audit-123456789012", "test-prod-logs-123456789012"])
    error_message = "The bucket rule must name the module's buckets and watched_bucket_names (the account baseline's audit and logs buckets)."
  }
}

run "alert_email_subscribes_both_topics" {
  module {
    source = "./modules/image-pipeline"
  }

  variables {
    alert_email = "oncall@example.com"
  }

  assert {
    condition     = keys(aws_sns_topic_subscription.email) == ["notifications", "security_alerts"]
    error_message = "alert_email must subscribe to both topics."
  }
}

run "with_malware_protection" {
  module {
    source = "./modules/image-pipeline"
  }

  variables {
    enable_malware_protection = true
  }

  # malware_protection_gates_processing_on_a_clean_scan
  # S3's event no longer reaches the queue; GuardDuty's scan result does.
  assert {
    condition = (length(aws_s3_bucket_notification.this.queue) == 0 && length(aws_s3_bucket_notification.this.lambda_function) == 0 &&
    aws_s3_bucket_notification.this.eventbridge)
    error_message = "With malware protection on, only the scan result may reach the function (and S3 must send its events to EventBridge for the plan)."
  }
  assert {
    condition = (
      jsondecode(aws_cloudwatch_event_rule.malware_scan_result["this"].event_pattern)["detail-type"] == ["GuardDuty Malware Protection Object Scan Result"] &&
      jsondecode(aws_cloudwatch_event_rule.malware_scan_result["this"].event_pattern).detail.s3ObjectDetails.bucketName == [module.images_bucket.bucket] &&
      aws_cloudwatch_event_target.malware_scan_result["this"].arn == aws_sqs_queue.uploads.arn
    )
    error_message = "Scan results for this bucket must go to the uploads queue (the function takes them from there)."
  }
  # The queue lets EventBridge send for the scan-result rule only, by the ARN
  # of the rule Terraform creates (the policy names it before the rule exists,
  # so the two could drift apart); the queue's key lets the rule encrypt.
  assert {
    condition = [for s in jsondecode(aws_sqs_queue_policy.uploads.policy).Statement : {
      actions = flatten([s.Action]), resources = flatten([s.Resource]), conditions = s.Condition
      } if s.Effect == "Allow" && try(s.Principal.Service, "") == "events.amazonaws.com"] == [{
      actions    = ["sqs:SendMessage"]
      resources  = [aws_sqs_queue.uploads.arn]
      conditions = { ArnEquals = { "aws:SourceArn" = "arn:aws:events:us-east-1:123456789012:rule/${aws_cloudwatch_event_rule.malware_scan_result["this"].name}" } }
    }]
    error_message = "With malware protection on, the uploads queue must let events.amazonaws.com SendMessage only for the scan-result rule (aws:SourceArn)."
  }
  assert {
    condition = anytrue([for s in jsondecode(aws_kms_key.security.policy).Statement :
      s.Effect == "Allow" && try(s.Principal.Service, "") == "events.amazonaws.com" &&
      contains(flatten([s.Action]), "kms:GenerateDataKey*") && contains(flatten([s.Action]), "kms:Decrypt") &&
      contains(flatten([try(s.Condition.ArnLike["aws:SourceArn"], [])]), "arn:aws:events:us-east-1:123456789012:rule/${aws_cloudwatch_event_rule.malware_scan_result["this"].name}")
    ])
    error_message = "The security key (the uploads queue's) must let the scan-result rule encrypt the events it sends into the queue."
  }
  assert {
    condition     = aws_lambda_function.this.environment[0].variables.MALWARE_PROTECTION == "on"
    error_message = "The handler must know that gating is on (lambda/config.py MALWARE_PROTECTION)."
  }
  assert {
    condition     = aws_guardduty_malware_protection_plan.this["this"].protected_resource[0].s3_bucket[0].object_prefixes == toset(["uploads/"])
    error_message = "The plan must scan the upload prefix."
  }
  # The scanning role reads and tags uploads only, and uses only the stack's key.
  assert {
    condition = alltrue(flatten([for s in jsondecode(aws_iam_role_policy.malware_protection["this"].policy).Statement : [
      for r in flatten([s.Resource]) : !endswith(r, "*") || endswith(r, "/uploads/*") || strcontains(r, ":rule/DO-NOT-DELETE-AmazonGuardDutyMalwareProtectionS3")
    ]]))
    error_message = "The scanning role may reach objects under uploads/ only."
  }

  # -------------------------------------------------------------------------
  # Malware gating in the bucket, not the message (issue 20, item 3): with
  # enable_malware_protection, nobody but GuardDuty's plan role reads an upload
  # GuardDuty has not tagged NO_THREATS_FOUND, and nobody but that role sets,
  # changes or removes the tag; with it off, the policy is what it was.
  # -------------------------------------------------------------------------

  # gating_on_reads_only_what_guardduty_tagged_clean
  # Reads: denied to everyone but the plan's role unless the object's tag
  # says NO_THREATS_FOUND (an untagged object has no such key: denied).
  assert {
    condition = [for s in jsondecode(module.images_bucket.policy).Statement : {
      effect    = s.Effect, principal = s.Principal, actions = toset(flatten([s.Action])),
      resources = flatten([s.Resource]), conditions = s.Condition
      } if s.Sid == "DenyReadingUploadsNotScannedClean"] == [{
      effect    = "Deny"
      principal = "*"
      actions   = toset(["s3:GetObject", "s3:GetObjectVersion"])
      resources = ["${module.images_bucket.arn}/uploads/*"]
      conditions = {
        StringNotEquals = { "s3:ExistingObjectTag/GuardDutyMalwareScanStatus" = "NO_THREATS_FOUND" }
        ArnNotEquals    = { "aws:PrincipalArn" = aws_guardduty_malware_protection_plan.this["this"].role }
      }
    }]
    error_message = "Reading an upload (any version) must be denied to all but GuardDuty's plan role unless GuardDuty tagged it NO_THREATS_FOUND."
  }

  # The tag: only the plan's role may put or delete tags on uploads.
  assert {
    condition = [for s in jsondecode(module.images_bucket.policy).Statement : {
      effect    = s.Effect, principal = s.Principal, actions = toset(flatten([s.Action])),
      resources = flatten([s.Resource]), conditions = s.Condition
      } if s.Sid == "DenyTaggingUploadsExceptGuardDuty"] == [{
      effect     = "Deny"
      principal  = "*"
      actions    = toset(["s3:PutObjectTagging", "s3:PutObjectVersionTagging", "s3:DeleteObjectTagging", "s3:DeleteObjectVersionTagging"])
      resources  = ["${module.images_bucket.arn}/uploads/*"]
      conditions = { ArnNotEquals = { "aws:PrincipalArn" = aws_guardduty_malware_protection_plan.this["this"].role } }
    }]
    error_message = "Only GuardDuty's plan role may tag or untag uploads."
  }

  # Nor may an upload arrive with the tag already set.
  assert {
    condition = [for s in jsondecode(module.images_bucket.policy).Statement : {
      effect    = s.Effect, principal = s.Principal, actions = flatten([s.Action]),
      resources = flatten([s.Resource]), conditions = s.Condition
      } if s.Sid == "DenyUploadingWithTheScanTag"] == [{
      effect     = "Deny"
      principal  = "*"
      actions    = ["s3:PutObject"]
      resources  = ["${module.images_bucket.arn}/uploads/*"]
      conditions = { "ForAnyValue:StringEquals" = { "s3:RequestObjectTagKeys" = "GuardDutyMalwareScanStatus" } }
    }]
    error_message = "An upload must not be able to carry GuardDuty's scan tag (x-amz-tagging)."
  }

  # The local AWS enforces exactly this policy
  # (tests/integration/test_local_aws_malware_gating.py): its fixture is the
  # rendered policy with the ARNs as placeholders, never a hand copy; `make
  # policy-fixtures` rewrites it from this message.
  assert {
    condition = jsondecode(module.images_bucket.policy) == jsondecode(templatefile("../tests/fixtures/policies/images_bucket_malware_gating.json", {
      bucket_arn                = module.images_bucket.arn
      key_arn                   = aws_kms_key.this.arn
      function_role_arn         = aws_iam_role.lambda.arn
      batch_operations_role_arn = aws_iam_role.batch_operations.arn
      scanner_role_arn          = aws_iam_role.malware_protection["this"].arn
    }))
    error_message = "With malware protection on, the images bucket's policy is not tests/fixtures/policies/images_bucket_malware_gating.json, which the local AWS enforces; `make policy-fixtures` rewrites it as rendered:\npolicy-fixture: images_bucket_malware_gating.json\n${replace(replace(replace(replace(replace(module.images_bucket.policy, module.images_bucket.arn, "$${bucket_arn}"), aws_kms_key.this.arn, "$${key_arn}"), aws_iam_role.lambda.arn, "$${function_role_arn}"), aws_iam_role.batch_operations.arn, "$${batch_operations_role_arn}"), aws_iam_role.malware_protection["this"].arn, "$${scanner_role_arn}")}"
  }

  # The exempt role is the one the plan scans and tags with, and that role
  # can do both (its policy grants the reads and the tag writes on uploads/).
  assert {
    condition = aws_guardduty_malware_protection_plan.this["this"].role == aws_iam_role.malware_protection["this"].arn && anytrue([
      for s in jsondecode(aws_iam_role_policy.malware_protection["this"].policy).Statement :
      s.Effect == "Allow" && flatten([s.Resource]) == ["${module.images_bucket.arn}/uploads/*"] &&
      length(setsubtract(["s3:GetObject", "s3:GetObjectVersion", "s3:PutObjectTagging", "s3:PutObjectVersionTagging"], flatten([s.Action]))) == 0
    ])
    error_message = "The role exempt from the gate must be the plan's role, which reads and tags uploads."
  }

  # The pipeline's own statements stay first and unchanged; the gating is
  # added after them, the TLS-only Deny last.
  assert {
    condition = slice(jsondecode(module.images_bucket.policy).Statement, 0, length(jsondecode(data.aws_iam_policy_document.images_bucket.json).Statement)) == jsondecode(data.aws_iam_policy_document.images_bucket.json).Statement && [
      for s in jsondecode(module.images_bucket.policy).Statement : s.Sid
      if !contains([for b in jsondecode(data.aws_iam_policy_document.images_bucket.json).Statement : b.Sid], s.Sid)
    ] == ["DenyReadingUploadsNotScannedClean", "DenyTaggingUploadsExceptGuardDuty", "DenyUploadingWithTheScanTag", "DenyInsecureTransport"]
    error_message = "With malware protection on, the policy must be the pipeline's statements, the three gating statements and the TLS-only Deny."
  }
}

# ---------------------------------------------------------------------------
# Code signing: proven here, because the local AWS has no Signer
# ---------------------------------------------------------------------------

run "code_signing_deploys_only_what_the_stacks_profile_signed" {
  module {
    source = "./modules/image-pipeline"
  }

  variables {
    enable_code_signing = true
  }

  assert {
    condition     = aws_lambda_function.this.code_signing_config_arn == aws_lambda_code_signing_config.this["this"].arn
    error_message = "The function must be bound to the stack's code signing configuration."
  }
  assert {
    condition = (one(aws_lambda_code_signing_config.this["this"].policies).untrusted_artifact_on_deployment == "Enforce" &&
    one(aws_lambda_code_signing_config.this["this"].allowed_publishers).signing_profile_version_arns == toset([aws_signer_signing_profile.this["this"].version_arn]))
    error_message = "Lambda must refuse (Enforce, not Warn) any package not signed by the stack's own profile."
  }
  assert {
    condition = (aws_lambda_function.this.filename == null &&
      aws_lambda_function.this.s3_bucket == aws_signer_signing_job.package["this"].signed_object[0].s3[0].bucket &&
    aws_lambda_function.this.s3_key == aws_signer_signing_job.package["this"].signed_object[0].s3[0].key)
    error_message = "The function must be deployed from the copy AWS Signer signed, not from the package file."
  }
  assert {
    condition = (aws_signer_signing_job.package["this"].source[0].s3[0].version == aws_s3_object.unsigned_package["this"].version_id &&
      aws_signer_signing_job.package["this"].profile_name == aws_signer_signing_profile.this["this"].name &&
    aws_signer_signing_job.package["this"].ignore_signing_job_failure == false)
    error_message = "The signing job must sign this build's version of the package with the stack's profile, and a failed signature must fail the apply."
  }
  assert {
    condition     = aws_signer_signing_profile.this["this"].platform_id == "AWSLambda-SHA384-ECDSA"
    error_message = "The profile must sign for the Lambda platform."
  }
  assert {
    condition = (module.code_bucket["this"].public_access_blocked && module.code_bucket["this"].acls_disabled &&
      module.code_bucket["this"].versioning_enabled &&
    module.code_bucket["this"].encryption.kms_master_key_id == aws_kms_key.this.arn)
    error_message = "The code bucket must be a hardened bucket: no public access, versioned (Signer requires it), SSE-KMS with the stack's key."
  }
  assert {
    condition = contains(
      flatten([for s in jsondecode(module.logs_bucket[0].policy).Statement : flatten([try(s.Condition.ArnLike["aws:SourceArn"], [])])]),
      module.code_bucket["this"].arn,
    )
    error_message = "The code bucket's access logs must be accepted by the logs bucket, by the code bucket's ARN."
  }
}

# ---------------------------------------------------------------------------
# The security key (issue 20): separation of duties and a break-glass principal
# ---------------------------------------------------------------------------

run "with_named_key_administrators_users_and_break_glass" {
  module {
    source = "./modules/image-pipeline"
  }

  variables {
    kms_key_administrators    = ["arn:aws:iam::123456789012:role/deployer", "arn:aws:iam::123456789012:role/key-admin"]
    break_glass_principal_arn = "arn:aws:iam::123456789012:role/break-glass"
    kms_key_users             = ["arn:aws:iam::123456789012:role/auditor"]
  }

  # security_key_names_the_given_administrators_users_and_break_glass
  assert {
    condition = anytrue([for s in jsondecode(data.aws_iam_policy_document.security_key.json).Statement :
      s.Effect == "Deny" && contains(flatten([s.Action]), "kms:ScheduleKeyDeletion") &&
      flatten([try(s.Condition.ArnNotEquals["aws:PrincipalArn"], [])]) == ["arn:aws:iam::123456789012:role/break-glass"]
    ])
    error_message = "break_glass_principal_arn must be the only principal exempt from the destruction Deny."
  }
  assert {
    condition = anytrue([for s in jsondecode(data.aws_iam_policy_document.security_key.json).Statement :
      s.Effect == "Allow" && flatten([try(s.Principal.AWS, [])]) == ["arn:aws:iam::123456789012:role/auditor"] &&
      flatten([s.Action]) == ["kms:Decrypt"] && toset(flatten([try(s.Condition.StringEquals["kms:ViaService"], [])])) == toset(["s3.us-east-1.amazonaws.com", "sqs.us-east-1.amazonaws.com"])
    ])
    error_message = "kms_key_users may only decrypt, through S3 and SQS."
  }

  # -------------------------------------------------------------------------
  # The data key: the same separation of duties (issue 20, item 6)
  # -------------------------------------------------------------------------

  # data_key_names_the_given_administrators_and_break_glass
  assert {
    condition = alltrue([for sid in ["DenyDestructionExceptBreakGlass", "DenyGrantsExceptBreakGlassAndTheStacksServices"] :
      anytrue([for s in jsondecode(data.aws_iam_policy_document.kms.json).Statement :
        s.Sid == sid && s.Effect == "Deny" && flatten([try(s.Condition.ArnNotEquals["aws:PrincipalArn"], [])]) == ["arn:aws:iam::123456789012:role/break-glass"]
    ])])
    error_message = "break_glass_principal_arn must be the only principal exempt from the data key's destruction and grant Denies."
  }
  assert {
    condition = anytrue([for s in jsondecode(data.aws_iam_policy_document.kms.json).Statement :
      s.Effect == "Allow" && contains(flatten([s.Action]), "kms:DisableKey") &&
      flatten([try(s.Condition.ArnEquals["aws:PrincipalArn"], [])]) == ["arn:aws:iam::123456789012:role/break-glass"]
    ])
    error_message = "The data key's break-glass statement must name break_glass_principal_arn."
  }
  assert {
    condition = anytrue([for s in jsondecode(data.aws_iam_policy_document.kms.json).Statement :
      s.Effect == "Deny" && contains(flatten([s.Action]), "kms:PutKeyPolicy") &&
      toset(flatten([try(s.Condition.ArnNotEquals["aws:PrincipalArn"], [])])) == toset(["arn:aws:iam::123456789012:role/deployer", "arn:aws:iam::123456789012:role/key-admin", "arn:aws:iam::123456789012:role/break-glass"])
    ])
    error_message = "kms_key_administrators and the break-glass principal must be the only principals exempt from the data key's PutKeyPolicy Deny."
  }
  assert {
    condition = anytrue([for s in jsondecode(data.aws_iam_policy_document.kms.json).Statement :
      s.Sid == "DenyDeletionExceptAdministrators" && s.Effect == "Deny" &&
      toset(flatten([try(s.Condition.ArnNotEquals["aws:PrincipalArn"], [])])) == toset(["arn:aws:iam::123456789012:role/deployer", "arn:aws:iam::123456789012:role/key-admin", "arn:aws:iam::123456789012:role/break-glass"])
    ])
    error_message = "kms_key_administrators and the break-glass principal must be the only principals that may schedule the data key's deletion."
  }
}

run "keys_refuse_to_lock_out_the_deployer" {
  command = plan

  module {
    source = "./modules/image-pipeline"
  }

  variables {
    kms_key_administrators = ["arn:aws:iam::123456789012:role/someone-else"]
  }

  expect_failures = [aws_kms_key.security, aws_kms_key.this]
}

# ---------------------------------------------------------------------------
# The role S3 Batch Operations assumes to reprocess images
# (batch_operations.tf): least privilege per action and resource
# ---------------------------------------------------------------------------

# The longest name the module accepts still gives a role name IAM takes (64).
run "the_role_name_fits_iam_for_the_longest_name" {
  module {
    source = "./modules/image-pipeline"
  }

  variables {
    name = "a23456789-123456789-123456789-123456789-123"
  }

  assert {
    condition     = length(var.name) == 43 && length(aws_iam_role.batch_operations.name) <= 64
    error_message = "The Batch Operations role's name must fit IAM's 64 characters for every name the module accepts."
  }
}

# ---------------------------------------------------------------------------
# A decoder with no way out (issue 20, item 5; enable_vpc): the function in a
# VPC without a route out, reaching only the stack's bucket, table and topics
# through endpoints whose policies name them, behind a security group that
# allows HTTPS to those endpoints only. Each run turns enable_vpc on.
#
# The function: in the stack's subnets, behind its own security group
# ---------------------------------------------------------------------------

run "with_enable_vpc" {
  module {
    source = "./modules/image-pipeline"
  }

  variables {
    enable_vpc = true
  }

  # the_function_runs_in_the_vpc
  assert {
    condition = length(aws_lambda_function.this.vpc_config) == 1 && (
      toset(try(aws_lambda_function.this.vpc_config[0].subnet_ids, [])) == toset(["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"])) && (
    toset(try(aws_lambda_function.this.vpc_config[0].security_group_ids, [])) == toset(["sg-0lambda"]))
    error_message = "With enable_vpc, the function must run in the stack's two subnets, behind the function's security group only."
  }
  assert {
    condition     = length(aws_subnet.this) == 2 && length(distinct([for s in aws_subnet.this : s.availability_zone])) == 2 && alltrue([for s in aws_subnet.this : !s.map_public_ip_on_launch && s.vpc_id == "vpc-0123456789abcdef0"])
    error_message = "The function's subnets must be two, in two Availability Zones, of the stack's VPC, and give no public address."
  }
  # Lambda refuses a VPC function whose role cannot create its network
  # interfaces: the function waits for that policy.
  assert {
    condition     = aws_iam_role_policy.lambda_network["this"].role == "test-prod-lambda" && aws_iam_role_policy.lambda_network["this"].policy == data.aws_iam_policy_document.lambda_network["this"].json
    error_message = "The network-interface permissions must be on the function's role."
  }

  # nothing_routes_out_of_the_vpc
  # No route but the VPC's own (implicit) and the gateway endpoints' (AWS
  # adds those): `route = []` also removes one added outside Terraform. An
  # internet gateway, NAT gateway, peering or transit gateway would need a
  # route here; tests/unit/test_network.py refuses those resources outright.
  assert {
    condition     = length(aws_route_table.this["this"].route) == 0
    error_message = "The function's route table must have no route: no internet gateway, NAT gateway, peering or transit gateway."
  }
  assert {
    condition     = length(aws_route_table_association.this) == 2 && alltrue([for a in aws_route_table_association.this : a.route_table_id == "rtb-0123456789abcdef0"])
    error_message = "Both subnets must use the route table without a route out (not the VPC's main table)."
  }
  assert {
    condition = alltrue([for k, e in aws_vpc_endpoint.gateway :
      e.vpc_endpoint_type == "Gateway" && e.service_name == "com.amazonaws.us-east-1.${k}" && toset(e.route_table_ids) == toset(["rtb-0123456789abcdef0"])
    ]) && toset(keys(aws_vpc_endpoint.gateway)) == toset(["s3", "dynamodb"])
    error_message = "S3 and DynamoDB must be reached through gateway endpoints on the function's route table."
  }
  assert {
    condition = (aws_vpc_endpoint.sns["this"].vpc_endpoint_type == "Interface" && aws_vpc_endpoint.sns["this"].private_dns_enabled &&
      aws_vpc_endpoint.sns["this"].service_name == "com.amazonaws.us-east-1.sns" &&
      toset(aws_vpc_endpoint.sns["this"].subnet_ids) == toset(["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"]) &&
    toset(aws_vpc_endpoint.sns["this"].security_group_ids) == toset(["sg-0snsendpoint"]))
    error_message = "SNS must be reached through an interface endpoint with private DNS in the function's subnets, behind its own security group."
  }
  assert {
    condition     = aws_vpc.this["this"].enable_dns_support && aws_vpc.this["this"].enable_dns_hostnames
    error_message = "The SNS endpoint's private DNS name needs DNS support and DNS host names in the VPC."
  }

  # -------------------------------------------------------------------------
  # The endpoints: the function's calls on the stack's resources, nothing else
  # -------------------------------------------------------------------------

  # endpoint_policies_name_only_the_stacks_resources
  # Each endpoint carries the policy rendered for it.
  assert {
    condition = (aws_vpc_endpoint.gateway["s3"].policy == data.aws_iam_policy_document.endpoint["s3"].json &&
      aws_vpc_endpoint.gateway["dynamodb"].policy == data.aws_iam_policy_document.endpoint["dynamodb"].json &&
    aws_vpc_endpoint.sns["this"].policy == data.aws_iam_policy_document.endpoint["sns"].json)
    error_message = "Every endpoint must carry its policy (without one, an endpoint allows every call on every resource)."
  }
  # No "*" resource and no wildcard action; every resource is the stack's.
  assert {
    condition = alltrue(flatten([for k, stack in {
      s3       = ["arn:aws:s3:::test-prod-images-123456789012/uploads/*", "arn:aws:s3:::test-prod-images-123456789012/processed/*"]
      dynamodb = ["arn:aws:dynamodb:us-east-1:123456789012:table/test-prod-uploads", "arn:aws:dynamodb:us-east-1:123456789012:table/test-prod-uploads/index/in-progress"]
      sns      = ["arn:aws:sns:us-east-1:123456789012:test-prod-notifications", "arn:aws:sns:us-east-1:123456789012:test-prod-security-alerts"]
      } : [for s in jsondecode(data.aws_iam_policy_document.endpoint[k].json).Statement :
      s.Effect == "Allow" && alltrue([for r in flatten([s.Resource]) : contains(stack, r)]) &&
      alltrue([for a in flatten([s.Action]) : !strcontains(a, "*")])
    ]]))
    error_message = "An endpoint policy may allow only named actions on the stack's own bucket prefixes, table and index, and topics: no \"*\" resource, no other account's resource, no wildcard action."
  }
  # Only the function's role may use the endpoints.
  assert {
    condition = alltrue(flatten([for k in ["s3", "dynamodb", "sns"] : [for s in jsondecode(data.aws_iam_policy_document.endpoint[k].json).Statement :
      flatten([try(s.Condition.ArnEquals["aws:PrincipalArn"], [])]) == ["arn:aws:iam::123456789012:role/test-prod-lambda"]
    ]]))
    error_message = "Every endpoint statement must be limited to the function's role (aws:PrincipalArn)."
  }
  # The endpoints allow what the function does, no more: each action is one
  # its role already has.
  assert {
    condition = length(setsubtract(
      flatten([for k in ["s3", "dynamodb", "sns"] : [for s in jsondecode(data.aws_iam_policy_document.endpoint[k].json).Statement : flatten([s.Action])]]),
      flatten([for s in jsondecode(data.aws_iam_policy_document.lambda.json).Statement : flatten([s.Action])])
    )) == 0
    error_message = "An endpoint policy allows an action the function's role does not have."
  }

  # -------------------------------------------------------------------------
  # Security groups: HTTPS to the endpoints only, nothing inbound
  # -------------------------------------------------------------------------

  # the_function_may_connect_to_the_endpoints_only
  assert {
    condition     = length(aws_security_group.lambda["this"].ingress) == 0 && length(aws_security_group.lambda["this"].egress) == 0
    error_message = "The function's security group must have no inline rules: its egress is the rules below, its ingress nothing."
  }
  assert {
    condition = alltrue([for r in concat(values(aws_vpc_security_group_egress_rule.lambda_to_gateway), values(aws_vpc_security_group_egress_rule.lambda_to_sns)) :
      r.security_group_id == "sg-0lambda" && r.ip_protocol == "tcp" && r.from_port == 443 && r.to_port == 443 &&
      r.cidr_ipv4 == null && r.cidr_ipv6 == null
    ])
    error_message = "The function's egress must be HTTPS (TCP 443) and name no address range: no 0.0.0.0/0, no ::/0."
  }
  assert {
    condition = (toset([for r in aws_vpc_security_group_egress_rule.lambda_to_gateway : r.prefix_list_id]) == toset(["pl-63a5400a", "pl-02cd2c6b"]) &&
    aws_vpc_security_group_egress_rule.lambda_to_sns["this"].referenced_security_group_id == "sg-0snsendpoint")
    error_message = "The function's egress must go to the S3 and DynamoDB endpoints' prefix lists and the SNS endpoint's security group, and nowhere else."
  }
  assert {
    condition = (aws_vpc_security_group_ingress_rule.sns_from_lambda["this"].security_group_id == "sg-0snsendpoint" &&
      aws_vpc_security_group_ingress_rule.sns_from_lambda["this"].referenced_security_group_id == "sg-0lambda" &&
      aws_vpc_security_group_ingress_rule.sns_from_lambda["this"].from_port == 443 &&
    aws_vpc_security_group_ingress_rule.sns_from_lambda["this"].cidr_ipv4 == null)
    error_message = "The SNS endpoint must accept HTTPS from the function's security group only."
  }
  assert {
    condition     = length(aws_default_security_group.this["this"].ingress) == 0 && length(aws_default_security_group.this["this"].egress) == 0
    error_message = "The VPC's default security group must allow nothing."
  }

  # -------------------------------------------------------------------------
  # The role's network-interface permissions
  # -------------------------------------------------------------------------

  # network_interfaces_are_lambdas_not_the_codes
  # "*" only where EC2 has no resource-level permission (Describe*).
  assert {
    condition = alltrue([for s in jsondecode(data.aws_iam_policy_document.lambda_network["this"].json).Statement :
      alltrue([for a in flatten([s.Action]) : startswith(a, "ec2:Describe")])
      if s.Effect == "Allow" && contains(flatten([s.Resource]), "*")
    ])
    error_message = "Only the Describe actions may be allowed on \"*\"."
  }
  assert {
    condition = anytrue([for s in jsondecode(data.aws_iam_policy_document.lambda_network["this"].json).Statement :
      s.Effect == "Allow" && flatten([s.Action]) == ["ec2:CreateNetworkInterface"] &&
      toset(flatten([s.Resource])) == toset([
        "arn:aws:ec2:us-east-1:123456789012:subnet/subnet-0aaaaaaaaaaaaaaaa",
        "arn:aws:ec2:us-east-1:123456789012:subnet/subnet-0bbbbbbbbbbbbbbbb",
        "arn:aws:ec2:us-east-1:123456789012:security-group/sg-0lambda",
        "arn:aws:ec2:us-east-1:123456789012:network-interface/*",
      ])
    ])
    error_message = "CreateNetworkInterface must be limited to the stack's subnets and the function's security group."
  }
  assert {
    condition = anytrue([for s in jsondecode(data.aws_iam_policy_document.lambda_network["this"].json).Statement :
      s.Effect == "Allow" && contains(flatten([s.Action]), "ec2:DeleteNetworkInterface") &&
      flatten([s.Resource]) == ["arn:aws:ec2:us-east-1:123456789012:network-interface/*"]
    ])
    error_message = "DeleteNetworkInterface and the IP assignments must be limited to network interfaces of the stack's account and region."
  }
  # The function's own code (calls that carry lambda:SourceFunctionArn) is
  # denied every EC2 action the policy allows.
  assert {
    condition = anytrue([for s in jsondecode(data.aws_iam_policy_document.lambda_network["this"].json).Statement :
      s.Effect == "Deny" && flatten([s.Resource]) == ["*"] &&
      flatten([try(s.Condition.Null["lambda:SourceFunctionArn"], [])]) == ["false"] &&
      length(setsubtract(
        flatten([for a in jsondecode(data.aws_iam_policy_document.lambda_network["this"].json).Statement : flatten([a.Action]) if a.Effect == "Allow"]),
        flatten([s.Action])
      )) == 0
    ])
    error_message = "The function's code must be denied the network-interface actions Lambda uses on its behalf."
  }
}

# ---------------------------------------------------------------------------
# Off (the default): no VPC, nothing of this built
# ---------------------------------------------------------------------------

# A region without two of the named zones: a clear refusal, not an index
# error.
run "refuses_a_region_without_two_named_zones" {
  command = plan

  module {
    source = "./modules/image-pipeline"
  }

  variables {
    enable_vpc = true
  }

  override_data {
    target = data.aws_availability_zones.this["this"]
    values = { names = ["us-east-1a"] }
  }

  expect_failures = [aws_vpc.this]
}

# ---------------------------------------------------------------------------
# Uploaders kept apart (issue 20, item 4): with enable_uploader_isolation, a
# principal tagged with a tenant writes nothing but uploads/<tenant>/, and a
# principal without one (or with an empty tenant or one containing "/")
# uploads nothing; the stack's own roles are exempt. With it off, the policy
# is what it was.
# ---------------------------------------------------------------------------

run "uploader_isolation_on_keeps_each_tenant_under_its_prefix" {

  module {
    source = "./modules/image-pipeline"
  }

  variables {
    enable_uploader_isolation = true
    enable_malware_protection = true
  }

  # The statements are exactly the ones the local AWS enforces against two
  # tenants (tests/integration/test_local_aws_uploaders.py), with the stack's
  # three roles exempt (GuardDuty's plan role exists while malware
  # protection is on).
  assert {
    condition = [for s in jsondecode(module.images_bucket.policy).Statement : {
      sid        = s.Sid, effect = s.Effect, principal = s.Principal, actions = toset(flatten([s.Action])),
      resource   = try(s.Resource, null), not_resource = try(s.NotResource, null)
      conditions = { for op, pairs in s.Condition : op => { for k, v in pairs : k => toset(flatten([v])) } }
      } if contains(["DenyTenantWritesOutsideItsPrefix", "DenyUploadsWithoutTenant", "DenyUploadsWithMalformedTenant"], s.Sid)] == [
      for s in jsondecode(templatefile("../tests/fixtures/policies/images_bucket_uploader_isolation.json", {
        bucket_arn       = module.images_bucket.arn
        tag_key          = "image-processor:tenant"
        exempt_role_arns = [aws_iam_role.lambda.arn, aws_iam_role.batch_operations.arn, aws_iam_role.malware_protection["this"].arn]
        })).Statement : {
        sid        = s.Sid, effect = s.Effect, principal = s.Principal, actions = toset(flatten([s.Action])),
        resource   = try(s.Resource, null), not_resource = try(s.NotResource, null)
        conditions = { for op, pairs in s.Condition : op => { for k, v in pairs : k => toset(flatten([v])) } }
      }
    ]
    error_message = "The isolation statements must be the ones the local AWS test enforces (tests/fixtures/policies/images_bucket_uploader_isolation.json)."
  }

  # The tenant's prefix is the policy variable of its tag, in the resource
  # part of the ARN (a tagged principal writes nothing else).
  assert {
    condition = one([for s in jsondecode(module.images_bucket.policy).Statement : s.NotResource
    if s.Sid == "DenyTenantWritesOutsideItsPrefix"]) == "${module.images_bucket.arn}/uploads/$${aws:PrincipalTag/image-processor:tenant}/*"
    error_message = "A tagged principal may write only under uploads/$${aws:PrincipalTag/<key>}/."
  }

  # The pipeline's statements first and unchanged, the gating, the
  # isolation, the TLS-only Deny last.
  assert {
    condition = slice(jsondecode(module.images_bucket.policy).Statement, 0, length(jsondecode(data.aws_iam_policy_document.images_bucket.json).Statement)) == jsondecode(data.aws_iam_policy_document.images_bucket.json).Statement && [
      for s in jsondecode(module.images_bucket.policy).Statement : s.Sid
      if !contains([for b in jsondecode(data.aws_iam_policy_document.images_bucket.json).Statement : b.Sid], s.Sid)
      ] == ["DenyReadingUploadsNotScannedClean", "DenyTaggingUploadsExceptGuardDuty", "DenyUploadingWithTheScanTag",
    "DenyTenantWritesOutsideItsPrefix", "DenyUploadsWithoutTenant", "DenyUploadsWithMalformedTenant", "DenyInsecureTransport"]
    error_message = "With isolation on, the policy must be the pipeline's statements, the gating, the three isolation statements and the TLS-only Deny."
  }

  assert {
    condition     = aws_lambda_function.this.environment[0].variables.UPLOADER_ISOLATION == "on"
    error_message = "The handler must know that isolation is on (lambda/config.py UPLOADER_ISOLATION): it records the tenant."
  }
}

run "uploader_tenant_tag_key_is_an_iam_tag_key" {
  command = plan

  module {
    source = "./modules/image-pipeline"
  }

  variables {
    enable_uploader_isolation = true
    uploader_tenant_tag_key   = "aws:tenant"
  }

  expect_failures = [var.uploader_tenant_tag_key]
}

# A decoder with no way out (issue 20, item 5; enable_vpc): the function in a
# VPC without a route out, reaching only the stack's bucket, table and topics
# through endpoints whose policies name them, behind a security group that
# allows HTTPS to those endpoints only. Asserted on what the real AWS provider
# renders, as in security.tftest.hcl (every managed resource overridden, the
# policy documents rendered locally); a resource added to the module needs an
# override_resource here too.
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
  target = aws_appautoscaling_target.write
}

override_resource {
  target = aws_appautoscaling_policy.write
}

override_resource {
  target = aws_iam_role.batch_operations
  values = { arn = "arn:aws:iam::123456789012:role/test-prod-batch-operations", id = "test-prod-batch-operations" }
}

override_resource {
  target = aws_iam_role_policy.batch_operations
}

override_resource {
  target = aws_lambda_event_source_mapping.uploads
  values = { uuid = "a1b2c3d4-5678-90ab-cdef-111111111111" }
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
  target = module.logs_bucket.aws_s3_bucket.this
  values = { arn = "arn:aws:s3:::test-prod-logs-123456789012", id = "test-prod-logs-123456789012" }
}

override_resource {
  target = module.logs_bucket.aws_s3_bucket_public_access_block.this
}

override_resource {
  target = module.logs_bucket.aws_s3_bucket_ownership_controls.this
}

override_resource {
  target = module.logs_bucket.aws_s3_bucket_server_side_encryption_configuration.this
}

override_resource {
  target = module.logs_bucket.aws_s3_bucket_versioning.this
}

override_resource {
  target = module.logs_bucket.aws_s3_bucket_lifecycle_configuration.this
}

override_resource {
  target = module.logs_bucket.aws_s3_bucket_logging.this
}

override_resource {
  target = module.logs_bucket.aws_s3_bucket_policy.this
}

override_resource {
  target = module.logs_bucket.aws_s3_bucket_object_lock_configuration.this
}

override_resource {
  target = module.audit_bucket["this"].aws_s3_bucket.this
  values = { arn = "arn:aws:s3:::test-prod-audit-123456789012", id = "test-prod-audit-123456789012" }
}

override_resource {
  target = module.audit_bucket["this"].aws_s3_bucket_public_access_block.this
}

override_resource {
  target = module.audit_bucket["this"].aws_s3_bucket_ownership_controls.this
}

override_resource {
  target = module.audit_bucket["this"].aws_s3_bucket_server_side_encryption_configuration.this
}

override_resource {
  target = module.audit_bucket["this"].aws_s3_bucket_versioning.this
}

override_resource {
  target = module.audit_bucket["this"].aws_s3_bucket_lifecycle_configuration.this
}

override_resource {
  target = module.audit_bucket["this"].aws_s3_bucket_logging.this
}

override_resource {
  target = module.audit_bucket["this"].aws_s3_bucket_policy.this
}

override_resource {
  target = module.audit_bucket["this"].aws_s3_bucket_object_lock_configuration.this
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
  enable_vpc          = true
}

# ---------------------------------------------------------------------------
# The function: in the stack's subnets, behind its own security group
# ---------------------------------------------------------------------------

run "the_function_runs_in_the_vpc" {
  module {
    source = "./modules/image-pipeline"
  }

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
}

run "nothing_routes_out_of_the_vpc" {
  module {
    source = "./modules/image-pipeline"
  }

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
}

# ---------------------------------------------------------------------------
# The endpoints: the function's calls on the stack's resources, nothing else
# ---------------------------------------------------------------------------

run "endpoint_policies_name_only_the_stacks_resources" {
  module {
    source = "./modules/image-pipeline"
  }

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
}

# ---------------------------------------------------------------------------
# Security groups: HTTPS to the endpoints only, nothing inbound
# ---------------------------------------------------------------------------

run "the_function_may_connect_to_the_endpoints_only" {
  module {
    source = "./modules/image-pipeline"
  }

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
}

# ---------------------------------------------------------------------------
# The role's network-interface permissions
# ---------------------------------------------------------------------------

run "network_interfaces_are_lambdas_not_the_codes" {
  module {
    source = "./modules/image-pipeline"
  }

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

run "off_by_default" {
  module {
    source = "./modules/image-pipeline"
  }

  variables {
    enable_vpc = false
  }

  assert {
    condition = (length(aws_lambda_function.this.vpc_config) == 0 && length(aws_vpc.this) == 0 && length(aws_subnet.this) == 0 &&
    length(aws_vpc_endpoint.gateway) == 0 && length(aws_vpc_endpoint.sns) == 0 && length(aws_iam_role_policy.lambda_network) == 0)
    error_message = "With enable_vpc off, nothing of the VPC may be built and the function must run outside one."
  }
}

# A region without two of the named zones: a clear refusal, not an index
# error.
run "refuses_a_region_without_two_named_zones" {
  command = plan

  module {
    source = "./modules/image-pipeline"
  }

  override_data {
    target = data.aws_availability_zones.this["this"]
    values = { names = ["us-east-1a"] }
  }

  expect_failures = [aws_vpc.this]
}

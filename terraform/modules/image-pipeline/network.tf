# ---------------------------------------------------------------------------
# A decoder with no way out (enable_vpc): the function in a VPC of its own
# with private subnets only (no internet gateway, no NAT), reaching S3 and
# DynamoDB through gateway endpoints and SNS through an interface endpoint,
# each endpoint's policy naming only this stack's bucket, table and topics.
#
# What the function's code calls (lambda/storage.py, lambda/notifications.py):
# S3 GetObject and PutObject, DynamoDB GetItem, PutItem, UpdateItem and Scan
# (the in-progress index), SNS Publish. Everything else runs outside the
# function's network, in Lambda itself: reading the uploads queue (the event
# source mapping), decrypting the environment (KMS), creating the function's
# network interfaces (EC2), and sending its logs and traces (CloudWatch Logs,
# X-Ray PutTraceSegments)
# (https://docs.aws.amazon.com/lambda/latest/dg/permissions-source-function-arn.html).
# S3, DynamoDB and SNS call KMS for their own encryption (kms:ViaService).
#
# Price: the gateway endpoints cost nothing; the SNS interface endpoint is
# billed per hour in each of the two Availability Zones and per GB
# (https://aws.amazon.com/privatelink/pricing/; README, Cost). Hence off by
# default.
# ---------------------------------------------------------------------------

locals {
  vpc = var.enable_vpc ? { this = true } : {}

  # The VPC is the function's alone and is peered with nothing: its address
  # range only has to hold the function's and the SNS endpoint's network
  # interfaces, two /25 subnets in two Availability Zones.
  vpc_cidr    = "10.0.0.0/24"
  vpc_zones   = var.enable_vpc ? sort(data.aws_availability_zones.this["this"].names) : []
  vpc_subnets = { for index, zone in slice(local.vpc_zones, 0, min(2, length(local.vpc_zones))) : zone => cidrsubnet(local.vpc_cidr, 1, index) }

  # What the function's code may do through each endpoint: exactly its role's
  # calls (iam.tf), on exactly the stack's resources.
  endpoint_statements = {
    s3 = [
      { actions = ["s3:GetObject", "s3:GetObjectVersion"], resources = ["${module.images_bucket.arn}/${local.input_prefix}*"] },
      { actions = ["s3:PutObject"], resources = ["${module.images_bucket.arn}/${local.output_prefix}*"] },
    ]
    dynamodb = [
      { actions = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"], resources = [aws_dynamodb_table.this.arn] },
      { actions = ["dynamodb:Scan"], resources = ["${aws_dynamodb_table.this.arn}/index/${local.processing_index}"] },
    ]
    sns = [
      { actions = ["sns:Publish"], resources = [for topic in aws_sns_topic.this : topic.arn] },
    ]
  }
}

data "aws_availability_zones" "this" {
  for_each = local.vpc

  state = "available"

  # Named zones only (checkov CKV_AWS_394): the region's a, b and c, of which
  # the first two available ones hold the subnets; a zone AWS adds later
  # changes nothing.
  filter {
    name   = "zone-name"
    values = [for letter in ["a", "b", "c"] : "${local.region}${letter}"]
  }
}

resource "aws_vpc" "this" {
  #checkov:skip=CKV2_AWS_11:No flow log yet: its delivery needs a grant in the security key's policy (kms.tf) or the logs bucket's, and its price per GB is unverified here. The function's only possible connections are HTTPS to the three endpoints (terraform/tests/pipeline.tftest.hcl); without a flow log an attempt to connect elsewhere is refused but leaves no record (SECURITY.md, A decoder with no way out).
  #checkov:skip=CKV2_AWS_12:The VPC's default security group is emptied by aws_default_security_group.this below, which checkov does not link through for_each; terraform/tests/pipeline.tftest.hcl asserts it allows nothing.
  for_each = local.vpc

  cidr_block = local.vpc_cidr
  # The SNS endpoint's private DNS name needs both
  # (https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/ec2/aws.sdk.kotlin.services.ec2.model/-create-vpc-endpoint-request/private-dns-enabled.html).
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = merge(local.tags, { Name = var.name })

  lifecycle {
    precondition {
      condition     = length(local.vpc_zones) >= 2
      error_message = "enable_vpc needs two available Availability Zones named <region>a, <region>b or <region>c; this region offers ${length(local.vpc_zones)}."
    }
  }
}

# The VPC's default security group, emptied: nothing may use it by accident.
resource "aws_default_security_group" "this" {
  for_each = local.vpc

  vpc_id = aws_vpc.this["this"].id
  tags   = merge(local.tags, { Name = "${var.name}-default-unused" })
}

resource "aws_subnet" "this" {
  for_each = local.vpc_subnets

  vpc_id                  = aws_vpc.this["this"].id
  availability_zone       = each.key
  cidr_block              = each.value
  map_public_ip_on_launch = false

  tags = merge(local.tags, { Name = "${var.name}-${each.key}" })
}

# One route table for both subnets, and no route in it but the VPC's own
# (implicit) and the gateway endpoints' (which AWS adds for each endpoint):
# `route = []` makes Terraform remove any route added outside it.
resource "aws_route_table" "this" {
  for_each = local.vpc

  vpc_id = aws_vpc.this["this"].id
  route  = []

  tags = merge(local.tags, { Name = var.name })
}

resource "aws_route_table_association" "this" {
  for_each = local.vpc_subnets

  subnet_id      = aws_subnet.this[each.key].id
  route_table_id = aws_route_table.this["this"].id
}

# ---------------------------------------------------------------------------
# Endpoints and their policies
# ---------------------------------------------------------------------------

resource "aws_vpc_endpoint" "gateway" {
  for_each = var.enable_vpc ? toset(["s3", "dynamodb"]) : toset([])

  vpc_id            = aws_vpc.this["this"].id
  service_name      = "com.amazonaws.${local.region}.${each.key}"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = [aws_route_table.this["this"].id]
  policy            = data.aws_iam_policy_document.endpoint[each.key].json

  tags = merge(local.tags, { Name = "${var.name}-${each.key}" })
}

resource "aws_vpc_endpoint" "sns" {
  for_each = local.vpc

  vpc_id              = aws_vpc.this["this"].id
  service_name        = "com.amazonaws.${local.region}.sns"
  vpc_endpoint_type   = "Interface"
  private_dns_enabled = true
  subnet_ids          = [for subnet in aws_subnet.this : subnet.id]
  security_group_ids  = [aws_security_group.sns_endpoint["this"].id]
  policy              = data.aws_iam_policy_document.endpoint["sns"].json

  tags = merge(local.tags, { Name = "${var.name}-sns" })
}

# The endpoints' policies: the function's calls on the stack's resources and
# nothing else. Without a policy an endpoint gets AWS's default, which allows
# every action on every resource; a gateway endpoint's principal must be "*",
# narrowed with aws:PrincipalArn
# (https://docs.aws.amazon.com/vpc/latest/userguide/vpc-endpoints-access.html).
# Only the function's role may use them, even if something else were placed
# in the VPC.
data "aws_iam_policy_document" "endpoint" {
  for_each = var.enable_vpc ? local.endpoint_statements : {}

  dynamic "statement" {
    for_each = each.value
    content {
      actions   = statement.value.actions
      resources = statement.value.resources
      principals {
        type        = "AWS"
        identifiers = ["*"]
      }
      condition {
        test     = "ArnEquals"
        variable = "aws:PrincipalArn"
        values   = [aws_iam_role.lambda.arn]
      }
    }
  }
}

# ---------------------------------------------------------------------------
# Security groups: the function may open HTTPS connections to the three
# endpoints and nowhere else; nothing may connect to it.
# Terraform removes the allow-all egress rule AWS gives a new group
# (https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/security_group).
# ---------------------------------------------------------------------------

resource "aws_security_group" "lambda" {
  #checkov:skip=CKV2_AWS_5:Attached to the function through its vpc_config (lambda.tf), a dynamic block checkov does not follow; terraform/tests/pipeline.tftest.hcl asserts the attachment.
  for_each = local.vpc

  name        = "${var.name}-lambda"
  description = "The image function: HTTPS to the S3, DynamoDB and SNS endpoints only"
  vpc_id      = aws_vpc.this["this"].id

  tags = merge(local.tags, { Name = "${var.name}-lambda" })
}

resource "aws_vpc_security_group_egress_rule" "lambda_to_gateway" {
  for_each = aws_vpc_endpoint.gateway

  security_group_id = aws_security_group.lambda["this"].id
  description       = "HTTPS to the ${each.key} gateway endpoint"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  prefix_list_id    = each.value.prefix_list_id

  tags = local.tags
}

resource "aws_vpc_security_group_egress_rule" "lambda_to_sns" {
  for_each = local.vpc

  security_group_id            = aws_security_group.lambda["this"].id
  description                  = "HTTPS to the SNS interface endpoint"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = aws_security_group.sns_endpoint["this"].id

  tags = local.tags
}

resource "aws_security_group" "sns_endpoint" {
  #checkov:skip=CKV2_AWS_5:Attached to the SNS interface endpoint (aws_vpc_endpoint.sns), which checkov does not link through for_each; terraform/tests/pipeline.tftest.hcl asserts the attachment.
  for_each = local.vpc

  name        = "${var.name}-sns-endpoint"
  description = "The SNS interface endpoint: HTTPS from the image function only"
  vpc_id      = aws_vpc.this["this"].id

  tags = merge(local.tags, { Name = "${var.name}-sns-endpoint" })
}

resource "aws_vpc_security_group_ingress_rule" "sns_from_lambda" {
  for_each = local.vpc

  security_group_id            = aws_security_group.sns_endpoint["this"].id
  description                  = "HTTPS from the image function"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = aws_security_group.lambda["this"].id

  tags = local.tags
}

# ---------------------------------------------------------------------------
# The role's network-interface permissions: what Lambda needs to attach the
# function to its subnets (the AWS managed AWSLambdaVPCAccessExecutionRole's
# EC2 actions, https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaVPCAccessExecutionRole.html),
# as narrow as the Lambda guide allows: DescribeNetworkInterfaces only on "*",
# DeleteNetworkInterface on every interface ID, for Lambda names none in
# advance ("specify a unique resource ID, or include all resource IDs",
# https://github.com/awsdocs/aws-lambda-developer-guide/blob/main/doc_source/configuration-vpc.md):
# every network interface of the account and region, the resource type the
# action acts on (parliament checks the form).
# Lambda makes these calls outside the function; the function's own code is
# denied them (lambda:SourceFunctionArn is set only on calls from inside the
# execution environment, and on logs and X-Ray calls, never on EC2's:
# https://docs.aws.amazon.com/lambda/latest/dg/permissions-source-function-arn.html).
# ---------------------------------------------------------------------------

resource "aws_iam_role_policy" "lambda_network" {
  for_each = local.vpc

  name   = "${var.name}-lambda-network"
  role   = aws_iam_role.lambda.id
  policy = data.aws_iam_policy_document.lambda_network["this"].json
}

data "aws_iam_policy_document" "lambda_network" {
  for_each = local.vpc

  statement {
    sid     = "CreateInterfacesInTheStacksSubnets"
    actions = ["ec2:CreateNetworkInterface"]
    resources = concat(
      [for subnet in aws_subnet.this : subnet.arn],
      [
        aws_security_group.lambda["this"].arn,
        "arn:${local.partition}:ec2:${local.region}:${local.account_id}:network-interface/*",
      ],
    )
  }

  statement {
    sid = "ManageTheFunctionsInterfaces"
    actions = [
      "ec2:DeleteNetworkInterface",
      "ec2:AssignPrivateIpAddresses",
      "ec2:UnassignPrivateIpAddresses",
    ]
    resources = ["arn:${local.partition}:ec2:${local.region}:${local.account_id}:network-interface/*"]
  }

  # Describe* has no resource-level permissions: "*" is the narrowest there is.
  statement {
    sid       = "DescribeInterfaces"
    actions   = ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"]
    resources = ["*"]
  }

  statement {
    sid    = "NotFromTheFunctionsCode"
    effect = "Deny"
    actions = [
      "ec2:CreateNetworkInterface",
      "ec2:DeleteNetworkInterface",
      "ec2:AssignPrivateIpAddresses",
      "ec2:UnassignPrivateIpAddresses",
      "ec2:DescribeNetworkInterfaces",
      "ec2:DescribeSubnets",
    ]
    resources = ["*"]
    condition {
      test     = "Null"
      variable = "lambda:SourceFunctionArn"
      values   = ["false"]
    }
  }
}

# Values of the mocked AWS provider for the composition and variable tests
# (stack.tftest.hcl, variables.tftest.hcl). Policies are not checked against
# a mock: pipeline.tftest.hcl reads them as the real provider renders them.

mock_data "aws_caller_identity" {
  defaults = { account_id = "123456789012", arn = "arn:aws:sts::123456789012:assumed-role/deployer/terraform" }
}

mock_data "aws_iam_session_context" {
  defaults = { issuer_arn = "arn:aws:iam::123456789012:role/deployer" }
}

mock_data "aws_region" {
  defaults = { name = "us-east-1" }
}

mock_data "aws_partition" {
  defaults = { partition = "aws" }
}

mock_data "aws_iam_policy_document" {
  defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
}

mock_resource "aws_kms_key" {
  defaults = { arn = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555" }
}

mock_resource "aws_guardduty_detector" {
  defaults = { id = "12abc34d567e8fa901bc2d34e56789f0" }
}

mock_resource "aws_s3_bucket" {
  defaults = { arn = "arn:aws:s3:::image-processor-prod-images-123456789012" }
}

mock_resource "aws_lambda_code_signing_config" {
  defaults = { arn = "arn:aws:lambda:us-east-1:123456789012:code-signing-config:csc-0123456789abcdef0" }
}

mock_resource "aws_sqs_queue" {
  defaults = {
    arn = "arn:aws:sqs:us-east-1:123456789012:image-processor-prod-queue"
    url = "https://sqs.us-east-1.amazonaws.com/123456789012/image-processor-prod-queue"
  }
}

mock_resource "aws_lambda_event_source_mapping" {
  defaults = { uuid = "a1b2c3d4-5678-90ab-cdef-111111111111" }
}

mock_data "aws_availability_zones" {
  defaults = { names = ["us-east-1a", "us-east-1b", "us-east-1c"] }
}

mock_resource "aws_vpc" {
  defaults = { id = "vpc-0123456789abcdef0" }
}

# ---------------------------------------------------------------------------
# Reprocessing existing images (a backfill) with S3 Batch Operations: the role
# a job assumes to invoke the function once per object of its manifest
# (scripts/reprocess.sh creates the job; README "Reprocessing (backfill)").
#
# Always present: an IAM role costs nothing, and nothing runs until someone
# with s3:CreateJob and iam:PassRole on it creates a job
# (https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-iam-role-policies.html).
#
# The manifests and completion reports live under batch-operations/ in the
# images bucket, not in the logs bucket: they list the keys of uploads, which
# are customer content (file names), so they belong under the data key with
# the images, and they expire with them (buckets.tf). The images bucket's
# policy denies writes that name another encryption or key, and writes under
# processed/ by anyone but the function (buckets.tf). The manifests are under
# the data key; the completion reports are not: AWS writes them with SSE-S3
# ("Completion reports are always encrypted with Amazon S3 managed keys
# (SSE-S3)", https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-examples-reports.html),
# so DenyOtherEncryption exempts this role, whose policy lets it write only
# under batch-operations/reports/.
# ---------------------------------------------------------------------------

locals {
  batch_operations_prefix           = "batch-operations/"
  batch_operations_manifests_prefix = "${local.batch_operations_prefix}manifests/"
  batch_operations_reports_prefix   = "${local.batch_operations_prefix}reports/"
}

resource "aws_iam_role" "batch_operations" {
  name               = "${var.name}-batch-operations"
  description        = "Assumed by S3 Batch Operations to reprocess images: invokes ${local.function_name}, reads manifests and writes reports under ${local.batch_operations_prefix} of the images bucket"
  assume_role_policy = data.aws_iam_policy_document.batch_operations_assume.json
  tags               = local.tags
}

# The service principal the S3 User Guide's trust policy names. aws:SourceAccount
# keeps another account's job from using the role (confused deputy); the guide's
# example has no condition, so it is unverified that Batch Operations sends the
# key: if a job fails because it cannot assume the role, look here first.
data "aws_iam_policy_document" "batch_operations_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["batchoperations.s3.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role_policy" "batch_operations" {
  name   = "${var.name}-batch-operations"
  role   = aws_iam_role.batch_operations.id
  policy = data.aws_iam_policy_document.batch_operations.json
}

data "aws_iam_policy_document" "batch_operations" {
  # "An IAM role with permission to invoke the function"
  # (https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-invoke-lambda.html):
  # this function only, unqualified (the job names it so).
  statement {
    sid       = "InvokeTheFunction"
    actions   = ["lambda:InvokeFunction"]
    resources = [aws_lambda_function.this.arn]
  }

  # The manifest; GetObjectVersion for a job that names the manifest's version.
  statement {
    sid       = "ReadManifests"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = ["${module.images_bucket.arn}/${local.batch_operations_manifests_prefix}*"]
  }

  statement {
    sid       = "WriteReports"
    actions   = ["s3:PutObject"]
    resources = ["${module.images_bucket.arn}/${local.batch_operations_reports_prefix}*"]
  }

  # AWS's examples list s3:GetBucketLocation with the manifest and report
  # buckets; it is a bucket action, so it names the bucket.
  statement {
    sid       = "LocateTheBucket"
    actions   = ["s3:GetBucketLocation"]
    resources = [module.images_bucket.arn]
  }

  # The manifest and the report are encrypted with the data key (the bucket
  # default): reading one needs Decrypt, writing one GenerateDataKey, both only
  # through S3.
  statement {
    sid       = "UseDataKeyThroughS3"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.this.arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${local.region}.amazonaws.com"]
    }
  }
}

# ---------------------------------------------------------------------------
# Uploaders kept apart (enable_uploader_isolation; issue 20, item 4): each
# uploading principal writes only under uploads/<its tenant>/, where the
# tenant is the value of its principal tag var.uploader_tenant_tag_key
# (aws:PrincipalTag/<key>: the tags of the IAM role or user, overridden by
# session tags of the same key; README, "Uploading as a tenant", and
# SECURITY.md say who may set them). buckets.tf appends these statements to
# the images bucket's policy only while the toggle is on; with it off the
# policy is what it was.
#
# The prefix comes from a policy variable in the Resource element:
# "You can use a policy variable in the Resource element, but only in the
# resource portion of the ARN", and a tag is referenced as
# ${aws:PrincipalTag/<key>}
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html).
# S3 has no condition key that names the object's key of a PutObject
# (unverified: none is listed for it that we found), so the tenant's own
# prefix is a NotResource: a tagged principal is denied every write but
# under uploads/<tenant>/.
#
# Keys are literal: "The Amazon S3 data model is a flat structure ... There
# is no hierarchy" (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html),
# so uploads/acme/../globex/x is a key under uploads/acme/, not under
# uploads/globex/. An IAM or STS tag value cannot hold * or ? (the tag value
# pattern [\p{L}\p{Z}\p{N}_.:/=+\-@]*, https://docs.aws.amazon.com/IAM/latest/APIReference/API_Tag.html),
# so a tenant cannot widen its prefix with a wildcard; it can hold "/", and
# a tenant "acme/x" would write inside acme's prefix, so a tag value with a
# "/" (or an empty one) uploads nothing.
#
# The stack's own roles carry no tenant and write no uploads; they are
# exempt, as the other Denies exempt them (buckets.tf): the function, the
# Batch Operations role and GuardDuty's plan role.
# ---------------------------------------------------------------------------

locals {
  uploader_isolation = var.enable_uploader_isolation ? { this = true } : {}

  tenant_tag_variable = "$${aws:PrincipalTag/${var.uploader_tenant_tag_key}}"

  uploader_isolation_exempt_arns = concat(
    [aws_iam_role.lambda.arn, aws_iam_role.batch_operations.arn],
    [for role in aws_iam_role.malware_protection : role.arn],
  )
}

data "aws_iam_policy_document" "uploader_isolation" {
  for_each = local.uploader_isolation

  # A tenant writes (uploads, overwrites, deletes) nothing but its own
  # uploads: not another tenant's, not the outputs, not anything else in the
  # bucket. Applies only to principals that carry the tag.
  statement {
    sid           = "DenyTenantWritesOutsideItsPrefix"
    effect        = "Deny"
    actions       = ["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"]
    not_resources = ["${module.images_bucket.arn}/${local.input_prefix}${local.tenant_tag_variable}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Null"
      variable = "aws:PrincipalTag/${var.uploader_tenant_tag_key}"
      values   = ["false"]
    }
    condition {
      test     = "ArnNotEquals"
      variable = "aws:PrincipalArn"
      values   = local.uploader_isolation_exempt_arns
    }
  }

  # A principal without a tenant uploads nothing.
  statement {
    sid       = "DenyUploadsWithoutTenant"
    effect    = "Deny"
    actions   = ["s3:PutObject"]
    resources = ["${module.images_bucket.arn}/${local.input_prefix}*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Null"
      variable = "aws:PrincipalTag/${var.uploader_tenant_tag_key}"
      values   = ["true"]
    }
    condition {
      test     = "ArnNotEquals"
      variable = "aws:PrincipalArn"
      values   = local.uploader_isolation_exempt_arns
    }
  }

  # Nor one whose tenant is empty or has a "/" (it would nest inside
  # another tenant's prefix).
  statement {
    sid       = "DenyUploadsWithMalformedTenant"
    effect    = "Deny"
    actions   = ["s3:PutObject"]
    resources = ["${module.images_bucket.arn}/${local.input_prefix}*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "StringLike"
      variable = "aws:PrincipalTag/${var.uploader_tenant_tag_key}"
      values   = ["", "*/*"]
    }
    condition {
      test     = "ArnNotEquals"
      variable = "aws:PrincipalArn"
      values   = local.uploader_isolation_exempt_arns
    }
  }
}

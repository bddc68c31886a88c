# ---------------------------------------------------------------------------
# The audit key: encrypts the trail's files (enable_cloudtrail). The account
# baseline's own, so that the trail needs nothing from an application.
#
# The same separation of duties as the image-pipeline module's security key
# (its kms.tf and key_guards.tf; SECURITY.md, "Encryption and key management"), repeated here rather
# than shared: a module of its own would have to take every list as an input
# and would be harder to read than the two policies side by side.
#   - the account (root) statement delegates ADMINISTRATION to IAM, not use:
#     no IAM policy can let a principal decrypt the trail's files;
#   - only the key administrators (kms_key_administrators; by default the
#     identity that runs Terraform) and the break-glass principal may change
#     the key policy;
#   - only the break-glass principal (break_glass_principal_arn; by default
#     the account's root user) may disable the key, schedule its deletion,
#     grant it away or turn its rotation off;
#   - principals of the account use the key through S3 only (kms:ViaService):
#     the key users read the trail's files, the replication role copies them.
# ---------------------------------------------------------------------------

data "aws_iam_session_context" "deployer" {
  arn = data.aws_caller_identity.current.arn
}

locals {
  # The role (not its session) that runs Terraform: key policies name roles,
  # and aws:PrincipalArn of a role session is the role's ARN.
  deployer_arn = data.aws_iam_session_context.deployer.issuer_arn

  kms_key_administrators    = var.kms_key_administrators == null ? [local.deployer_arn] : var.kms_key_administrators
  break_glass_principal_arn = coalesce(var.break_glass_principal_arn, "arn:${local.partition}:iam::${local.account_id}:root")

  # What the account delegates to IAM: the AWS console's key-administrator
  # statement (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-administrators),
  # without any cryptographic operation.
  kms_administration_actions = [
    "kms:Create*",
    "kms:Describe*",
    "kms:Enable*",
    "kms:List*",
    "kms:Put*",
    "kms:Update*",
    "kms:Revoke*",
    "kms:Disable*",
    "kms:Get*",
    "kms:Delete*",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
    "kms:RotateKeyOnDemand",
  ]

  # Calls that destroy the key, make what it encrypted unreadable or hand
  # its use to someone the policy does not name: break-glass only.
  kms_break_glass_actions = [
    "kms:ScheduleKeyDeletion",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:CreateGrant",
    "kms:DeleteImportedKeyMaterial",
    "kms:ImportKeyMaterial",
    "kms:ReplicateKey",
    "kms:UpdatePrimaryRegion",
  ]

  kms_cryptographic_actions = [
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:GenerateDataKey*",
    "kms:ReEncrypt*",
  ]
}

resource "aws_kms_key" "this" {
  count = var.enable_cloudtrail ? 1 : 0

  description             = "${var.name}: the trail's files"
  enable_key_rotation     = true
  rotation_period_in_days = 365
  deletion_window_in_days = var.kms_deletion_window_days
  policy                  = data.aws_iam_policy_document.audit_key[0].json
  tags                    = var.tags

  lifecycle {
    precondition {
      condition     = contains(local.kms_key_administrators, local.deployer_arn) || local.break_glass_principal_arn == local.deployer_arn
      error_message = "kms_key_administrators must include the identity that runs Terraform (or it must be the break-glass principal): KMS refuses a key policy that locks out its caller."
    }
  }
}

resource "aws_kms_alias" "this" {
  count = var.enable_cloudtrail ? 1 : 0

  name          = "alias/${var.name}-audit"
  target_key_id = aws_kms_key.this[0].key_id
}

data "aws_iam_policy_document" "audit_key" {
  #checkov:skip=CKV_AWS_111:This is a key policy: its "*" resource means this one key, and write access is the account's administration (no cryptographic use), the break-glass principal's and CloudTrail's for this trail (aws:SourceArn).
  #checkov:skip=CKV_AWS_356:This is a key policy: "*" as its resource means this one key (AWS requires that form).
  #checkov:skip=CKV_AWS_109:This is a key policy: the account root statement delegates key administration (no cryptographic use) to IAM, as AWS's default key policy does for all operations; without it the key becomes unmanageable when its administrators are deleted.
  count = var.enable_cloudtrail ? 1 : 0

  # The account may administer the key through IAM policies (AWS's default
  # statement, https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-root-enable-iam,
  # keeps the key manageable when a named administrator is deleted), but
  # not use it: its use is granted below, by name, and nowhere else.
  statement {
    sid       = "AccountAdministration"
    actions   = local.kms_administration_actions
    resources = ["*"] # in a key policy, "*" means this key
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  # aws:SourceArn on both CloudTrail grants, as CloudTrail recommends:
  # https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html
  statement {
    sid       = "CloudTrailEncryptsTrailFiles"
    actions   = ["kms:GenerateDataKey*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }
    condition {
      test     = "StringLike"
      variable = "kms:EncryptionContext:aws:cloudtrail:arn"
      values   = ["arn:${local.partition}:cloudtrail:*:${local.account_id}:trail/*"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceArn"
      values   = [local.cloudtrail_arn]
    }
  }

  statement {
    sid       = "CloudTrailDescribesKey"
    actions   = ["kms:DescribeKey"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceArn"
      values   = [local.cloudtrail_arn]
    }
  }

  # Who may read the trail's files: on-call and auditors, through S3 only.
  dynamic "statement" {
    for_each = length(var.kms_key_users) > 0 ? [1] : []
    content {
      sid       = "KeyUsersReadTrailFilesThroughS3"
      actions   = ["kms:Decrypt"]
      resources = ["*"]
      principals {
        type        = "AWS"
        identifiers = var.kms_key_users
      }
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["s3.${local.region}.amazonaws.com"]
      }
    }
  }

  # With enable_audit_replication, S3 replicates the trail's files with the
  # role the audit-replica module creates (its name is derived the same way
  # there; account_baseline.tftest.hcl checks the seam). Named by
  # aws:PrincipalArn, not as the principal: KMS refuses a principal that
  # does not exist yet.
  dynamic "statement" {
    for_each = var.enable_audit_replication ? [1] : []
    content {
      sid       = "AuditReplicationReadsTrailFilesThroughS3"
      actions   = ["kms:Decrypt"]
      resources = ["*"]
      principals {
        type        = "AWS"
        identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
      }
      condition {
        test     = "ArnEquals"
        variable = "aws:PrincipalArn"
        values   = [local.audit_replication_role_arn]
      }
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["s3.${local.region}.amazonaws.com"]
      }
    }
  }

  # The Denies the image-pipeline module's security key carries
  # (key_guards.tf there): they hold whatever an Allow here or an IAM policy
  # says.
  statement {
    sid       = "DenyDestructionExceptBreakGlass"
    effect    = "Deny"
    actions   = local.kms_break_glass_actions
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["*"]
    }
    condition {
      test     = "ArnNotEquals"
      variable = "aws:PrincipalArn"
      values   = [local.break_glass_principal_arn]
    }
  }

  statement {
    sid       = "DenyPolicyChangesExceptAdministrators"
    effect    = "Deny"
    actions   = ["kms:PutKeyPolicy"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["*"]
    }
    condition {
      test     = "ArnNotEquals"
      variable = "aws:PrincipalArn"
      values   = distinct(concat(local.kms_key_administrators, [local.break_glass_principal_arn]))
    }
  }

  # A principal of the account uses the key only through S3, where the
  # trail's files are; CloudTrail, an AWS service principal named above with
  # its source, is not bound here.
  statement {
    sid       = "DenyUseOutsideS3"
    effect    = "Deny"
    actions   = local.kms_cryptographic_actions
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["*"]
    }
    condition {
      test     = "StringNotEquals"
      variable = "kms:ViaService"
      values   = ["s3.${local.region}.amazonaws.com"]
    }
    condition {
      test     = "Bool"
      variable = "aws:PrincipalIsAWSService"
      values   = ["false"]
    }
  }
}

# ---------------------------------------------------------------------------
# The Denies both keys' policies carry (kms.tf), each with its key's lists.
# A Deny holds whatever an Allow in the key policy or an IAM policy says.
#
# Where the keys differ:
#   - the security key: only the break-glass principal may schedule its
#     deletion or create a grant (both are among kms_break_glass_actions);
#   - the data key: the key administrators may schedule its deletion too
#     (destroy.sh runs as one, and nothing a destroy keeps is under it), and
#     DynamoDB and Lambda may create the grants AWS requires for their own
#     resources.
# ---------------------------------------------------------------------------

locals {
  key_guards = {
    data = {
      break_glass_actions = setsubtract(local.kms_break_glass_actions, ["kms:CreateGrant", "kms:ScheduleKeyDeletion"])
      deletion_principals = local.data_key_deletion_principals
      grant_services      = local.data_key_grant_services
      use_services        = local.data_key_services
    }
    security = {
      break_glass_actions = local.kms_break_glass_actions
      deletion_principals = []
      grant_services      = []
      use_services        = local.security_key_services
    }
  }
}

data "aws_iam_policy_document" "key_guards" {
  for_each = local.key_guards

  statement {
    sid       = "DenyDestructionExceptBreakGlass"
    effect    = "Deny"
    actions   = each.value.break_glass_actions
    resources = ["*"] # in a key policy, "*" means this key
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

  dynamic "statement" {
    for_each = length(each.value.deletion_principals) > 0 ? [each.value.deletion_principals] : []

    content {
      sid       = "DenyDeletionExceptAdministrators"
      effect    = "Deny"
      actions   = ["kms:ScheduleKeyDeletion"]
      resources = ["*"]
      principals {
        type        = "AWS"
        identifiers = ["*"]
      }
      condition {
        test     = "ArnNotEquals"
        variable = "aws:PrincipalArn"
        values   = statement.value
      }
    }
  }

  # A grant hands the key's use to a principal the policy does not name:
  # break-glass only, but for the grants DynamoDB and Lambda create through
  # their own service (a missing kms:ViaService, a direct call, is denied:
  # a negated operator is true when its key is absent,
  # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
  # AWS services are left to the grants they already hold (DynamoDB's for
  # its background maintenance), as in the Deny on use below.
  dynamic "statement" {
    for_each = length(each.value.grant_services) > 0 ? [each.value.grant_services] : []

    content {
      sid       = "DenyGrantsExceptBreakGlassAndTheStacksServices"
      effect    = "Deny"
      actions   = ["kms:CreateGrant"]
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
      condition {
        test     = "StringNotEquals"
        variable = "kms:ViaService"
        values   = statement.value
      }
      condition {
        test     = "Bool"
        variable = "aws:PrincipalIsAWSService"
        values   = ["false"]
      }
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

  # A principal of the account uses the key only through the services that
  # hold data under it; AWS service principals (the rules, CloudWatch Logs
  # and alarms that a statement of the key policy names with its source) are
  # not bound here.
  statement {
    sid       = "DenyUseOutsideTheStacksServices"
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
      values   = each.value.use_services
    }
    condition {
      test     = "Bool"
      variable = "aws:PrincipalIsAWSService"
      values   = ["false"]
    }
  }
}

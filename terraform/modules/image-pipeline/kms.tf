# ---------------------------------------------------------------------------
# Two customer-managed keys.
#
# The DATA key encrypts what users upload and what the stack derives from it.
# The SECURITY key encrypts what must survive an incident with the data key:
# the security-alerts topic, the dead-letter queue of the EventBridge rules
# that feed it, the function's log group, and the uploads and failed-events
# queues, so that S3 can still deliver upload events while the data key is
# disabled (sqs.tf). The trail's files are under the account baseline's own
# audit key (terraform/modules/account-baseline); those a deployment wrote
# before the baseline had one stay under this key, readable by kms_key_users
# through S3.
# Disabling or scheduling the deletion of the data key is itself a SEV1
# (events.tf): its alert travels on the security key, so a disabled data key
# cannot suppress its own alert (SECURITY.md, "Encryption and key management").
# ---------------------------------------------------------------------------

# Separation of duties on both keys (SECURITY.md, "Encryption and key management"); the data key's
# differences are listed above its policy. On the security key:
#   - the account (root) statement delegates ADMINISTRATION to IAM, not use:
#     no IAM policy can let a principal decrypt audit logs or alerts;
#   - only the key administrators (kms_key_administrators; by default the
#     identity that runs Terraform) and the break-glass principal may change
#     the key policy;
#   - only the break-glass principal (break_glass_principal_arn; by default
#     the account's root user) may disable the key, schedule its deletion,
#     grant it away or turn its rotation off;
#   - the key's use is bound to the stack's services (kms:ViaService), or to
#     AWS service principals that a statement below names with its source.
# KMS refuses a key policy that would lock out its caller ("the key policy
# must allow the principal that is making the PutKeyPolicy request to make a
# subsequent PutKeyPolicy request", unless BypassPolicyLockoutSafetyCheck:
# https://docs.aws.amazon.com/sdkforruby/api/Aws/KMS/Types/PutKeyPolicyRequest.html);
# the precondition on each key says it before KMS does.
data "aws_iam_session_context" "deployer" {
  arn = data.aws_caller_identity.current.arn
}

locals {
  # The role (not its session) that runs Terraform: key policies name roles,
  # and aws:PrincipalArn of a role session is the role's ARN.
  deployer_arn = data.aws_iam_session_context.deployer.issuer_arn

  kms_key_administrators    = var.kms_key_administrators == null ? [local.deployer_arn] : var.kms_key_administrators
  break_glass_principal_arn = coalesce(var.break_glass_principal_arn, "arn:${local.partition}:iam::${local.account_id}:root")
  # Who may schedule the DATA key's deletion (the security key: break-glass only).
  data_key_deletion_principals = distinct(concat(local.kms_key_administrators, [local.break_glass_principal_arn]))

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

  # The data key's account statement: administration, each action by name
  # (no wildcard that could reach a cryptographic or break-glass action),
  # from the same console statement without its break-glass calls.
  kms_data_key_administration_actions = [
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListKeyRotations",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:RevokeGrant",
    "kms:RotateKeyOnDemand",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
  ]

  # The services that hold data under the data key, and through which
  # principals of the account may use it: S3 (the images bucket; the code
  # bucket with enable_code_signing), DynamoDB (the table), SNS (the
  # notifications and key-alerts topics) and Lambda (the function's
  # environment variables). Of those, DynamoDB and Lambda create grants.
  data_key_services       = [for service in ["s3", "dynamodb", "sns", "lambda", "sqs"] : "${service}.${local.region}.amazonaws.com"]
  data_key_grant_services = [for service in ["dynamodb", "lambda"] : "${service}.${local.region}.amazonaws.com"]

  # The services that hold data under the security key, and through which
  # principals of the account may use it: SNS (the security-alerts topic),
  # SQS (the undelivered-events and uploads queues), CloudWatch Logs (the
  # function's log group) and S3 (the trail's files an upgraded deployment
  # wrote before the account baseline had its own audit key).
  security_key_services = [for service in ["sns", "sqs", "s3", "logs"] : "${service}.${local.region}.amazonaws.com"]
}

resource "aws_kms_key" "this" {
  description             = "${var.name}: images, upload records, notifications and function settings"
  enable_key_rotation     = true
  rotation_period_in_days = 365
  deletion_window_in_days = var.kms_deletion_window_days
  policy                  = data.aws_iam_policy_document.kms.json
  tags                    = local.tags

  lifecycle {
    precondition {
      condition     = contains(local.kms_key_administrators, local.deployer_arn) || local.break_glass_principal_arn == local.deployer_arn
      error_message = "kms_key_administrators must include the identity that runs Terraform (or it must be the break-glass principal): KMS refuses a key policy that locks out its caller."
    }
  }
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name}"
  target_key_id = aws_kms_key.this.key_id
}

# Separation of duties on the data key (SECURITY.md, "Encryption and key management"), in the style
# of the security key's below, with the same administrators and break-glass
# principal:
#   - the account (root) statement delegates ADMINISTRATION to IAM, and only
#     administration: no cryptographic operation and none of the break-glass
#     calls (kms_data_key_administration_actions lists each action, no
#     wildcard that could reach one of them);
#   - only the key administrators and the break-glass principal may change
#     the policy or schedule the key's deletion (destroy.sh; see below);
#     only the break-glass principal may disable the key, grant it, import
#     or replicate it;
#   - principals of the account use the key only through the services that
#     hold data under it (kms:ViaService, kms:CallerAccount), each with the
#     operations that service documents; an IAM policy still has to allow
#     it (the function's, iam.tf; Batch Operations', batch_operations.tf;
#     GuardDuty's, malware_protection.tf; an uploader's, the deployer's).
data "aws_iam_policy_document" "kms" {
  #checkov:skip=CKV_AWS_111:This is a key policy: its "*" resource means this one key; write access is the account's administration (no cryptographic use, no disabling, deletion or grants), the break-glass principal's, the stack's services' on behalf of principals of the account (kms:ViaService, kms:CallerAccount) and the two key rules' (aws:SourceArn).
  #checkov:skip=CKV_AWS_356:This is a key policy: "*" as its resource means this one key (AWS requires that form).
  #checkov:skip=CKV_AWS_109:This is a key policy: the account root statement delegates key administration (no cryptographic use, none of the break-glass calls) to IAM, as AWS's default key policy does for all operations; without it the key becomes unmanageable when its administrators are deleted.

  # The Denies every key of the stack carries, with this key's lists
  # (key_guards.tf): they hold whatever an Allow here or an IAM policy says.
  source_policy_documents = [data.aws_iam_policy_document.key_guards["data"].json]

  # The account may administer the key through IAM policies (AWS's default
  # statement, https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-root-enable-iam,
  # keeps the key manageable when a named administrator is deleted), but
  # neither use it nor destroy it: those are granted below, with conditions.
  statement {
    sid       = "AccountAdministration"
    actions   = local.kms_data_key_administration_actions
    resources = ["*"] # in a key policy, "*" means this key
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  # The break-glass calls, for the break-glass principal only (named by
  # aws:PrincipalArn, not as the principal: KMS refuses a principal that does
  # not exist, and the default, the account's root user, is the account).
  # Scheduling the data key's deletion is the one exception (next statement).
  statement {
    sid       = "BreakGlassOnly"
    actions   = setsubtract(local.kms_break_glass_actions, ["kms:ScheduleKeyDeletion"])
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:PrincipalArn"
      values   = [local.break_glass_principal_arn]
    }
  }

  # Unlike the security key, nothing the stack keeps after a destroy is
  # under the data key (the kept audit buckets are under the account
  # baseline's audit key, the security key or SSE-S3), so the key administrators (by default the identity that runs
  # Terraform) may schedule its deletion: destroy.sh does. The deletion waits
  # kms_deletion_window_days, pages on-call (events.tf) and can be cancelled.
  statement {
    sid       = "AdministratorsScheduleDeletion"
    actions   = ["kms:ScheduleKeyDeletion"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:PrincipalArn"
      values   = local.data_key_deletion_principals
    }
  }

  # S3: the images bucket (uploaders, the function, GuardDuty's malware
  # protection role, Batch Operations' manifests) and, with code signing,
  # the code bucket (the package the deployer uploads, signs and deploys).
  # Writing an SSE-KMS object needs GenerateDataKey, reading it (and
  # finishing a multipart upload) Decrypt
  # (https://repost.aws/knowledge-center/s3-large-file-encryption-kms-key).
  statement {
    sid       = "AccountUsesTheKeyThroughS3"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${local.region}.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "kms:CallerAccount"
      values   = [local.account_id]
    }
  }

  # DynamoDB: the upload records. "At a minimum, DynamoDB requires" these on
  # a customer managed key, CreateGrant included: DynamoDB creates a grant
  # per table on behalf of whoever creates it, for its background
  # maintenance (https://docs.aws.amazon.com/kms/latest/developerguide/services-dynamodb.html).
  statement {
    sid = "AccountUsesTheKeyThroughDynamoDB"
    actions = [
      "kms:Decrypt", "kms:DescribeKey", "kms:Encrypt",
      "kms:GenerateDataKey*", "kms:ReEncrypt*",
    ]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["dynamodb.${local.region}.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "kms:CallerAccount"
      values   = [local.account_id]
    }
  }

  # SNS: the notifications and key-alerts topics. A publisher needs
  # GenerateDataKey and Decrypt (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html).
  statement {
    sid       = "AccountUsesTheKeyThroughSns"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["sns.${local.region}.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "kms:CallerAccount"
      values   = [local.account_id]
    }
  }

  # SQS: the function's dead-letter queue, where Lambda puts the sweep's
  # failed invocations with the function's role (lambda.tf, failed_sweeps).
  statement {
    sid       = "AccountUsesTheKeyThroughSqs"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["sqs.${local.region}.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "kms:CallerAccount"
      values   = [local.account_id]
    }
  }

  # Lambda: the function's environment variables. Whoever configures the key
  # on the function needs CreateGrant and Encrypt ("Lambda uses your
  # permissions to create a grant on the key"), and Decrypt to read the
  # variables back (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html):
  # without it Terraform could not read the function's configuration.
  statement {
    sid       = "AccountUsesTheKeyThroughLambda"
    actions   = ["kms:Decrypt", "kms:Encrypt"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["lambda.${local.region}.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "kms:CallerAccount"
      values   = [local.account_id]
    }
  }

  # The grants DynamoDB and Lambda create for themselves (above), and no
  # other: only when that service makes the request for a principal of the
  # account (kms:GrantIsForAWSResource, https://docs.aws.amazon.com/kms/latest/developerguide/grant-authorization.html).
  statement {
    sid       = "DynamoDBAndLambdaCreateTheirGrants"
    actions   = ["kms:CreateGrant"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = local.data_key_grant_services
    }
    condition {
      test     = "StringEquals"
      variable = "kms:CallerAccount"
      values   = [local.account_id]
    }
    condition {
      test     = "Bool"
      variable = "kms:GrantIsForAWSResource"
      values   = ["true"]
    }
  }

  # The alerts about the security key travel on this key (key_alerts.tf):
  # only the two rules about the keys, by ARN.
  statement {
    sid       = "KeyRulesPublishToTheKeyAlertsTopic"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = local.key_alert_rule_arns
    }
  }
}

resource "aws_kms_key" "security" {
  description             = "${var.name}: security alerts, their undelivered events, the uploads and failed-events queues and function logs (and trail files written before the account baseline had its own audit key)"
  enable_key_rotation     = true
  rotation_period_in_days = 365
  deletion_window_in_days = var.kms_deletion_window_days
  policy                  = data.aws_iam_policy_document.security_key.json
  tags                    = local.tags

  lifecycle {
    precondition {
      condition     = contains(local.kms_key_administrators, local.deployer_arn) || local.break_glass_principal_arn == local.deployer_arn
      error_message = "kms_key_administrators must include the identity that runs Terraform (or it must be the break-glass principal): KMS refuses a key policy that locks out its caller."
    }
  }
}

resource "aws_kms_alias" "security" {
  name          = "alias/${var.name}-security"
  target_key_id = aws_kms_key.security.key_id
}

data "aws_iam_policy_document" "security_key" {
  #checkov:skip=CKV_AWS_111:This is a key policy: its "*" resource means this one key, and write access is limited to the account and to services with source conditions.
  #checkov:skip=CKV_AWS_356:This is a key policy: "*" as its resource means this one key (AWS requires that form).
  #checkov:skip=CKV_AWS_109:This is a key policy: the account root statement delegates key administration (no cryptographic use) to IAM, as AWS's default key policy does for all operations; without it the key becomes unmanageable when its administrators are deleted.

  # The Denies every key of the stack carries, with this key's lists
  # (key_guards.tf): they hold whatever an Allow here or an IAM policy says.
  source_policy_documents = [data.aws_iam_policy_document.key_guards["security"].json]

  # The account may administer the key through IAM policies (AWS's default
  # statement "allows access to the AWS account and enables IAM policies",
  # https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-root-enable-iam,
  # keeps the key manageable when a named administrator is deleted), but
  # not use it: no IAM policy can grant decryption with this key. Its use is
  # granted below, by name, and nowhere else.
  statement {
    sid       = "AccountAdministration"
    actions   = local.kms_administration_actions
    resources = ["*"] # in a key policy, "*" means this key
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  # The key administrators are not named in an Allow: their IAM policies
  # reach the key through the statement above (KMS's lockout check passes
  # for the deployer that way), and the Denies (key_guards.tf) decide what
  # they may not do. An Allow naming them would add nothing but a second
  # grant of PutKeyPolicy (parliament: PERMISSIONS_MANAGEMENT_ACTIONS).

  # The function publishes upload alerts to the security-alerts topic.
  statement {
    sid       = "FunctionPublishesAlertsThroughSns"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = [aws_iam_role.lambda.arn]
    }
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["sns.${local.region}.amazonaws.com"]
    }
  }

  # The event source mapping reads the uploads queue with the function's role
  # (sqs.tf): Decrypt through SQS only, never GenerateDataKey (it sends nothing).
  statement {
    sid       = "FunctionReadsTheUploadsQueueThroughSqs"
    actions   = ["kms:Decrypt"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = [aws_iam_role.lambda.arn]
    }
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["sqs.${local.region}.amazonaws.com"]
    }
  }

  # Who may read what the key protects for people: the alerts nobody
  # received (the undelivered-events queue), the upload events that failed
  # (the failed-events queue, SQS) and the trail's files written before the
  # account baseline had its own audit key (S3); and, to replay those
  # (INCIDENT_RESPONSE.md), put them back into the uploads queue
  # (GenerateDataKey through SQS only).
  dynamic "statement" {
    for_each = length(var.kms_key_users) > 0 ? [1] : []
    content {
      sid       = "KeyUsersReadEvidenceThroughS3AndSqs"
      actions   = ["kms:Decrypt"]
      resources = ["*"]
      principals {
        type        = "AWS"
        identifiers = var.kms_key_users
      }
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["s3.${local.region}.amazonaws.com", "sqs.${local.region}.amazonaws.com"]
      }
    }
  }

  dynamic "statement" {
    for_each = length(var.kms_key_users) > 0 ? [1] : []
    content {
      sid       = "KeyUsersReplayFailedUploadsThroughSqs"
      actions   = ["kms:GenerateDataKey"]
      resources = ["*"]
      principals {
        type        = "AWS"
        identifiers = var.kms_key_users
      }
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["sqs.${local.region}.amazonaws.com"]
      }
    }
  }

  # The encryption context names the log group: the logs service may use the
  # key for this one log group only
  # (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html).
  # That page's example also lists kms:Describe*, which this condition can
  # never match: DescribeKey is a management operation without an encryption
  # context (https://docs.aws.amazon.com/kms/latest/APIReference/API_GrantConstraints.html),
  # so it is left out: it granted nothing, and parliament flags it.
  statement {
    sid = "CloudWatchLogsForTheFunctionsLogGroup"
    actions = [
      "kms:Encrypt*",
      "kms:Decrypt*",
      "kms:ReEncrypt*",
      "kms:GenerateDataKey*",
    ]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.log_group_name}"]
    }
  }

  # The stack's alarms publish to the encrypted security-alerts topic.
  statement {
    sid       = "AlarmsPublishToEncryptedTopic"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = local.alarm_arns
    }
  }

  # The stack's EventBridge rules publish to the encrypted topic and, when a
  # delivery fails, write to the encrypted dead-letter queue: EventBridge needs
  # kms:Decrypt and kms:GenerateDataKey on an SSE-KMS queue's key
  # (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html).
  # Scoped to the stack's own rules by ARN.
  statement {
    sid       = "RulesPublishAndDeadLetterWithTheKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = local.all_rule_arns
    }
  }

  # S3 encrypts the images bucket's events into the uploads queue, and checks
  # it can when the notification is saved
  # (https://docs.aws.amazon.com/AmazonS3/latest/userguide/grant-destinations-permissions-to-s3.html).
  # Scoped to the bucket and its account.
  statement {
    sid       = "ImagesBucketEventsIntoUploadsQueue"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["s3.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [module.images_bucket.arn]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

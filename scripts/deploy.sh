#!/usr/bin/env bash
# Scan, build and deploy the stack: to a real AWS account, or (--local) to the local AWS.
set -Eeuo pipefail

# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

TARGET=aws
AUTO_APPROVE=0
QUIET=0
HINTS=1
LOG_FILE=""
TF_DIR="$REPO_ROOT/terraform"

usage() {
  cat <<USAGE
Usage: $(basename "$0") [--local] [--auto-approve] [--quiet] [--log FILE] [--no-hints]

  1. preflight: tools and versions, and who you are (aws sts get-caller-identity)
  2. scripts/security_scan.sh: any failure stops here, before anything is built
  3. scripts/build_lambda.sh: dist/lambda.zip
  4. terraform init, plan -out, confirmation, apply of exactly that plan
     (audit-log buckets a destroy kept are adopted: import blocks in the plan;
     so are the kept security key and its alias, or the alias alone when its
     key is not Enabled, e.g. scheduled for deletion: the apply points it at
     a new key)
  5. the outputs, and the command to upload a first image

There is no option to skip the security scan. Without --auto-approve the
plan is shown in full (with --quiet: written to the log, whose path is shown)
and applied only after you type 'yes'; with stdin not a terminal that cannot
happen, so the script refuses before it starts.

Options:
  --local         deploy to the local AWS (moto's server, see 'make local-up'),
                  on port \$LOCAL_AWS_PORT (default 5055), with
                  terraform/local.tfvars and a Terraform state of its own
                  in \$LOCAL_AWS_DIR (default .local-aws/)
  --auto-approve  apply the plan without asking
  --quiet         a summary line per step and a progress line while applying;
                  the full scan, plan and apply output goes to the log file
  --log FILE      with --quiet: append the full output to FILE (default: a
                  fresh reports/deploy-<target>.log)
  --no-hints      end without the outputs command and the "Try it" commands
                  (make demo runs them itself)
  -h, --help      show this help

Environment: LAMBDA_ARCHITECTURE / LAMBDA_RUNTIME (defaults arm64 / python3.13)
must match lambda_architecture / lambda_runtime if you change them;
TF_PLUGIN_DIR lets terraform init use providers from a local directory.
USAGE
}

while (($#)); do
  case $1 in
    --local) TARGET=local; shift ;;
    --auto-approve) AUTO_APPROVE=1; shift ;;
    --quiet) QUIET=1; shift ;;
    --no-hints) HINTS=0; shift ;;
    --log) LOG_FILE=$(option_value "$@") || exit 2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage_error "unknown option: $1" ;;
  esac
done

# Ask before anything slow runs: a plan that cannot be confirmed is wasted.
if ((!AUTO_APPROVE)) && [[ ! -t 0 ]]; then
  die "stdin is not a terminal, so the plan could not be confirmed: run in a terminal, or pass --auto-approve"
fi

use_project_venv
tidy_terraform_env
[[ $TARGET == local ]] && use_local_aws
terraform_target_args "$TARGET"
# Terraform's "To perform exactly these actions, run: terraform apply <plan>"
# would name a plan file this script deletes on exit; TF_IN_AUTOMATION drops
# such hints (https://developer.hashicorp.com/terraform/cli/config/environment-variables#tf_in_automation).
export TF_IN_AUTOMATION=1
TF_COLOR=()
[[ -t 1 && -z ${NO_COLOR:-} && $QUIET == 0 ]] || TF_COLOR=(-no-color)
# --quiet reads plan's and apply's machine-readable UI, not their human text
# (https://developer.hashicorp.com/terraform/internals/v1.11.x/machine-readable-ui).
TF_JSON=()
((!QUIET)) || TF_JSON=(-json)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/deploy.XXXXXX")
PLAN_FILE="$WORK/deploy.tfplan"
# Import blocks for the kept audit-log buckets (see kept_bucket_imports):
# only for this run's plan; a copy left by a killed run is removed first.
ADOPT_FILE="$TF_DIR/deploy_adopt_kept_buckets.tf"
rm -f "$ADOPT_FILE"
trap 'rm -rf "$WORK" "$ADOPT_FILE"' EXIT

if ((QUIET)); then
  if [[ -z $LOG_FILE ]]; then
    LOG_FILE="$REPO_ROOT/reports/deploy-$TARGET.log"
    mkdir -p "$(dirname "$LOG_FILE")"
    : >"$LOG_FILE"
  fi
  [[ $LOG_FILE == /* ]] || LOG_FILE="$PWD/$LOG_FILE"
  printf '\n##### deploy.sh --%s, %s\n' "$TARGET" "$(date -u +%FT%TZ)" >>"$LOG_FILE"
fi

# detail LABEL COMMAND...: the command's output in full, or (--quiet) in the
# log with one line here; on failure the end of its output is shown.
detail() {
  local label=$1 start=$SECONDS rc=0
  shift
  if ((!QUIET)); then
    "$@"
    return
  fi
  printf '\n### %s\n' "$label" >>"$LOG_FILE"
  NO_COLOR=1 "$@" >>"$LOG_FILE" 2>&1 </dev/null || rc=$?
  if ((rc)); then
    tail -n 25 "$LOG_FILE" >&2
    printf '    (full output: %s)\n' "$LOG_FILE" >&2
    return "$rc"
  fi
  ok "$label ($(elapsed "$start"))"
}

# --------------------------------------------------------------------------
((QUIET)) || step "Preflight ($TARGET)"
require terraform aws python3
if [[ $TARGET == local ]]; then
  if ! local_aws_answers; then
    elsewhere=$(local_aws_elsewhere)
    start="make local-up"
    [[ $LOCAL_AWS_PORT == 5055 ]] || start="LOCAL_AWS_PORT=$LOCAL_AWS_PORT $start"
    [[ $LOCAL_AWS_DIR == "$REPO_ROOT/.local-aws" ]] || start="LOCAL_AWS_DIR=${LOCAL_AWS_DIR#"$REPO_ROOT"/} $start"
    [[ -n $elsewhere ]] || elsewhere="start it with '$start'"
    die "the local AWS is not running at $LOCAL_AWS_ENDPOINT; $elsewhere"
  fi
fi
# Terraform deploys to var.aws_region, whatever the AWS CLI's own region is;
# who you are does not depend on it, but the CLI refuses to ask without one.
REGION=$(deploy_region)
if ! identity=$(aws sts get-caller-identity --region "$REGION" --output text --query '[Account, Arn]' 2>&1); then
  case $identity in
    *"Could not connect to the endpoint URL"* | *"Connect timeout on endpoint URL"*)
      die "the AWS endpoint could not be reached (${AWS_ENDPOINT_URL:-the public AWS endpoint}): ${identity##*: }" ;;
    *) die "no usable AWS credentials: $identity" ;;
  esac
fi
read -r ACCOUNT ARN <<<"$identity"
# (awk reads all of terraform's output: `| head -n 1` may exit first, and then
# terraform's SIGPIPE, with pipefail, printed an error line on some runs.)
versions="terraform $(terraform version | awk 'NR == 1 {print $2}'), aws-cli $(aws --version 2>&1 | cut -d' ' -f1 | cut -d/ -f2), python $(python3 --version | cut -d' ' -f2)"
where=${LOCAL_AWS_DIR#"$REPO_ROOT"/}
if ((QUIET)); then
  ok "preflight: $versions"
  local_note=""
  [[ $TARGET == local ]] && local_note=", endpoint $AWS_ENDPOINT_URL, state in $where/"
  info "account $ACCOUNT, region $REGION (aws_region)$local_note"
else
  info "$versions"
  info "account    $ACCOUNT"
  info "identity   $ARN"
  info "region     $REGION (aws_region)"
  [[ $TARGET == local ]] && info "endpoint   $AWS_ENDPOINT_URL (local AWS; state in $where/)"
fi

# --------------------------------------------------------------------------
((QUIET)) || step "Security scan (a failure stops the deployment)"
detail "security scan passed" "$REPO_ROOT/scripts/security_scan.sh" --target "$TARGET" ||
  die "security scan failed: nothing was built or deployed"
if ((QUIET)); then
  "$(project_python)" - "$REPO_ROOT/reports/security/summary.json" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))
print("    " + ", ".join(f"{row['tool']} {row['result']}" for row in rows))
PY
fi

# --------------------------------------------------------------------------
((QUIET)) || step "Building the Lambda package"
detail "built dist/lambda.zip" "$REPO_ROOT/scripts/build_lambda.sh"
# The zip that Terraform uploads, signs and deploys is the one the build
# recorded: every entry, and the zip itself, match dist/lambda.manifest.json.
detail "checked dist/lambda.zip against its manifest" \
  "$(project_python)" "$REPO_ROOT/scripts/lib/package_manifest.py" verify --zip "$REPO_ROOT/dist/lambda.zip" ||
  die "dist/lambda.zip does not match dist/lambda.manifest.json: not deploying it"

# --------------------------------------------------------------------------
((QUIET)) || step "terraform init"
if ((QUIET)); then
  detail "terraform init" terraform_init "$TF_DIR" "${INIT_ARGS[@]}" -no-color || die "terraform init failed"
else
  terraform_init "$TF_DIR" "${INIT_ARGS[@]}" "${TF_COLOR[@]}" >/dev/null || die "terraform init failed"
fi

((QUIET)) || step "terraform plan"
plan_rc=0
plan_start=$SECONDS
plan=(terraform -chdir="$TF_DIR" plan -input=false -detailed-exitcode -out="$PLAN_FILE" "${TF_COLOR[@]}" "${TF_JSON[@]}" "${VAR_ARGS[@]}")
# tf_ui: Terraform's machine-readable UI (-json) read for people: its text,
# its errors, a plan's summary (lib/terraform_progress.py).
tf_ui() { "$(project_python)" "$REPO_ROOT/scripts/lib/terraform_progress.py" "$@"; }
run_plan() {
  if ((QUIET)); then
    printf '\n### terraform plan\n' >>"$LOG_FILE"
    "${plan[@]}" >"$WORK/plan.jsonl" 2>&1 || plan_rc=$?
    tf_ui text <"$WORK/plan.jsonl" >>"$LOG_FILE"
  else
    "${plan[@]}" || plan_rc=$?
  fi
}

# kept_bucket_imports: import blocks for the kept audit-log buckets the plan
# would create although they exist in this account (a comment "# adopt NAME"
# for each), and for the key aliases (below); nothing when there are none.
kept_bucket_imports() {
  terraform -chdir="$TF_DIR" show -json "$PLAN_FILE" >"$WORK/plan.json" || return 1
  "$(project_python)" - "$WORK/plan.json" "$ACCOUNT" <<'PY'
import json, sys
import boto3
from botocore.exceptions import ClientError
plan, account = json.load(open(sys.argv[1])), sys.argv[2]
kept = ('module.account_baseline.module.logs_bucket["this"]', 'module.account_baseline.module.audit_bucket["this"]')
created = [c for c in plan.get("resource_changes", [])
           if c.get("module_address") in kept and c["change"]["actions"] == ["create"]]
s3 = boto3.client("s3")
for module in kept:
    names = [c["change"]["after"].get("bucket") for c in created
             if c["module_address"] == module and c["type"] == "aws_s3_bucket"]
    if not names or not names[0]:
        continue
    try:
        s3.head_bucket(Bucket=names[0], ExpectedBucketOwner=account)
    except ClientError:
        continue  # absent (created as usual) or not ours (the apply then says so)
    print(f"# adopt {names[0]}")
    for change in created:
        if change["module_address"] == module:  # every resource of the module is read by bucket name
            print(f'import {{\n  to = {change["address"]}\n  id = "{names[0]}"\n}}')
# The security key and the account baseline's audit key a destroy kept (it
# never deletes them): each adopted with its alias.
# An alias the plan would create that exists already with a key that is not
# adopted is adopted alone ("# retarget ALIAS KEYSTATE KEYID"), and the apply
# moves it to the stack's key: after destroy's printed break-glass command the
# kept key is PendingDeletion, and KMS deletes a key's aliases only when the
# waiting period ends (https://docs.aws.amazon.com/kms/latest/APIReference/API_ScheduleKeyDeletion.html),
# so creating the alias again fails with AlreadyExistsException; so does one
# created outside the state (an apply stopped by a second Ctrl-C).
creates = {c["address"]: c["change"]["after"] for c in plan.get("resource_changes", [])
           if c["change"]["actions"] == ["create"]}
kms = boto3.client("kms")
for alias_address, key_address in (("module.pipeline.aws_kms_alias.security", "module.pipeline.aws_kms_key.security"),
                                   ("module.account_baseline.aws_kms_alias.this[0]", "module.account_baseline.aws_kms_key.this[0]"),
                                   ("module.pipeline.aws_kms_alias.this", None)):
    alias = (creates.get(alias_address) or {}).get("name")
    if not alias:
        continue
    try:
        key = kms.describe_key(KeyId=alias)["KeyMetadata"]
    except ClientError:
        continue  # absent: created as usual
    if key.get("AWSAccountId") != account:
        continue
    if key_address in creates and key.get("KeyState") == "Enabled":
        print(f"# adopt {alias}")
        print(f'import {{\n  to = {key_address}\n  id = "{key["KeyId"]}"\n}}')
    else:
        print(f"# retarget {alias} {key.get('KeyState')} {key['KeyId']}")
    print(f'import {{\n  to = {alias_address}\n  id = "{alias}"\n}}')
# The audit replica a destroy kept (enable_audit_replication: its buckets,
# key, role and the two replication rules), adopted whole when its role and
# its buckets exist; each resource by the ID its import takes.
replica = [c for c in plan.get("resource_changes", [])
           if c["address"].startswith("module.audit_replica[0].") and c["change"]["actions"] == ["create"]]
by_address = {c["address"]: c for c in replica}
role = (by_address.get("module.audit_replica[0].aws_iam_role.replication") or {}).get("change", {}).get("after", {}).get("name")
region = (plan.get("variables", {}).get("audit_replica_region") or {}).get("value")
if replica and role and region:
    try:
        boto3.client("iam").get_role(RoleName=role)
        buckets = {c["module_address"]: c["change"]["after"]["bucket"] for c in replica if c["type"] == "aws_s3_bucket"}
        remote = boto3.client("s3", region_name=region)
        for name in buckets.values():
            remote.head_bucket(Bucket=name, ExpectedBucketOwner=account)
        replica_alias = next(c["change"]["after"]["name"] for c in replica if c["type"] == "aws_kms_alias")
        replica_key = boto3.client("kms", region_name=region).describe_key(KeyId=replica_alias)["KeyMetadata"]["KeyId"]
    except (ClientError, StopIteration, KeyError):
        replica = []  # absent or partial: created as usual (the apply says what is in the way)
    for change in replica:
        if change["module_address"] in buckets:
            id_ = buckets[change["module_address"]]
        else:
            id_ = {"aws_kms_key": replica_key, "aws_kms_alias": replica_alias, "aws_iam_role": role,
                   "aws_iam_role_policy": f"{role}:{change['change']['after'].get('name')}",
                   "aws_s3_bucket_replication_configuration": change["change"]["after"].get("bucket")}.get(change["type"])
        if not id_:
            continue
        print(f'import {{\n  to = {change["address"]}\n  id = "{id_}"\n}}')
    if replica:
        print(f"# adopt {' '.join(sorted(set(buckets.values())))}")
PY
}

run_plan
# A destroy keeps the audit-log buckets (destroy.sh) and takes them out of
# the state, so a plan that creates them again would fail on apply with
# BucketAlreadyExists. When they exist and are ours, plan again with import
# blocks for every resource of their modules: the plan shows "N to import",
# and the apply adopts them as they are (objects, lock and all) instead of
# failing halfway. (https://developer.hashicorp.com/terraform/language/import)
if ((plan_rc == 2)) && adopt=$(kept_bucket_imports) && [[ -n $adopt ]]; then
  printf '%s\n' "$adopt" >"$ADOPT_FILE"
  adopted=$(sed -n 's/^# adopt //p' "$ADOPT_FILE" | paste -sd ' ')
  [[ -z $adopted ]] || info "adopting what the last destroy kept: ${adopted// /, }"
  while read -r alias state key_id; do
    info "adopting $alias, which names key $key_id ($state): the apply points it at the stack's key"
  done < <(sed -n 's/^# retarget //p' "$ADOPT_FILE")
  plan_rc=0
  plan_start=$SECONDS
  run_plan
fi
case $plan_rc in
  0) ok "Nothing to change: the deployment is up to date." ;;
  2)
    if ((QUIET)); then
      # "TOTAL [N to import, ]A to add, C to change, D to destroy", from its change_summary
      summary=$(tf_ui summary <"$WORK/plan.jsonl") || die "terraform plan: no summary in its -json output (full output: $LOG_FILE)"
      ok "plan: ${summary#* } ($(elapsed "$plan_start"))"
      # The plan in full, for review: -json gives each change but not its attributes.
      terraform -chdir="$TF_DIR" show -no-color "$PLAN_FILE" >>"$LOG_FILE" 2>&1 || die "terraform show of the plan failed (full output: $LOG_FILE)"
    fi
    if ((!AUTO_APPROVE)); then
      ((QUIET)) && info "the plan in full: ${LOG_FILE#"$REPO_ROOT"/} (section '### terraform plan')"
      read -r -p "Apply this plan to account $ACCOUNT? Type 'yes' to continue: " answer
      [[ $answer == yes ]] || die "not applied (you answered '$answer'); nothing was changed"
    fi
    ((QUIET)) || step "terraform apply"
    # What a failed or interrupted apply leaves is in the state: both ways
    # forward start from it.
    apply_failed() {
      local target_args="" where_env=""
      if [[ $TARGET == local ]]; then
        target_args=" --local"
        [[ $LOCAL_AWS_PORT == 5055 ]] || where_env+="LOCAL_AWS_PORT=$LOCAL_AWS_PORT "
        [[ $LOCAL_AWS_DIR == "$REPO_ROOT/.local-aws" ]] || where_env+="LOCAL_AWS_DIR=$where "
      fi
      die "terraform apply failed or was interrupted; what it created is in the state: fix the cause and run ${where_env}./scripts/deploy.sh$target_args again to finish, or ${where_env}./scripts/destroy.sh$target_args to remove it"
    }
    apply=(terraform -chdir="$TF_DIR" apply -input=false "${TF_COLOR[@]}" "${TF_JSON[@]}" "$PLAN_FILE")
    if ((QUIET)); then
      printf '\n### terraform apply\n' >>"$LOG_FILE"
      tf_ui run --label apply --total "${summary%% *}" --log "$LOG_FILE" -- "${apply[@]}" || apply_failed
    else
      "${apply[@]}" || apply_failed
    fi
    ;;
  *)
    ((QUIET)) && tf_ui text --errors <"$WORK/plan.jsonl" >&2
    die "terraform plan failed${LOG_FILE:+ (full output: $LOG_FILE)}"
    ;;
esac

# --------------------------------------------------------------------------
((QUIET)) || step "Deployed"
# terraform apply has just printed the outputs; print them when it did not run.
((plan_rc == 0 && !QUIET)) && terraform -chdir="$TF_DIR" output "${TF_COLOR[@]}"
bucket=$(terraform_output s3_bucket_name)
# enable_code_signing: the apply signed the package (AWS Signer) and Lambda enforces it.
if signing=$(terraform -chdir="$TF_DIR" output -no-color -raw code_signing_config_arn 2>/dev/null) && [[ $signing == arn:* ]]; then
  info "code signing: enforced ($signing); the package deployed is the copy AWS Signer signed"
else
  info "code signing: off (enable_code_signing = false)"
fi
if ((QUIET && HINTS)); then
  if [[ $TARGET == local ]]; then
    # Absolute: -chdir would resolve a relative TF_DATA_DIR under terraform/.
    info "outputs:     TF_DATA_DIR=$TF_DATA_DIR terraform -chdir=terraform output"
  else
    info "outputs:     terraform -chdir=terraform output"
  fi
fi
((QUIET)) && info "full output: ${LOG_FILE#"$REPO_ROOT"/}"
((HINTS)) || exit 0
printf '\nTry it:\n'
if [[ $TARGET == local ]]; then
  # Runnable as printed in a fresh shell: the local AWS's dummy keys come with
  # the env command, the aws CLI from .venv; a port or directory of your own is named.
  where_env=""
  [[ $LOCAL_AWS_PORT == 5055 ]] || where_env+="LOCAL_AWS_PORT=$LOCAL_AWS_PORT "
  [[ $LOCAL_AWS_DIR == "$REPO_ROOT/.local-aws" ]] || where_env+="LOCAL_AWS_DIR=$where "
  # shellcheck disable=SC2016 # printed for the user to type
  printf '  eval "$(%sscripts/local_aws.sh env)"   # this shell: aws, boto3 and terraform use the local AWS\n' "$where_env"
  printf '  .venv/bin/aws s3 cp image.png s3://%s/uploads/\n' "$bucket"
  printf '  %smake local-process   # the local AWS cannot run Lambda code; this delivers the event\n' "$where_env"
else
  printf '  aws s3 cp image.png s3://%s/uploads/\n' "$bucket"
  # shellcheck disable=SC2016 # printed for the user to type, not expanded here
  printf '  (from terraform/: aws s3 cp image.png s3://$(terraform output -raw s3_bucket_name)/uploads/)\n'
fi

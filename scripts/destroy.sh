#!/usr/bin/env bash
# Tear the stack down: empty its buckets (every version), then terraform destroy.
set -Eeuo pipefail

# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

TARGET=aws
ASSUME_YES=0
DELETE_AUDIT_LOGS=0
TF_DIR="$REPO_ROOT/terraform"

usage() {
  cat <<USAGE
Usage: $(basename "$0") [--local] [--yes] [--delete-audit-logs] [--verbose] [--log FILE]

Deletes every object version in the images bucket (uploads and results)
and, with enable_code_signing, in the code bucket (packages), then runs
terraform destroy. Asks you to type the environment name first.
Safe to run twice: with nothing deployed it says so and exits 0. It works
from the state alone, so it also removes what a deploy that failed or was
interrupted mid-apply created (before any output was written).

The audit logs are kept: the audit bucket (the trail's files, under S3
Object Lock for access_log_retention_days) and the logs bucket (S3 access
logs and Config files, versioned); their lifecycles delete the logs when the
retention ends; the next deploy.sh adopts them. --delete-audit-logs deletes
both buckets too, also those an earlier destroy kept (found by their names,
<project>-<environment>-logs|audit-<account id>), which GOVERNANCE mode
allows (needs s3:BypassGovernanceRetention) and COMPLIANCE mode does not.
With enable_audit_replication the audit replica is kept too, in
audit_replica_region: its two buckets
(<project>-<environment>-audit|logs-replica-<account id>), its key
(alias/<project>-<environment>-audit-replica, USD 1 a month in its first year, up to USD 3 once rotated) and the role
<project>-<environment>-audit-replication.
--delete-audit-logs deletes those buckets and the role, also after a
destroy, and schedules the replica key's deletion (kms_deletion_window_days):
its policy lets only the break-glass principal do that; for anyone else
destroy prints the command.

Afterwards the data key waits out its deletion window
(kms_deletion_window_days: 30 by default, 7 in the local profile) and can be
recovered until then; see INCIDENT_RESPONSE.md. The security key and the
account baseline's audit key (alias/<project>-<environment>-audit, the
trail's files) are kept, as the audit logs are: only the break-glass
principal may schedule their deletion (SECURITY.md, "Encryption and key
management"); destroy prints the command, and the next deploy.sh adopts them.

Options:
  --local     destroy the deployment on the local AWS (see deploy.sh --local;
              its port: \$LOCAL_AWS_PORT, default 5055); the table's deletion
              protection, on there as everywhere, is turned off first
  --yes       do not ask for confirmation
  --delete-audit-logs
              also delete the audit logs and their buckets, and the audit
              replica (GOVERNANCE mode only)
  --verbose   show Terraform's whole destroy output, not a progress line
  --log FILE  without --verbose: append Terraform's output to FILE (default:
              a fresh reports/destroy-<target>.log)
  -h, --help  show this help
USAGE
}

VERBOSE=0
LOG_FILE=""
while (($#)); do
  case $1 in
    --local) TARGET=local; shift ;;
    --yes) ASSUME_YES=1; shift ;;
    --delete-audit-logs) DELETE_AUDIT_LOGS=1; shift ;;
    --verbose) VERBOSE=1; shift ;;
    --log) LOG_FILE=$(option_value "$@") || exit 2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage_error "unknown option: $1" ;;
  esac
done

use_project_venv
tidy_terraform_env
[[ $TARGET == local ]] && use_local_aws
terraform_target_args "$TARGET"
require terraform aws
# This script as a user types it again (from the repository root), with the
# port and directory of a local stack that is not the default one.
again="./scripts/destroy.sh"
where_env=""
if [[ $TARGET == local ]]; then
  again+=" --local"
  [[ $LOCAL_AWS_DIR == "$REPO_ROOT/.local-aws" ]] || where_env+="LOCAL_AWS_DIR=${LOCAL_AWS_DIR#"$REPO_ROOT"/} "
  [[ $LOCAL_AWS_PORT == 5055 ]] || where_env+="LOCAL_AWS_PORT=$LOCAL_AWS_PORT "
  again="$where_env$again"
fi

step "Reading the deployment ($TARGET)"
# terraform_ready: terraform init, once, before the first terraform command.
# A local stack's state is the file its local backend was given at init
# (terraform_target_args: -backend-config=path=...), read as it is until a
# terraform command is needed: a destroy that refuses, or finds nothing to
# destroy, then runs no terraform at all (an init takes about 2 s of CPU).
TF_READY=0
terraform_ready() {
  ((TF_READY)) && return 0
  terraform_init "$TF_DIR" "${INIT_ARGS[@]}" -no-color >/dev/null || die "terraform init failed"
  TF_READY=1
}
[[ $TARGET == local ]] || terraform_ready
STATE="$(mktemp "${TMPDIR:-/tmp}/destroy-state.XXXXXX")"
trap 'rm -f "$STATE"' EXIT
# Managed resource instances in the state: what destroy deletes (data sources are only read).
count_resources() {
  if ((!TF_READY)); then
    if [[ -e $LOCAL_AWS_DIR/terraform.tfstate ]]; then cp "$LOCAL_AWS_DIR/terraform.tfstate" "$STATE" || return 1; else : >"$STATE"; fi
  else
    terraform -chdir="$TF_DIR" state pull 2>/dev/null >"$STATE" || return 1
  fi
  "$(project_python)" "$REPO_ROOT/scripts/lib/terraform_progress.py" count-state <"$STATE"
}
resources=$(count_resources) || die "cannot read the $TARGET Terraform state"

# state_facts: what destroy needs, from the state alone: the outputs when the
# apply got that far, else the resources themselves (a deploy that failed or
# was interrupted mid-apply has resources but no outputs). One "key value" a line.
state_facts() {
  "$(project_python)" - "$STATE" <<'PY'
import json, re, sys
state = json.load(open(sys.argv[1]))
outputs = {k: v.get("value") for k, v in state.get("outputs", {}).items()}
def attributes(module, type_):
    for r in state.get("resources", []):
        if r.get("mode") == "managed" and r.get("module") == module and r.get("type") == type_:
            for instance in r.get("instances", []):
                return instance.get("attributes") or {}
    return {}
def bucket(output, module):
    return outputs.get(output) or attributes(module, "aws_s3_bucket").get("bucket") or ""
pipeline, baseline = "module.pipeline.module.", "module.account_baseline.module."
lock = outputs.get("audit_log_object_lock")
if not lock:
    rule = attributes(baseline + 'audit_bucket["this"]', "aws_s3_bucket_object_lock_configuration").get("rule") or [{}]
    retention = (rule[0].get("default_retention") or [{}])[0]
    lock = {"mode": retention.get("mode"), "days": retention.get("days")}
windows = [r["instances"][0]["attributes"].get("deletion_window_in_days")
           for r in state.get("resources", []) if r.get("type") == "aws_kms_key" and r.get("instances")]
facts = {
    "environment": outputs.get("environment") or "",
    "images": bucket("s3_bucket_name", pipeline + "images_bucket"),
    "logs": bucket("logs_bucket_name", baseline + 'logs_bucket["this"]'),
    "audit": bucket("audit_bucket_name", baseline + 'audit_bucket["this"]'),
    "code": bucket("code_bucket_name", pipeline + 'code_bucket["this"]'),
    "window": outputs.get("kms_deletion_window_days") or next(filter(None, windows), "") or "",
    "lock_mode": (lock or {}).get("mode") or "none",
    "lock_days": (lock or {}).get("days") or 0,
    "security_alias": next((r["instances"][0]["attributes"].get("name") or "" for r in state.get("resources", [])
                            if r.get("type") == "aws_kms_alias" and r.get("name") == "security" and r.get("instances")), ""),
    # The account baseline's audit key (the trail's files), kept like the security key.
    "audit_alias": next((r["instances"][0]["attributes"].get("name") or "" for r in state.get("resources", [])
                         if r.get("module") == "module.account_baseline" and r.get("type") == "aws_kms_alias" and r.get("instances")), ""),
    # The table, when its deletion protection is on (a local stack's: see below).
    "protected_table": next((i["attributes"].get("name") or "" for r in state.get("resources", [])
                             if r.get("mode") == "managed" and r.get("type") == "aws_dynamodb_table"
                             for i in r.get("instances", [])
                             if (i.get("attributes") or {}).get("deletion_protection_enabled")), ""),
    # ScheduleKeyDeletion takes a key ID or ARN, not an alias (the local AWS: the ID only).
    "security_key": next((r["instances"][0]["attributes"].get("key_id") or r["instances"][0]["attributes"].get("id") or ""
                          for r in state.get("resources", [])
                          if r.get("type") == "aws_kms_key" and r.get("name") == "security" and r.get("instances")), ""),
    "audit_key": next((r["instances"][0]["attributes"].get("key_id") or r["instances"][0]["attributes"].get("id") or ""
                       for r in state.get("resources", [])
                       if r.get("module") == "module.account_baseline" and r.get("type") == "aws_kms_key" and r.get("instances")), ""),
}
for key, value in facts.items():
    print(key, value)
# What destroy takes out of Terraform's hands before terraform destroy, as
# `terraform state list` names it (one "log_address" or "key_address" line
# each): the audit-log buckets and the replica (unless --delete-audit-logs;
# log_resources counts their managed instances), and the two kept keys.
logs = re.compile(r'module\.account_baseline\.module\.(logs_bucket|audit_bucket)\["this"\]\.|module\.audit_replica\[')
keys = re.compile(r'(module\.pipeline\.aws_kms_(key|alias)\.security|module\.account_baseline\.aws_kms_(key|alias)\.this\[0\])$')
log_resources = 0
for r in state.get("resources", []):
    prefix = (r["module"] + "." if r.get("module") else "") + ("data." if r.get("mode") == "data" else "")
    for instance in r.get("instances", []):
        index = "" if instance.get("index_key") is None else f"[{json.dumps(instance['index_key'])}]"
        address = f"{prefix}{r['type']}.{r['name']}{index}"
        if logs.match(address):
            print("log_address", address)
            log_resources += r.get("mode") == "managed"
        elif keys.match(address):
            print("key_address", address)
print("log_resources", log_resources)
PY
}

# The audit replica (enable_audit_replication) lives in audit_replica_region
# under fixed names (terraform/modules/audit-replica): its two buckets,
# <stack_name>-audit|logs-replica-<account id>, its key's alias
# alias/<stack_name>-audit-replica and the role <stack_name>-audit-replication.
replica_region() { tf_variable audit_replica_region; }

# kept_probe: what an earlier destroy kept (out of the state, found by fixed
# names) and still exists, one "KIND NAME" a line, asked in one boto3 process
# (seven aws CLI calls took about 3 s of CPU): "bucket" for the audit-log
# buckets, <stack_name>-logs|audit-<account id>, and "replica_bucket" for the
# replica's (no bucket when the account cannot be asked); "replica_key", the
# ID of the replica's key when its alias exists and the key is not pending
# deletion; "replica_role" when the replication role exists.
kept_probe() {
  "$(project_python)" - "$(deploy_region)" "$(replica_region)" "$(stack_name)" <<'PY' 2>/dev/null || true
import sys
import boto3
from botocore.exceptions import BotoCoreError, ClientError
region, replica_region, name = sys.argv[1:]
try:
    account = boto3.client("sts", region_name=region).get_caller_identity()["Account"]
except (BotoCoreError, ClientError):
    account = ""
def buckets(kind, region_name, names):
    s3 = boto3.client("s3", region_name=region_name)
    for bucket in names:
        try:
            s3.head_bucket(Bucket=bucket, ExpectedBucketOwner=account)
            print(kind, bucket)
        except (BotoCoreError, ClientError):
            pass
if account:
    buckets("bucket", region, [f"{name}-{role}-{account}" for role in ("logs", "audit")])
if account and replica_region:
    buckets("replica_bucket", replica_region, [f"{name}-{role}-replica-{account}" for role in ("audit", "logs")])
if replica_region:
    try:
        key = boto3.client("kms", region_name=replica_region).describe_key(KeyId=f"alias/{name}-audit-replica")["KeyMetadata"]
        if key["KeyState"] != "PendingDeletion":
            print("replica_key", key["KeyId"])
    except (BotoCoreError, ClientError):
        pass
try:
    boto3.client("iam", region_name=region).get_role(RoleName=f"{name}-audit-replication")
    print("replica_role", f"{name}-audit-replication")
except (BotoCoreError, ClientError):
    pass
PY
}
KEPT=() # kept_probe's lines, read once the local AWS is known to answer (below)
kept_named() {
  local line
  for line in "${KEPT[@]}"; do [[ ${line%% *} != "$1" ]] || printf '%s\n' "${line#* }"; done
}
kept_buckets() { kept_named bucket; }
kept_replica_buckets() { kept_named replica_bucket; }
kept_replica_key() { kept_named replica_key; }
kept_replica_role() { kept_named replica_role; }
# The replica key's deletion window once the state is gone: terraform/main.tf's
# kms_deletion_window_days, `var.local_aws ? 7 : 30` (tests/unit/test_seams.py
# holds the two together).
replica_key_window() {
  local file window=30
  for file in terraform.tfvars "${VAR_ARGS[@]#-var-file=}"; do
    [[ -f $REPO_ROOT/terraform/$file ]] || continue
    if grep -Eq '^[[:space:]]*local_aws[[:space:]]*=[[:space:]]*true' "$REPO_ROOT/terraform/$file"; then
      window=7
    fi
  done
  printf '%s\n' "$window"
}
# delete_replica_buckets BUCKET...: empty (every version, GOVERNANCE bypassed) and delete, in the replica region.
delete_replica_buckets() {
  (($#)) || return 0
  AWS_DEFAULT_REGION=$(replica_region) AWS_REGION=$(replica_region) \
    "$(project_python)" "$REPO_ROOT/scripts/lib/empty_bucket.py" --bypass-governance-retention --delete "$@"
}
# delete_replica_role ROLE: its inline policies first (DeleteRole refuses a role that has any).
delete_replica_role() {
  local role=$1 policy
  for policy in $(aws iam list-role-policies --role-name "$role" --query 'PolicyNames' --output text); do
    aws iam delete-role-policy --role-name "$role" --policy-name "$policy"
  done
  aws iam delete-role --role-name "$role"
}
# schedule_replica_key KEY: as for the security key, only the break-glass
# principal may schedule its deletion (its key policy); when refused, print
# the command for that principal instead of failing: its buckets are gone.
schedule_replica_key() {
  local key=$1 region days schedule
  region=$(replica_region) days=$(replica_key_window)
  schedule="aws kms schedule-key-deletion --region $region --key-id $key --pending-window-in-days ${days:-30}"
  if $schedule >/dev/null 2>&1; then
    aws kms delete-alias --region "$region" --alias-name "alias/$(stack_name)-audit-replica" >/dev/null 2>&1 || true
    info "The replica key ($key, $region) is scheduled for deletion in ${days:-30} days; until then it can be recovered."
  else
    warn "The replica key ($key, $region) was not scheduled for deletion (only the break-glass principal may):"
    # shellcheck disable=SC2016 # printed for the user to type
    [[ $TARGET == local ]] && schedule='eval "$('"$where_env"'scripts/local_aws.sh env)" && .venv/bin/'"$schedule"
    info "  $schedule"
  fi
}

if [[ $TARGET == local ]] && ! local_aws_answers; then
  elsewhere=$(local_aws_elsewhere)
  ((resources == 0)) && { ok "Nothing to destroy: no resources in the $TARGET state."; exit 0; }
  [[ -z $elsewhere ]] || die "the local AWS is not running at $LOCAL_AWS_ENDPOINT; $elsewhere"
  die "the local AWS is not running at $LOCAL_AWS_ENDPOINT (a new one starts empty: 'make local-up' discards this state)"
fi
mapfile -t KEPT < <(kept_probe)

if ((resources == 0)); then
  mapfile -t found < <(kept_buckets)
  mapfile -t found_replica < <(kept_replica_buckets)
  replica_key=$(kept_replica_key) replica_role=$(kept_replica_role)
  replica_things=("${found_replica[@]/#/s3://}")
  [[ -z $replica_key ]] || replica_things+=("key alias/$(stack_name)-audit-replica")
  [[ -z $replica_role ]] || replica_things+=("role $replica_role")
  if ((${#found[@]} + ${#replica_things[@]} == 0)); then
    ok "Nothing to destroy: no resources in the $TARGET state."
    exit 0
  fi
  if ((!DELETE_AUDIT_LOGS)); then
    ok "Nothing to destroy: no resources in the $TARGET state."
    ((${#found[@]} == 0)) || info "Kept by an earlier destroy: ${found[*]/#/s3://}; the next deploy.sh adopts them."
    if ((${#replica_things[@]})); then
      info "Also kept: the audit replica in $(replica_region): ${replica_things[*]}"
      [[ -z $replica_key ]] ||
        info "(its key costs USD 1 a month in its first year, up to USD 3 once rotated, until its deletion is scheduled: https://aws.amazon.com/kms/pricing/)."
    fi
    info "To delete them now: $again --delete-audit-logs (needs s3:BypassGovernanceRetention)."
    exit 0
  fi
  if ((!ASSUME_YES)); then
    [[ -t 0 ]] || die "refusing to delete without confirmation: stdin is not a terminal (use --yes)"
    printf '%sThis deletes the kept audit logs: %s.%s\n' "$C_RED" "${found[*]/#/s3://}${replica_things[*]:+ and the replica: ${replica_things[*]}}" "$C_RESET"
    read -r -p "Type 'delete' to confirm: " answer
    [[ $answer == delete ]] || die "not deleted (you typed '$answer')"
  fi
  step "Deleting the audit-log buckets kept by an earlier destroy"
  if ((${#found[@]})); then
    "$(project_python)" "$REPO_ROOT/scripts/lib/empty_bucket.py" --bypass-governance-retention --delete "${found[@]}" ||
      die "could not delete ${found[*]}: under COMPLIANCE retention no one can before it ends (see above)"
  fi
  delete_replica_buckets "${found_replica[@]}" ||
    die "could not delete ${found_replica[*]}: under COMPLIANCE retention no one can before it ends (see above)"
  [[ -z $replica_role ]] || delete_replica_role "$replica_role" || die "could not delete the role $replica_role"
  ok "Deleted ${found[*]/#/s3://}${found_replica[*]:+ ${found_replica[*]/#/s3://}}${replica_role:+ and the role $replica_role}."
  [[ -z $replica_key ]] || schedule_replica_key "$replica_key"
  info "Nothing else of this stack remains but the security and audit keys, if an earlier destroy kept them."
  exit 0
fi

declare -A fact
log_addresses=() key_addresses=()
while read -r key value; do
  case $key in
    log_address) log_addresses+=("$value") ;;
    key_address) key_addresses+=("$value") ;;
    *) fact[$key]=$value ;;
  esac
done < <(state_facts)
environment=${fact[environment]:-$(tf_variable environment)}
images_bucket=${fact[images]} logs_bucket=${fact[logs]}
audit_bucket=${fact[audit]} code_bucket=${fact[code]} # empty without enable_cloudtrail / enable_code_signing
window=${fact[window]} # empty without a key in the state: none was scheduled
lock_mode=${fact[lock_mode]} lock_days=${fact[lock_days]}
security_alias=${fact[security_alias]} security_key=${fact[security_key]}
audit_alias=${fact[audit_alias]} audit_key=${fact[audit_key]}
protected_table=${fact[protected_table]}
# Buckets a destroy kept earlier and this state does not hold (a deploy that
# failed before it adopted them): kept again, or deleted with --delete-audit-logs.
outside=()
while read -r bucket; do
  [[ $bucket == "$logs_bucket" || $bucket == "$audit_bucket" ]] || outside+=("$bucket")
done < <(kept_buckets)
info "$resources resources in environment '$environment'"
[[ -n ${fact[environment]} ]] ||
  info "(no outputs in the state: a deploy that stopped mid-apply; destroying what the state holds)"
buckets=("$images_bucket" "$logs_bucket" "$audit_bucket" "$code_bucket" "${outside[@]}")
shown=$(printf '%s\n' "${buckets[@]}" | sed '/^$/d' | paste -sd ' ')
info "buckets: ${shown// /, }${audit_bucket:+ (trail files: Object Lock $lock_mode, $lock_days days)}"

if ((DELETE_AUDIT_LOGS)) && [[ $lock_mode == COMPLIANCE ]]; then
  die "the audit logs are under COMPLIANCE retention: no one can delete them early; run without --delete-audit-logs"
fi

if ((!ASSUME_YES)); then
  [[ -t 0 ]] || die "refusing to destroy without confirmation: stdin is not a terminal (use --yes)"
  if ((DELETE_AUDIT_LOGS)); then
    printf '%sThis deletes every image, record and audit log of this deployment.%s\n' "$C_RED" "$C_RESET"
  else
    printf '%sThis deletes every image and record of this deployment (audit logs are kept).%s\n' "$C_RED" "$C_RESET"
  fi
  read -r -p "Type the environment name ($environment) to confirm: " answer
  [[ $answer == "$environment" ]] || die "not destroyed (you typed '$answer')"
fi

# (state rm writes a backup of the state it changes, by default in the
# working directory, terraform/: a local stack's goes to its own directory.)
backup_args=()
[[ $TARGET == local ]] && backup_args=("-backup=$LOCAL_AWS_DIR/terraform.tfstate.state-rm.backup")
out_of_state=() # addresses for terraform state rm (below)
terraform_ready # (a local stack's init waits until here: see the top)

step "Emptying the buckets (every object version and delete marker)"
for bucket in "$code_bucket" "$images_bucket"; do
  [[ -z $bucket ]] || "$(project_python)" "$REPO_ROOT/scripts/lib/empty_bucket.py" "$bucket"
done
log_buckets=()
for bucket in "$logs_bucket" "$audit_bucket"; do [[ -z $bucket ]] || log_buckets+=("$bucket"); done
# The audit replica's buckets (enable_audit_replication), in its own region.
mapfile -t replica_buckets < <(kept_replica_buckets)
if ((DELETE_AUDIT_LOGS)); then
  if ((${#log_buckets[@]})); then
    "$(project_python)" "$REPO_ROOT/scripts/lib/empty_bucket.py" --bypass-governance-retention "${log_buckets[@]}"
  fi
  if ((${#replica_buckets[@]})); then
    AWS_DEFAULT_REGION=$(replica_region) AWS_REGION=$(replica_region) \
      "$(project_python)" "$REPO_ROOT/scripts/lib/empty_bucket.py" --bypass-governance-retention "${replica_buckets[@]}"
  fi
  # Kept by an earlier destroy, so no longer Terraform's to delete.
  if ((${#outside[@]})); then
    "$(project_python)" "$REPO_ROOT/scripts/lib/empty_bucket.py" --bypass-governance-retention --delete "${outside[@]}"
  fi
else
  log_buckets+=("${outside[@]}")
  kept_versions=0 kept_bytes=0
  for bucket in "${log_buckets[@]}"; do
    read -r versions bytes < <("$(project_python)" "$REPO_ROOT/scripts/lib/empty_bucket.py" --measure "$bucket")
    kept_versions=$((kept_versions + versions)) kept_bytes=$((kept_bytes + bytes))
  done
  for bucket in "${replica_buckets[@]}"; do
    read -r versions bytes < <(AWS_DEFAULT_REGION=$(replica_region) AWS_REGION=$(replica_region) \
      "$(project_python)" "$REPO_ROOT/scripts/lib/empty_bucket.py" --measure "$bucket")
    kept_versions=$((kept_versions + versions)) kept_bytes=$((kept_bytes + bytes))
  done
  log_buckets+=("${replica_buckets[@]}")
  # Out of Terraform's hands (below), so that terraform destroy leaves them
  # (and their policies, lifecycles and lock) in place; the next deploy adopts them.
  out_of_state+=("${log_addresses[@]}")
  ((${#log_buckets[@]} == 0)) ||
    info "${log_buckets[*]}: kept ($kept_versions object version(s); ${fact[log_resources]} resources left out of the destroy)"
fi

# The security key and the account baseline's audit key are never deleted
# here: they encrypt the alerts and the trail's files (the security key those
# written before the baseline had its own audit key), and their policies let
# only the break-glass principal schedule their deletion (SECURITY.md,
# "Encryption and key management"). Out of Terraform's hands, like the kept
# buckets; the next deploy adopts them. One state rm for both, then the count
# again (each terraform command takes about 0.6 s of CPU, even a state list).
[[ -z $security_alias && -z $audit_alias ]] || out_of_state+=("${key_addresses[@]}")
if ((${#out_of_state[@]})); then
  terraform -chdir="$TF_DIR" state rm "${backup_args[@]}" "${out_of_state[@]}" >/dev/null
  resources=$(count_resources) || die "cannot read the $TARGET Terraform state"
fi

# The local profile keeps the table's deletion protection on, as every other
# profile does; a local stack is the one destroy turns it off for, on the local
# AWS only. Against AWS that stays a decision made in Terraform
# (enable_deletion_protection = false, then apply), never this script's.
if [[ $TARGET == local && -n $protected_table ]]; then
  aws dynamodb update-table --table-name "$protected_table" --no-deletion-protection-enabled >/dev/null ||
    die "could not turn off the deletion protection of the local table $protected_table"
  info "table $protected_table: deletion protection turned off (local AWS only)"
fi

step "terraform destroy ($resources resources)"
# The package is not needed to delete the function, but variables are
# validated: fall back to the test placeholder when dist/ was cleaned.
package_args=()
[[ -f $REPO_ROOT/dist/lambda.zip ]] || package_args=(-var "lambda_package_path=tests/fixtures/placeholder.zip")
destroy=(terraform -chdir="$TF_DIR" destroy -input=false -auto-approve "${VAR_ARGS[@]}" "${package_args[@]}")
if ((VERBOSE)); then
  [[ -t 1 && -z ${NO_COLOR:-} ]] || destroy+=(-no-color)
  "${destroy[@]}" || die "terraform destroy failed; run $again again (it destroys what the state still holds)"
else
  if [[ -z $LOG_FILE ]]; then
    LOG_FILE="$REPO_ROOT/reports/destroy-$TARGET.log"
    mkdir -p "$(dirname "$LOG_FILE")"
    : >"$LOG_FILE"
  fi
  printf '\n##### destroy.sh --%s, %s\n' "$TARGET" "$(date -u +%FT%TZ)" >>"$LOG_FILE"
  # Its machine-readable UI, read for people by terraform_progress.py
  # (https://developer.hashicorp.com/terraform/internals/v1.11.x/machine-readable-ui).
  "$(project_python)" "$REPO_ROOT/scripts/lib/terraform_progress.py" run --label destroy \
    --total "$resources" --log "$LOG_FILE" -- "${destroy[@]}" -json ||
    die "terraform destroy failed; run $again again (it destroys what the state still holds)"
  info "full output: ${LOG_FILE#"$REPO_ROOT"/}"
fi

step "Destroyed"
[[ -z $window ]] ||
  info "The data key is scheduled for deletion in $window days; until then it can be recovered"
[[ -z $window ]] || info "(INCIDENT_RESPONSE.md, 'Cancel a KMS key deletion')."
# kept_key WHAT ALIAS KEY: how a kept key's deletion is scheduled, as typed
# in a fresh shell: the key's ID (ScheduleKeyDeletion takes no alias:
# https://docs.aws.amazon.com/kms/latest/APIReference/API_ScheduleKeyDeletion.html),
# in the region Terraform deployed to; on the local AWS, after its endpoint
# and dummy keys (local_aws.sh env), with the aws of .venv.
kept_key() {
  local what=$1 alias=$2 key=$3 schedule
  info "Kept: the $what ($alias): only the break-glass principal may schedule its deletion,"
  info "once nothing it protects is needed:"
  schedule="aws kms schedule-key-deletion --region $(deploy_region) --key-id ${key:-$alias} --pending-window-in-days 30"
  # shellcheck disable=SC2016 # printed for the user to type
  [[ $TARGET == local ]] && schedule='eval "$('"$where_env"'scripts/local_aws.sh env)" && .venv/bin/'"$schedule"
  info "  $schedule"
  info "It costs USD 1 a month in its first year, up to USD 3 once rotated, until its deletion is scheduled (https://aws.amazon.com/kms/pricing/); the next deploy.sh adopts it."
}
[[ -z $security_alias ]] || kept_key "security key, which encrypts the alerts and older trail files" "$security_alias" "$security_key"
[[ -z $audit_alias ]] || kept_key "audit key, which encrypts the trail's files" "$audit_alias" "$audit_key"
if ((!DELETE_AUDIT_LOGS && ${#log_buckets[@]})); then
  cost=$(awk -v b="$kept_bytes" 'BEGIN { c = b / 1024 / 1024 / 1024 * 0.023; if (c < 0.01) print "less than USD 0.01"; else printf "about USD %.2f", c }')
  info "Kept: ${log_buckets[*]/#/s3://}: $kept_versions audit log version(s), $kept_bytes bytes"
  if ((lock_days > 0)); then
    info "The trail's files in s3://$audit_bucket are locked ($lock_mode) until at most $(date -u -d "+${lock_days} days" +%Y-%m-%d);"
    info "the lifecycles then delete every log and the empty buckets cost nothing."
  else
    info "Their lifecycles delete the logs when access_log_retention_days ends; empty buckets cost nothing."
  fi
  info "Storage: $cost a month (S3 Standard, USD 0.023 per GB-month: https://aws.amazon.com/s3/pricing/)."
  if ((${#replica_buckets[@]})); then
    info "Kept with them: the audit replica in $(replica_region) (its buckets above, its key"
    info "alias/$(stack_name)-audit-replica and the role $(stack_name)-audit-replication); the key costs"
    info "USD 1 a month in its first year, up to USD 3 once rotated, until its deletion is scheduled (https://aws.amazon.com/kms/pricing/)."
  fi
  [[ $lock_mode == COMPLIANCE ]] ||
    info "To delete them now: $again --delete-audit-logs (needs s3:BypassGovernanceRetention)."
  info "The next deploy.sh adopts them (Terraform import blocks, listed in its plan)."
elif ((DELETE_AUDIT_LOGS)); then
  info "The audit logs were deleted.${security_alias:+ Of this stack only the kept keys remain (above).}"
fi
info "Account-wide services you turned off with enable_* variables were never touched."

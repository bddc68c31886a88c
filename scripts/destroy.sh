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
Safe to run twice: with nothing deployed it says so and exits 0.

The audit logs are kept: the audit bucket (the trail's files, under S3
Object Lock for access_log_retention_days) and the logs bucket (S3 access
logs and Config files, versioned); their lifecycles delete the logs when the
retention ends. --delete-audit-logs deletes both buckets too, which
GOVERNANCE mode allows (needs s3:BypassGovernanceRetention) and COMPLIANCE
mode does not.

Afterwards the two KMS keys wait out their deletion window
(kms_deletion_window_days: 30 by default, 7 in the local profile) and can be
recovered until then; see INCIDENT_RESPONSE.md.

Options:
  --local     destroy the deployment on the local AWS (see deploy.sh --local;
              its port: \$LOCAL_AWS_PORT, default 5055)
  --yes       do not ask for confirmation
  --delete-audit-logs
              also delete the audit logs and their buckets (GOVERNANCE mode only)
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

output() { terraform -chdir="$TF_DIR" output -no-color -raw "$1" 2>/dev/null; }

step "Reading the deployment ($TARGET)"
terraform_init "$TF_DIR" "${INIT_ARGS[@]}" -no-color >/dev/null || die "terraform init failed"
# Managed resource instances in the state: what destroy deletes (data sources are only read).
count_resources() {
  terraform -chdir="$TF_DIR" state pull 2>/dev/null |
    "$(project_python)" "$REPO_ROOT/scripts/lib/terraform_progress.py" count-state
}
resources=$(count_resources) || die "cannot read the $TARGET Terraform state"
if ((resources == 0)); then
  ok "Nothing to destroy: no resources in the $TARGET state."
  exit 0
fi
if [[ $TARGET == local ]] && ! local_aws_answers; then
  elsewhere=$(local_aws_elsewhere)
  [[ -z $elsewhere ]] || die "the local AWS is not running at $LOCAL_AWS_ENDPOINT; $elsewhere"
  die "the local AWS is not running at $LOCAL_AWS_ENDPOINT (a new one starts empty: 'make local-up' discards this state)"
fi
environment=$(output environment) || die "cannot read the deployment's outputs; was it deployed by this version?"
images_bucket=$(output s3_bucket_name)
logs_bucket=$(output logs_bucket_name)
audit_bucket=$(output audit_bucket_name || true) # enable_cloudtrail; empty when off
code_bucket=$(output code_bucket_name || true) # enable_code_signing; empty when off
window=$(output kms_deletion_window_days || echo 7)
lock=$(terraform -chdir="$TF_DIR" output -json audit_log_object_lock 2>/dev/null || echo null)
read -r lock_mode lock_days < <("$(project_python)" -c \
  'import json,sys; l=json.loads(sys.argv[1]) or {}; print(l.get("mode","none"), l.get("days",0))' "$lock")
info "$resources resources in environment '$environment'"
info "buckets: $images_bucket, $logs_bucket${audit_bucket:+, $audit_bucket (trail files: Object Lock $lock_mode, $lock_days days)}"

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

step "Emptying the buckets (every object version and delete marker)"
if [[ -n $code_bucket ]]; then
  "$(project_python)" "$REPO_ROOT/scripts/empty_bucket.py" "$code_bucket"
fi
log_buckets=("$logs_bucket")
[[ -n $audit_bucket ]] && log_buckets+=("$audit_bucket")
"$(project_python)" "$REPO_ROOT/scripts/empty_bucket.py" "$images_bucket"
if ((DELETE_AUDIT_LOGS)); then
  "$(project_python)" "$REPO_ROOT/scripts/empty_bucket.py" --bypass-governance-retention "${log_buckets[@]}"
else
  kept_versions=0 kept_bytes=0
  for bucket in "${log_buckets[@]}"; do
    read -r versions bytes < <("$(project_python)" "$REPO_ROOT/scripts/empty_bucket.py" --measure "$bucket")
    kept_versions=$((kept_versions + versions)) kept_bytes=$((kept_bytes + bytes))
  done
  # Out of Terraform's hands, so that terraform destroy leaves them (and
  # their policies, lifecycles and lock) in place.
  terraform -chdir="$TF_DIR" state list 2>/dev/null |
    { grep -E '^module\.pipeline\.module\.(logs_bucket|audit_bucket\["this"\])\.' || true; } |
    xargs -r -d '\n' terraform -chdir="$TF_DIR" state rm >/dev/null
  kept=$resources
  resources=$(count_resources) || die "cannot read the $TARGET Terraform state"
  info "${log_buckets[*]}: kept ($kept_versions object version(s); $((kept - resources)) resources left out of the destroy)"
fi

step "terraform destroy ($resources resources)"
# The package is not needed to delete the function, but variables are
# validated: fall back to the test placeholder when dist/ was cleaned.
package_args=()
[[ -f $REPO_ROOT/dist/lambda.zip ]] || package_args=(-var "lambda_package_path=tests/fixtures/placeholder.zip")
destroy=(terraform -chdir="$TF_DIR" destroy -input=false -auto-approve "${VAR_ARGS[@]}" "${package_args[@]}")
if ((VERBOSE)); then
  [[ -t 1 && -z ${NO_COLOR:-} ]] || destroy+=(-no-color)
  "${destroy[@]}" || die "terraform destroy failed"
else
  if [[ -z $LOG_FILE ]]; then
    LOG_FILE="$REPO_ROOT/reports/destroy-$TARGET.log"
    mkdir -p "$(dirname "$LOG_FILE")"
    : >"$LOG_FILE"
  fi
  printf '\n##### destroy.sh --%s, %s\n' "$TARGET" "$(date -u +%FT%TZ)" >>"$LOG_FILE"
  "$(project_python)" "$REPO_ROOT/scripts/lib/terraform_progress.py" run --label destroy \
    --total "$resources" --log "$LOG_FILE" -- "${destroy[@]}" -no-color || die "terraform destroy failed"
  info "full output: ${LOG_FILE#"$REPO_ROOT"/}"
fi

step "Destroyed"
info "The KMS keys (data and security) are scheduled for deletion in $window days; until then they can be recovered"
info "(INCIDENT_RESPONSE.md, 'Cancel a KMS key deletion')."
if ((!DELETE_AUDIT_LOGS)); then
  cost=$(awk -v b="$kept_bytes" 'BEGIN { c = b / 1024 / 1024 / 1024 * 0.023; if (c < 0.01) print "less than USD 0.01"; else printf "about USD %.2f", c }')
  info "Kept: ${log_buckets[*]/#/s3://}: $kept_versions audit log version(s), $kept_bytes bytes"
  if ((lock_days > 0)); then
    info "The trail's files in s3://$audit_bucket are locked ($lock_mode) until at most $(date -u -d "+${lock_days} days" +%Y-%m-%d);"
    info "the lifecycles then delete every log and the empty buckets cost nothing."
  else
    info "Their lifecycles delete the logs when access_log_retention_days ends; empty buckets cost nothing."
  fi
  info "Storage: $cost a month (S3 Standard, USD 0.023 per GB-month: https://aws.amazon.com/s3/pricing/)."
  [[ -z $audit_bucket ]] || info "The trail's files are encrypted with the security key: read or copy them before it is deleted."
  [[ $lock_mode == GOVERNANCE ]] && info "To delete them now: $(basename "$0") --delete-audit-logs (needs s3:BypassGovernanceRetention)."
  info "A new deployment under the same names needs those buckets gone or imported (terraform import)."
else
  info "The audit logs were deleted. Nothing else of this stack remains."
fi
info "Account-wide services you turned off with enable_* variables were never touched."

#!/usr/bin/env bash
# The whole loop on the local AWS: deploy, upload, process, show, destroy.
set -Eeuo pipefail

# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

KEEP=0
OUT_DIR="$REPO_ROOT/demo-output"

usage() {
  cat <<USAGE
Usage: $(basename "$0") [--keep]

Runs the real loop with no AWS account: starts the local AWS (moto's server),
deploys the real Terraform with 'deploy.sh --local --auto-approve', generates
sample images, uploads them with 'aws s3 cp', delivers the S3 events to the
real handler, prints what happened (records, messages, outputs), saves the
processed images in demo-output/, then destroys everything and stops the
local AWS, even when a step fails.

Options:
  --keep      leave the deployment and the local AWS running afterwards
              (then: 'make local-process', './scripts/destroy.sh --local --yes',
              'make local-down')
  -h, --help  show this help
USAGE
}

while (($#)); do
  case $1 in
    --keep) KEEP=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage_error "unknown option: $1" ;;
  esac
done

use_project_venv
tidy_terraform_env
STARTED=$SECONDS
declare -a TIMINGS=()
timed() { # timed LABEL COMMAND...: run a step and remember how long it took
  local label=$1 start=$SECONDS
  shift
  "$@"
  TIMINGS+=("$(printf '%-28s %4ss' "$label" $((SECONDS - start)))")
}

cleanup() {
  local rc=$?
  if ((!KEEP)); then
    step "Cleaning up"
    "$(project_python)" "$REPO_ROOT/scripts/demo_tool.py" cleanup 2>/dev/null || true
    timed "destroy" "$REPO_ROOT/scripts/destroy.sh" --local --yes || warn "destroy failed; the local AWS is stopped anyway"
    "$REPO_ROOT/scripts/local_aws.sh" stop || true
  fi
  if ((${#TIMINGS[@]})); then
    printf '\n%sTimings%s\n' "$C_BOLD" "$C_RESET"
    printf '  %s\n' "${TIMINGS[@]}"
    printf '  %-28s %4ss\n' "total" $((SECONDS - STARTED))
  fi
  ((rc == 0)) || printf '%sdemo failed%s (exit %s)\n' "$C_RED" "$C_RESET" "$rc" >&2
  exit "$rc"
}
trap cleanup EXIT

timed "start the local AWS" "$REPO_ROOT/scripts/local_aws.sh" start
use_local_aws
timed "deploy (scan, build, apply)" "$REPO_ROOT/scripts/deploy.sh" --local --auto-approve

terraform_target_args local
out() { terraform -chdir="$REPO_ROOT/terraform" output "${STATE_ARGS[@]}" -raw "$1"; }
BUCKET=$(out s3_bucket_name)
TABLE=$(out dynamodb_table_name)
FUNCTION=$(out lambda_function_name)
PYTHON=$(project_python)

step "Subscribing demo queues to both topics"
"$PYTHON" "$REPO_ROOT/scripts/demo_tool.py" subscribe "$(out notifications_topic_arn)" "$(out security_alerts_topic)"

step "Generating sample images"
rm -rf "$OUT_DIR"
timed "generate samples" "$PYTHON" "$REPO_ROOT/scripts/demo_tool.py" samples "$OUT_DIR/samples"

step "Uploading with aws s3 cp"
upload_all() {
  local file
  for file in "$OUT_DIR"/samples/*; do
    aws s3 cp --only-show-errors "$file" "s3://$BUCKET/uploads/demo/$(basename "$file")"
    info "uploaded s3://$BUCKET/uploads/demo/$(basename "$file")"
  done
}
timed "upload" upload_all

step "Delivering the S3 events to the handler (what Lambda would do)"
rm -f "$REPO_ROOT/.local-aws/delivered.json"
timed "process" "$PYTHON" "$REPO_ROOT/scripts/local_lambda.py" --once --function "$FUNCTION" --bucket "$BUCKET" >"$REPO_ROOT/.local-aws/handler.log"
info "handler logs (JSON lines): .local-aws/handler.log"

step "Results"
"$PYTHON" "$REPO_ROOT/scripts/demo_tool.py" report "$BUCKET" "$TABLE" "$OUT_DIR/processed"

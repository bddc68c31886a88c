#!/usr/bin/env bash
# The whole loop on a local AWS of its own: deploy, upload, process, show, destroy.
set -Eeuo pipefail

# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

# The demo's own local AWS: its own directory (pid, log, Terraform state) and
# its own port, so that it runs beside a local stack of yours without
# touching it (make local-deploy uses .local-aws/ and port 5055).
export LOCAL_AWS_DIR="$REPO_ROOT/.local-aws/demo"
SHOWN_DIR=${LOCAL_AWS_DIR#"$REPO_ROOT"/}
OUT_DIR="$REPO_ROOT/demo-output"
LOG_FILE="$LOCAL_AWS_DIR/demo.log"
RESULTS="$LOCAL_AWS_DIR/results.txt"
KEEP=0
DOWN=0
PORT=${DEMO_PORT:-}

usage() {
  cat <<USAGE
Usage: $(basename "$0") [--keep] [--port PORT] | --down

Runs the real loop with no AWS account: starts a local AWS of its own (moto's
server on a free port, state in $SHOWN_DIR/), deploys the real Terraform with
'deploy.sh --local --auto-approve --quiet', generates sample images, uploads
them with 'aws s3 cp', delivers the S3 events to the real handler, destroys
everything and stops its local AWS (even when a step fails), and prints what
happened last: records, messages, outputs. Processed images are saved in
demo-output/; the full output (Terraform, scans, the handler's JSON logs) in
$SHOWN_DIR/demo.log.

A local stack of yours (make local-deploy: .local-aws/, port 5055) is never
touched.

Options:
  --keep       leave the demo's deployment and local AWS running afterwards
  --down       destroy a demo kept with --keep and stop its local AWS
  --port PORT  the demo's port (default: \$DEMO_PORT, else a free port)
  -h, --help   show this help
USAGE
}

while (($#)); do
  case $1 in
    --keep) KEEP=1; shift ;;
    --down) DOWN=1; shift ;;
    --port) PORT=$(option_value "$@") || exit 2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage_error "unknown option: $1" ;;
  esac
done

use_project_venv
tidy_terraform_env
# Before anything starts: one line when a tool the deployment needs is missing.
require terraform python3
PYTHON=$(project_python)
# kept_port: the port of a demo left running by --keep, if one answers.
kept_port() {
  local port
  port=$(cat "$LOCAL_AWS_DIR/moto.port" 2>/dev/null) || return 1
  "$REPO_ROOT/scripts/local_aws.sh" status --port "$port" >/dev/null 2>&1 || return 1
  printf '%s\n' "$port"
}

if ((DOWN)); then
  port=$(kept_port) || { ok "no demo is running ($SHOWN_DIR)"; exit 0; }
  set_local_aws_port "$port"
  "$PYTHON" "$REPO_ROOT/scripts/local/demo_tool.py" cleanup >/dev/null 2>&1 || true
  "$REPO_ROOT/scripts/destroy.sh" --local --yes
  "$REPO_ROOT/scripts/local_aws.sh" stop
  exit 0
fi

if port=$(kept_port); then
  die "a demo kept with --keep still runs on port $port ($SHOWN_DIR/): remove it first with 'scripts/demo.sh --down'"
fi
[[ -n $PORT ]] || PORT=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
set_local_aws_port "$PORT"
use_local_aws
mkdir -p "$LOCAL_AWS_DIR"
: >"$LOG_FILE"
rm -f "$RESULTS"

STARTED=$SECONDS
OUR_AWS=0

# quietly LABEL COMMAND...: one line with the elapsed time; the output in the log.
quietly() {
  local label=$1 start=$SECONDS rc=0
  shift
  printf '\n### %s\n' "$label" >>"$LOG_FILE"
  NO_COLOR=1 "$@" >>"$LOG_FILE" 2>&1 </dev/null || rc=$?
  if ((rc)); then
    tail -n 20 "$LOG_FILE" >&2
    die "$label failed (exit $rc); full output in ${LOG_FILE#"$REPO_ROOT"/}"
  fi
  ok "$label ($(elapsed "$start"))"
}

cleanup() {
  local rc=$?
  trap - ERR
  if ((!KEEP && OUR_AWS)); then
    step "Cleaning up: destroy, stop the demo's local AWS"
    "$PYTHON" "$REPO_ROOT/scripts/local/demo_tool.py" cleanup >>"$LOG_FILE" 2>&1 || true
    "$REPO_ROOT/scripts/destroy.sh" --local --yes --log "$LOG_FILE" ||
      { warn "destroy failed (see ${LOG_FILE#"$REPO_ROOT"/}); the demo's local AWS is stopped anyway"; ((rc)) || rc=1; }
    "$REPO_ROOT/scripts/local_aws.sh" stop >>"$LOG_FILE" 2>&1 || true
  elif ((KEEP && OUR_AWS)); then
    step "Kept running (--keep): the demo's local AWS on $LOCAL_AWS_ENDPOINT, state in $SHOWN_DIR/"
    # shellcheck disable=SC2016 # printed for the user to type
    info 'use it:    eval "$(LOCAL_AWS_DIR='"$SHOWN_DIR"' scripts/local_aws.sh env --port '"$LOCAL_AWS_PORT"')"'
    info "           (then aws, terraform -chdir=terraform output and make local-process use the demo's stack)"
    info "outputs:   TF_DATA_DIR=$LOCAL_AWS_DIR/terraform terraform -chdir=terraform output"
    info "remove it: scripts/demo.sh --down"
  fi
  printf '\nFull log (Terraform, scans, handler JSON logs): %s\n' "${LOG_FILE#"$REPO_ROOT"/}"
  if [[ -s $RESULTS ]]; then
    step "Results ($(elapsed "$STARTED") in all)"
    cat "$RESULTS"
  fi
  ((rc == 0)) || printf '%sdemo failed%s (exit %s)\n' "$C_RED" "$C_RESET" "$rc" >&2
  exit "$rc"
}
trap cleanup EXIT

step "make demo: a local AWS of its own on $LOCAL_AWS_ENDPOINT (state in $SHOWN_DIR/)"
quietly "started the local AWS" "$REPO_ROOT/scripts/local_aws.sh" start
OUR_AWS=1

step "Deploying: security scan, build, plan, apply"
"$REPO_ROOT/scripts/deploy.sh" --local --auto-approve --quiet --no-hints --log "$LOG_FILE"

terraform_target_args local
BUCKET=$(terraform_output s3_bucket_name)
TABLE=$(terraform_output dynamodb_table_name)
FUNCTION=$(terraform_output lambda_function_name)

step "Trying it"
quietly "subscribed demo queues to both topics" \
  "$PYTHON" "$REPO_ROOT/scripts/local/demo_tool.py" subscribe "$(terraform_output notifications_topic_arn)" "$(terraform_output security_alerts_topic)"
rm -rf "$OUT_DIR"
quietly "generated sample images in demo-output/samples/" "$PYTHON" "$REPO_ROOT/scripts/local/demo_tool.py" samples "$OUT_DIR/samples"
upload_all() {
  local file
  for file in "$OUT_DIR"/samples/*; do
    aws s3 cp --only-show-errors "$file" "s3://$BUCKET/uploads/demo/$(basename "$file")"
    printf 'uploaded s3://%s/uploads/demo/%s\n' "$BUCKET" "$(basename "$file")"
  done
}
quietly "uploaded $(find "$OUT_DIR/samples" -type f | wc -l) images with aws s3 cp" upload_all
quietly "ran the handler on the uploads queue (what Lambda would do; JSON logs in the log)" \
  "$PYTHON" "$REPO_ROOT/scripts/local/local_lambda.py" --once --function "$FUNCTION"
"$PYTHON" "$REPO_ROOT/scripts/local/demo_tool.py" report "$BUCKET" "$TABLE" "$OUT_DIR/processed" >"$RESULTS.tmp" 2>>"$LOG_FILE" ||
  { cat "$RESULTS.tmp" >>"$LOG_FILE"; rm -f "$RESULTS.tmp"; die "the report failed; see ${LOG_FILE#"$REPO_ROOT"/}"; }
mv "$RESULTS.tmp" "$RESULTS"
cat "$RESULTS" >>"$LOG_FILE"
ok "collected the results (shown last)"

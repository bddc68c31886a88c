#!/usr/bin/env bash
# Independent review of the deployed stack: Prowler and parliament against the local AWS.
set -Eeuo pipefail

# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

# Prowler's service names; what issue 10's review covered. The run is scoped by
# service and region only: --resource-arn/--resource-tag would run just the checks
# of the ARNs' services and sub-services, so not the password policy and CIS metric
# filter checks the report keeps apart as account-level, nor the Config recorder's (it
# has no ARN in the state, nor tags), one of them registered (prowler 5.46.0,
# providers/aws/aws_provider.py, get_checks_from_input_arn).
SERVICES=(s3 kms sns sqs dynamodb awslambda iam cloudwatch cloudtrail config guardduty eventbridge)
OUT_DIR="$REPO_ROOT/reports/audit"
LOG_FILE="$OUT_DIR/audit.log"
PROWLER_VENV="$REPO_ROOT/.venv-prowler"
KEEP=0
COMPARE_ONLY=0
EXISTING=0

usage() {
  cat <<USAGE
Usage: $(basename "$0") [--keep | --deployed] [--compare-only]

  1. starts the local AWS (moto's server, port \$LOCAL_AWS_PORT, state in
     \$LOCAL_AWS_DIR, default .local-aws/); refuses when one runs there
     already (a stack of yours from 'make local-deploy' is not touched)
  2. deploys the real stack: deploy.sh --local --auto-approve
  3. renders Prowler's mutelist from SECURITY.md's Prowler exceptions register
     (each row's resource named from the deployed state) and the local-AWS
     artefacts of scripts/audit/audit_rules.json, with their reasons
  4. runs Prowler over: ${SERVICES[*]}
     with that mutelist
  5. runs parliament over every policy document of the deployment
  6. destroys the deployment and stops the local AWS (also on failure)
  7. prints the FAILs per check on the stack's own resources (muted or not), then
     the account-level findings and the muted local-AWS artefacts as separate groups

Exits 1 when a FAIL on the stack is not muted by its register row, or a register
row mutes no FAIL, or when parliament finds anything above LOW that
scripts/audit/audit_policies.py does not list.

Reports: reports/audit/audit.md and audit.json (the sorted findings),
mutelist.yaml, policies.json (parliament), prowler/ (Prowler's own output), audit.log.

Options:
  --keep          leave the deployment and the local AWS running afterwards
                  (then: './scripts/destroy.sh --local --yes', 'make local-down')
  --deployed      audit the stack already deployed to the local AWS of
                  \$LOCAL_AWS_PORT and \$LOCAL_AWS_DIR ('make local-deploy', or
                  the end-to-end tests' shared stack): steps 3 to 5 and 7 only;
                  nothing is started, deployed, destroyed or stopped
  --compare-only  no deployment: compare the last reports/audit/audit.json with
                  the register again (after editing SECURITY.md)
  -h, --help      show this help
USAGE
}

while (($#)); do
  case $1 in
    --keep) KEEP=1; shift ;;
    --compare-only) COMPARE_ONLY=1; shift ;;
    --deployed) EXISTING=1; KEEP=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage_error "unknown option: $1" ;;
  esac
done

PYTHON=$(project_python)
if ((COMPARE_ONLY)); then
  [[ -f $OUT_DIR/audit.json ]] || die "no earlier audit in ${OUT_DIR#"$REPO_ROOT"/}; run 'make audit' first"
  exec "$PYTHON" "$REPO_ROOT/scripts/audit/audit_report.py" --compare-only "$OUT_DIR/audit.json"
fi

[[ -x $PROWLER_VENV/bin/prowler ]] || die "Prowler not found in .venv-prowler; run 'make audit' (it installs it)"
use_project_venv
tidy_terraform_env
require terraform aws
SHOWN_DIR=${LOCAL_AWS_DIR#"$REPO_ROOT"/}
if ((EXISTING)); then
  # --deployed: the stack that runs there is the one audited, as it is.
  "$REPO_ROOT/scripts/local_aws.sh" status >/dev/null 2>&1 ||
    die "no local AWS of $SHOWN_DIR/ answers on $LOCAL_AWS_ENDPOINT: deploy one first ('make local-deploy'), set LOCAL_AWS_PORT and LOCAL_AWS_DIR to the stack's, or run without --deployed"
  grep -qs '"mode": "managed"' "$LOCAL_AWS_DIR/terraform.tfstate" ||
    die "nothing is deployed in $SHOWN_DIR/ (no resource in its terraform.tfstate): deploy first ('make local-deploy'), or run without --deployed"
# The audit deploys to, then destroys, the local AWS of .local-aws/: never a
# stack of yours that 'make local-deploy' left running there.
elif "$REPO_ROOT/scripts/local_aws.sh" status >/dev/null 2>&1; then
  die "a local AWS already runs on $LOCAL_AWS_ENDPOINT (make local-deploy): the audit would deploy over your stack and destroy it; remove it first ('./scripts/destroy.sh --local --yes', 'make local-down'), audit it as it is with --deployed, or choose another LOCAL_AWS_PORT and LOCAL_AWS_DIR"
fi
mkdir -p "$OUT_DIR"
rm -rf "$OUT_DIR/prowler"
: >"$LOG_FILE"
STARTED=$SECONDS
DEPLOYED=0

# timed LABEL COMMAND...: one line per step with its elapsed time; output to the log.
timed() {
  local label=$1 start=$SECONDS rc=0
  shift
  printf '%s==>%s %-44s' "$C_BOLD" "$C_RESET" "$label"
  printf '\n==> %s\n' "$label" >>"$LOG_FILE"
  "$@" >>"$LOG_FILE" 2>&1 || rc=$?
  if ((rc == 0)); then
    printf '%s%4ss%s\n' "$C_GREEN" $((SECONDS - start)) "$C_RESET"
  else
    printf '%sfailed after %ss%s\n' "$C_RED" $((SECONDS - start)) "$C_RESET"
  fi
  return "$rc"
}

cleanup() {
  local rc=$?
  trap - EXIT
  if ((!KEEP)); then
    ((DEPLOYED)) && { timed "destroy" "$REPO_ROOT/scripts/destroy.sh" --local --yes || rc=1; }
    timed "stop the local AWS" "$REPO_ROOT/scripts/local_aws.sh" stop || true
  fi
  printf '    total %ss; details in %s\n' $((SECONDS - STARTED)) "${LOG_FILE#"$REPO_ROOT"/}"
  ((rc == 0)) || printf '%saudit failed%s (exit %s)\n' "$C_RED" "$C_RESET" "$rc" >&2
  exit "$rc"
}
trap cleanup EXIT
trap 'warn "line $LINENO: \"$BASH_COMMAND\" failed; see ${LOG_FILE#"$REPO_ROOT"/}"' ERR

if ((EXISTING)); then
  step "the stack deployed on $LOCAL_AWS_ENDPOINT (state in $SHOWN_DIR/)"
  use_local_aws
else
  timed "start the local AWS ($LOCAL_AWS_ENDPOINT)" "$REPO_ROOT/scripts/local_aws.sh" start
  use_local_aws
  DEPLOYED=1
  timed "deploy the stack (scan, build, apply)" "$REPO_ROOT/scripts/deploy.sh" --local --auto-approve
fi

read_state() {
  # deploy.sh --local's data directory: its modules are installed there, not in terraform/.
  TF_DATA_DIR="$LOCAL_AWS_DIR/terraform" terraform -chdir="$REPO_ROOT/terraform" \
    show -json "$LOCAL_AWS_DIR/terraform.tfstate" >"$OUT_DIR/state.json"
}
timed "read the deployed state" read_state
timed "render Prowler's mutelist (SECURITY.md)" \
  "$PYTHON" "$REPO_ROOT/scripts/audit/audit_report.py" --state "$OUT_DIR/state.json" --mutelist "$OUT_DIR/mutelist.yaml"

run_prowler() {
  # Prowler reads the endpoint and the dummy credentials from the environment
  # and fails on an empty AWS_PROFILE, so the profile is unset, not emptied.
  # Its s3control calls go to <account-id>.localhost: prowler_site/ makes
  # *.localhost resolve to 127.0.0.1 inside this one process (no /etc/hosts).
  AWS_ENDPOINT_URL="http://localhost:$LOCAL_AWS_PORT" \
    PYTHONPATH="$REPO_ROOT/scripts/audit/prowler_site" \
    "$PROWLER_VENV/bin/prowler" aws --service "${SERVICES[@]}" --region us-east-1 \
    --mutelist-file "$OUT_DIR/mutelist.yaml" \
    --output-formats json-ocsf --output-directory "$OUT_DIR/prowler" --output-filename prowler \
    --no-banner --ignore-exit-code-3
}
timed "Prowler (${#SERVICES[@]} services)" run_prowler
PROWLER_VERSION=$("$PROWLER_VENV/bin/prowler" --version 2>/dev/null | grep -Eo '[0-9]+\.[0-9]+\.[0-9]+' | sed -n 1p)

parliament_rc=0
timed "parliament (every policy document)" \
  "$PYTHON" "$REPO_ROOT/scripts/audit/audit_policies.py" --out "$OUT_DIR/policies.json" ||
  parliament_rc=$?

if ((!KEEP)); then
  timed "destroy" "$REPO_ROOT/scripts/destroy.sh" --local --yes
  DEPLOYED=0
fi

step "Prowler on the stack's own resources (reports/audit/audit.md)"
report_rc=0
"$PYTHON" "$REPO_ROOT/scripts/audit/audit_report.py" \
  --findings "$OUT_DIR/prowler/prowler.ocsf.json" --state "$OUT_DIR/state.json" --out-dir "$OUT_DIR" \
  --meta "{\"prowler_version\": \"$PROWLER_VERSION\", \"services\": \"${SERVICES[*]}\"}" || report_rc=$?

step "parliament (reports/audit/policies.json)"
"$PYTHON" "$REPO_ROOT/scripts/audit/audit_policies.py" --summary "$OUT_DIR/policies.json"

((parliament_rc == 0)) || die "parliament found something above LOW in the stack's policies (above)"
((report_rc == 0)) || die "the stack's Prowler FAILs and SECURITY.md's register differ (above)"
ok "every FAIL on the stack is muted by its row in SECURITY.md's register, every row by a FAIL; parliament finds nothing above LOW"

#!/usr/bin/env bash
# Scan, build and deploy the stack: to a real AWS account, or (--local) to the local AWS.
set -Eeuo pipefail

# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

TARGET=aws
AUTO_APPROVE=0
TF_DIR="$REPO_ROOT/terraform"

usage() {
  cat <<USAGE
Usage: $(basename "$0") [--local] [--auto-approve]

  1. preflight: tools and versions, and who you are (aws sts get-caller-identity)
  2. scripts/security_scan.sh: any failure stops here, before anything is built
  3. scripts/build_lambda.sh: dist/lambda.zip
  4. terraform init, plan -out, confirmation, apply of exactly that plan
  5. the outputs, and the command to upload a first image

There is no option to skip the security scan.

Options:
  --local         deploy to the local AWS (moto's server, see 'make local-up'),
                  with terraform/local.tfvars and a state file of its own
  --auto-approve  apply the plan without asking
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
    -h | --help) usage; exit 0 ;;
    *) usage_error "unknown option: $1" ;;
  esac
done

use_project_venv
tidy_terraform_env
[[ $TARGET == local ]] && use_local_aws
terraform_target_args "$TARGET"
PLAN_FILE="$REPO_ROOT/.local-aws/deploy.tfplan"
[[ $TARGET == aws ]] && PLAN_FILE="$TF_DIR/deploy.tfplan"
mkdir -p "$(dirname "$PLAN_FILE")"
trap 'rm -f "$PLAN_FILE"' EXIT

# --------------------------------------------------------------------------
step "Preflight ($TARGET)"
require terraform aws python3
info "terraform  $(terraform version | head -n 1 | cut -d' ' -f2)"
info "aws-cli    $(aws --version 2>&1 | cut -d' ' -f1 | cut -d/ -f2)"
info "python     $(python3 --version | cut -d' ' -f2)"
if [[ $TARGET == local ]]; then
  curl --silent --fail --max-time 2 "$LOCAL_AWS_ENDPOINT/moto-api/data.json" >/dev/null 2>&1 ||
    die "the local AWS is not running at $LOCAL_AWS_ENDPOINT; start it with 'make local-up'"
fi
identity=$(aws sts get-caller-identity --output text --query '[Account, Arn]' 2>&1) ||
  die "no usable AWS credentials: $identity"
read -r ACCOUNT ARN <<<"$identity"
REGION=${AWS_REGION:-${AWS_DEFAULT_REGION:-$(aws configure get region 2>/dev/null || true)}}
info "account    $ACCOUNT"
info "identity   $ARN"
info "region     ${REGION:-(from terraform: aws_region)}"
[[ $TARGET == local ]] && info "endpoint   $AWS_ENDPOINT_URL (local AWS; state in .local-aws/)"

# --------------------------------------------------------------------------
step "Security scan (a failure stops the deployment)"
"$REPO_ROOT/scripts/security_scan.sh" --target "$TARGET" || die "security scan failed: nothing was built or deployed"

# --------------------------------------------------------------------------
step "Building the Lambda package"
"$REPO_ROOT/scripts/build_lambda.sh"

# --------------------------------------------------------------------------
step "terraform init"
terraform_init "$TF_DIR" >/dev/null || die "terraform init failed"

step "terraform plan"
plan_rc=0
terraform -chdir="$TF_DIR" plan -input=false -detailed-exitcode -out="$PLAN_FILE" "${STATE_ARGS[@]}" "${VAR_ARGS[@]}" || plan_rc=$?
case $plan_rc in
  0) ok "Nothing to change: the deployment is up to date." ;;
  2)
    if ((!AUTO_APPROVE)); then
      [[ -t 0 ]] || die "the plan has changes and stdin is not a terminal: re-run with --auto-approve to apply"
      read -r -p "Apply this plan to account $ACCOUNT? Type 'yes' to continue: " answer
      [[ $answer == yes ]] || die "not applied (you answered '$answer')"
    fi
    step "terraform apply"
    terraform -chdir="$TF_DIR" apply -input=false "${STATE_ARGS[@]}" "$PLAN_FILE"
    ;;
  *) die "terraform plan failed" ;;
esac

# --------------------------------------------------------------------------
step "Deployed"
# terraform apply has just printed the outputs; print them when it did not run.
((plan_rc == 0)) && terraform -chdir="$TF_DIR" output "${STATE_ARGS[@]}"
bucket=$(terraform -chdir="$TF_DIR" output "${STATE_ARGS[@]}" -raw s3_bucket_name)
printf '\nTry it:\n'
if [[ $TARGET == local ]]; then
  printf '  AWS_ENDPOINT_URL=%s aws s3 cp image.png s3://%s/uploads/\n' "$LOCAL_AWS_ENDPOINT" "$bucket"
  printf '  make local-process   # the local AWS cannot run Lambda code; this delivers the event\n'
else
  printf '  aws s3 cp image.png s3://%s/uploads/\n' "$bucket"
  # shellcheck disable=SC2016 # printed for the user to type, not expanded here
  printf '  (from terraform/: aws s3 cp image.png s3://$(terraform output -raw s3_bucket_name)/uploads/)\n'
fi

#!/usr/bin/env bash
# Tear the stack down: empty its buckets (every version), then terraform destroy.
set -Eeuo pipefail

# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

TARGET=aws
ASSUME_YES=0
TF_DIR="$REPO_ROOT/terraform"

usage() {
  cat <<USAGE
Usage: $(basename "$0") [--local] [--yes]

Deletes every object version in the images and logs buckets (uploads,
results, access logs, CloudTrail and Config files), then runs
terraform destroy. Asks you to type the environment name first.
Safe to run twice: with nothing deployed it says so and exits 0.

Afterwards the KMS key waits out its deletion window (7 days by default)
and can be recovered until then; see INCIDENT_RESPONSE.md.

Options:
  --local     destroy the deployment on the local AWS (see deploy.sh --local)
  --yes       do not ask for confirmation
  -h, --help  show this help
USAGE
}

while (($#)); do
  case $1 in
    --local) TARGET=local; shift ;;
    --yes) ASSUME_YES=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage_error "unknown option: $1" ;;
  esac
done

use_project_venv
tidy_terraform_env
[[ $TARGET == local ]] && use_local_aws
terraform_target_args "$TARGET"
require terraform aws

output() { terraform -chdir="$TF_DIR" output "${STATE_ARGS[@]}" -raw "$1" 2>/dev/null; }

step "Reading the deployment ($TARGET)"
terraform_init "$TF_DIR" >/dev/null || die "terraform init failed"
resources=$(terraform -chdir="$TF_DIR" state list "${STATE_ARGS[@]}" 2>/dev/null | wc -l || true)
if ((resources == 0)); then
  ok "Nothing to destroy: no resources in the $TARGET state."
  exit 0
fi
environment=$(output environment) || die "cannot read the deployment's outputs; was it deployed by this version?"
images_bucket=$(output s3_bucket_name)
logs_bucket=$(output logs_bucket_name)
window=$(output kms_deletion_window_days || echo 7)
info "$resources resources in environment '$environment'"
info "buckets: $images_bucket, $logs_bucket"

if ((!ASSUME_YES)); then
  [[ -t 0 ]] || die "refusing to destroy without confirmation: stdin is not a terminal (use --yes)"
  printf '%sThis deletes every image, record and log of this deployment.%s\n' "$C_RED" "$C_RESET"
  read -r -p "Type the environment name ($environment) to confirm: " answer
  [[ $answer == "$environment" ]] || die "not destroyed (you typed '$answer')"
fi

step "Emptying the buckets (every object version and delete marker)"
"$(project_python)" "$REPO_ROOT/scripts/empty_bucket.py" "$images_bucket" "$logs_bucket"

step "terraform destroy"
# The package is not needed to delete the function, but variables are
# validated: fall back to the test placeholder when dist/ was cleaned.
package_args=()
[[ -f $REPO_ROOT/dist/lambda.zip ]] || package_args=(-var "lambda_package_path=tests/fixtures/placeholder.zip")
terraform -chdir="$TF_DIR" destroy -input=false -auto-approve "${STATE_ARGS[@]}" "${VAR_ARGS[@]}" "${package_args[@]}"

step "Destroyed"
info "The KMS key is scheduled for deletion in $window days; until then it can be recovered"
info "(INCIDENT_RESPONSE.md, 'Cancel a KMS key deletion'). Nothing else of this stack remains."
info "Account-wide services you turned off with enable_* variables were never touched."

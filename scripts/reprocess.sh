#!/usr/bin/env bash
# Reprocess the images under a prefix with an S3 Batch Operations job (a backfill).
set -Eeuo pipefail

# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

TARGET=aws
PREFIX=uploads/
INVENTORY=""
BUCKET=""
FUNCTION=""
ROLE_ARN=""
# batch_operations_prefix in terraform/modules/image-pipeline/batch_operations.tf:
# the role reads manifests and writes reports only under it.
BATCH_PREFIX=batch-operations/

usage() {
  cat <<USAGE
Usage: $(basename "$0") [--local] [--prefix PREFIX] [--manifest S3_URI] [--bucket NAME]
                    [--function NAME_OR_ARN] [--role-arn ARN]

Creates an S3 Batch Operations job that invokes the image function once per
object under PREFIX of the images bucket: every image is decided again under
the function's current recipe set. An image whose record already names that
recipe set is left as it is ("unchanged" in the report); a new recipe set
reprocesses it. Keys outside uploads/ fail (PermanentFailure) and change nothing.

  1. the manifest: a CSV of the prefix's keys (aws s3api list-objects-v2),
     uploaded to s3://BUCKET/${BATCH_PREFIX}manifests/; or, with --manifest,
     an S3 Inventory report's manifest.json (for millions of objects)
  2. aws s3control create-job: the LambdaInvoke operation (invocation schema
     2.0), the Batch Operations role, a completion report of all tasks under
     s3://BUCKET/${BATCH_PREFIX}reports/
  3. the job id, and the commands to watch it

Options:
  --local             against the local AWS (see 'make local-up'), which has
                      no S3 Batch Operations: the same tasks run through the
                      function's handler in-process
                      (scripts/local/local_batch_operations.py); exits 1 when a
                      task did not succeed
  --prefix PREFIX     key prefix to reprocess (default: uploads/)
  --manifest S3_URI   an S3 Inventory report's manifest.json (CSV format)
                      instead of listing the prefix; the inventory's
                      destination must be s3://BUCKET/${BATCH_PREFIX}manifests/
                      (the job's role reads only there); not with --local
  --bucket NAME       images bucket (default: terraform output s3_bucket_name)
  --function NAME     function name or ARN (default: terraform output lambda_function_arn)
  --role-arn ARN      role the job assumes (default: terraform output batch_operations_role_arn)
  -h, --help          show this help

The job invokes the function directly, not through the uploads queue:
queue_maximum_concurrency does not cap it (README, "Reprocessing (backfill)").
USAGE
}

while (($#)); do
  case $1 in
    --local) TARGET=local; shift ;;
    --prefix) PREFIX=$(option_value "$@") || exit 2; shift 2 ;;
    --manifest) INVENTORY=$(option_value "$@") || exit 2; shift 2 ;;
    --bucket) BUCKET=$(option_value "$@") || exit 2; shift 2 ;;
    --function) FUNCTION=$(option_value "$@") || exit 2; shift 2 ;;
    --role-arn) ROLE_ARN=$(option_value "$@") || exit 2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage_error "unknown option: $1" ;;
  esac
done

[[ -z $INVENTORY || $INVENTORY == s3://*/*manifest.json ]] ||
  usage_error "--manifest must be the s3:// URI of an S3 Inventory report's manifest.json"
[[ $TARGET == aws || -z $INVENTORY ]] ||
  usage_error "--manifest is for S3 Batch Operations on AWS; --local lists the prefix"
[[ $PREFIX != /* && $PREFIX != *..* ]] || usage_error "--prefix must be a key prefix such as uploads/2026/"

use_project_venv
tidy_terraform_env
[[ $TARGET == local ]] && use_local_aws
terraform_target_args "$TARGET"
require aws
PY=$(project_python)

step "Reprocessing ($TARGET)"
[[ -n $BUCKET ]] || BUCKET=$(terraform_output s3_bucket_name)
[[ -n $FUNCTION ]] || FUNCTION=$(terraform_output lambda_function_arn)
REGION=$(deploy_region)
ACCOUNT=$(aws sts get-caller-identity --region "$REGION" --query Account --output text) ||
  die "no usable AWS credentials (aws sts get-caller-identity failed)"
info "bucket     $BUCKET"
info "prefix     $PREFIX"
info "function   $FUNCTION"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/reprocess.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
TOKEN="reprocess-$(date -u +%Y%m%dT%H%M%SZ)-$$"
REPORT_PREFIX="${BATCH_PREFIX}reports"

# ----------------------------------------------------------------------------
# The manifest: bucket,key per line, the key URL-encoded as Batch Operations
# requires (https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-create-job.html);
# no version: each task processes the version the pipeline's record names.
if [[ -n $INVENTORY ]]; then
  [[ $INVENTORY == "s3://$BUCKET/${BATCH_PREFIX}manifests/"* ]] ||
    die "--manifest must be under s3://$BUCKET/${BATCH_PREFIX}manifests/ (the inventory's destination): the job's role reads manifests only there"
  manifest_arn="arn:aws:s3:::${INVENTORY#s3://}"
  inventory_bucket=${INVENTORY#s3://}
  inventory_bucket=${inventory_bucket%%/*}
  etag=$(aws s3api head-object --region "$REGION" --bucket "$inventory_bucket" \
    --key "${INVENTORY#s3://"$inventory_bucket"/}" --query ETag --output text) ||
    die "could not read $INVENTORY"
  manifest_spec='{"Format":"S3InventoryReport_CSV_20161130"}'
  ok "manifest: the S3 Inventory report $INVENTORY"
else
  aws s3api list-objects-v2 --region "$REGION" --bucket "$BUCKET" --prefix "$PREFIX" \
    --query 'Contents[].Key' --output json >"$WORK/keys.json" ||
    die "could not list s3://$BUCKET/$PREFIX"
  count=$("$PY" - "$BUCKET" "$WORK/keys.json" "$WORK/manifest.csv" <<'PY'
import csv, json, sys
from urllib.parse import quote
bucket, keys_file, manifest = sys.argv[1:]
keys = [k for k in (json.load(open(keys_file)) or []) if not k.endswith("/")]
with open(manifest, "w", newline="") as f:
    csv.writer(f, lineterminator="\n").writerows([bucket, quote(k, safe="/")] for k in keys)
print(len(keys))
PY
  )
  ((count > 0)) || die "no object under s3://$BUCKET/$PREFIX: nothing to reprocess"
  manifest_key="${BATCH_PREFIX}manifests/$TOKEN.csv"
  etag=$(aws s3api put-object --region "$REGION" --bucket "$BUCKET" --key "$manifest_key" \
    --body "$WORK/manifest.csv" --query ETag --output text) || die "could not upload the manifest"
  manifest_arn="arn:aws:s3:::$BUCKET/$manifest_key"
  manifest_spec='{"Format":"S3BatchOperations_CSV_20180820","Fields":["Bucket","Key"]}'
  ok "manifest: $count objects, s3://$BUCKET/$manifest_key"
fi
etag=${etag//\"/}

# ----------------------------------------------------------------------------
# The local AWS: probe S3 Batch Operations; without it, run the tasks here.
if [[ $TARGET == local ]]; then
  if probe=$(aws s3control list-jobs --region "$REGION" --account-id "$ACCOUNT" 2>&1); then
    die "the local AWS answers S3 Batch Operations now; this script has no path for that yet"
  fi
  info "the local AWS has no S3 Batch Operations (list-jobs: ${probe##*: }); running the tasks in-process"
  exec "$PY" "$REPO_ROOT/scripts/local/local_batch_operations.py" --function "$FUNCTION" \
    --manifest "s3://$BUCKET/$manifest_key" --report "s3://$BUCKET/$REPORT_PREFIX"
fi

# ----------------------------------------------------------------------------
[[ -n $ROLE_ARN ]] || ROLE_ARN=$(terraform_output batch_operations_role_arn)
info "role       $ROLE_ARN"
operation=$(printf '{"LambdaInvoke":{"FunctionArn":"%s","InvocationSchemaVersion":"2.0","UserArguments":{"startedBy":"scripts/reprocess.sh"}}}' "$FUNCTION")
manifest=$(printf '{"Spec":%s,"Location":{"ObjectArn":"%s","ETag":"%s"}}' "$manifest_spec" "$manifest_arn" "$etag")
report=$(printf '{"Bucket":"arn:aws:s3:::%s","Prefix":"%s","Format":"Report_CSV_20180820","Enabled":true,"ReportScope":"AllTasks"}' "$BUCKET" "$REPORT_PREFIX")
job_id=$(aws s3control create-job --region "$REGION" --account-id "$ACCOUNT" \
  --no-confirmation-required --priority 10 \
  --operation "$operation" --manifest "$manifest" --report "$report" \
  --role-arn "$ROLE_ARN" --client-request-token "$TOKEN" \
  --description "reprocess s3://$BUCKET/$PREFIX" --query JobId --output text) ||
  die "aws s3control create-job failed"
ok "job $job_id created"
printf '\nWatch it:\n'
printf '  aws s3control describe-job --region %s --account-id %s --job-id %s \\\n' "$REGION" "$ACCOUNT" "$job_id"
printf '    --query "Job.[Status,ProgressSummary]"\n'
printf '  aws s3 ls --recursive s3://%s/%s/   # the completion report, when the job ends\n' "$BUCKET" "$REPORT_PREFIX"
printf 'Stop it (disabling the uploads queue'"'"'s mapping does not):\n'
printf '  aws s3control update-job-status --region %s --account-id %s --job-id %s \\\n' "$REGION" "$ACCOUNT" "$job_id"
printf '    --requested-job-status Cancelled\n'

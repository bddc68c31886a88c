#!/usr/bin/env bats
# destroy.sh's two guards, driven as a user meets them: the environment name
# typed at a terminal (any other answer aborts, and nothing is deleted), and
# the refusal of --delete-audit-logs when the trail's files are under
# COMPLIANCE retention. Each refusal has a control that gets past the guard,
# so that a guard that refuses everything fails too.

load helpers
bats_require_minimum_version 1.5.0

# fake_state FILE LOCK-MODE: a deployed stack of one bucket, environment
# 'local', with the audit bucket and its Object Lock as outputs.
fake_state() {
  cat >"$1" <<JSON
{
  "version": 4, "terraform_version": "1.11.4", "serial": 1, "lineage": "bats",
  "outputs": {
    "environment": {"value": "local", "type": "string"},
    "s3_bucket_name": {"value": "guards-images", "type": "string"},
    "logs_bucket_name": {"value": "guards-logs", "type": "string"},
    "audit_bucket_name": {"value": "guards-audit", "type": "string"},
    "audit_log_object_lock": {"value": {"mode": "$2", "days": 365}, "type": ["object", {"mode": "string", "days": "number"}]},
    "kms_deletion_window_days": {"value": 7, "type": "number"}
  },
  "resources": [
    {"mode": "managed", "type": "aws_s3_bucket", "name": "this",
     "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
     "instances": [{"schema_version": 0, "attributes": {"id": "guards-images", "bucket": "guards-images"}}]}
  ]
}
JSON
}

# One scratch copy and one local AWS for the file; each test writes its state.
setup_file() {
  repo="$BATS_FILE_TMPDIR/repo"
  mkdir -p "$repo"
  (cd "$REPO_ROOT" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$repo")
  ln -s "$REPO_ROOT/.venv" "$repo/.venv"
  port=$(free_port)
  LOCAL_AWS_PORT=$port "$repo/scripts/local_aws.sh" start >/dev/null
  # The guards come before terraform destroy: a terraform that runs all
  # but `destroy` (which would only delete the fake state's bucket) saves
  # the controls a minute each.
  terraform_without_destroy "$BATS_FILE_TMPDIR/bin"
  export repo port
}

teardown_file() {
  LOCAL_AWS_PORT=$port "$repo/scripts/local_aws.sh" stop >/dev/null 2>&1 || true
}

# deployed LOCK-MODE: that state, and the images bucket with one object (what a
# confirmed destroy empties first).
deployed() {
  fake_state "$repo/.local-aws/terraform.tfstate" "$1"
  AWS_ENDPOINT_URL="http://127.0.0.1:$port" "$PY" - <<'PY'
import boto3
s3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id="local", aws_secret_access_key="local")
try:
    s3.create_bucket(Bucket="guards-images")
except s3.exceptions.BucketAlreadyOwnedByYou:
    pass
s3.put_object(Bucket="guards-images", Key="uploads/kept.png", Body=b"x")
PY
}

# objects: the keys left in the images bucket.
objects() {
  AWS_ENDPOINT_URL="http://127.0.0.1:$port" "$PY" -c '
import boto3
s3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id="local", aws_secret_access_key="local")
print(" ".join(o["Key"] for o in s3.list_objects_v2(Bucket="guards-images").get("Contents", [])))'
}

# at_a_terminal ANSWER COMMAND...: COMMAND (with the test's PATH and port)
# with a terminal as stdin (script(1) gives it one), ANSWER typed at its prompt.
at_a_terminal() {
  local answer=$1 command
  shift
  printf -v command '%q ' env PATH="$BATS_FILE_TMPDIR/bin:$PATH" LOCAL_AWS_PORT="$port" "$@"
  printf '%s\n' "$answer" | script -qec "$command" /dev/null
}

# destroy ARGS...: destroy.sh of the scratch copy, on its local AWS.
destroy() { env PATH="$BATS_FILE_TMPDIR/bin:$PATH" LOCAL_AWS_PORT="$port" "$repo/scripts/destroy.sh" --local "$@"; }

@test "destroy aborts on a wrongly typed environment name and deletes nothing" {
  deployed GOVERNANCE
  before=$(sha256sum "$repo/.local-aws/terraform.tfstate")

  run at_a_terminal "prod" "$repo/scripts/destroy.sh" --local

  [ "$status" -eq 1 ]
  [[ $output == *"Type the environment name (local) to confirm"* ]]
  [[ $output == *"not destroyed (you typed 'prod')"* ]]
  [[ $output != *"Emptying the buckets"* ]]
  [ "$(objects)" = "uploads/kept.png" ]
  [ "$(sha256sum "$repo/.local-aws/terraform.tfstate")" = "$before" ]
}

# bats test_tags=local-aws
@test "destroy goes on when the environment name is typed (the control of the test above)" {
  deployed GOVERNANCE

  run at_a_terminal "local" "$repo/scripts/destroy.sh" --local

  [[ $output == *"Type the environment name (local) to confirm"* ]]
  [[ $output == *"Emptying the buckets"* ]]
  [ "$(objects)" = "" ]
}

@test "destroy --delete-audit-logs refuses when the audit logs are under COMPLIANCE retention" {
  deployed COMPLIANCE

  run destroy --yes --delete-audit-logs

  [ "$status" -eq 1 ]
  [[ $output == *"the audit logs are under COMPLIANCE retention"* ]]
  [[ $output != *"Emptying the buckets"* ]]
  [ "$(objects)" = "uploads/kept.png" ]
}

# bats test_tags=local-aws
@test "under COMPLIANCE retention, the command refused, run as the error says (without --delete-audit-logs), goes on" {
  deployed COMPLIANCE
  run --separate-stderr destroy --yes --delete-audit-logs
  [ "$status" -eq 1 ]
  [[ $stderr == *"; run without --delete-audit-logs" ]] || { echo "$stderr"; return 1; }

  # The same command without the option, in a fresh shell at the repository root
  # (with the test's terraform, which skips only 'destroy').
  run env -i HOME="$HOME" PATH="$BATS_FILE_TMPDIR/bin:/usr/local/bin:/usr/bin:/bin" NO_COLOR=1 \
    bash -c "cd $(printf '%q' "$repo") && LOCAL_AWS_PORT=$port ./scripts/destroy.sh --local --yes" </dev/null

  [ "$status" -eq 0 ] || { echo "$output"; return 1; }
  [[ $output != *"COMPLIANCE retention: no one"* && $output == *"Emptying the buckets"* ]] || { echo "$output"; return 1; }
  [ "$(objects)" = "" ]
}

@test "destroy --delete-audit-logs goes on under GOVERNANCE retention (the control of the test above)" {
  deployed GOVERNANCE

  run destroy --yes --delete-audit-logs

  [[ $output != *"COMPLIANCE"* ]]
  [[ $output == *"Emptying the buckets"* ]]
  [ "$(objects)" = "" ]
}

#!/usr/bin/env bats
# destroy.sh asks before it deletes and counts what it deletes; the local AWS
# starts, answers and stops cleanly, and says the truth about its port. The
# tests of destroy tagged local-aws share one local AWS, emptied for each.

load helpers
bats_require_minimum_version 1.5.0

# A state that says two resources are deployed (and one data source was read),
# with the outputs destroy reads.
fake_state() {
  mkdir -p "$(dirname "$1")"
  cat >"$1" <<'JSON'
{
  "version": 4, "terraform_version": "1.11.4", "serial": 1, "lineage": "bats",
  "outputs": {
    "environment": {"value": "local", "type": "string"},
    "s3_bucket_name": {"value": "image-processor-local-images-123456789012", "type": "string"},
    "logs_bucket_name": {"value": "image-processor-local-logs-123456789012", "type": "string"},
    "kms_deletion_window_days": {"value": 7, "type": "number"}
  },
  "resources": [
    {"mode": "data", "type": "aws_caller_identity", "name": "current",
     "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
     "instances": [{"schema_version": 0, "attributes": {"id": "123456789012", "account_id": "123456789012"}}]},
    {"mode": "managed", "type": "aws_s3_bucket", "name": "this",
     "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
     "instances": [{"schema_version": 0, "attributes": {"id": "image-processor-local-images-123456789012", "bucket": "image-processor-local-images-123456789012"}}]},
    {"mode": "managed", "type": "aws_s3_bucket", "name": "logs",
     "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
     "instances": [{"schema_version": 0, "attributes": {"id": "image-processor-local-logs-123456789012", "bucket": "image-processor-local-logs-123456789012"}}]}
  ]
}
JSON
}

teardown() {
  # Stop a local AWS a test started, whatever happened in the test.
  [[ -n ${repo:-} && -n ${port:-} ]] || return 0
  LOCAL_AWS_PORT=$port "$repo/scripts/local_aws.sh" stop >/dev/null 2>&1 || true
  LOCAL_AWS_DIR="$repo/.local-aws/other" LOCAL_AWS_PORT=$port "$repo/scripts/local_aws.sh" stop >/dev/null 2>&1 || true
}

# The tests of destroy tagged local-aws share one local AWS (shared_local_aws),
# so they never run side by side.
setup_file() { export BATS_NO_PARALLELIZE_WITHIN_FILE=true; }
teardown_file() { stop_shared_local_aws; }

# failing_terraform DIR: DIR/terraform, which only fails, loudly: first on
# PATH, it shows that a destroy ran no terraform (an init alone takes 2 s of CPU).
failing_terraform() {
  mkdir -p "$1"
  printf '#!/bin/sh\necho "terraform $* was run" >&2\nexit 97\n' >"$1/terraform"
  chmod +x "$1/terraform"
}

# bats test_tags=local-aws
@test "destroy refuses without confirmation when stdin is not a terminal, and counts managed resources only" {
  repo=$(copy_repo)
  shared_local_aws
  fake_state "$repo/.local-aws/terraform.tfstate"
  before=$(sha256sum "$repo/.local-aws/terraform.tfstate")
  failing_terraform "$BATS_TEST_TMPDIR/bin"

  run env PATH="$BATS_TEST_TMPDIR/bin:$PATH" LOCAL_AWS_PORT="$port" "$repo/scripts/destroy.sh" --local </dev/null

  [ "$status" -eq 1 ]
  [[ $output == *"refusing to destroy without confirmation"* ]]
  [[ $output != *"was run"* ]] || { echo "$output"; return 1; } # the state read without terraform
  # Two managed resources; the data source is read, never destroyed.
  [[ $output == *" 2 resources in environment 'local'"* ]]
  [ "$(sha256sum "$repo/.local-aws/terraform.tfstate")" = "$before" ]
}

# bats test_tags=local-aws
@test "destroy empties the code bucket of a stack with code signing (its packages would block the bucket's deletion)" {
  repo=$(copy_repo)
  shared_local_aws
  fake_state "$repo/.local-aws/terraform.tfstate"
  code=image-processor-local-code-123456789012
  # The state names the code bucket in its outputs; the bucket holds two package versions.
  "$PY" - "$repo/.local-aws/terraform.tfstate" "$code" <<'PY'
import json, sys
path, code = sys.argv[1:]
state = json.load(open(path))
state["outputs"]["code_bucket_name"] = {"value": code, "type": "string"}
json.dump(state, open(path, "w"))
PY
  AWS_ENDPOINT_URL="http://127.0.0.1:$port" "$PY" - "$code" <<'PY'
import sys
import boto3
s3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id="local", aws_secret_access_key="local")
for bucket in ("image-processor-local-images-123456789012", "image-processor-local-logs-123456789012", sys.argv[1]):
    s3.create_bucket(Bucket=bucket)
s3.put_bucket_versioning(Bucket=sys.argv[1], VersioningConfiguration={"Status": "Enabled"})
for body in (b"build 1", b"build 2"):
    s3.put_object(Bucket=sys.argv[1], Key="unsigned/lambda.zip", Body=body)
PY

  # (What terraform destroy would delete is the fake state's; the code bucket is not in it.)
  terraform_without_destroy "$BATS_TEST_TMPDIR/bin"

  run env PATH="$BATS_TEST_TMPDIR/bin:$PATH" LOCAL_AWS_PORT="$port" "$repo/scripts/destroy.sh" --local --yes

  [ "$status" -eq 0 ] || { echo "$output"; return 1; }
  left=$(AWS_ENDPOINT_URL="http://127.0.0.1:$port" "$PY" - "$code" <<'PY'
import sys
import boto3
s3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id="local", aws_secret_access_key="local")
print(len(s3.list_object_versions(Bucket=sys.argv[1]).get("Versions", [])))
PY
)
  [ "$left" -eq 0 ]
}

# bats test_tags=local-aws
@test "destroy turns off the deletion protection of a local stack's table, which the local profile keeps on, and deletes it" {
  repo=$(copy_repo)
  shared_local_aws
  fake_state "$repo/.local-aws/terraform.tfstate"
  table=image-processor-local-uploads
  # The state holds the table, protected, as deploy.sh --local leaves it.
  "$PY" - "$repo/.local-aws/terraform.tfstate" "$table" <<'PY'
import json, sys
path, table = sys.argv[1:]
state = json.load(open(path))
state["resources"].append({
    "module": "module.pipeline", "mode": "managed", "type": "aws_dynamodb_table", "name": "this",
    "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
    "instances": [{"schema_version": 1, "attributes": {
        "id": table, "name": table, "hash_key": "object_key", "billing_mode": "PAY_PER_REQUEST",
        "deletion_protection_enabled": True,
        "arn": f"arn:aws:dynamodb:us-east-1:123456789012:table/{table}"}}],
})
json.dump(state, open(path, "w"))
PY
  AWS_ENDPOINT_URL="http://127.0.0.1:$port" "$PY" - "$table" <<'PY'
import sys
import boto3
s3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id="local", aws_secret_access_key="local")
for bucket in ("image-processor-local-images-123456789012", "image-processor-local-logs-123456789012"):
    s3.create_bucket(Bucket=bucket)
boto3.client("dynamodb", region_name="us-east-1", aws_access_key_id="local", aws_secret_access_key="local").create_table(
    TableName=sys.argv[1], BillingMode="PAY_PER_REQUEST", DeletionProtectionEnabled=True,
    AttributeDefinitions=[{"AttributeName": "object_key", "AttributeType": "S"}],
    KeySchema=[{"AttributeName": "object_key", "KeyType": "HASH"}])
PY

  run env LOCAL_AWS_PORT="$port" "$repo/scripts/destroy.sh" --local --yes

  [ "$status" -eq 0 ] || { echo "$output"; return 1; }
  [[ $output == *"table $table: deletion protection turned off (local AWS only)"* ]]
  left=$(AWS_ENDPOINT_URL="http://127.0.0.1:$port" "$PY" - <<'PY'
import boto3
print(len(boto3.client("dynamodb", region_name="us-east-1", aws_access_key_id="local", aws_secret_access_key="local").list_tables()["TableNames"]))
PY
)
  [ "$left" -eq 0 ]
}

@test "destroy with nothing deployed says so and succeeds (safe to run twice), without running terraform" {
  repo=$(copy_repo)
  failing_terraform "$BATS_TEST_TMPDIR/bin"

  run env PATH="$BATS_TEST_TMPDIR/bin:$PATH" "$repo/scripts/destroy.sh" --local --yes

  [ "$status" -eq 0 ] || { echo "$output"; return 1; }
  [[ $output == *"Nothing to destroy"* ]]
}

@test "the local AWS starts once, answers, and stops exactly its own process" {
  repo=$(copy_repo)
  port=$(free_port)

  run env LOCAL_AWS_PORT="$port" "$repo/scripts/local_aws.sh" start
  [ "$status" -eq 0 ]
  pid=$(cat "$repo/.local-aws/moto.pid")
  [ "$(http_status "http://127.0.0.1:$port/moto-api/config")" -lt 300 ]

  run env LOCAL_AWS_PORT="$port" "$repo/scripts/local_aws.sh" start
  [[ $output == *"already running (pid $pid)"* ]]

  run env LOCAL_AWS_PORT="$port" "$repo/scripts/local_aws.sh" stop
  [ "$status" -eq 0 ]
  run kill -0 "$pid"
  [ "$status" -ne 0 ]
  [ ! -e "$repo/.local-aws/moto.pid" ]
  run env LOCAL_AWS_PORT="$port" "$repo/scripts/local_aws.sh" status
  [ "$status" -eq 1 ]
}

@test "two starts on one port at once: one server binds it, and the other start fails instead of taking that server's answers for its own" {
  repo=$(copy_repo)
  port=$(free_port)
  # Both find the port free (a server takes a second to bind it); one server
  # binds it, the other exits. Taken for its own, the winner's answers sent a
  # second stack to the same AWS (CI: a kept alias made a deploy fail).
  LOCAL_AWS_PORT=$port "$repo/scripts/local_aws.sh" start >"$BATS_TEST_TMPDIR/one.out" 2>&1 &
  one=$!
  LOCAL_AWS_DIR="$repo/.local-aws/other" LOCAL_AWS_PORT=$port "$repo/scripts/local_aws.sh" start >"$BATS_TEST_TMPDIR/other.out" 2>&1 &
  other=$!
  one_rc=0 other_rc=0
  wait "$one" || one_rc=$?
  wait "$other" || other_rc=$?

  if ((one_rc == 0)); then
    winner=$repo/.local-aws loser=other loser_rc=$other_rc
  else
    winner=$repo/.local-aws/other loser=one loser_rc=$one_rc
  fi
  [ "$loser_rc" -eq 1 ] || { cat "$BATS_TEST_TMPDIR"/*.out; return 1; }
  grep -q "error: the local AWS exited during start-up" "$BATS_TEST_TMPDIR/$loser.out"
  grep -q "Address already in use" "$BATS_TEST_TMPDIR/$loser.out"
  # What answers on the port is the winner's server: stopped, nothing answers.
  LOCAL_AWS_DIR="$winner" LOCAL_AWS_PORT=$port "$repo/scripts/local_aws.sh" stop >/dev/null
  run "$PY" -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)' "$port"
  [ "$status" -ne 0 ]
}

@test "start waits for a server whose process has not run setsid yet, instead of taking it for one that exited" {
  repo=$(copy_repo)
  port=$(free_port)
  # A log nobody reads yet (a FIFO): the server's process waits to open it,
  # before it runs setsid, as a loaded machine can make it wait; then it is read.
  mkdir -p "$repo/.local-aws"
  mkfifo "$repo/.local-aws/moto.log"
  LOCAL_AWS_PORT=$port timeout 40 "$repo/scripts/local_aws.sh" start >"$BATS_TEST_TMPDIR/start.out" 2>&1 3>&- &
  starter=$!
  sleep 2
  cat "$repo/.local-aws/moto.log" >/dev/null 3>&- &
  rc=0
  wait "$starter" || rc=$?

  [ "$rc" -eq 0 ] || { echo "exit $rc"; cat "$BATS_TEST_TMPDIR/start.out"; return 1; }
  run env LOCAL_AWS_PORT="$port" "$repo/scripts/local_aws.sh" status
  [ "$status" -eq 0 ]
}

@test "the local AWS still counts as running once a Lambda function exists" {
  repo=$(copy_repo)
  port=$(free_port)
  LOCAL_AWS_PORT=$port "$repo/scripts/local_aws.sh" start >/dev/null
  create_lambda "$port"
  # (moto's state dump, which the old health check fetched, answered HTTP 500
  # here before scripts/local/moto_server.py section 6; the check no longer uses it.)

  run env LOCAL_AWS_PORT="$port" "$repo/scripts/local_aws.sh" status
  [ "$status" -eq 0 ]
  [[ $output == *"local AWS running"* ]]
  # (deploy's preflight uses the same check: security_scan.bats deploys past it.)
}

@test "status on a port where nothing listens says not running" {
  repo=$(copy_repo)
  port=$(free_port)
  other=$(free_port)
  LOCAL_AWS_PORT=$port "$repo/scripts/local_aws.sh" start >/dev/null

  run "$repo/scripts/local_aws.sh" status --port "$other"

  [ "$status" -eq 1 ]
  [[ $output == *"not running on port $other"* ]]
  [[ $output != *"local AWS running"* ]]
}

@test "start --port without a value prints the usage and exits 2" {
  run --separate-stderr "$REPO_ROOT/scripts/local_aws.sh" start --port

  [ "$status" -eq 2 ]
  [[ $stderr == *"--port needs a value"* ]]
  [[ $stderr == *"Usage:"* ]]
}

@test "env unsets a TF_CLI_CONFIG_FILE that names a missing file (terraform would warn on every command)" {
  run env TF_CLI_CONFIG_FILE="$BATS_TEST_TMPDIR/missing.tfrc" "$REPO_ROOT/scripts/local_aws.sh" env --port 5701
  [ "$status" -eq 0 ]
  [[ $output == *"export AWS_ENDPOINT_URL=http://127.0.0.1:5701"* ]]
  [[ $output == *"unset TF_CLI_CONFIG_FILE"* ]]

  touch "$BATS_TEST_TMPDIR/present.tfrc"
  run env TF_CLI_CONFIG_FILE="$BATS_TEST_TMPDIR/present.tfrc" "$REPO_ROOT/scripts/local_aws.sh" env --port 5701
  [[ $output != *"TF_CLI_CONFIG_FILE"* ]]
}

@test "after env's exports, aws is the pinned CLI of .venv, whatever aws PATH had first, and a second eval adds nothing" {
  mkdir -p "$BATS_TEST_TMPDIR/other"
  printf '#!/bin/sh\necho another aws\n' >"$BATS_TEST_TMPDIR/other/aws"
  chmod +x "$BATS_TEST_TMPDIR/other/aws"

  # shellcheck disable=SC2016 # the inner shell expands them
  run env -i HOME="$HOME" PATH="$BATS_TEST_TMPDIR/other:/usr/bin:/bin" bash -c '
    eval "$("$0" env --port 5701)" && eval "$("$0" env --port 5701)" &&
      command -v aws && aws --version && echo "$PATH"' "$REPO_ROOT/scripts/local_aws.sh"

  [ "$status" -eq 0 ] || { echo "$output"; return 1; }
  [ "${lines[0]}" = "$REPO_ROOT/.venv/bin/aws" ]
  pin=$(sed -n 's/^awscli==//p' "$REPO_ROOT/requirements-dev.txt")
  [[ ${lines[1]} == "aws-cli/$pin "* ]] || { echo "$output"; return 1; }
  [ "${lines[2]}" = "$REPO_ROOT/.venv/bin:$BATS_TEST_TMPDIR/other:/usr/bin:/bin" ]
}

@test "destroy and deploy on the default port name the port the local AWS of the stack runs on" {
  repo=$(copy_repo)
  port=$(free_port)
  LOCAL_AWS_PORT=$port "$repo/scripts/local_aws.sh" start >/dev/null
  fake_state "$repo/.local-aws/terraform.tfstate"
  other=$(free_port)

  run --separate-stderr env LOCAL_AWS_PORT="$other" "$repo/scripts/destroy.sh" --local --yes
  [ "$status" -eq 1 ]
  [[ $stderr == *"not running at http://127.0.0.1:$other; the local AWS of .local-aws/ runs on port $port: run with LOCAL_AWS_PORT=$port"* ]] ||
    { echo "$stderr"; return 1; }

  run --separate-stderr env LOCAL_AWS_PORT="$other" "$repo/scripts/deploy.sh" --local --auto-approve
  [ "$status" -eq 1 ]
  [[ $stderr == *"the local AWS of .local-aws/ runs on port $port: run with LOCAL_AWS_PORT=$port"* ]] ||
    { echo "$stderr"; return 1; }
}

# s3 PORT PYTHON...: boto3's S3 client on the local AWS at PORT as `s3`, then the code.
s3_on() {
  local port=$1
  shift
  AWS_ENDPOINT_URL="http://127.0.0.1:$port" "$PY" -c "
import boto3
s3 = boto3.client('s3', region_name='us-east-1', aws_access_key_id='local', aws_secret_access_key='local')
$*"
}

# bats test_tags=local-aws
@test "a state without outputs (a deploy stopped mid-apply) is destroyed, in clear lines, not trap lines" {
  repo=$(copy_repo)
  shared_local_aws
  fake_state "$repo/.local-aws/terraform.tfstate"
  # The apply stopped before any output was written: the buckets are in the
  # state as resources of their modules only, and the images bucket holds an upload.
  "$PY" - "$repo/.local-aws/terraform.tfstate" <<'PY'
import json, sys
state = json.load(open(sys.argv[1]))
state["outputs"] = {}
for resource, module in zip(state["resources"][1:], ("module.pipeline.module.images_bucket",
                                                     'module.account_baseline.module.logs_bucket["this"]')):
    resource["module"], resource["name"] = module, "this"
json.dump(state, open(sys.argv[1], "w"))
PY
  s3_on "$port" "
for b in ('image-processor-local-images-123456789012', 'image-processor-local-logs-123456789012'):
    s3.create_bucket(Bucket=b)
s3.put_object(Bucket='image-processor-local-images-123456789012', Key='uploads/a.png', Body=b'x')"

  run --separate-stderr env LOCAL_AWS_PORT="$port" "$repo/scripts/destroy.sh" --local --yes

  [ "$status" -eq 0 ] || { echo "$output" "$stderr"; return 1; }
  [[ $output == *"2 resources in environment 'local'"* ]]
  [[ $output == *"no outputs in the state"* ]]
  # The logs bucket's one resource is taken out of the state (terraform state rm), not destroyed.
  [[ $output == *"image-processor-local-logs-123456789012: kept (0 object version(s); 1 resources left out of the destroy)"* ]] ||
    { echo "$output"; return 1; }
  [[ $output == *"terraform destroy (1 resources)"* ]] || { echo "$output"; return 1; }
  [[ $stderr != *'" failed (line'* ]] || { echo "$stderr"; return 1; }
  # The images bucket is gone; the logs bucket is kept (out of the state) as always.
  left=$(s3_on "$port" "print(' '.join(sorted(b['Name'] for b in s3.list_buckets()['Buckets'])))")
  [ "$left" = "image-processor-local-logs-123456789012" ] || { echo "left: $left"; return 1; }
  [ ! -e "$repo/terraform/terraform.tfstate.backup" ]
  run find "$repo/terraform" -maxdepth 1 -name '*.backup'
  [ -z "$output" ] || { echo "backups in terraform/: $output"; return 1; }
}

# bats test_tags=local-aws
@test "with nothing in the state, destroy names the kept audit-log buckets, and its hint deletes them as printed" {
  repo=$(copy_repo)
  shared_local_aws
  # What a destroy keeps: the logs bucket and the audit bucket (Object Lock,
  # GOVERNANCE), both out of the state, found by their fixed names.
  s3_on "$port" "
s3.create_bucket(Bucket='image-processor-local-logs-123456789012')
s3.create_bucket(Bucket='image-processor-local-audit-123456789012', ObjectLockEnabledForBucket=True)
s3.put_object_lock_configuration(Bucket='image-processor-local-audit-123456789012', ObjectLockConfiguration={
    'ObjectLockEnabled': 'Enabled', 'Rule': {'DefaultRetention': {'Mode': 'GOVERNANCE', 'Days': 1}}})
s3.put_object(Bucket='image-processor-local-audit-123456789012', Key='cloudtrail/a.json.gz', Body=b'x')"

  run env LOCAL_AWS_PORT="$port" "$repo/scripts/destroy.sh" --local --yes

  [ "$status" -eq 0 ]
  [[ $output == *"Nothing to destroy"* ]]
  [[ $output == *"s3://image-processor-local-logs-123456789012 s3://image-processor-local-audit-123456789012"* ]]
  hint=$(sed -n 's/^ *To delete them now: \(.*\) (needs .*/\1/p' <<<"$output")
  [ "$hint" = "LOCAL_AWS_PORT=$port ./scripts/destroy.sh --local --delete-audit-logs" ] || { echo "$output"; return 1; }

  # Without a terminal it refuses and names --yes; the hint with it, in a
  # fresh shell without a terminal, goes on.
  run env -i HOME="$HOME" PATH="/usr/local/bin:/usr/bin:/bin" bash -c "cd $(printf '%q' "$repo") && $hint" </dev/null
  [ "$status" -eq 1 ]
  [[ $output == *"refusing to delete without confirmation: stdin is not a terminal (use --yes)"* ]] || { echo "$output"; return 1; }
  run env -i HOME="$HOME" PATH="/usr/local/bin:/usr/bin:/bin" bash -c "cd $(printf '%q' "$repo") && $hint --yes" </dev/null
  [ "$status" -eq 0 ] || { echo "$output"; return 1; }
  [ "$(s3_on "$port" "print(len(s3.list_buckets()['Buckets']))")" -eq 0 ]

  # Kept again: the hint as printed, in a fresh shell at a terminal, answering its question.
  s3_on "$port" "
s3.create_bucket(Bucket='image-processor-local-logs-123456789012')
s3.create_bucket(Bucket='image-processor-local-audit-123456789012', ObjectLockEnabledForBucket=True)"
  run_in_fresh_shell "$repo" "$hint" "delete"

  [ "$status" -eq 0 ] || { echo "$output"; return 1; }
  left=$(s3_on "$port" "print(len(s3.list_buckets()['Buckets']))")
  [ "$left" -eq 0 ]
  run env LOCAL_AWS_PORT="$port" "$repo/scripts/destroy.sh" --local --yes
  [[ $output == *"Nothing to destroy"* && $output != *"Kept"* ]]
}

# aws_on PORT PYTHON...: boto3 clients on the local AWS at PORT, in the
# replica region (us-west-2, the local profile's audit_replica_region) as
# `s3w`, `kmsw`, and `iam`, then the code.
aws_on() {
  local port=$1
  shift
  AWS_ENDPOINT_URL="http://127.0.0.1:$port" "$PY" -c "
import boto3
kw = dict(aws_access_key_id='local', aws_secret_access_key='local')
s3w = boto3.client('s3', region_name='us-west-2', **kw)
kmsw = boto3.client('kms', region_name='us-west-2', **kw)
iam = boto3.client('iam', region_name='us-east-1', **kw)
$*"
}

# bats test_tags=local-aws
@test "with nothing in the state, destroy names the kept audit replica and its cost, and --delete-audit-logs removes it" {
  repo=$(copy_repo)
  shared_local_aws
  # What a destroy keeps with enable_audit_replication: the replica's two
  # buckets (Object Lock, GOVERNANCE) in us-west-2, its key and alias there,
  # and the replication role with its inline policy.
  aws_on "$port" "
for b in ('image-processor-local-audit-replica-123456789012', 'image-processor-local-logs-replica-123456789012'):
    s3w.create_bucket(Bucket=b, ObjectLockEnabledForBucket=True, CreateBucketConfiguration={'LocationConstraint': 'us-west-2'})
    s3w.put_object_lock_configuration(Bucket=b, ObjectLockConfiguration={
        'ObjectLockEnabled': 'Enabled', 'Rule': {'DefaultRetention': {'Mode': 'GOVERNANCE', 'Days': 1}}})
    s3w.put_object(Bucket=b, Key='copy/a.json.gz', Body=b'x')
key = kmsw.create_key()['KeyMetadata']['KeyId']
kmsw.create_alias(AliasName='alias/image-processor-local-audit-replica', TargetKeyId=key)
iam.create_role(RoleName='image-processor-local-audit-replication', AssumeRolePolicyDocument='{}')
iam.put_role_policy(RoleName='image-processor-local-audit-replication', PolicyName='replicate-audit-evidence',
                    PolicyDocument='{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"s3:GetObject\", \"Resource\": \"*\"}]}')"

  run env LOCAL_AWS_PORT="$port" "$repo/scripts/destroy.sh" --local --yes

  [ "$status" -eq 0 ] || { echo "$output"; return 1; }
  [[ $output == *"Nothing to destroy"* ]]
  [[ $output == *"audit replica in us-west-2: s3://image-processor-local-audit-replica-123456789012 s3://image-processor-local-logs-replica-123456789012 key alias/image-processor-local-audit-replica role image-processor-local-audit-replication"* ]] ||
    { echo "$output"; return 1; }
  [[ $output == *"its key costs USD 1 a month"* ]] || { echo "$output"; return 1; }
  hint=$(sed -n 's/^ *To delete them now: \(.*\) (needs .*/\1/p' <<<"$output")
  [ "$hint" = "LOCAL_AWS_PORT=$port ./scripts/destroy.sh --local --delete-audit-logs" ] || { echo "$output"; return 1; }
  [ "$(aws_on "$port" "print(len(s3w.list_buckets()['Buckets']))")" -eq 2 ]

  run env LOCAL_AWS_PORT="$port" "$repo/scripts/destroy.sh" --local --yes --delete-audit-logs

  [ "$status" -eq 0 ] || { echo "$output"; return 1; }
  left=$(aws_on "$port" "
keys = [k['KeyId'] for k in kmsw.list_keys()['Keys']]
print(len(s3w.list_buckets()['Buckets']), len(iam.list_roles()['Roles']),
      sorted({kmsw.describe_key(KeyId=k)['KeyMetadata']['KeyState'] for k in keys}),
      [a['AliasName'] for a in kmsw.list_aliases()['Aliases'] if 'audit-replica' in a['AliasName']])")
  [ "$left" = "0 0 ['PendingDeletion'] []" ] || { echo "left: $left"; echo "$output"; return 1; }
  [[ $output == *"scheduled for deletion in 7 days"* ]] || { echo "$output"; return 1; }
  run env LOCAL_AWS_PORT="$port" "$repo/scripts/destroy.sh" --local --yes
  [[ $output == *"Nothing to destroy"* && $output != *"Kept"* ]] || { echo "$output"; return 1; }
}

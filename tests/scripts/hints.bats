#!/usr/bin/env bats
# Every command a script prints for the user to type runs as printed, in a
# fresh shell at the repository root (the scripts' error and success paths;
# the hints that need a deployed stack are run by tests/e2e/test_recovery.py
# and tests/e2e/test_demo_loop.py). Where a hint's effect shows without a
# deployment, a stand-in takes the slow part: a terraform whose destroy or
# apply fails (the hint then runs with the real one, or with a fake one that
# keeps a state of its own), a Python 3.13 whose pip links the project's
# .venv instead of installing it.

load helpers
bats_require_minimum_version 1.5.0

teardown() {
  [[ -n ${repo:-} ]] || return 0
  for p in ${port:-} ${other:-}; do
    LOCAL_AWS_PORT=$p "$repo/scripts/local_aws.sh" stop >/dev/null 2>&1 || true
    LOCAL_AWS_DIR="$repo/.local-aws/demo" LOCAL_AWS_PORT=$p "$repo/scripts/local_aws.sh" stop >/dev/null 2>&1 || true
  done
}

# The tests that need an empty local AWS, not one of their own, share one
# (shared_local_aws), so they never run side by side.
setup_file() { export BATS_NO_PARALLELIZE_WITHIN_FILE=true; }
teardown_file() { stop_shared_local_aws; }

# quoted_hint TEXT: the command between the last pair of single quotes.
quoted_hint() { sed -n "s/.*'\([^']*\)'[^']*$/\1/p" <<<"$1" | tail -n 1; }

# gone_bucket_state FILE: a local state holding one bucket (long gone), so
# that destroy needs the local AWS and runs a real terraform destroy.
gone_bucket_state() {
  mkdir -p "$(dirname "$1")"
  cat >"$1" <<'JSON'
{"version": 4, "terraform_version": "1.11.4", "serial": 1, "lineage": "bats", "outputs": {},
 "resources": [{"mode": "managed", "type": "aws_s3_bucket", "name": "gone",
   "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
   "instances": [{"schema_version": 0, "attributes": {"id": "gone-bucket", "bucket": "gone-bucket"}}]}]}
JSON
}

# state_resources FILE: the managed resources a state holds (destroy's own count).
state_resources() { "$PY" "$REPO_ROOT/scripts/lib/terraform_progress.py" count-state <"$1"; }

@test "deploy --local without a local AWS prints the command that starts one on its port, and that command does" {
  repo=$(copy_repo)
  port=$(free_port)

  run --separate-stderr env LOCAL_AWS_PORT="$port" "$repo/scripts/deploy.sh" --local --auto-approve

  [ "$status" -eq 1 ]
  hint=$(quoted_hint "$stderr")
  [ "$hint" = "LOCAL_AWS_PORT=$port make local-up" ] || { echo "$stderr"; return 1; }
  run_in_fresh_shell "$repo" "$hint"
  [ "$status" -eq 0 ] || { echo "$output"; return 1; }
  run env LOCAL_AWS_PORT="$port" "$repo/scripts/local_aws.sh" status
  [ "$status" -eq 0 ]
}

@test "deploy --local of a stack in a directory of its own names the directory too, and that make local-up starts its local AWS" {
  repo=$(copy_repo)
  port=$(free_port)

  run --separate-stderr env LOCAL_AWS_DIR="$repo/.local-aws/mine" LOCAL_AWS_PORT="$port" "$repo/scripts/deploy.sh" --local --auto-approve

  [ "$status" -eq 1 ]
  hint=$(quoted_hint "$stderr")
  [ "$hint" = "LOCAL_AWS_DIR=.local-aws/mine LOCAL_AWS_PORT=$port make local-up" ] || { echo "$stderr"; return 1; }
  run_in_fresh_shell "$repo" "$hint"
  [ "$status" -eq 0 ] || { echo "$output"; return 1; }
  run env LOCAL_AWS_DIR="$repo/.local-aws/mine" LOCAL_AWS_PORT="$port" "$repo/scripts/local_aws.sh" status
  [ "$status" -eq 0 ]
  LOCAL_AWS_DIR="$repo/.local-aws/mine" "$repo/scripts/local_aws.sh" stop >/dev/null
}

# bats test_tags=local-aws
@test "a wrong port: destroy and deploy name the stack's port, and the same command with it gets past the check" {
  repo=$(copy_repo)
  port=$(free_port)
  other=$(free_port)
  LOCAL_AWS_PORT=$port "$repo/scripts/local_aws.sh" start >/dev/null
  gone_bucket_state "$repo/.local-aws/terraform.tfstate"

  run --separate-stderr env LOCAL_AWS_PORT="$other" "$repo/scripts/destroy.sh" --local --yes
  [ "$status" -eq 1 ]
  setting=$(sed -n 's/.*: run with \(LOCAL_AWS_PORT=[0-9]*\)$/\1/p' <<<"$stderr")
  [ "$setting" = "LOCAL_AWS_PORT=$port" ] || { echo "$stderr"; return 1; }

  run_in_fresh_shell "$repo" "$setting ./scripts/destroy.sh --local --yes"
  [ "$status" -eq 0 ] || { echo "$output"; return 1; }
  [[ $output == *"Destroy complete"* && $output != *"not running"* ]] || { echo "$output"; return 1; }
}

@test "local_aws.sh start on a port of its own while it runs elsewhere: its --port hint finds it" {
  repo=$(copy_repo)
  port=$(free_port)
  other=$(free_port)
  LOCAL_AWS_PORT=$port "$repo/scripts/local_aws.sh" start >/dev/null

  run --separate-stderr env LOCAL_AWS_PORT="$other" "$repo/scripts/local_aws.sh" start
  [ "$status" -eq 1 ]
  [[ $stderr == *"or use --port $port"* ]] || { echo "$stderr"; return 1; }

  run_in_fresh_shell "$repo" "scripts/local_aws.sh start --port $port"
  [ "$status" -eq 0 ]
  [[ $output == *"already running"*"127.0.0.1:$port"* ]] || { echo "$output"; return 1; }
}

@test "after the eval line of 'demo.sh --keep', the local commands follow the demo's port and state, not 5055" {
  repo=$(copy_repo)
  port=$(free_port)
  LOCAL_AWS_DIR="$repo/.local-aws/demo" LOCAL_AWS_PORT=$port "$repo/scripts/local_aws.sh" start >/dev/null
  # The line demo.sh --keep prints (scripts/demo.sh, cleanup), for this port.
  line=$(sed -n "s/.*info 'use it: *\(.*\)'\$/\1/p" "$repo/scripts/demo.sh" |
    sed -e "s/'\"\$SHOWN_DIR\"'/.local-aws\/demo/" -e "s/'\"\$LOCAL_AWS_PORT\"'/$port/")
  [ "$line" = "eval \"\$(LOCAL_AWS_DIR=.local-aws/demo scripts/local_aws.sh env --port $port)\"" ] || { echo "$line"; return 1; }

  # What make local-process's recipe reads (it sources scripts/lib/common.sh
  # as this probe does), and the scripts' own view.
  # shellcheck disable=SC2016 # make's $$, for the probe's recipe
  printf '%s\n' 'SHELL := /usr/bin/env bash' 'probe:' \
    '	@source scripts/lib/common.sh && echo "$$LOCAL_AWS_ENDPOINT $$LOCAL_AWS_DIR"' >"$BATS_TEST_TMPDIR/probe.mk"
  run_in_fresh_shell "$repo" "$line && make -s -f $BATS_TEST_TMPDIR/probe.mk probe && scripts/local_aws.sh status"
  [ "$status" -eq 0 ] || { echo "$output"; return 1; }
  [[ $output == *"http://127.0.0.1:$port $repo/.local-aws/demo"* ]] || { echo "$output"; return 1; }
  [[ $output == *"local AWS running"*"127.0.0.1:$port"* ]]
}

# bats test_tags=local-aws
@test "a failed terraform destroy says to run destroy again, and that command, as printed, destroys what the state holds" {
  repo=$(copy_repo)
  shared_local_aws
  gone_bucket_state "$repo/.local-aws/terraform.tfstate"
  # A terraform whose destroy fails (as an API error halfway does: its -json
  # diagnostic, as the real one words it); the rest is the real one.
  mkdir -p "$BATS_TEST_TMPDIR/bin"
  {
    printf '#!/bin/sh\nreal=%q\n' "$(command -v terraform)"
    cat <<'SH'
for a; do [ "$a" = destroy ] && {
  echo '{"@level":"info","@message":"Terraform 1.11.4","type":"version","terraform":"1.11.4","ui":"1.2"}'
  echo '{"@level":"error","@message":"Error: deleting S3 Bucket (gone-bucket): made by the test","type":"diagnostic","diagnostic":{"severity":"error","summary":"deleting S3 Bucket (gone-bucket): made by the test","detail":"","address":"aws_s3_bucket.gone"}}'
  exit 1
}; done
exec "$real" "$@"
SH
  } >"$BATS_TEST_TMPDIR/bin/terraform"
  chmod +x "$BATS_TEST_TMPDIR/bin/terraform"

  run --separate-stderr env PATH="$BATS_TEST_TMPDIR/bin:$PATH" LOCAL_AWS_PORT="$port" "$repo/scripts/destroy.sh" --local --yes
  [ "$status" -eq 1 ]
  [[ $stderr == *"Error: deleting S3 Bucket (gone-bucket): made by the test"$'\n'"  with aws_s3_bucket.gone,"* ]] || { echo "$stderr"; return 1; }
  [ "$(state_resources "$repo/.local-aws/terraform.tfstate")" -eq 1 ]
  hint=$(sed -n 's/.*terraform destroy failed; run \(.*\) again (it destroys what the state still holds)$/\1/p' <<<"$stderr")
  [ "$hint" = "LOCAL_AWS_PORT=$port ./scripts/destroy.sh --local" ] || { echo "$stderr"; return 1; }

  # As printed, in a fresh shell (the real terraform), typing the environment at its prompt.
  run_in_fresh_shell "$repo" "$hint" "local"

  [ "$status" -eq 0 ] || { echo "$output"; return 1; }
  [[ $output == *"Type the environment name (local)"*"Destroy complete"* ]] || { echo "$output"; return 1; }
  [ "$(state_resources "$repo/.local-aws/terraform.tfstate")" -eq 0 ]
}

# bats test_tags=local-aws
@test "demo.sh while a kept demo runs names 'scripts/demo.sh --down', and that command, as printed, removes the demo" {
  repo=$(copy_repo)
  port=$(free_port)
  # What 'demo.sh --keep' leaves: the demo's local AWS on a port of its own
  # (.local-aws/demo/moto.port) and the demo's state.
  LOCAL_AWS_DIR="$repo/.local-aws/demo" LOCAL_AWS_PORT=$port "$repo/scripts/local_aws.sh" start >/dev/null
  gone_bucket_state "$repo/.local-aws/demo/terraform.tfstate"

  run --separate-stderr "$repo/scripts/demo.sh"
  [ "$status" -eq 1 ]
  [[ $output != *"make demo:"* ]] || { echo "$output"; return 1; } # refused before starting anything
  hint=$(quoted_hint "$stderr")
  [ "$hint" = "scripts/demo.sh --down" ] || { echo "$stderr"; return 1; }

  run_in_fresh_shell "$repo" "$hint"

  [ "$status" -eq 0 ] || { echo "$output"; return 1; }
  [[ $output == *"Destroy complete"*"local AWS stopped"* ]] || { echo "$output"; return 1; }
  [ "$(state_resources "$repo/.local-aws/demo/terraform.tfstate")" -eq 0 ]
  run env LOCAL_AWS_DIR="$repo/.local-aws/demo" LOCAL_AWS_PORT="$port" "$repo/scripts/local_aws.sh" status
  [ "$status" -eq 1 ]
  # The demo may run again: nothing kept is in its way.
  run_in_fresh_shell "$repo" "$hint"
  [[ $output == *"no demo is running (.local-aws/demo)"* ]] || { echo "$output"; return 1; }
}

# fake_terraform FILE STATE-DIR: a terraform for deploy.sh with a deployment
# of its own, STATE-DIR/state (absent, half or complete): plan adds what is
# not applied yet (and fails while STATE-DIR/plan-cause exists), and apply
# fails while STATE-DIR/cause exists (leaving a half state, as a failed real
# apply does) or completes it. With -json (deploy --quiet) it prints the
# messages of Terraform's machine-readable UI as Terraform 1.11.4 words them
# (tests/fixtures/terraform_ui/), else its human text. The scan's calls (fmt,
# validate) go to the stub scanner; every call is logged, with the endpoint
# and the Terraform data directory it ran with, in STATE-DIR/calls.
fake_terraform() {
  mkdir -p "$2/scanner"
  ln -sfn "$REPO_ROOT/tests/fixtures/stub_scanner" "$2/scanner/terraform"
  {
    printf '#!/usr/bin/env bash\nset -euo pipefail\ndir=%q\n' "$2"
    cat <<'SH'
printf '%s\n' "AWS_ENDPOINT_URL=${AWS_ENDPOINT_URL:-} TF_DATA_DIR=${TF_DATA_DIR:-} $*" >>"$dir/calls"
state=$(cat "$dir/state" 2>/dev/null || echo absent)
json=0
for a; do [[ $a == -json ]] && json=1; done
# say TYPE MESSAGE [JSON-FIELDS]: one message, as -json prints it, or its text.
say() {
  if ((json)); then printf '{"@level":"%s","@message":"%s","type":"%s"%s}\n' "${level:-info}" "$2" "$1" "${3:+,$3}"
  else printf '%s\n' "$2"; fi
}
hook() { printf '"hook":{"resource":{"addr":"%s"},"action":"create"}' "$1"; }
table=aws_dynamodb_table.uploads
[[ $1 == -chdir=* ]] && shift
case $1 in
  version) echo "Terraform v1.11.4" ;;
  fmt | validate) exec "$dir/scanner/terraform" "$@" ;;
  init) echo "Terraform has been successfully initialized!" ;;
  plan)
    for a; do [[ $a == -out=* ]] && : >"${a#-out=}"; done
    say version "Terraform 1.11.4" '"terraform":"1.11.4","ui":"1.2"'
    if [[ -e $dir/plan-cause ]]; then
      level=error say diagnostic "Error: Invalid value for variable" \
        '"diagnostic":{"severity":"error","summary":"Invalid value for variable","detail":"made by the test","range":{"filename":"variables.tf","start":{"line":3}}}'
      exit 1
    fi
    case $state in
      complete) say change_summary "No changes. Your infrastructure matches the configuration."; exit 0 ;;
      half) add=1 ;;
      *) add=2 ;;
    esac
    say change_summary "Plan: $add to add, 0 to change, 0 to destroy." "\"changes\":{\"add\":$add,\"change\":0,\"import\":0,\"remove\":0,\"operation\":\"plan\"}"
    exit 2
    ;;
  show)
    if ((json)); then echo '{"resource_changes": []}'; else echo "Terraform will perform the following actions:"; fi ;;
  apply)
    if [[ $state == absent ]]; then
      say apply_start "aws_kms_key.this: Creating..." "$(hook aws_kms_key.this)"
      say apply_complete "aws_kms_key.this: Creation complete after 1s [id=k]" "$(hook aws_kms_key.this)"
    fi
    say apply_start "$table: Creating..." "$(hook $table)"
    if [[ -e $dir/cause ]]; then
      echo half >"$dir/state"
      say apply_errored "$table: Creation errored after 1s" "$(hook $table)"
      level=error say diagnostic "Error: creating DynamoDB Table (image-processor-local-uploads): ResourceInUseException (made by the test)" \
        "\"diagnostic\":{\"severity\":\"error\",\"summary\":\"creating DynamoDB Table\",\"detail\":\"\",\"address\":\"$table\"}"
      exit 1
    fi
    echo complete >"$dir/state"
    say apply_complete "$table: Creation complete after 1s [id=t]" "$(hook $table)"
    say change_summary "Apply complete! Resources: 1 added, 0 changed, 0 destroyed." '"changes":{"add":1,"change":0,"import":0,"remove":0,"operation":"apply"}'
    ;;
  output)
    [[ $state == complete ]] || { echo "No outputs found"; exit 0; }
    case ${*: -1} in
      s3_bucket_name) echo "image-processor-local-images-123456789012" ;;
      code_signing_config_arn) exit 1 ;;
      *) echo 's3_bucket_name = "image-processor-local-images-123456789012"' ;;
    esac
    ;;
  *) echo "fake terraform: unexpected call: $*" >&2; exit 2 ;;
esac
SH
  } >"$1"
  chmod +x "$1"
}

# bats test_tags=local-aws
@test "deploy's port hint gets it to the apply; a failed apply says to run deploy again to finish, and that command, as printed, finishes it" {
  repo=$(copy_repo)
  port=$(free_port)
  LOCAL_AWS_PORT=$port "$repo/scripts/local_aws.sh" start >/dev/null
  # The project's virtualenv with the scanners stubbed (as in security_scan.bats)
  # and the fake terraform, which deploy.sh finds first on PATH (.venv/bin).
  rm "$repo/.venv"
  mkdir -p "$repo/.venv/bin"
  for entry in "$REPO_ROOT/.venv"/* "$REPO_ROOT/.venv"/bin/*; do
    [[ $entry == "$REPO_ROOT/.venv/bin" ]] || ln -s "$entry" "$repo/.venv/${entry#"$REPO_ROOT/.venv/"}"
  done
  for tool in bandit pip-audit checkov shellcheck; do ln -sfn "$REPO_ROOT/tests/fixtures/stub_scanner" "$repo/.venv/bin/$tool"; done
  tf="$BATS_TEST_TMPDIR/terraform"
  fake_terraform "$repo/.venv/bin/terraform" "$tf"
  touch "$tf/cause"
  # First on the wrong port: the port deploy names, as printed, gets it past the check.
  other=$(free_port)
  run --separate-stderr env LOCAL_AWS_PORT="$other" "$repo/scripts/deploy.sh" --local --auto-approve
  [ "$status" -eq 1 ]
  setting=$(sed -n 's/.*: run with \(LOCAL_AWS_PORT=[0-9]*\)$/\1/p' <<<"$stderr")
  [ "$setting" = "LOCAL_AWS_PORT=$port" ] || { echo "$stderr"; return 1; }

  # With --quiet: the plan's summary, the progress and the error come from terraform's -json.
  run_in_fresh_shell "$repo" "$setting ./scripts/deploy.sh --local --auto-approve --quiet"
  [ "$status" -eq 1 ] || { echo "$output"; return 1; }
  [[ $output == *"plan: 2 to add, 0 to change, 0 to destroy ("*"apply: 1/2 resources"* ]] || { echo "$output"; return 1; }
  [[ $output == *"Error: creating DynamoDB Table (image-processor-local-uploads): ResourceInUseException (made by the test)"$'\r\n'"  with aws_dynamodb_table.uploads,"* ]] ||
    { echo "$output"; return 1; }
  [[ $output == *"apply failed (exit 1); full output in $repo/reports/deploy-local.log"*"terraform apply failed"* ]] || { echo "$output"; return 1; }
  [ "$(cat "$tf/state")" = half ]
  grep -q "^aws_kms_key.this: Creation complete after 1s" "$repo/reports/deploy-local.log"
  hint=$(sed -n 's/.*fix the cause and run \(.*\) again to finish, or .*/\1/p' <<<"$output")
  [ "$hint" = "LOCAL_AWS_PORT=$port ./scripts/deploy.sh --local" ] || { echo "$output"; return 1; }

  # A plan that fails: its error diagnostic, where it arose and its detail.
  touch "$tf/plan-cause"
  run_in_fresh_shell "$repo" "$hint --quiet --auto-approve"
  [ "$status" -eq 1 ] || { echo "$output"; return 1; }
  [[ $output == *"Error: Invalid value for variable"$'\r\n'"  on variables.tf line 3:"$'\r\n\r\n'"  made by the test"$'\r\n'*"terraform plan failed (full output: "* ]] ||
    { echo "$output"; return 1; }
  rm "$tf/plan-cause"

  # The cause fixed, the command as printed, in a fresh shell, answering 'yes' to its plan.
  rm "$tf/cause"
  : >"$tf/calls"
  run_in_fresh_shell "$repo" "$hint" "yes"

  [ "$status" -eq 0 ] || { echo "$output"; return 1; }
  [[ $output == *"Plan: 1 to add"*"Apply complete!"*"Try it:"* ]] || { echo "$output"; return 1; }
  [ "$(cat "$tf/state")" = complete ]
  # It finished the same stack: the local AWS on that port, and the local state.
  applied=$(grep ' apply ' "$tf/calls")
  [[ $applied == "AWS_ENDPOINT_URL=http://127.0.0.1:$port TF_DATA_DIR=$repo/.local-aws/terraform "* ]] || { echo "$applied"; return 1; }
}

# fake_python DIR: a python3.13 (the first one make's setup looks for) whose
# virtualenvs install without pip or uv: their python is the project's .venv
# python, and a pip install links the project's .venv tools (aws,
# moto_server, ...); their uv installs nothing; both log their arguments in
# DIR/pip.log.
fake_python() {
  mkdir -p "$1"
  {
    printf '#!/usr/bin/env bash\nreal=%q log=%q\n' "$REPO_ROOT/.venv" "$1/pip.log"
    cat <<'SH'
if [[ ${1:-} == -m && ${2:-} == venv ]]; then
  mkdir -p "${*: -1}/bin"
  venv=$(cd "${*: -1}" && pwd)
  cat >"$venv/bin/python" <<PY
#!/usr/bin/env bash
if [[ \$1 == -m && \$2 == pip ]]; then
  printf '%s\n' "\$*" >>$log
  for tool in $real/bin/*; do [[ -e $venv/bin/\${tool##*/} ]] || ln -s "\$tool" $venv/bin/; done
  exit 0
fi
exec $real/bin/python "\$@"
PY
  cat >"$venv/bin/uv" <<UV
#!/usr/bin/env bash
printf 'uv %s\n' "\$*" >>$log
UV
  chmod +x "$venv/bin/python" "$venv/bin/uv"
  exit 0
fi
exec "$real/bin/python" "$@"
SH
  } >"$1/python3.13"
  chmod +x "$1/python3.13"
}

@test "without the virtualenv, deploy and local_aws.sh say 'make setup', and that command, as printed, gets both past the check" {
  repo=$(copy_repo)
  rm "$repo/.venv" # a fresh clone: no .venv (the checkov one is installed, and its stamp up to date)
  port=$(free_port)
  other=$(free_port)
  system="/usr/local/bin:/usr/bin:/bin" # no aws, no moto, no Python 3.13

  run --separate-stderr env PATH="$system" LOCAL_AWS_PORT="$port" "$repo/scripts/local_aws.sh" start
  [ "$status" -eq 1 ]
  [ "$(quoted_hint "$stderr")" = "make setup" ] || { echo "$stderr"; return 1; }
  [[ $stderr == *"moto[server] not found in .venv"* ]]
  run --separate-stderr env PATH="$system" LOCAL_AWS_PORT="$other" "$repo/scripts/deploy.sh" --local --auto-approve
  [ "$status" -eq 1 ]
  [[ $stderr == *"'aws' was not found on PATH"* ]] || { echo "$stderr"; return 1; }
  hint=$(sed -n "s/.*: run '\([^']*\)' (.*/\1/p" <<<"$stderr")
  [ "$hint" = "make setup" ] || { echo "$stderr"; return 1; }

  # As printed, in a fresh shell (with the fake Python 3.13: the installs themselves
  # are not the hint's), then the two commands again in it.
  FRESH_SHELL_STUBS="$BATS_TEST_TMPDIR/stubs"
  fake_python "$FRESH_SHELL_STUBS"
  run_in_fresh_shell "$repo" "$hint && LOCAL_AWS_PORT=$port scripts/local_aws.sh start && LOCAL_AWS_PORT=$other scripts/deploy.sh --local --auto-approve"

  [[ $output == *"uv pip install --compile-bytecode pip=="*" -r requirements-dev.txt into .venv"* ]] || { echo "$output"; return 1; }
  [[ $output == *"on http://127.0.0.1:$port"*" ok  local AWS running"* ]] || { echo "$output"; return 1; }
  # deploy gets past its tools (aws from .venv) to the next check: nothing runs on that port.
  [[ $output != *"was not found on PATH"* && $output == *"the local AWS is not running at http://127.0.0.1:$other"* ]] || { echo "$output"; return 1; }
  grep -qxE -- "-m pip install --quiet uv==[0-9.]+" "$FRESH_SHELL_STUBS/pip.log"
  grep -qxE -- "uv pip install --python .venv/bin/python --compile-bytecode pip==[0-9.]+ -r requirements-dev.txt" "$FRESH_SHELL_STUBS/pip.log"
  # What that install brings: the two tools the hints are about, pinned.
  grep -qE '^awscli==' "$repo/requirements-dev.txt"
  grep -qE '^moto==' "$repo/requirements-dev.txt"
}

# key_states KEY...: the state of each key on the local AWS at $port.
key_states() {
  AWS_ENDPOINT_URL="http://127.0.0.1:$port" "$PY" -c '
import sys, boto3
kms = boto3.client("kms", region_name="us-east-1", aws_access_key_id="local", aws_secret_access_key="local")
print(" ".join(kms.describe_key(KeyId=k)["KeyMetadata"]["KeyState"] for k in sys.argv[1:]))' "$@"
}

# bats test_tags=local-aws
@test "destroy keeps the security and audit keys and prints the commands that schedule their deletion; as printed, they do, on the local AWS" {
  repo=$(copy_repo)
  shared_local_aws
  # The stack's security key (the pipeline's) and audit key (the account
  # baseline's) with their aliases, on the local AWS and in the state.
  keys=$(AWS_ENDPOINT_URL="http://127.0.0.1:$port" "$PY" -c '
import boto3
kms = boto3.client("kms", region_name="us-east-1", aws_access_key_id="local", aws_secret_access_key="local")
for alias in ("security", "audit"):
    key = kms.create_key(Description=alias)["KeyMetadata"]
    kms.create_alias(AliasName=f"alias/image-processor-local-{alias}", TargetKeyId=key["KeyId"])
    print(key["KeyId"], key["Arn"], end=" ")')
  read -r key arn audit_key audit_arn <<<"$keys"
  mkdir -p "$repo/.local-aws"
  cat >"$repo/.local-aws/terraform.tfstate" <<JSON
{"version": 4, "terraform_version": "1.11.4", "serial": 1, "lineage": "bats", "outputs": {},
 "resources": [
  {"module": "module.pipeline", "mode": "managed", "type": "aws_kms_key", "name": "security",
   "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
   "instances": [{"schema_version": 0, "attributes": {"id": "$key", "key_id": "$key", "arn": "$arn"}}]},
  {"module": "module.pipeline", "mode": "managed", "type": "aws_kms_alias", "name": "security",
   "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
   "instances": [{"schema_version": 0, "attributes": {"id": "alias/image-processor-local-security",
     "name": "alias/image-processor-local-security", "target_key_id": "$key"}}]},
  {"module": "module.account_baseline", "mode": "managed", "type": "aws_kms_key", "name": "this",
   "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
   "instances": [{"index_key": 0, "schema_version": 0, "attributes": {"id": "$audit_key", "key_id": "$audit_key", "arn": "$audit_arn"}}]},
  {"module": "module.account_baseline", "mode": "managed", "type": "aws_kms_alias", "name": "this",
   "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
   "instances": [{"index_key": 0, "schema_version": 0, "attributes": {"id": "alias/image-processor-local-audit",
     "name": "alias/image-processor-local-audit", "target_key_id": "$audit_key"}}]}]}
JSON

  run --separate-stderr env LOCAL_AWS_PORT="$port" "$repo/scripts/destroy.sh" --local --yes
  [ "$status" -eq 0 ] || { echo "$output" "$stderr"; return 1; }
  # Kept indeed: out of the state before terraform destroy, which would have scheduled their deletion.
  states=$(key_states "$key" "$audit_key")
  [ "$states" = "Enabled Enabled" ] || { echo "$states"; return 1; }
  [[ $output == *"Kept: the security key"*"(alias/image-processor-local-security)"* ]] || { echo "$output"; return 1; }
  [[ $output == *"Kept: the audit key"*"(alias/image-processor-local-audit)"* ]] || { echo "$output"; return 1; }
  hints=$(sed -n 's/^ *\(.*aws kms schedule-key-deletion .*\)$/\1/p' <<<"$output")
  expected=$(for id in "$key" "$audit_key"; do
    echo "eval \"\$(LOCAL_AWS_PORT=$port scripts/local_aws.sh env)\" && .venv/bin/aws kms schedule-key-deletion --region us-east-1 --key-id $id --pending-window-in-days 30"
  done)
  [ "$hints" = "$expected" ] || { echo "$output"; return 1; }

  mapfile -t commands <<<"$hints"
  for hint in "${commands[@]}"; do
    run_in_fresh_shell "$repo" "$hint"
    [ "$status" -eq 0 ] || { echo "$output"; return 1; }
  done

  states=$(key_states "$key" "$audit_key")
  [ "$states" = "PendingDeletion PendingDeletion" ] || { echo "$states"; return 1; }
}

# run_without_terminal DIR COMMAND: COMMAND in a new bash in DIR with only HOME
# and the system's PATH, stdin not a terminal (a pipe, a CI job).
run_without_terminal() {
  run env -i HOME="$HOME" PATH="/usr/local/bin:/usr/bin:/bin" NO_COLOR=1 bash -c "cd $(printf '%q' "$1") && $2" </dev/null
}

# bats test_tags=local-aws
@test "without a terminal, deploy and destroy name the option that gets past their question; with it, in a fresh shell, they go on" {
  repo=$(copy_repo)
  shared_local_aws
  other=$(free_port) # nothing runs there: deploy stops at its next check
  gone_bucket_state "$repo/.local-aws/terraform.tfstate"

  run --separate-stderr env LOCAL_AWS_PORT="$other" "$repo/scripts/deploy.sh" --local </dev/null
  [ "$status" -eq 1 ]
  [[ $stderr == *"stdin is not a terminal, so the plan could not be confirmed: run in a terminal, or pass --auto-approve" ]] || { echo "$stderr"; return 1; }
  run_without_terminal "$repo" "LOCAL_AWS_PORT=$other ./scripts/deploy.sh --local --auto-approve"
  [ "$status" -eq 1 ]
  [[ $output != *"not a terminal"* && $output == *"the local AWS is not running at http://127.0.0.1:$other"* ]] || { echo "$output"; return 1; }

  run --separate-stderr env LOCAL_AWS_PORT="$port" "$repo/scripts/destroy.sh" --local </dev/null
  [ "$status" -eq 1 ]
  [[ $stderr == *"refusing to destroy without confirmation: stdin is not a terminal (use --yes)" ]] || { echo "$stderr"; return 1; }
  run_without_terminal "$repo" "LOCAL_AWS_PORT=$port ./scripts/destroy.sh --local --yes"
  [ "$status" -eq 0 ] || { echo "$output"; return 1; }
  [[ $output == *"Destroy complete"* ]] || { echo "$output"; return 1; }
  [ "$(state_resources "$repo/.local-aws/terraform.tfstate")" -eq 0 ]
}

# bats test_tags=local-aws
@test "local_aws.sh start on a port something else answers on says to choose another --port; another port, in a fresh shell, starts" {
  repo=$(copy_repo)
  port=$(free_port)
  other=$(free_port)
  # Something else: a local AWS of another directory on that port.
  LOCAL_AWS_DIR="$BATS_TEST_TMPDIR/elsewhere" LOCAL_AWS_PORT=$port "$repo/scripts/local_aws.sh" start >/dev/null

  run --separate-stderr env LOCAL_AWS_PORT="$port" "$repo/scripts/local_aws.sh" start
  LOCAL_AWS_DIR="$BATS_TEST_TMPDIR/elsewhere" "$repo/scripts/local_aws.sh" stop >/dev/null
  [ "$status" -eq 1 ]
  [[ $stderr == *"something else already answers on http://127.0.0.1:$port; choose another --port" ]] || { echo "$stderr"; return 1; }

  run_in_fresh_shell "$repo" "scripts/local_aws.sh start --port $other"

  [ "$status" -eq 0 ] || { echo "$output"; return 1; }
  run env LOCAL_AWS_PORT="$other" "$repo/scripts/local_aws.sh" status
  [ "$status" -eq 0 ]
}

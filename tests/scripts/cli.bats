#!/usr/bin/env bats
# Every script: --help works, unknown options fail with the usage.

load helpers
bats_require_minimum_version 1.5.0

SCRIPTS=(build_lambda.sh deploy.sh destroy.sh security_scan.sh local_aws.sh demo.sh reprocess.sh audit.sh)
PY_HELPERS=(lib/empty_bucket.py local/demo_tool.py lib/terraform_progress.py local/local_lambda.py
  audit/audit_policies.py audit/audit_report.py dev/mutation.py local/local_batch_operations.py
  dev/terraform_docs.py upload_url.py)

@test "every script prints its usage with --help and -h" {
  for script in "${SCRIPTS[@]}"; do
    run "$REPO_ROOT/scripts/$script" --help
    [ "$status" -eq 0 ] || { echo "$script --help exited $status"; return 1; }
    [[ $output == Usage:* ]] || { echo "$script --help printed: $output"; return 1; }
    run "$REPO_ROOT/scripts/$script" -h
    [ "$status" -eq 0 ]
  done
}

@test "every script refuses an unknown option with exit 2 and the usage" {
  for script in "${SCRIPTS[@]}"; do
    run --separate-stderr "$REPO_ROOT/scripts/$script" --no-such-option
    [ "$status" -eq 2 ] || { echo "$script exited $status"; return 1; }
    [[ $stderr == *"unknown"*"--no-such-option"* ]] || { echo "$script said: $stderr"; return 1; }
    [[ $stderr == *"Usage:"* ]]
  done
}

@test "deploy has no option to skip the security scan" {
  run "$REPO_ROOT/scripts/deploy.sh" --help
  [[ $output != *"--skip"* ]]
  run "$REPO_ROOT/scripts/deploy.sh" --skip-scan
  [ "$status" -eq 2 ]
}

@test "the build refuses an unknown architecture" {
  run "$REPO_ROOT/scripts/build_lambda.sh" --arch sparc
  [ "$status" -eq 2 ]
  [[ $output == *"--arch must be arm64 or x86_64"* ]]
}

@test "make lint and make test-scripts use the virtualenv's shellcheck and bats, not the system's" {
  without_system_tools "$BATS_TEST_TMPDIR/mask"

  # make lint's own shellcheck commands, as make writes them (-n), run here with
  # the system's masked (the rest of make lint is the lint job's, in make test).
  run env PATH="$BATS_TEST_TMPDIR/mask:$PATH" make -C "$REPO_ROOT" -s -n lint
  [ "$status" -eq 0 ] || { echo "$output"; return 1; }
  commands=$(grep shellcheck <<<"$output")
  [ "$(wc -l <<<"$commands")" -ge 2 ] || { echo "make lint runs no shellcheck: $output"; return 1; }
  run env PATH="$BATS_TEST_TMPDIR/mask:$PATH" bash -Eeuo pipefail -c "cd \"\$1\"; $commands" _ "$REPO_ROOT"
  [ "$status" -eq 0 ] || { echo "$output"; return 1; }
  run env PATH="$BATS_TEST_TMPDIR/mask:$PATH" make -C "$REPO_ROOT" -s test-scripts \
    BATS_ARGS="--filter 'refuses an unknown architecture'"
  [ "$status" -eq 0 ] || { echo "$output"; return 1; }
  [[ $output == *"ok 1 the build refuses an unknown architecture"* ]]
}

@test "every Python helper prints its usage with --help, and a bad command line exits 2 with the usage" {
  for helper in "${PY_HELPERS[@]}"; do
    run "$PY" "$REPO_ROOT/scripts/$helper" --help
    [ "$status" -eq 0 ] || { echo "$helper --help exited $status: $output"; return 1; }
    [[ $output == usage:* ]] || { echo "$helper --help printed: $output"; return 1; }
    run --separate-stderr "$PY" "$REPO_ROOT/scripts/$helper" --no-such-option
    [ "$status" -eq 2 ] || { echo "$helper exited $status"; return 1; }
    [[ $stderr == *"usage:"* && $stderr != *Traceback* ]] || { echo "$helper said: $stderr"; return 1; }
  done
}

@test "a Python helper given a missing file says which, in one line, without a traceback" {
  missing="$BATS_TEST_TMPDIR/no-such-dir/file.json"
  for args in "audit/audit_report.py --compare-only $missing" \
    "audit/audit_report.py --findings $missing --state $missing" \
    "audit/audit_policies.py --summary $missing" \
    "lib/terraform_progress.py run --label x --log $missing -- true"; do
    read -ra words <<<"$args"
    run --separate-stderr "$PY" "$REPO_ROOT/scripts/${words[0]}" "${words[@]:1}"
    [ "$status" -eq 2 ] || { echo "$args exited $status: $stderr"; return 1; }
    [[ $stderr == *"$missing: No such file or directory"* && $stderr != *Traceback* ]] ||
      { echo "$args said: $stderr"; return 1; }
  done
}

@test "the Python helpers that talk to AWS name an unreachable endpoint instead of a traceback" {
  for args in "local/local_lambda.py --once --function f" "audit/audit_policies.py --out $BATS_TEST_TMPDIR/p.json" \
    "lib/empty_bucket.py some-bucket"; do
    read -ra words <<<"$args"
    run --separate-stderr env AWS_ENDPOINT_URL=http://127.0.0.1:9 AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x \
      AWS_DEFAULT_REGION=us-east-1 AWS_MAX_ATTEMPTS=1 "$PY" "$REPO_ROOT/scripts/${words[0]}" "${words[@]:1}"
    [ "$status" -eq 1 ] || { echo "$args exited $status: $stderr"; return 1; }
    [[ $stderr == *"error: Could not connect to the endpoint URL"* && $stderr != *Traceback* ]] ||
      { echo "$args said: $stderr"; return 1; }
  done
}

@test "deploy refuses at once, before scanning or planning, when it cannot ask for confirmation" {
  run --separate-stderr "$REPO_ROOT/scripts/deploy.sh" --local </dev/null

  [ "$status" -eq 1 ]
  [[ $stderr == *"stdin is not a terminal"*"--auto-approve"* ]]
  [[ $output != *"Security scan"* && $output != *"plan"* ]]
}

@test "with fake keys and an unreachable endpoint, preflight names the endpoint, not the credentials" {
  run --separate-stderr env AWS_ENDPOINT_URL=http://127.0.0.1:9 AWS_ACCESS_KEY_ID=fake AWS_SECRET_ACCESS_KEY=fake \
    AWS_DEFAULT_REGION=us-east-1 AWS_MAX_ATTEMPTS=1 AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_CONFIG_FILE=/dev/null \
    "$REPO_ROOT/scripts/deploy.sh" --auto-approve

  [ "$status" -eq 1 ]
  [[ $stderr == *"the AWS endpoint could not be reached (http://127.0.0.1:9)"* ]]
  [[ $stderr != *"credentials"* ]]
}

@test "with no region configured (a fresh machine), preflight still names the unreachable endpoint" {
  run --separate-stderr env -u AWS_REGION -u AWS_DEFAULT_REGION -u AWS_PROFILE \
    AWS_ENDPOINT_URL=http://127.0.0.1:9 AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=y AWS_MAX_ATTEMPTS=1 \
    AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_CONFIG_FILE=/dev/null "$REPO_ROOT/scripts/deploy.sh" --auto-approve

  [ "$status" -eq 1 ]
  [[ $stderr == *"the AWS endpoint could not be reached (http://127.0.0.1:9)"* ]] || { echo "$stderr"; return 1; }
  [[ $stderr != *"credentials"* && $stderr != *"region"* ]]
}

@test "preflight reads terraform's version without an error line, however terraform writes it" {
  repo=$(copy_repo)
  rm "$repo/scripts/security_scan.sh" # deploy stops right after its preflight
  port=$(free_port)
  LOCAL_AWS_PORT=$port "$repo/scripts/local_aws.sh" start >/dev/null
  # A terraform that writes its second line after a pause: a reader that exits
  # after the first line makes that write fail with SIGPIPE.
  mkdir -p "$BATS_TEST_TMPDIR/bin"
  printf '#!/bin/sh\necho "Terraform v9.9.9"\nsleep 0.5\necho "on linux_amd64"\n' >"$BATS_TEST_TMPDIR/bin/terraform"
  chmod +x "$BATS_TEST_TMPDIR/bin/terraform"

  run --separate-stderr env PATH="$BATS_TEST_TMPDIR/bin:$PATH" LOCAL_AWS_PORT="$port" \
    "$repo/scripts/deploy.sh" --local --auto-approve
  LOCAL_AWS_PORT=$port "$repo/scripts/local_aws.sh" stop >/dev/null

  [[ $output == *"terraform v9.9.9, aws-cli"* ]] || { echo "$output"; return 1; }
  [[ $stderr != *"failed (line"* ]] || { echo "$stderr"; return 1; }
  [[ $stderr == *"security scan failed"* ]]
}

@test "preflight names the region Terraform deploys to (aws_region), not the AWS CLI's" {
  repo=$(copy_repo)
  rm "$repo/scripts/security_scan.sh" # deploy stops right after its preflight
  printf 'aws_region = "eu-west-3"\n' >"$repo/terraform/terraform.tfvars"
  port=$(free_port)
  LOCAL_AWS_PORT=$port "$repo/scripts/local_aws.sh" start >/dev/null

  # The real-AWS target against the local AWS's endpoint (--local would read local.tfvars).
  run --separate-stderr env AWS_REGION=ap-south-1 AWS_ENDPOINT_URL="http://127.0.0.1:$port" \
    AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=y AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_CONFIG_FILE=/dev/null \
    "$repo/scripts/deploy.sh" --auto-approve
  LOCAL_AWS_PORT=$port "$repo/scripts/local_aws.sh" stop >/dev/null

  [[ $output == *"region     eu-west-3 (aws_region)"* ]] || { echo "$output"; return 1; }
  [[ $output != *"ap-south-1"* ]]
}

@test "upload_url.py and empty_bucket.py run by a Python without the project's packages: in .venv, else one line" {
  [[ -x /usr/bin/python3 ]] && ! /usr/bin/python3 -c 'import boto3' 2>/dev/null || skip "needs a python3 without boto3"
  repo=$(copy_repo)
  for venv in yes no; do
    [[ $venv == yes ]] || rm "$repo/.venv"
    for helper in upload_url.py lib/empty_bucket.py; do
      run --separate-stderr /usr/bin/python3 "$repo/scripts/$helper" --help
      if [[ $venv == yes ]]; then
        [[ $status -eq 0 && $output == usage:* ]] || { echo "$helper: $stderr"; return 1; }
      else
        [ "$status" -eq 1 ]
        [ "$stderr" = "${helper#lib/}: error: the Python package 'boto3' is missing: run 'make setup'" ] || { echo "$stderr"; return 1; }
      fi
    done
  done
}

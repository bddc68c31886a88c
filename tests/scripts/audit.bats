#!/usr/bin/env bats
# scripts/audit.sh: its checks, and that it fails when the findings and the register
# differ (its --help and unknown options: cli.bats).
# shellcheck disable=SC2154 # $stderr and $output are set by bats' run

load helpers
bats_require_minimum_version 1.5.0

@test "audit's usage names the services it audits" {
  run "$REPO_ROOT/scripts/audit.sh" --help
  for service in s3 kms sns sqs dynamodb awslambda iam cloudwatch cloudtrail config guardduty eventbridge; do
    [[ $output == *" $service"* ]] || { echo "missing $service"; return 1; }
  done
}

@test "audit without Prowler says how to get it, before starting anything" {
  repo=$(copy_repo)
  run --separate-stderr "$repo/scripts/audit.sh"
  [ "$status" -eq 1 ]
  [[ $stderr == *"Prowler not found in .venv-prowler; run 'make audit'"* ]]
  [ ! -e "$repo/.local-aws/moto.pid" ]
}

@test "--compare-only without an earlier audit says so" {
  repo=$(copy_repo)
  run --separate-stderr "$repo/scripts/audit.sh" --compare-only
  [ "$status" -eq 1 ]
  [[ $stderr == *"no earlier audit in reports/audit; run 'make audit' first"* ]]
}

@test "--compare-only exits 1 when the register has rows whose FAIL is gone" {
  repo=$(copy_repo)
  fixtures="$repo/tests/fixtures/audit"
  # The fixture run has 2 stack FAILs; SECURITY.md's register has the whole baseline.
  run "$repo/.venv/bin/python" "$repo/scripts/audit/audit_report.py" \
    --findings "$fixtures/prowler.ocsf.json" --state "$fixtures/state.json" --out-dir "$repo/reports/audit"
  [ "$status" -eq 1 ]
  run "$repo/scripts/audit.sh" --compare-only
  [ "$status" -eq 1 ]
  [[ $output == *"STALE REGISTER    s3_bucket_object_lock on module.pipeline.module.images_bucket.aws_s3_bucket.this (no FAIL)"* ]]
}

# fake_prowler REPO: a stand-in .venv-prowler, so that audit.sh gets past its first check.
fake_prowler() {
  mkdir -p "$1/.venv-prowler/bin"
  printf '#!/bin/sh\nexit 0\n' >"$1/.venv-prowler/bin/prowler"
  chmod +x "$1/.venv-prowler/bin/prowler"
}

teardown() {
  [[ -n ${repo:-} && -n ${port:-} ]] || return 0
  LOCAL_AWS_PORT=$port "$repo/scripts/local_aws.sh" stop >/dev/null 2>&1 || true
}

@test "audit needs no curl (it is not a project tool, and it never uses it)" {
  repo=$(copy_repo)
  fake_prowler "$repo"
  # A PATH with every tool of this machine but curl.
  nocurl="$BATS_TEST_TMPDIR/nocurl"
  mkdir -p "$nocurl"
  # (Names by parameter expansion and one ln per directory: a basename and an
  # ln per tool were thousands of processes, most of the test's time.)
  for dir in /usr/local/bin /usr/bin /bin; do
    tools=()
    for tool in "$dir"/*; do
      name=${tool##*/}
      [[ $name == curl || -e $nocurl/$name || -L $nocurl/$name ]] || tools+=("$tool")
    done
    ((${#tools[@]} == 0)) || ln -s "${tools[@]}" "$nocurl/"
  done
  # An invalid port makes the local AWS fail at once: the audit stops right after its checks.
  run --separate-stderr env PATH="$nocurl" LOCAL_AWS_PORT=not-a-port "$repo/scripts/audit.sh"
  [ "$status" -ne 0 ]
  [[ $stderr != *"'curl' was not found"* ]] || { echo "$stderr"; return 1; }
  [[ $output == *"start the local AWS"* ]] || { echo "$output"; return 1; }
}

@test "audit refuses to deploy over, and destroy, a local stack of yours that runs on its port" {
  repo=$(copy_repo)
  fake_prowler "$repo"
  port=$(free_port)
  LOCAL_AWS_PORT=$port "$repo/scripts/local_aws.sh" start >/dev/null
  pid=$(cat "$repo/.local-aws/moto.pid")

  run --separate-stderr env LOCAL_AWS_PORT="$port" "$repo/scripts/audit.sh"

  [ "$status" -eq 1 ]
  [[ $stderr == *"a local AWS already runs on http://127.0.0.1:$port"*"would deploy over your stack"* ]] ||
    { echo "$stderr"; return 1; }
  [[ $stderr == *"audit it as it is with --deployed"* ]] || { echo "$stderr"; return 1; }
  [[ $output != *"deploy the stack"* ]]
  kill -0 "$pid"
}

@test "--deployed without a local AWS on its port says to deploy first, and starts nothing" {
  repo=$(copy_repo)
  fake_prowler "$repo"
  port=$(free_port)

  run --separate-stderr env LOCAL_AWS_PORT="$port" "$repo/scripts/audit.sh" --deployed

  [ "$status" -eq 1 ]
  [[ $stderr == *"no local AWS of .local-aws/ answers on http://127.0.0.1:$port: deploy one first ('make local-deploy')"* ]] ||
    { echo "$stderr"; return 1; }
  [ ! -e "$repo/.local-aws/moto.pid" ]
}

@test "--deployed on a local AWS with nothing deployed says so, and leaves that local AWS running" {
  repo=$(copy_repo)
  fake_prowler "$repo"
  port=$(free_port)
  LOCAL_AWS_PORT=$port "$repo/scripts/local_aws.sh" start >/dev/null
  pid=$(cat "$repo/.local-aws/moto.pid")

  run --separate-stderr env LOCAL_AWS_PORT="$port" "$repo/scripts/audit.sh" --deployed

  [ "$status" -eq 1 ]
  [[ $stderr == *"nothing is deployed in .local-aws/ (no resource in its terraform.tfstate)"* ]] ||
    { echo "$stderr"; return 1; }
  [[ $output != *"deploy the stack"* && $output != *"destroy"* ]] || { echo "$output"; return 1; }
  kill -0 "$pid"
}

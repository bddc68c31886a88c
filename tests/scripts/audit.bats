#!/usr/bin/env bats
# scripts/audit.sh: its command line, and that it fails when the findings and the register differ.
# shellcheck disable=SC2154 # $stderr and $output are set by bats' run

load helpers
bats_require_minimum_version 1.5.0

@test "audit prints its usage and the services it audits" {
  run "$REPO_ROOT/scripts/audit.sh" --help
  [ "$status" -eq 0 ]
  [[ $output == Usage:* ]]
  for service in s3 kms sns sqs dynamodb awslambda iam cloudwatch cloudtrail config guardduty eventbridge; do
    [[ $output == *" $service"* ]] || { echo "missing $service"; return 1; }
  done
}

@test "audit refuses an unknown option with exit 2 and the usage" {
  run --separate-stderr "$REPO_ROOT/scripts/audit.sh" --no-such-option
  [ "$status" -eq 2 ]
  [[ $stderr == *"unknown option: --no-such-option"* ]]
  [[ $stderr == *"Usage:"* ]]
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
  run "$repo/.venv/bin/python" "$repo/scripts/audit_report.py" \
    --findings "$fixtures/prowler.ocsf.json" --state "$fixtures/state.json" --out-dir "$repo/reports/audit"
  [ "$status" -eq 1 ]
  run "$repo/scripts/audit.sh" --compare-only
  [ "$status" -eq 1 ]
  [[ $output == *"STALE REGISTER    s3_bucket_object_lock on module.pipeline.module.images_bucket.aws_s3_bucket.this (no FAIL)"* ]]
}

#!/usr/bin/env bats
# Every script: --help works, unknown options fail with the usage.

load helpers
bats_require_minimum_version 1.5.0

SCRIPTS=(build_lambda.sh deploy.sh destroy.sh security_scan.sh local_aws.sh demo.sh)

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

#!/usr/bin/env bats
# The Makefile targets of the user's loop: clean stops what it started, fmt
# formats Terraform too, demo names a missing Terraform before anything runs.

load helpers
bats_require_minimum_version 1.5.0

teardown() {
  [[ -n ${repo:-} && -n ${port:-} ]] || return 0
  for dir in .local-aws .local-aws/demo; do
    LOCAL_AWS_DIR="$repo/$dir" LOCAL_AWS_PORT=$port "$repo/scripts/local_aws.sh" stop >/dev/null 2>&1 || true
  done
}

@test "make clean stops the local AWS servers it would orphan (the stack's and a kept demo's)" {
  repo=$(copy_repo)
  port=$(free_port)
  demo_port=$(free_port)
  LOCAL_AWS_DIR="$repo/.local-aws" LOCAL_AWS_PORT=$port "$repo/scripts/local_aws.sh" start >/dev/null
  LOCAL_AWS_DIR="$repo/.local-aws/demo" LOCAL_AWS_PORT=$demo_port "$repo/scripts/local_aws.sh" start >/dev/null
  pids="$(cat "$repo/.local-aws/moto.pid") $(cat "$repo/.local-aws/demo/moto.pid")"

  run make -C "$repo" -s clean

  [ "$status" -eq 0 ] || { echo "$output"; return 1; }
  for pid in $pids; do
    run kill -0 "$pid"
    [ "$status" -ne 0 ] || { echo "pid $pid still runs"; return 1; }
  done
  [ ! -e "$repo/.local-aws" ]
  [ -x "$REPO_ROOT/.venv/bin/python" ] # the shared virtualenv: only the copy's link went
}

@test "make fmt formats the Terraform files too" {
  repo=$(copy_repo)
  printf 'locals {\n  a     = 1\n  bb = 2\n}\n' >"$repo/terraform/zz_fmt_probe.tf"

  run make -C "$repo" -s fmt

  [ "$status" -eq 0 ] || { echo "$output"; return 1; }
  [ "$(cat "$repo/terraform/zz_fmt_probe.tf")" = "$(printf 'locals {\n  a  = 1\n  bb = 2\n}')" ]
}

@test "without Terraform on PATH, make demo prints one line naming the README's version, before anything runs" {
  repo=$(copy_repo)
  [[ ! -x /usr/bin/terraform && ! -x /bin/terraform ]] || skip "terraform is in /usr/bin"

  run env PATH=/usr/bin:/bin make -C "$repo" -s demo

  [ "$status" -ne 0 ]
  [ "${#lines[@]}" -eq 1 ] || { echo "$output"; return 1; }
  [[ ${lines[0]} == *"'terraform' was not found on PATH: install Terraform >= 1.11 "* ]] || { echo "$output"; return 1; }
  [ ! -e "$repo/.local-aws" ]
  # The README's prerequisite for make demo and make test names the same version.
  grep -q 'Terraform ≥ 1.11, make and git' "$REPO_ROOT/README.md"
}

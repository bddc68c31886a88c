#!/usr/bin/env bats
# Every command a script prints for the user to type runs as printed, in a
# fresh shell at the repository root (the scripts' error and success paths;
# the hints that need a deployed stack are run by tests/e2e/test_recovery.py
# and tests/e2e/test_demo_loop.py).

load helpers
bats_require_minimum_version 1.5.0

teardown() {
  [[ -n ${repo:-} ]] || return 0
  for p in ${port:-} ${other:-}; do
    LOCAL_AWS_PORT=$p "$repo/scripts/local_aws.sh" stop >/dev/null 2>&1 || true
    LOCAL_AWS_DIR="$repo/.local-aws/demo" LOCAL_AWS_PORT=$p "$repo/scripts/local_aws.sh" stop >/dev/null 2>&1 || true
  done
}

# quoted_hint TEXT: the command between the last pair of single quotes.
quoted_hint() { sed -n "s/.*'\([^']*\)'[^']*$/\1/p" <<<"$1" | tail -n 1; }

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

@test "a wrong port: destroy and deploy name the stack's port, and the same command with it gets past the check" {
  repo=$(copy_repo)
  port=$(free_port)
  other=$(free_port)
  LOCAL_AWS_PORT=$port "$repo/scripts/local_aws.sh" start >/dev/null
  # A state holding one bucket (long gone), so that destroy needs the local AWS.
  cat >"$repo/.local-aws/terraform.tfstate" <<'JSON'
{"version": 4, "terraform_version": "1.11.4", "serial": 1, "lineage": "bats", "outputs": {},
 "resources": [{"mode": "managed", "type": "aws_s3_bucket", "name": "gone",
   "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
   "instances": [{"schema_version": 0, "attributes": {"id": "gone-bucket", "bucket": "gone-bucket"}}]}]}
JSON

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

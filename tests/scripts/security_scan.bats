#!/usr/bin/env bats
# The gate fails closed: a vulnerable pin, a missing scanner or an unreachable
# vulnerability service stops it; only a local target may go on unchecked.

load helpers

setup_file() {
  OSV_PORT=$(free_port)
  OSV_EXTRA="$BATS_FILE_TMPDIR/osv-extra"
  export OSV_PORT OSV_EXTRA
  mkdir -p "$OSV_EXTRA"
  "$REPO_ROOT/.venv/bin/python" "$REPO_ROOT/tests/fixtures/osv_server.py" "$OSV_PORT" "$OSV_EXTRA" 3>&- &
  echo $! >"$BATS_FILE_TMPDIR/osv.pid"
  for _ in $(seq 1 50); do
    # Listening yet? (Python's socket: curl is no project tool.)
    "$PY" -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' \
      "$OSV_PORT" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

teardown() {
  rm -f "$OSV_EXTRA"/*.json
}

# pin_advisory ID INTRODUCED FIXED: a made-up advisory (not a real one) for the
# package pinned in lambda/requirements.txt, served until the test ends.
pin_advisory() {
  local name
  name=$(sed -n 's/^\([A-Za-z0-9_.-]*\)==.*/\1/p' "$REPO_ROOT/lambda/requirements.txt" | head -n 1)
  local events="{\"introduced\": \"$2\"}"
  [[ -n $3 ]] && events+=", {\"fixed\": \"$3\"}"
  cat >"$OSV_EXTRA/$1.json" <<JSON
{"id": "$1", "summary": "made up by the test", "modified": "2026-01-01T00:00:00Z",
 "affected": [{"package": {"ecosystem": "PyPI", "name": "$name"},
               "ranges": [{"type": "ECOSYSTEM", "events": [$events]}]}]}
JSON
}

# pinned_version: the version lambda/requirements.txt pins for that package.
pinned_version() { sed -n 's/^[A-Za-z0-9_.-]*==\([^ \\]*\).*/\1/p' "$REPO_ROOT/lambda/requirements.txt" | head -n 1; }

teardown_file() {
  kill "$(cat "$BATS_FILE_TMPDIR/osv.pid")" 2>/dev/null || true
}

@test "the gate stops a pin with a known vulnerability (real advisory, local OSV service)" {
  printf 'pillow==10.0.0\n' >"$BATS_TEST_TMPDIR/requirements.txt"

  run "$REPO_ROOT/scripts/security_scan.sh" --requirements "$BATS_TEST_TMPDIR/requirements.txt" \
    --osv-url "http://127.0.0.1:$OSV_PORT/v1/query"

  [ "$status" -eq 1 ]
  [[ $output == *"pip-audit"*"FAIL"*"1 known vulnerability"* ]]
  [[ $output == *"Security scan FAILED"* ]]
}

@test "the project's own pins pass the same service, and every tool passes" {
  # Advisories for the same package that end exactly at our pin (fixed in it)
  # or start after it do not affect it: the gate must let it through.
  pin=$(pinned_version)
  pin_advisory TEST-FIXED-IN-PIN 0 "$pin"
  pin_advisory TEST-AFTER-PIN "$pin.post1" ""
  # The scripts find shellcheck in the virtualenv, with the system one masked.
  without_system_tools "$BATS_TEST_TMPDIR/mask"

  run env PATH="$BATS_TEST_TMPDIR/mask:$PATH" \
    "$REPO_ROOT/scripts/security_scan.sh" --osv-url "http://127.0.0.1:$OSV_PORT/v1/query"

  [ "$status" -eq 0 ]
  for tool in bandit pip-audit "terraform fmt" "terraform validate" checkov shellcheck; do
    grep -qE "^  $tool +PASS" <<<"$output" || { echo "no PASS row for $tool"; return 1; }
  done
  [ -s "$REPO_ROOT/reports/security/summary.json" ]
  [ -s "$REPO_ROOT/reports/security/checkov.json" ]
}

@test "an advisory that affects the project's own pin stops the gate" {
  pin_advisory TEST-AFFECTS-PIN 0 "$(pinned_version).post1"

  run "$REPO_ROOT/scripts/security_scan.sh" --osv-url "http://127.0.0.1:$OSV_PORT/v1/query"

  [ "$status" -eq 1 ]
  [[ $output == *"pip-audit"*"FAIL"*"1 known vulnerability"* ]]
  [[ $output == *"TEST-AFFECTS-PIN"* ]]
}

@test "an unreachable vulnerability service fails the gate for a real AWS target" {
  run "$REPO_ROOT/scripts/security_scan.sh" --osv-url "http://127.0.0.1:9/v1/query"

  [ "$status" -eq 1 ]
  [[ $output == *"pip-audit"*"FAIL"*"could not be reached"* ]]
}

@test "an unreachable vulnerability service is NOT CHECKED, not failed, for the local AWS" {
  run "$REPO_ROOT/scripts/security_scan.sh" --target local --osv-url "http://127.0.0.1:9/v1/query"

  [ "$status" -eq 0 ]
  [[ $output == *"pip-audit"*"NOT CHECKED"* ]]
}

@test "a missing scanner is a failure, not a pass" {
  repo=$(copy_repo)
  rm "$repo/.venv-checkov"
  # A PATH with the basics but without checkov anywhere on it.
  run env PATH="$REPO_ROOT/.venv/bin:/usr/local/bin:/usr/bin:/bin" \
    "$repo/scripts/security_scan.sh" --osv-url "http://127.0.0.1:$OSV_PORT/v1/query"

  [ "$status" -eq 1 ]
  [[ $output == *"checkov"*"MISSING"* ]]
}

@test "deploy stops before building or planning when the scan fails" {
  repo=$(copy_repo)
  printf 'pillow==10.0.0\n' >"$repo/lambda/requirements.txt"
  port=$(free_port)
  LOCAL_AWS_PORT=$port "$repo/scripts/local_aws.sh" start >/dev/null
  # A Lambda function exists, as after a first deploy: the preflight's check
  # of the local AWS must still pass (moto's state dump fails from now on).
  create_lambda "$port"

  run env LOCAL_AWS_PORT="$port" PIP_AUDIT_OSV_URL="http://127.0.0.1:$OSV_PORT/v1/query" \
    "$repo/scripts/deploy.sh" --local --auto-approve
  LOCAL_AWS_PORT=$port "$repo/scripts/local_aws.sh" stop >/dev/null

  [ "$status" -eq 1 ]
  [[ $output == *"security scan failed: nothing was built or deployed"* ]]
  [ ! -e "$repo/dist/lambda.zip" ]
  [ ! -e "$repo/.local-aws/terraform.tfstate" ]
  [[ $output != *"terraform plan"* ]]
  [[ $output != *"not running"* ]]
}

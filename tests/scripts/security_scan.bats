#!/usr/bin/env bats
# The gate fails closed: a finding of any scanner, a vulnerable pin, a missing
# scanner or an unreachable vulnerability service stops it; only a local
# target may go on unchecked. One test runs every real scanner; the others
# put tests/fixtures/stub_scanner in place of the scanners they do not test
# (each planting one finding when asked), so each branch costs seconds.

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

setup() {
  # A reused pass would hide what each test plants: every test keeps its own.
  export SECURITY_SCAN_CACHE_DIR="$BATS_TEST_TMPDIR/scan-cache"
}

teardown() {
  rm -f "$OSV_EXTRA"/*.json
}

# stubbed_repo TOOL...: a scratch copy of the repository whose .venv is the
# real one with TOOL... (bandit pip-audit terraform checkov shellcheck)
# replaced by the stub scanner; the scan puts .venv/bin first on PATH.
stubbed_repo() {
  local repo entry tool
  repo=$(copy_repo)
  rm "$repo/.venv"
  mkdir -p "$repo/.venv/bin"
  for entry in "$REPO_ROOT/.venv"/* "$REPO_ROOT/.venv"/bin/*; do
    [[ $entry == "$REPO_ROOT/.venv/bin" ]] || ln -s "$entry" "$repo/.venv/${entry#"$REPO_ROOT/.venv/"}"
  done
  for tool in "$@"; do
    ln -sfn "$REPO_ROOT/tests/fixtures/stub_scanner" "$repo/.venv/bin/$tool"
  done
  printf '%s\n' "$repo"
}

ALL_SCANNERS=(bandit pip-audit terraform checkov shellcheck)

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
  repo=$(stubbed_repo bandit terraform checkov shellcheck)

  run "$repo/scripts/security_scan.sh" --requirements "$BATS_TEST_TMPDIR/requirements.txt" \
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

  # Nothing changed: the next scan reuses this pass (what every deploy after it does).
  run env PATH="$BATS_TEST_TMPDIR/mask:$PATH" \
    "$REPO_ROOT/scripts/security_scan.sh" --osv-url "http://127.0.0.1:$OSV_PORT/v1/query"
  [ "$status" -eq 0 ]
  [[ $output == *"Security scan passed (reused"* ]]
}

@test "an advisory that affects the project's own pin stops the gate" {
  pin_advisory TEST-AFFECTS-PIN 0 "$(pinned_version).post1"
  repo=$(stubbed_repo bandit terraform checkov shellcheck)

  run "$repo/scripts/security_scan.sh" --osv-url "http://127.0.0.1:$OSV_PORT/v1/query"

  [ "$status" -eq 1 ]
  [[ $output == *"pip-audit"*"FAIL"*"1 known vulnerability"* ]]
  [[ $output == *"TEST-AFFECTS-PIN"* ]]
}

@test "an unreachable vulnerability service fails the gate for a real AWS target" {
  repo=$(stubbed_repo bandit terraform checkov shellcheck)

  run "$repo/scripts/security_scan.sh" --osv-url "http://127.0.0.1:9/v1/query"

  [ "$status" -eq 1 ]
  [[ $output == *"pip-audit"*"FAIL"*"not every package was checked (pip-audit's errors are above)"* ]]
}

@test "an unreachable vulnerability service is NOT CHECKED, not failed, for the local AWS" {
  repo=$(stubbed_repo bandit terraform checkov shellcheck)

  run "$repo/scripts/security_scan.sh" --target local --osv-url "http://127.0.0.1:9/v1/query"

  [ "$status" -eq 0 ]
  [[ $output == *"pip-audit"*"NOT CHECKED"* ]]
}

@test "a missing scanner is a failure, not a pass" {
  repo=$(stubbed_repo bandit pip-audit terraform shellcheck)
  rm "$repo/.venv-checkov"
  # A PATH with the basics but without checkov anywhere on it.
  run env PATH="$REPO_ROOT/.venv/bin:/usr/local/bin:/usr/bin:/bin" \
    "$repo/scripts/security_scan.sh" --osv-url "http://127.0.0.1:$OSV_PORT/v1/query"

  [ "$status" -eq 1 ]
  [[ $output == *"checkov"*"MISSING"* ]]
  [[ $output == *"Security scan FAILED"* ]]
}

@test "with every scanner stubbed and nothing planted, the gate passes (the stubs answer as the tools)" {
  repo=$(stubbed_repo "${ALL_SCANNERS[@]}")

  run "$repo/scripts/security_scan.sh"

  [ "$status" -eq 0 ]
  for tool in bandit pip-audit "terraform fmt" "terraform validate" checkov shellcheck; do
    grep -qE "^  $tool +PASS" <<<"$output" || { echo "no PASS row for $tool"; return 1; }
  done
}

# One planted finding per scanner: each must fail the gate, on its own row.
planted_finding_fails_the_gate() { # PLANT ROW
  repo=$(stubbed_repo "${ALL_SCANNERS[@]}")

  run env PLANT="$1" "$repo/scripts/security_scan.sh"

  [ "$status" -eq 1 ]
  grep -qE "^  $2 +FAIL" <<<"$output" || { echo "no FAIL row for $2"; return 1; }
  [ "$(grep -cE '^  [a-z -]+ +FAIL ' <<<"$output")" -eq 1 ]
  [[ $output == *"Security scan FAILED"* ]]
  [ ! -e "$SECURITY_SCAN_CACHE_DIR" ] || [ "$(kept)" -eq 0 ]
}

@test "a bandit finding fails the gate" {
  planted_finding_fails_the_gate bandit bandit
  [[ $output == *"1 issue(s) in lambda/"* ]]
}

@test "a pip-audit finding fails the gate" {
  planted_finding_fails_the_gate pip-audit pip-audit
  [[ $output == *"1 known vulnerability(ies)"* ]]
}

@test "a file terraform fmt would change fails the gate" {
  planted_finding_fails_the_gate terraform-fmt "terraform fmt"
}

@test "a terraform validate error fails the gate" {
  planted_finding_fails_the_gate terraform-validate "terraform validate"
  [[ $output == *"1 error(s)"* ]]
}

@test "a checkov failed check fails the gate" {
  planted_finding_fails_the_gate checkov checkov
  [[ $output == *"1 failed check(s)"* ]]
}

@test "a checkov failed check fails the gate even when checkov exits 0" {
  planted_finding_fails_the_gate checkov-exit-0 checkov
}

@test "a shellcheck finding fails the gate" {
  planted_finding_fails_the_gate shellcheck shellcheck
  [[ $output == *"1 finding(s)"* ]]
}

# kept: how many passes the cache holds.
kept() { find "$SECURITY_SCAN_CACHE_DIR" -mindepth 1 -maxdepth 1 -name '[0-9a-f]*' | wc -l; }

# scanned WHAT ENV...: the scan ran its tools and passed (ENV: e.g. PLANT=...).
scanned() {
  run env "${@:2}" "$repo/scripts/security_scan.sh" --target "$1"
  [ "$status" -eq 0 ] || { echo "$output"; return 1; }
  [[ $output == *"==> bandit"* && $output != *"reused"* ]] || { echo "not scanned: $output"; return 1; }
}

# reused TARGET: the scan passed without running its tools.
reused() {
  run "$repo/scripts/security_scan.sh" --target "$1"
  [ "$status" -eq 0 ] || return 1
  [[ $output == *"Security scan passed (reused"* && $output != *"==> bandit"* ]]
}

@test "a pass is reused only for the same inputs; a failure is never kept" {
  repo=$(stubbed_repo "${ALL_SCANNERS[@]}")

  scanned local
  reused local
  [[ $output == *"checkov"*"PASS"* ]] # the summary of the pass it reuses
  [ -s "$repo/reports/security/summary.json" ]
  scanned aws # another target is another scan
  run "$repo/scripts/security_scan.sh" --target local --rescan
  [[ $output == *"==> bandit"* ]]
  scanned local SECURITY_SCAN_REUSE_SECONDS=0

  # One changed byte in any scanned folder: scanned again.
  for file in lambda/pipeline.py terraform/main.tf scripts/lib/common.sh .shellcheckrc; do
    printf '\n' >>"$repo/$file"
    scanned local || { echo "$file changed, yet the pass was reused"; return 1; }
  done

  # A failure is never kept: the same inputs fail again rather than pass.
  entries=$(kept)
  printf '# changed\n' >>"$repo/lambda/pipeline.py"
  run env PLANT=bandit "$repo/scripts/security_scan.sh" --target local
  [ "$status" -eq 1 ]
  [ "$(kept)" -eq "$entries" ]
  run env PLANT=bandit "$repo/scripts/security_scan.sh" --target local
  [ "$status" -eq 1 ]

  # A pass older than the hour is not reused.
  scanned local
  for passed_at in "$SECURITY_SCAN_CACHE_DIR"/*/passed-at; do
    echo $(($(cat "$passed_at") - 3600)) >"$passed_at"
  done
  scanned local
}

@test "deploy stops before building or planning when the scan fails" {
  repo=$(stubbed_repo bandit terraform checkov shellcheck)
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

#!/usr/bin/env bats
# scripts/lib/terraform_progress.py reads Terraform's machine-readable UI
# (-json): the counts, the summary and the errors come from its messages, the
# log is their human text. A first interrupt lets Terraform finish (a create
# cancelled mid-call can leave a resource the state does not know), a second
# one stops it and names what was in flight. tests/fixtures/terraform_ui/ holds
# what Terraform 1.11.4 printed for a small configuration of terraform_data
# resources: a plan with an import, a plan with an error, an apply, an apply
# that failed, a destroy.

load helpers
bats_require_minimum_version 1.5.0

UI="$REPO_ROOT/tests/fixtures/terraform_ui"
progress() { "$PY" "$REPO_ROOT/scripts/lib/terraform_progress.py" "$@"; }

# fake_terraform FILE: a command that prints Terraform's -json messages for
# two resources created one after the other, and says when it got SIGINT.
fake_terraform() {
  cat >"$1" <<'PY'
import json, signal, sys, time
t0 = time.monotonic()
def stopped(*_):
    print(f"SIGINT after {time.monotonic() - t0:.1f}s", flush=True)
    sys.exit(1)
def say(kind, message, address, action="create"):
    hook = {"resource": {"addr": address}, "action": action}
    print(json.dumps({"@level": "info", "@message": message, "type": kind, "hook": hook}), flush=True)
signal.signal(signal.SIGINT, stopped)
for name in ("aws_kms_key.a", "aws_s3_bucket.b"):
    say("apply_start", f"{name}: Creating...", name)
    time.sleep(1.5)
    say("apply_complete", f"{name}: Creation complete after 1s [id=x]", name)
print("apply finished", flush=True)
PY
}

@test "the progress counts apply_complete, the summary is the change_summary's, and the log is the messages' text" {
  run --separate-stderr progress run --label apply --total 3 --log "$BATS_TEST_TMPDIR/apply.log" -- cat "$UI/apply.jsonl"
  [ "$status" -eq 0 ] || { echo "$stderr"; return 1; }
  [[ ${lines[0]} == "    apply: 2/3 resources ("* && ${lines[1]} == "    Apply complete! Resources: 2 added, 0 changed, 0 destroyed." ]] ||
    { echo "$output"; return 1; }
  run --separate-stderr progress run --label destroy --total 3 --log "$BATS_TEST_TMPDIR/destroy.log" -- cat "$UI/destroy.jsonl"
  [ "$status" -eq 0 ] || { echo "$stderr"; return 1; }
  [[ ${lines[0]} == "    destroy: 3/3 resources ("* && ${lines[1]} == "    Destroy complete! Resources: 3 destroyed." ]] ||
    { echo "$output"; return 1; }
  run cat "$BATS_TEST_TMPDIR/apply.log"
  [[ $output == *"terraform_data.b: Creation complete after 1s [id="*"Outputs: 1"$'\n''  o = "x"'* ]] || { echo "$output"; return 1; }
  [[ $output != *'"@level"'* ]] || { echo "$output"; return 1; }
}

@test "a failed apply shows its error diagnostics, where they arose and their detail, and the log's path" {
  # shellcheck disable=SC2016 # sh's own $1
  run --separate-stderr progress run --label apply --log "$BATS_TEST_TMPDIR/log" -- sh -c 'cat "$1"; exit 1' _ "$UI/apply-errored.jsonl"
  [ "$status" -eq 1 ]
  [[ $stderr == "Error: local-exec provisioner error"$'\n'"  with terraform_data.c,"$'\n'"  on bad.tf line 2:"* ]] || { echo "$stderr"; return 1; }
  [[ $stderr == *"  Error running command 'echo boom; exit 3': exit status 3. Output: boom"$'\n'"apply failed (exit 1); full output in $BATS_TEST_TMPDIR/log" ]] ||
    { echo "$stderr"; return 1; }
  [[ $stderr != *"Refreshing state"* ]] || { echo "$stderr"; return 1; }
  grep -q "^  Error running command 'echo boom; exit 3'" "$BATS_TEST_TMPDIR/log"
}

@test "a plan's summary and total come from its change_summary; its errors from its diagnostics; an unknown UI version is refused" {
  run --separate-stderr progress summary <"$UI/plan-import.jsonl"
  [ "$status" -eq 0 ]
  [ "$output" = "2 1 to import, 1 to add, 0 to change, 1 to destroy" ]

  run --separate-stderr progress summary <"$UI/plan-error.jsonl"
  [ "$status" -eq 1 ]
  [ "$stderr" = "error: the plan's output has no change_summary" ]
  run --separate-stderr progress text --errors <"$UI/plan-error.jsonl"
  [ "$status" -eq 0 ]
  [[ ${lines[0]} == "Error: Unclosed configuration block" && ${lines[1]} == "  on broken.tf line 1:" && ${lines[2]} == "  There is no closing brace"* ]] ||
    { echo "$output"; return 1; }

  run --separate-stderr progress summary < <(sed 's/"ui":"1\.[0-9]*"/"ui":"2.0"/' "$UI/plan-import.jsonl")
  [ "$status" -eq 1 ]
  [ "$stderr" = "error: Terraform's machine-readable UI is 2.0; this reads 1.x" ]
}

@test "a first interrupt lets Terraform finish; a second stops it and names what was in flight" {
  fake_terraform "$BATS_TEST_TMPDIR/fake.py"
  progress=("$PY" "$REPO_ROOT/scripts/lib/terraform_progress.py" run --label apply --log "$BATS_TEST_TMPDIR/log" --)

  # Ctrl-C while the first resource is being created: both are created.
  "${progress[@]}" "$PY" "$BATS_TEST_TMPDIR/fake.py" >/dev/null 2>"$BATS_TEST_TMPDIR/err" &
  pid=$!
  sleep 0.7
  kill -INT "$pid"
  rc=0
  wait "$pid" || rc=$?
  [ "$rc" -eq 0 ]
  run cat "$BATS_TEST_TMPDIR/log"
  [[ $output == *"aws_s3_bucket.b: Creation complete"*"apply finished"* && $output != *SIGINT* && $output != *'"hook"'* ]] ||
    { echo "$output"; return 1; }
  run cat "$BATS_TEST_TMPDIR/err"
  [[ $output == *"interrupted: letting apply finish"* && $output != *Traceback* ]] || { echo "$output"; return 1; }

  # A second interrupt (here a SIGTERM): stopped at once, mid-create, and named.
  : >"$BATS_TEST_TMPDIR/log"
  "${progress[@]}" "$PY" "$BATS_TEST_TMPDIR/fake.py" >/dev/null 2>"$BATS_TEST_TMPDIR/err" &
  pid=$!
  sleep 0.7
  kill -INT "$pid"
  sleep 0.2
  kill -TERM "$pid"
  rc=0
  wait "$pid" || rc=$?
  [ "$rc" -eq 1 ]
  run cat "$BATS_TEST_TMPDIR/log"
  [[ $output == *"SIGINT after 0."* && $output != *"Creation complete"* ]] || { echo "$output"; return 1; }
  run cat "$BATS_TEST_TMPDIR/err"
  [[ $output == *"in flight when it was stopped (each may exist outside the state): aws_kms_key.a"* ]] ||
    { echo "$output"; return 1; }
}

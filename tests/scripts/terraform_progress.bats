#!/usr/bin/env bats
# scripts/lib/terraform_progress.py: an interrupt stops Terraform between
# resources, never in the middle of a create (which can leave a resource the
# state does not know).

load helpers
bats_require_minimum_version 1.5.0

# fake_terraform FILE: a command that prints Terraform's progress lines for
# two resources, one after the other, and says when it got SIGINT.
fake_terraform() {
  cat >"$1" <<'PY'
import signal, sys, time
t0 = time.monotonic()
def stopped(*_):
    print(f"SIGINT after {time.monotonic() - t0:.1f}s", flush=True)
    sys.exit(1)
signal.signal(signal.SIGINT, stopped)
for name in ("aws_kms_key.a", "aws_s3_bucket.b"):
    print(f"{name}: Creating...", flush=True)
    time.sleep(1.5)
    print(f"{name}: Creation complete after 1s [id=x]", flush=True)
time.sleep(20)
print("apply finished", flush=True)
PY
}

@test "an interrupt stops Terraform only once no resource is in flight; a second one at once" {
  fake_terraform "$BATS_TEST_TMPDIR/fake.py"
  progress=("$PY" "$REPO_ROOT/scripts/lib/terraform_progress.py" run --label apply --log "$BATS_TEST_TMPDIR/log" --)

  # Ctrl-C while the first resource is being created: Terraform is stopped
  # after both (the second starts as the first completes), not during either.
  "${progress[@]}" "$PY" "$BATS_TEST_TMPDIR/fake.py" >/dev/null 2>"$BATS_TEST_TMPDIR/err" &
  pid=$!
  sleep 0.7
  kill -INT "$pid"
  rc=0
  wait "$pid" || rc=$?
  [ "$rc" -eq 1 ]
  run cat "$BATS_TEST_TMPDIR/log"
  [[ $output == *"aws_s3_bucket.b: Creation complete"*"SIGINT after "* ]] || { echo "$output"; return 1; }
  [[ $output != *"apply finished"* ]]
  run cat "$BATS_TEST_TMPDIR/err"
  [[ $output == *"interrupted: stopping apply once the 1 resource(s) in progress are done"* ]]
  [[ $output != *Traceback* ]]

  # A second interrupt: at once, mid-create.
  : >"$BATS_TEST_TMPDIR/log"
  "${progress[@]}" "$PY" "$BATS_TEST_TMPDIR/fake.py" >/dev/null 2>&1 &
  pid=$!
  sleep 0.7
  kill -INT "$pid"
  sleep 0.2
  kill -TERM "$pid"
  rc=0
  wait "$pid" || rc=$?
  [ "$rc" -eq 1 ]
  run cat "$BATS_TEST_TMPDIR/log"
  [[ $output != *"aws_kms_key.a: Creation complete"* ]] || { echo "$output"; return 1; }
  [[ $output == *"SIGINT after "* ]]
}

#!/usr/bin/env bats
# scripts/lib/terraform_progress.py: a first interrupt lets Terraform finish
# (a create cancelled mid-call can leave a resource the state does not know),
# a second one stops it and names what was in flight.

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
print("apply finished", flush=True)
PY
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
  [[ $output == *"aws_s3_bucket.b: Creation complete"*"apply finished"* && $output != *SIGINT* ]] ||
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

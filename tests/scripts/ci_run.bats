#!/usr/bin/env bats
# .ci/run: make test and make test-e2e side by side, each log printed whole
# when it ends, either failing fails CI; a Ctrl-C (SIGINT to its process
# group, as a terminal sends it) or a SIGTERM stops both, as a Ctrl-C does,
# and fails CI. Run with a fake make, terraform, shellcheck and bats.

load helpers
bats_require_minimum_version 1.5.0

setup() {
  repo="$BATS_TEST_TMPDIR/repo"
  fakes="$BATS_TEST_TMPDIR/bin"
  mkdir -p "$repo/.ci" "$repo/.venv/bin" "$fakes"
  cp "$REPO_ROOT/.ci/run" "$repo/.ci/run"
  printf '#!/bin/sh\necho "version: fake"\n' >"$repo/.venv/bin/shellcheck"
  printf '#!/bin/sh\necho "Bats fake"\n' >"$repo/.venv/bin/bats"
  printf '#!/bin/sh\necho "Terraform fake"\n' >"$fakes/terraform"
  # make TARGET: setup passes at once; test and test-e2e say so, run for
  # FAKE_MAKE_SECONDS (1) and exit with FAKE_MAKE_RC_<target> (0), or say
  # "interrupted" on a SIGINT and exit 2.
  cat >"$fakes/make" <<'SH'
#!/usr/bin/env bash
[[ $1 == setup ]] && exit 0
trap 'echo "make $1: interrupted"; exit 2' INT
echo "make $1: running"
for ((i = 0; i < ${FAKE_MAKE_SECONDS:-1} * 10; i++)); do sleep 0.1; done
rc_var=FAKE_MAKE_RC_${1//-/_}
echo "make $1: done"
exit "${!rc_var:-0}"
SH
  chmod +x "$repo/.venv/bin/shellcheck" "$repo/.venv/bin/bats" "$fakes/terraform" "$fakes/make"
  export PATH="$fakes:$PATH"
  unset TF_CLI_CONFIG_FILE
}

@test "one make fails: CI fails with its status, after the other has ended; each log printed whole" {
  FAKE_MAKE_RC_test_e2e=3 FAKE_MAKE_SECONDS=2 run -3 "$repo/.ci/run"
  [[ $output == *"make test-e2e: exit 3 after"* ]]
  [[ $output == *"make test: exit 0 after"*"make test: done"* ]]
}

# signal_ci SIGNAL TARGET: .ci/run with SIGINT handled (a shell's background
# jobs start with it ignored), SIGNAL sent 1 s in, to its process group
# (TARGET group) or to it alone (TARGET process), as a terminal's Ctrl-C or a
# CI runner's cancel does; prints its output and exit status, and what of
# the fake makes is still running.
signal_ci() {
  FAKE_MAKE_SECONDS=60 "$PY" - "$repo/.ci/run" "$1" "$2" "$fakes/make" <<'PY'
import os, signal, subprocess, sys, time
def default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.setpgrp()
ci = subprocess.Popen([sys.argv[1]], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                      preexec_fn=default_sigint)
time.sleep(1)
number = getattr(signal, sys.argv[2])
os.killpg(ci.pid, number) if sys.argv[3] == "group" else ci.send_signal(number)
print(ci.communicate(timeout=30)[0])
print(f"exit {ci.returncode}")
left = subprocess.run(["pgrep", "-f", f"{sys.argv[4]} test"], capture_output=True, text=True).stdout
print(f"still running: {len(left.split())}")
PY
}

@test "a Ctrl-C stops both makes as a Ctrl-C does, waits for them, and fails CI (130)" {
  run -0 signal_ci SIGINT group
  [[ $output == *"interrupted: stopping make"* ]]
  [[ $output == *"make test: interrupted"* && $output == *"make test-e2e: interrupted"* ]]
  [[ $output == *"make test: exit 2 after"* && $output == *"make test-e2e: exit 2 after"* ]]
  [[ $output == *"exit 130"* ]]
  [[ $output == *"still running: 0"* ]]
}

@test "a SIGTERM to .ci/run alone stops both makes too, and fails CI (143)" {
  run -0 signal_ci SIGTERM process
  [[ $output == *"make test: interrupted"* && $output == *"make test-e2e: interrupted"* ]]
  [[ $output == *"exit 143"* ]]
  [[ $output == *"still running: 0"* ]]
}

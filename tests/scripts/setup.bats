#!/usr/bin/env bats
# make's virtualenv set-up: a line per pip install with its time; pip's own
# output (a warning per package on a machine whose pip configuration names a
# missing location) in a log, and its end on the terminal when it fails.

load helpers
bats_require_minimum_version 1.5.0

# fake_python DIR: a python3 whose venvs hold a pip that prints 200 warnings and
# exits $FAKE_PIP_RC (0 by default).
fake_python() {
  mkdir -p "$1"
  cat >"$1/python3" <<'SH'
#!/usr/bin/env bash
if [[ $1 == -m && $2 == venv ]]; then
  mkdir -p "$3/bin"
  cat >"$3/bin/python" <<'PIP'
#!/usr/bin/env bash
for i in $(seq 1 200); do
  echo "WARNING: Location 'file:///nowhere/simple/package-$i/' is ignored: it is neither a file nor a directory."
done
exit "${FAKE_PIP_RC:-0}"
PIP
  chmod +x "$3/bin/python"
  exit 0
fi
exec python3 "$@"
SH
  chmod +x "$1/python3"
}

@test "a virtualenv's pip install prints one line at its start and one with its time, pip's output in a log" {
  fake_python "$BATS_TEST_TMPDIR/bin"
  venv="$BATS_TEST_TMPDIR/venv"

  run --separate-stderr make --no-print-directory -C "$REPO_ROOT" PYTHON="$BATS_TEST_TMPDIR/bin/python3" CHECKOV_VENV="$venv" "$venv/.installed"

  [ "$status" -eq 0 ] || { echo "$output $stderr"; return 1; }
  [ "${#lines[@]}" -eq 2 ] || { echo "$output"; return 1; }
  [[ ${lines[0]} == " ..  pip install -r requirements-checkov.txt into $venv" ]]
  [[ ${lines[1]} =~ ^" ok  pip install -r requirements-checkov.txt into $venv ("[0-9]+"s; output in $venv/pip.log)"$ ]]
  [ -z "$stderr" ]
  [ "$(grep -c '^WARNING: Location' "$venv/pip.log")" -eq 200 ]
}

@test "a failed pip install shows the end of pip's output, the exit code and the log" {
  fake_python "$BATS_TEST_TMPDIR/bin"
  venv="$BATS_TEST_TMPDIR/venv"

  run --separate-stderr env FAKE_PIP_RC=3 make --no-print-directory -C "$REPO_ROOT" PYTHON="$BATS_TEST_TMPDIR/bin/python3" CHECKOV_VENV="$venv" "$venv/.installed"

  [ "$status" -ne 0 ]
  [[ $stderr == *"package-200/' is ignored"* ]]
  [[ $stderr == *"error: pip install -r requirements-checkov.txt into $venv failed (exit 3); full output in $venv/pip.log"* ]]
  [ ! -e "$venv/.installed" ]
}

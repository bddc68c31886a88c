#!/usr/bin/env bats
# make's virtualenv set-up: .venv's pip installs the pinned uv, and uv each
# virtualenv's requirements; a line per install with its time, the
# installer's own output (a warning per package on a machine whose pip
# configuration names a missing location) in a log, and its end on the
# terminal when it fails; nothing when the virtualenvs are up to date.

load helpers
bats_require_minimum_version 1.5.0

# fake_python DIR: a python3 (the project's .venv python) whose virtualenvs (the last argument of -m venv)
# hold a python whose `-m pip install` logs its arguments to DIR/calls,
# prints 200 warnings, writes a uv beside itself and exits $FAKE_PIP_RC (0 by
# default); that uv logs its arguments, prints 200 warnings and exits
# $FAKE_UV_RC (0 by default).
fake_python() {
  mkdir -p "$1"
  {
    printf '#!/usr/bin/env bash\ncalls=%q real=%q\n' "$1/calls" "$PY"
    cat <<'SH'
if [[ $1 == -m && $2 == venv ]]; then
  venv=${*: -1}
  mkdir -p "$venv/bin"
  printf 'venv %s\n' "${*:3}" >>"$calls"
  cat >"$venv/bin/python" <<PIP
#!/usr/bin/env bash
printf 'python %s\n' "\$*" >>$calls
for i in \$(seq 1 200); do
  echo "WARNING: Location 'file:///nowhere/simple/package-\$i/' is ignored: it is neither a file nor a directory."
done
cat >"\${BASH_SOURCE[0]%/*}/uv" <<UV
#!/usr/bin/env bash
printf 'uv %s\n' "\\\$*" >>$calls
for i in \\\$(seq 1 200); do echo "warning: package-\\\$i was yanked"; done
exit "\\\${FAKE_UV_RC:-0}"
UV
chmod +x "\${BASH_SOURCE[0]%/*}/uv"
exit "\${FAKE_PIP_RC:-0}"
PIP
  chmod +x "$venv/bin/python"
  exit 0
fi
exec "$real" "$@"
SH
  } >"$1/python3"
  chmod +x "$1/python3"
}

# make_venv VENV DEV [ENV...]: make's recipe for VENV/.installed (the checkov
# virtualenv's, requirements-checkov.txt) with DEV as .venv, the fake python
# (TARGET=setup: make setup's).
make_venv() {
  local venv=$1 dev=$2
  shift 2
  run --separate-stderr env "$@" make --no-print-directory -C "$REPO_ROOT" PYTHON="$BATS_TEST_TMPDIR/bin/python3" \
    VENV="$dev" CHECKOV_VENV="$venv" "${TARGET:-$venv/.installed}"
}

@test "each install prints one line at its start and one with its time, its output in a log: pip installs the pinned uv, uv the requirements" {
  fake_python "$BATS_TEST_TMPDIR/bin"
  venv="$BATS_TEST_TMPDIR/venv"
  dev="$BATS_TEST_TMPDIR/dev"

  make_venv "$venv" "$dev"

  [ "$status" -eq 0 ] || { echo "$output $stderr"; return 1; }
  [ "${#lines[@]}" -eq 4 ] || { echo "$output"; return 1; }
  [[ ${lines[0]} =~ ^" ..  pip install uv=="[0-9]+\.[0-9]+\.[0-9]+" into $dev"$ ]] || { echo "$output"; return 1; }
  [[ ${lines[1]} =~ ^" ok  pip install uv=="[0-9]+\.[0-9]+\.[0-9]+" into $dev ("[0-9]+"s; output in $dev/pip.log)"$ ]]
  [[ ${lines[2]} == " ..  uv pip install --compile-bytecode -r requirements-checkov.txt into $venv" ]]
  [[ ${lines[3]} =~ ^" ok  uv pip install --compile-bytecode -r requirements-checkov.txt into $venv ("[0-9]+"s; output in $venv/pip.log)"$ ]]
  [ -z "$stderr" ]
  [ "$(grep -c '^WARNING: Location' "$dev/pip.log")" -eq 200 ]
  [ "$(grep -c '^warning: package-' "$venv/pip.log")" -eq 200 ]
  # What ran: .venv's pip installs uv at the Makefile's pin into .venv; .venv's
  # uv installs into the checkov virtualenv's python (which has no pip), and
  # compiles its bytecode, as pip did (checkov starts at each scan).
  pin=$(sed -n 's/^UV_VERSION := //p' "$REPO_ROOT/Makefile")
  run cat "$BATS_TEST_TMPDIR/bin/calls"
  [ "${lines[0]}" = "venv $dev" ] || { echo "$output"; return 1; }
  [ "${lines[1]}" = "python -m pip install --quiet uv==$pin" ]
  [ "${lines[2]}" = "venv --without-pip $venv" ]
  [ "${lines[3]}" = "uv pip install --python $venv/bin/python --compile-bytecode -r requirements-checkov.txt" ]
  [ "${#lines[@]}" -eq 4 ]
  [ -e "$dev/.uv-$pin" ] && [ -e "$venv/.installed" ]
  grep -qF "(\`UV_VERSION\`, $pin)" "$REPO_ROOT/README.md" # the pin README names
}

@test "make setup installs nothing when the virtualenvs are up to date, and only uv when its pin changes" {
  fake_python "$BATS_TEST_TMPDIR/bin"
  venv="$BATS_TEST_TMPDIR/venv"
  dev="$BATS_TEST_TMPDIR/dev"
  TARGET=setup make_venv "$venv" "$dev"
  [ "$status" -eq 0 ] || { echo "$output $stderr"; return 1; }
  [[ $output == *" ok  uv pip install --compile-bytecode pip=="*" -r requirements-dev.txt into $dev ("* ]] || { echo "$output"; return 1; }
  [[ $output == *" ok  uv pip install --compile-bytecode -r requirements-checkov.txt into $venv ("* ]] || { echo "$output"; return 1; }
  : >"$BATS_TEST_TMPDIR/bin/calls"

  TARGET=setup make_venv "$venv" "$dev"

  [ "$status" -eq 0 ] || { echo "$output $stderr"; return 1; }
  [ -z "$output" ] && [ -z "$stderr" ]
  [ ! -s "$BATS_TEST_TMPDIR/bin/calls" ]

  # A new uv is installed, and reinstalls nothing (the requirements did not change).
  TARGET=setup make_venv "$venv" "$dev" MAKEFLAGS=UV_VERSION=99.0.0

  [ "$status" -eq 0 ] || { echo "$output $stderr"; return 1; }
  [ "${#lines[@]}" -eq 2 ] || { echo "$output"; return 1; }
  [[ ${lines[1]} == " ok  pip install uv==99.0.0 into $dev ("* ]] || { echo "$output"; return 1; }
}

@test "a failed uv pip install shows the end of its output, the exit code and the log" {
  fake_python "$BATS_TEST_TMPDIR/bin"
  venv="$BATS_TEST_TMPDIR/venv"
  dev="$BATS_TEST_TMPDIR/dev"

  make_venv "$venv" "$dev" FAKE_UV_RC=3

  [ "$status" -ne 0 ]
  [[ $stderr == *"warning: package-200 was yanked"* ]]
  [[ $stderr == *"error: uv pip install --compile-bytecode -r requirements-checkov.txt into $venv failed (exit 3); full output in $venv/pip.log"* ]]
  [ ! -e "$venv/.installed" ]
}

@test "a failed install of uv shows the end of pip's output, the exit code and the log, and installs nothing else" {
  fake_python "$BATS_TEST_TMPDIR/bin"
  venv="$BATS_TEST_TMPDIR/venv"
  dev="$BATS_TEST_TMPDIR/dev"

  make_venv "$venv" "$dev" FAKE_PIP_RC=4

  [ "$status" -ne 0 ]
  [[ $stderr == *"package-200/' is ignored"* ]]
  [[ $stderr =~ "error: pip install uv=="[0-9.]+" into $dev failed (exit 4); full output in $dev/pip.log" ]] || { echo "$stderr"; return 1; }
  [ ! -e "$venv/.installed" ]
  run ! grep -q '^uv ' "$BATS_TEST_TMPDIR/bin/calls"
}

@test "uv takes the private index README names (UV_DEFAULT_INDEX), and not pip's PIP_INDEX_URL" {
  url="http://127.0.0.1:$(free_port)/simple"
  grep -qF "\`UV_DEFAULT_INDEX\`" "$REPO_ROOT/README.md"
  dry_run=("$REPO_ROOT/.venv/bin/uv" pip install --dry-run --no-cache --python "$PY" toolz)

  run env -u UV_INDEX -u UV_INDEX_URL UV_DEFAULT_INDEX="$url" UV_HTTP_RETRIES=0 "${dry_run[@]}"

  [ "$status" -ne 0 ]
  [[ $output == *"$url/toolz/"* ]] || { echo "$output"; return 1; }

  # pip's index variable beside it is not read: uv asks its own index only.
  other="http://127.0.0.1:$(free_port)/pip-index"
  run env -u UV_INDEX -u UV_INDEX_URL UV_DEFAULT_INDEX="$url" PIP_INDEX_URL="$other" \
    PIP_CONFIG_FILE=/dev/null UV_HTTP_RETRIES=0 "${dry_run[@]}"

  [ "$status" -ne 0 ]
  [[ $output == *"$url/toolz/"* ]] || { echo "$output"; return 1; }
  [[ $output != *"$other"* ]] || { echo "$output"; return 1; }
}

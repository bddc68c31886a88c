# Shared set-up for the bats tests of scripts/.

REPO_ROOT="$(cd "$(dirname "$BATS_TEST_FILENAME")/../.." && pwd)"
export REPO_ROOT
export NO_COLOR=1

# copy_repo: a scratch copy of the tracked files, sharing the virtualenvs.
copy_repo() {
  local copy="$BATS_TEST_TMPDIR/repo"
  mkdir -p "$copy"
  (cd "$REPO_ROOT" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$copy")
  ln -s "$REPO_ROOT/.venv" "$copy/.venv"
  [[ -d $REPO_ROOT/.venv-checkov ]] && ln -s "$REPO_ROOT/.venv-checkov" "$copy/.venv-checkov"
  printf '%s\n' "$copy"
}

# free_port: a TCP port nothing listens on.
free_port() {
  "$REPO_ROOT/.venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

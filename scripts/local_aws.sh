#!/usr/bin/env bash
# Start, stop or check the local AWS: moto's server on 127.0.0.1.
set -Eeuo pipefail

# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

STATE_DIR="$REPO_ROOT/.local-aws"
PID_FILE="$STATE_DIR/moto.pid"
LOG_FILE="$STATE_DIR/moto.log"

usage() {
  cat <<USAGE
Usage: $(basename "$0") start|stop|status [--port PORT]

Runs moto's server (the pinned moto[server] from .venv, through
scripts/lib/moto_server.py) as the local AWS that
'deploy.sh --local', 'make demo' and the end-to-end tests use.

Commands:
  start    start the server unless it already runs; wait until it answers
  stop     stop exactly the process that 'start' started (pid file)
  status   say whether it runs, and where

Options:
  --port PORT  port on 127.0.0.1 (default: \$LOCAL_AWS_PORT or 5055)
  -h, --help   show this help

Files: .local-aws/moto.pid, .local-aws/moto.log
USAGE
}

running_pid() {
  [[ -f $PID_FILE ]] || return 1
  local pid
  pid=$(<"$PID_FILE")
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  # Only our moto server counts, not a process that reused the pid.
  grep -q moto_server "/proc/$pid/cmdline" 2>/dev/null || return 1 # lib/moto_server.py
  printf '%s\n' "$pid"
}

healthy() {
  curl --silent --fail --max-time 2 "$LOCAL_AWS_ENDPOINT/moto-api/data.json" >/dev/null 2>&1
}

start() {
  local pid
  if pid=$(running_pid); then
    ok "local AWS already running (pid $pid) at $LOCAL_AWS_ENDPOINT"
    return 0
  fi
  healthy && die "something else already answers on $LOCAL_AWS_ENDPOINT; choose another --port"
  local python="$REPO_ROOT/.venv/bin/python"
  "$python" -c 'import moto.server' 2>/dev/null || die "moto[server] not found in .venv; run 'make setup'"
  mkdir -p "$STATE_DIR"
  # moto keeps everything in memory: a new server is an empty AWS, and a
  # Terraform state left from the previous one describes nothing real.
  if [[ -e $STATE_DIR/terraform.tfstate ]]; then
    rm -f "$STATE_DIR"/terraform.tfstate "$STATE_DIR"/terraform.tfstate.backup "$STATE_DIR/delivered.json"
    info "discarded the Terraform state of a previous local AWS"
  fi
  step "Starting the local AWS (moto server) on $LOCAL_AWS_ENDPOINT"
  # AWS managed policies (AWS_ConfigRole) exist in real accounts: load them.
  # lib/moto_server.py is moto's server with bucket-policy conditions evaluated as AWS does.
  MOTO_IAM_LOAD_MANAGED_POLICIES=true setsid "$python" "$REPO_ROOT/scripts/lib/moto_server.py" \
    -H 127.0.0.1 -p "$LOCAL_AWS_PORT" \
    >"$LOG_FILE" 2>&1 </dev/null &
  echo $! >"$PID_FILE"
  local waited=0
  until healthy; do
    if ! running_pid >/dev/null; then
      tail -n 20 "$LOG_FILE" >&2 || true
      rm -f "$PID_FILE"
      die "the local AWS exited during start-up (log above)"
    fi
    ((waited++ < 60)) || die "the local AWS did not answer within 30 s (see $LOG_FILE)"
    sleep 0.5
  done
  ok "local AWS running (pid $(<"$PID_FILE")), log in ${LOG_FILE#"$REPO_ROOT"/}"
}

stop() {
  local pid
  if ! pid=$(running_pid); then
    rm -f "$PID_FILE"
    ok "local AWS not running"
    return 0
  fi
  step "Stopping the local AWS (pid $pid)"
  kill "$pid"
  for _ in $(seq 1 20); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.25
  done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
  rm -f "$PID_FILE"
  ok "local AWS stopped"
}

status() {
  local pid
  if pid=$(running_pid); then
    ok "local AWS running (pid $pid) at $LOCAL_AWS_ENDPOINT"
  else
    info "local AWS not running"
    return 1
  fi
}

command=""
while (($#)); do
  case $1 in
    start | stop | status) command=$1; shift ;;
    --port)
      LOCAL_AWS_PORT=${2:?--port needs a value}
      LOCAL_AWS_ENDPOINT="http://127.0.0.1:${LOCAL_AWS_PORT}"
      shift 2
      ;;
    -h | --help) usage; exit 0 ;;
    *) usage_error "unknown argument: $1" ;;
  esac
done
[[ -n $command ]] || usage_error "a command is required"
require curl
"$command"

#!/usr/bin/env bash
# Start, stop or check the local AWS: moto's server on 127.0.0.1.
set -Eeuo pipefail

# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
  cat <<USAGE
Usage: $(basename "$0") start|stop|status|env [--port PORT]

Runs moto's server (the pinned moto[server] from .venv, through
scripts/local/moto_server.py) as the local AWS that
'deploy.sh --local', 'make demo' and the end-to-end tests use.

Commands:
  start    start the server unless it already runs; wait until it answers
  stop     stop exactly the process that 'start' started (pid file)
  status   say whether it runs and answers on the port; exit 1 if not
  env      print the exports that point aws, boto3, terraform and the
           local make targets (make local-process) at it, port and state
           directory included, with .venv/bin first on PATH (the pinned aws
           CLI), and unset a TF_CLI_CONFIG_FILE that names a missing file:
           eval "\$(scripts/$(basename "$0") env)"

Options:
  --port PORT  port on 127.0.0.1 (default: \$LOCAL_AWS_PORT or 5055)
  -h, --help   show this help

Files: moto.pid, moto.port, moto.log and the local Terraform state, in
\$LOCAL_AWS_DIR (default .local-aws/).
USAGE
}

PID_FILE="$LOCAL_AWS_DIR/moto.pid"
PORT_FILE="$LOCAL_AWS_DIR/moto.port"
LOG_FILE="$LOCAL_AWS_DIR/moto.log"
SHOWN_DIR=${LOCAL_AWS_DIR#"$REPO_ROOT"/}

# running_pid: the pid of the server that 'start' started from this directory.
running_pid() {
  [[ -f $PID_FILE ]] || return 1
  local pid
  pid=$(<"$PID_FILE")
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  # Only our moto server counts, not a process that reused the pid.
  grep -q moto_server "/proc/$pid/cmdline" 2>/dev/null || return 1 # local/moto_server.py
  printf '%s\n' "$pid"
}

# alive PID: the process exists and has not exited (a zombie has).
alive() {
  local stat
  read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
  stat=${stat##*) }
  [[ ${stat%% *} != Z ]]
}

# running_port: the port that server listens on (a server started before
# moto.port existed is taken to listen on the port asked for; the health
# check below then tells).
running_port() {
  if [[ -f $PORT_FILE ]]; then cat "$PORT_FILE"; else printf '%s\n' "$LOCAL_AWS_PORT"; fi
}

# listens_on_port PID: true when process PID holds the socket listening on
# LOCAL_AWS_PORT (/proc/net/tcp: local address 0100007F:PORT in hex, state 0A
# = LISTEN, inode in field 10). An answer on the port is not enough: two
# starts on one port at once (a free port is free for everyone until a
# server binds it) both find it free, one server binds it and the other
# exits with "Address already in use", and its start would take the
# winner's answers for its own, sending a second stack to the same AWS.
listens_on_port() {
  local inode fd hex
  hex=$(printf ':%04X' "$LOCAL_AWS_PORT")
  while read -r inode; do
    for fd in /proc/"$1"/fd/*; do
      [[ $(readlink "$fd" 2>/dev/null) == "socket:[$inode]" ]] && return 0
    done
  done < <(awk -v port="$hex" '$4 == "0A" && substr($2, length($2) - 4) == port { print $10 }' /proc/net/tcp)
  return 1
}

start() {
  local pid port
  if pid=$(running_pid); then
    port=$(running_port || true)
    [[ $port == "$LOCAL_AWS_PORT" ]] ||
      die "the local AWS of $SHOWN_DIR already runs on port ${port:-?} (pid $pid); stop it first, or use --port ${port:-?}"
    local_aws_answers || die "the local AWS (pid $pid) does not answer on $LOCAL_AWS_ENDPOINT; see $LOG_FILE"
    ok "local AWS already running (pid $pid) at $LOCAL_AWS_ENDPOINT"
    return 0
  fi
  local_aws_answers && die "something else already answers on $LOCAL_AWS_ENDPOINT; choose another --port"
  local python="$REPO_ROOT/.venv/bin/python"
  "$python" -c 'import moto.server' 2>/dev/null || die "moto[server] not found in .venv; run 'make setup'"
  mkdir -p "$LOCAL_AWS_DIR"
  # moto keeps everything in memory: a new server is an empty AWS, and a
  # Terraform state left from the previous one describes nothing real.
  if [[ -e $LOCAL_AWS_DIR/terraform.tfstate ]]; then
    rm -f "$LOCAL_AWS_DIR"/terraform.tfstate "$LOCAL_AWS_DIR"/terraform.tfstate.backup "$LOCAL_AWS_DIR/delivered.json"
    info "discarded the Terraform state of a previous local AWS"
  fi
  step "Starting the local AWS (moto server) on $LOCAL_AWS_ENDPOINT"
  # AWS managed policies (AWS_ConfigRole) exist in real accounts: load them.
  # local/moto_server.py is moto's server with bucket-policy conditions evaluated as AWS does.
  MOTO_IAM_LOAD_MANAGED_POLICIES=true setsid "$python" "$REPO_ROOT/scripts/local/moto_server.py" \
    -H 127.0.0.1 -p "$LOCAL_AWS_PORT" \
    >"$LOG_FILE" 2>&1 </dev/null &
  echo $! >"$PID_FILE"
  printf '%s\n' "$LOCAL_AWS_PORT" >"$PORT_FILE"
  local waited=0
  until listens_on_port "$(<"$PID_FILE")" && local_aws_answers; do
    # (Not running_pid: until the child has run setsid, its command line is
    # still this script's, which a loaded machine showed.)
    if ! alive "$(<"$PID_FILE")"; then
      tail -n 20 "$LOG_FILE" >&2 || true
      rm -f "$PID_FILE" "$PORT_FILE"
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
    rm -f "$PID_FILE" "$PORT_FILE"
    ok "local AWS not running"
    return 0
  fi
  step "Stopping the local AWS (pid $pid)"
  kill "$pid"
  for _ in $(seq 1 20); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.25
  done
  if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid"; fi
  rm -f "$PID_FILE" "$PORT_FILE"
  ok "local AWS stopped"
}

status() {
  local pid port
  if pid=$(running_pid) && port=$(running_port) && [[ $port == "$LOCAL_AWS_PORT" ]] && local_aws_answers; then
    ok "local AWS running (pid $pid) at $LOCAL_AWS_ENDPOINT"
    return 0
  fi
  if [[ -n ${pid:-} && -n ${port:-} && $port != "$LOCAL_AWS_PORT" ]]; then
    info "local AWS not running on port $LOCAL_AWS_PORT (the one of $SHOWN_DIR runs on port $port)"
  elif [[ -n ${pid:-} ]]; then
    info "local AWS (pid $pid) does not answer on $LOCAL_AWS_ENDPOINT; see $LOG_FILE"
  else
    info "local AWS not running"
  fi
  return 1
}

env_exports() {
  terraform_target_args local
  cat <<ENV
export AWS_ENDPOINT_URL=$LOCAL_AWS_ENDPOINT
export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local
export AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
export AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_CONFIG_FILE=/dev/null
export TF_DATA_DIR=$TF_DATA_DIR
export LOCAL_AWS_PORT=$LOCAL_AWS_PORT LOCAL_AWS_DIR=$LOCAL_AWS_DIR
unset AWS_PROFILE AWS_SESSION_TOKEN
ENV
  # The pinned aws CLI and the Python with boto3 (make setup's .venv) first on
  # PATH, once however often the line is run.
  # shellcheck disable=SC2016 # ${PATH#...} is for the user's shell to expand
  printf 'export PATH=%q:"${PATH#%q:}"\n' "$REPO_ROOT/.venv/bin" "$REPO_ROOT/.venv/bin"
  # As the scripts do (tidy_terraform_env): a TF_CLI_CONFIG_FILE naming a
  # missing file only makes every terraform command of yours print a warning.
  if [[ -n ${TF_CLI_CONFIG_FILE:-} && ! -f $TF_CLI_CONFIG_FILE ]]; then
    printf 'unset TF_CLI_CONFIG_FILE\n'
  fi
}

command=""
while (($#)); do
  case $1 in
    start | stop | status) command=$1; shift ;;
    env) command=env_exports; shift ;;
    --port)
      port=$(option_value "$@") || exit 2
      if [[ ! $port =~ ^[0-9]+$ ]] || ((port < 1 || port > 65535)); then
        usage_error "--port must be a TCP port number, not '$port'"
      fi
      set_local_aws_port "$port"
      shift 2
      ;;
    -h | --help) usage; exit 0 ;;
    *) usage_error "unknown argument: $1" ;;
  esac
done
[[ -n $command ]] || usage_error "a command is required"
"$command" || exit # status exits 1 when nothing runs: an answer, not an error

# shellcheck shell=bash
# Helpers shared by the scripts in scripts/. Source it; do not run it.

# Colour only when stdout is a terminal and NO_COLOR is unset.
if [[ -t 1 && -z ${NO_COLOR:-} ]]; then
  C_RED=$'\033[31m' C_GREEN=$'\033[32m' C_YELLOW=$'\033[33m' C_BOLD=$'\033[1m' C_RESET=$'\033[0m'
else
  C_RED='' C_GREEN='' C_YELLOW='' C_BOLD='' C_RESET=''
fi
export C_RED C_GREEN C_YELLOW C_BOLD C_RESET

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export REPO_ROOT

step() { printf '%s==>%s %s\n' "$C_BOLD" "$C_RESET" "$*"; }
info() { printf '    %s\n' "$*"; }
ok() { printf '%s ok %s %s\n' "$C_GREEN" "$C_RESET" "$*"; }
warn() { printf '%swarning:%s %s\n' "$C_YELLOW" "$C_RESET" "$*" >&2; }
die() {
  printf '%serror:%s %s\n' "$C_RED" "$C_RESET" "$*" >&2
  exit "${2:-1}"
}

# usage_error MESSAGE: a bad command line; prints the usage to stderr, exits 2.
usage_error() {
  printf '%serror:%s %s\n\n' "$C_RED" "$C_RESET" "$1" >&2
  usage >&2
  exit 2
}

require() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || die "required tool '$tool' was not found on PATH"
  done
}

# The project's virtualenv Python when it exists (make setup), else python3.
project_python() {
  if [[ -x $REPO_ROOT/.venv/bin/python ]]; then
    printf '%s\n' "$REPO_ROOT/.venv/bin/python"
  else
    command -v python3 || die "python3 was not found; run 'make setup'"
  fi
}

# Put the project's virtualenv tools (aws, bandit, pip-audit, moto_server) first on PATH.
use_project_venv() {
  [[ -d $REPO_ROOT/.venv/bin ]] && PATH="$REPO_ROOT/.venv/bin:$PATH"
  [[ -d $REPO_ROOT/.venv-checkov/bin ]] && PATH="$PATH:$REPO_ROOT/.venv-checkov/bin"
  export PATH
}

# A TF_CLI_CONFIG_FILE that points at nothing only produces a warning on every
# command; drop it so Terraform falls back to its defaults.
tidy_terraform_env() {
  if [[ -n ${TF_CLI_CONFIG_FILE:-} && ! -f $TF_CLI_CONFIG_FILE ]]; then
    unset TF_CLI_CONFIG_FILE
  fi
}

# terraform_init DIR [ARGS...]: init that also works offline when TF_PLUGIN_DIR
# names a directory holding the provider (filesystem-mirror layout).
terraform_init() {
  local dir=$1
  shift
  local args=(-input=false "$@")
  [[ -n ${TF_PLUGIN_DIR:-} ]] && args+=("-plugin-dir=$TF_PLUGIN_DIR")
  terraform -chdir="$dir" init "${args[@]}"
}

# The local AWS (moto's server): endpoint and dummy credentials.
LOCAL_AWS_PORT=${LOCAL_AWS_PORT:-5055}
LOCAL_AWS_ENDPOINT="http://127.0.0.1:${LOCAL_AWS_PORT}"
export LOCAL_AWS_PORT LOCAL_AWS_ENDPOINT

use_local_aws() {
  export AWS_ENDPOINT_URL=$LOCAL_AWS_ENDPOINT
  export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local
  export AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
  unset AWS_PROFILE AWS_SESSION_TOKEN
  # Never let a local run reach a real account's state or credentials.
  export AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_CONFIG_FILE=/dev/null
}

# terraform_target_args TARGET: sets STATE_ARGS and VAR_ARGS for a target.
# The local state lives apart so that a local run can never touch real infrastructure.
# shellcheck disable=SC2034 # set here, used by the scripts that source this file
terraform_target_args() {
  STATE_ARGS=()
  VAR_ARGS=()
  if [[ $1 == local ]]; then
    STATE_ARGS=("-state=$REPO_ROOT/.local-aws/terraform.tfstate")
    VAR_ARGS=("-var-file=local.tfvars")
  fi
}

# shellcheck shell=bash
# Helpers shared by the scripts in scripts/. Source it; do not run it.

# Colour only when stdout is a terminal and NO_COLOR is unset.
if [[ -t 1 && -z ${NO_COLOR:-} ]]; then
  C_RED=$'\033[31m' C_GREEN=$'\033[32m' C_YELLOW=$'\033[33m' C_BOLD=$'\033[1m' C_RESET=$'\033[0m'
else
  C_RED='' C_GREEN='' C_YELLOW='' C_BOLD='' C_RESET=''
fi
export C_RED C_GREEN C_YELLOW C_BOLD C_RESET

# With `set -Eeuo pipefail`, say which command failed instead of exiting silently.
on_error() {
  printf '%serror:%s %s: "%s" failed (line %s, exit %s)\n' \
    "$C_RED" "$C_RESET" "$(basename "$0")" "$BASH_COMMAND" "$1" "$2" >&2
}
trap 'on_error "$LINENO" "$?"' ERR

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

# option_value OPTION "$@": the value after OPTION, or usage and exit 2 when there is none.
# Use: PORT=$(option_value "$1" "${@:2}") || exit 2
option_value() {
  local option=$1
  shift
  if (($# == 0)) || [[ -z $1 || $1 == -* ]]; then
    usage_error "$option needs a value"
  fi
  printf '%s\n' "$1"
}

# require TOOL...: one clear line naming a missing tool and how to get it.
require() {
  local tool hint
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 && continue
    case $tool in
      terraform) hint="install Terraform >= 1.9, >= 1.11 for terraform test (https://developer.hashicorp.com/terraform/install)" ;;
      python3) hint="install Python >= 3.12" ;;
      git) hint="install git (https://git-scm.com/downloads)" ;;
      *) hint="run 'make setup' (it installs the project's tools into .venv)" ;;
    esac
    die "'$tool' was not found on PATH: $hint"
  done
}

# elapsed START: the time since START (a $SECONDS value), as "42s" or "2m05s".
elapsed() {
  local s=$((SECONDS - $1))
  if ((s < 60)); then printf '%ss' "$s"; else printf '%dm%02ds' $((s / 60)) $((s % 60)); fi
}

# The project's virtualenv Python when it exists (make setup), else python3.
project_python() {
  if [[ -x $REPO_ROOT/.venv/bin/python ]]; then
    printf '%s\n' "$REPO_ROOT/.venv/bin/python"
  else
    command -v python3 || die "python3 was not found: install Python >= 3.12 (https://www.python.org/downloads/), then run 'make setup'"
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

# The local AWS (moto's server): endpoint, dummy credentials, and a directory
# of its own (pid, log, Terraform state) so that a local run never touches a
# real deployment's state. LOCAL_AWS_DIR lets two local stacks live side by
# side (make demo uses .local-aws/demo with a port of its own).
LOCAL_AWS_PORT=${LOCAL_AWS_PORT:-5055}
LOCAL_AWS_DIR=${LOCAL_AWS_DIR:-$REPO_ROOT/.local-aws}
[[ $LOCAL_AWS_DIR == /* ]] || LOCAL_AWS_DIR="$PWD/$LOCAL_AWS_DIR"
set_local_aws_port() {
  LOCAL_AWS_PORT=$1
  LOCAL_AWS_ENDPOINT="http://127.0.0.1:${LOCAL_AWS_PORT}"
  export LOCAL_AWS_PORT LOCAL_AWS_ENDPOINT
}
set_local_aws_port "$LOCAL_AWS_PORT"
export LOCAL_AWS_DIR

use_local_aws() {
  export AWS_ENDPOINT_URL=$LOCAL_AWS_ENDPOINT
  export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local
  export AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
  unset AWS_PROFILE AWS_SESSION_TOKEN
  # Never let a local run reach a real account's state or credentials.
  export AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_CONFIG_FILE=/dev/null
}

# local_aws_elsewhere: when the local AWS of LOCAL_AWS_DIR runs on another
# port than LOCAL_AWS_PORT (a stack deployed with LOCAL_AWS_PORT=N), what to
# do about it, for an error message; nothing otherwise.
local_aws_elsewhere() {
  local port
  port=$(cat "$LOCAL_AWS_DIR/moto.port" 2>/dev/null) || return 0
  [[ $port =~ ^[0-9]+$ && $port != "$LOCAL_AWS_PORT" ]] || return 0
  printf "the local AWS of %s/ runs on port %s: run with LOCAL_AWS_PORT=%s\n" \
    "${LOCAL_AWS_DIR#"$REPO_ROOT"/}" "$port" "$port"
}

# local_aws_answers: true when moto's server answers on LOCAL_AWS_ENDPOINT.
# /moto-api/config is a few bytes whatever the server holds (its state dump,
# /moto-api/data.json, is megabytes and fails once a Lambda function exists).
local_aws_answers() {
  "$(project_python)" - "$LOCAL_AWS_ENDPOINT/moto-api/config" <<'PY' 2>/dev/null
import json, sys, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1], timeout=2) as response:  # noqa: S310 - loopback only
        sys.exit(0 if "lambda" in json.load(response) else 1)
except Exception:
    sys.exit(1)
PY
}

# terraform_target_args TARGET: sets INIT_ARGS and VAR_ARGS for a target.
# The local state lives apart so that a local run can never touch real
# infrastructure: its own data directory (TF_DATA_DIR) and its own state file
# (the local backend's path), both under LOCAL_AWS_DIR. The real target keeps
# Terraform's defaults (terraform/.terraform, terraform/terraform.tfstate, or
# the backend you configure in terraform/providers.tf).
# shellcheck disable=SC2034 # set here, used by the scripts that source this file
terraform_target_args() {
  INIT_ARGS=()
  VAR_ARGS=()
  if [[ $1 == local ]]; then
    export TF_DATA_DIR="$LOCAL_AWS_DIR/terraform"
    INIT_ARGS=(-reconfigure "-backend-config=path=$LOCAL_AWS_DIR/terraform.tfstate")
    VAR_ARGS=("-var-file=local.tfvars")
  fi
}

# tf_variable NAME: the value of a string variable of the root module, in
# Terraform's order of precedence: the default in variables.tf, then
# TF_VAR_<NAME>, then terraform.tfvars, then the -var-file of VAR_ARGS. Read
# from the files (no terraform command, no AWS CLI settings).
tf_variable() {
  local name=$1 value="" file found env="TF_VAR_$1"
  value=$(sed -n '/^variable "'"$name"'"/,/^}/s/^[[:space:]]*default[[:space:]]*=[[:space:]]*"\([^"]*\)".*/\1/p' "$REPO_ROOT/terraform/variables.tf")
  [[ -n ${!env:-} ]] && value=${!env}
  for file in terraform.tfvars "${VAR_ARGS[@]#-var-file=}"; do
    [[ -f $REPO_ROOT/terraform/$file ]] || continue
    found=$(sed -n 's/^[[:space:]]*'"$name"'[[:space:]]*=[[:space:]]*"\([^"]*\)".*/\1/p' "$REPO_ROOT/terraform/$file" | tail -n 1)
    [[ -n $found ]] && value=$found
  done
  printf '%s\n' "$value"
}

# deploy_region: the region Terraform deploys to (var.aws_region, which the
# provider uses), not the AWS CLI's own region.
deploy_region() { tf_variable aws_region; }

# stack_name: the prefix of every resource name, <project_name>-<environment>
# (terraform/main.tf, local.name). The buckets are <stack_name>-<role>-<account id>.
stack_name() { printf '%s-%s\n' "$(tf_variable project_name)" "$(tf_variable environment)"; }

# terraform_output NAME: one output of the deployment, or a clear error.
# (`terraform output -raw` of a missing output prints a warning and exits 0.)
terraform_output() {
  local value
  value=$(terraform -chdir="$REPO_ROOT/terraform" output -no-color -raw "$1" 2>/dev/null) &&
    [[ -n $value && $value != *"No outputs found"* ]] ||
    die "the deployment has no output '$1': is it deployed (state: ${TF_DATA_DIR:-terraform/.terraform})?"
  printf '%s\n' "$value"
}

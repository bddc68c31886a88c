# Shared set-up for the bats tests of scripts/.
# shellcheck shell=bash

REPO_ROOT="$(cd "$(dirname "$BATS_TEST_FILENAME")/../.." && pwd)"
export REPO_ROOT
export NO_COLOR=1
PY="$REPO_ROOT/.venv/bin/python"

# copy_repo: a scratch copy of the tracked files, sharing the virtualenvs (with
# their timestamps, so that make finds the virtualenvs up to date).
copy_repo() {
  local copy="$BATS_TEST_TMPDIR/repo"
  mkdir -p "$copy"
  (cd "$REPO_ROOT" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp --preserve=timestamps --parents -t "$copy")
  ln -s "$REPO_ROOT/.venv" "$copy/.venv"
  [[ -d $REPO_ROOT/.venv-checkov ]] && ln -s "$REPO_ROOT/.venv-checkov" "$copy/.venv-checkov"
  printf '%s\n' "$copy"
}

# free_port: a TCP port nothing listens on.
free_port() {
  "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# zip_names ZIP: the entries of a zip file, one a line (Python's zipfile, no unzip needed).
zip_names() {
  "$PY" -c 'import sys, zipfile; print("\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$1"
}

# http_status URL: the HTTP status of a GET (Python's urllib, no curl needed).
http_status() {
  "$PY" - "$1" <<'PY'
import sys, urllib.error, urllib.request
try:
    print(urllib.request.urlopen(sys.argv[1], timeout=5).status)  # noqa: S310 - loopback
except urllib.error.HTTPError as e:
    print(e.code)
PY
}

# without_system_tools DIR: a directory to put first on PATH in which the
# commands shellcheck and bats fail loudly, so only the virtualenv's copies work.
without_system_tools() {
  local dir=$1 tool
  mkdir -p "$dir"
  for tool in shellcheck bats; do
    printf '#!/bin/sh\necho "the system %s was used, not the virtualenv one" >&2\nexit 97\n' "$tool" >"$dir/$tool"
    chmod +x "$dir/$tool"
  done
}

# create_lambda PORT: a Lambda function on the local AWS at PORT (after which
# moto's state dump, /moto-api/data.json, answers HTTP 500).
create_lambda() {
  AWS_ENDPOINT_URL="http://127.0.0.1:$1" "$PY" - <<'PY'
import io, json, zipfile
import boto3
kw = dict(region_name="us-east-1", aws_access_key_id="local", aws_secret_access_key="local")
role = boto3.client("iam", **kw).create_role(
    RoleName="bats", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []})
)["Role"]["Arn"]
package = io.BytesIO()
with zipfile.ZipFile(package, "w") as z:
    z.writestr("lambda_function.py", "def handler(event, context):\n    return None\n")
boto3.client("lambda", **kw).create_function(
    FunctionName="bats", Runtime="python3.13", Role=role, Handler="lambda_function.handler",
    Code={"ZipFile": package.getvalue()},
)
PY
}

# run_in_fresh_shell DIR COMMAND [ANSWER]: COMMAND as a user types it, in a
# new bash in DIR with only HOME, PATH, SHELL and TERM set, on a terminal
# (script(1)), ANSWER typed at its prompt. Sets status and output like run.
# PATH is the system's /usr/local/bin:/usr/bin:/bin, after FRESH_SHELL_STUBS
# when a test sets it (a directory of stand-ins, such as a fake python3.13).
run_in_fresh_shell() {
  local dir=$1 command=$2 answer=${3:-}
  run env -i HOME="$HOME" PATH="${FRESH_SHELL_STUBS:+$FRESH_SHELL_STUBS:}/usr/local/bin:/usr/bin:/bin" \
    SHELL=/bin/bash TERM=dumb NO_COLOR=1 \
    script -qec "cd $(printf '%q' "$dir") && $command" /dev/null <<<"$answer"
}

# shared_local_aws: one local AWS for the tests of a file that need an empty
# one, not one of their own (a start takes about 2 s of CPU, and the first
# calls of each service as much again): the first such test starts it
# (LOCAL_AWS_DIR $BATS_FILE_TMPDIR/local-aws), each later one empties it with
# moto's reset API. Sets port. The file's teardown_file calls stop_shared_local_aws.
shared_local_aws() {
  local dir="$BATS_FILE_TMPDIR/local-aws"
  if [[ -f $dir/moto.port ]]; then
    port=$(<"$dir/moto.port")
    "$PY" - "http://127.0.0.1:$port/moto-api/reset" <<'PY'
import sys, urllib.request
urllib.request.urlopen(urllib.request.Request(sys.argv[1], method="POST"), timeout=30)  # noqa: S310 - loopback
PY
  else
    port=$(free_port)
    # (Without bats' descriptor 3: a server left behind must not hold bats' output open.)
    LOCAL_AWS_DIR=$dir LOCAL_AWS_PORT=$port "$REPO_ROOT/scripts/local_aws.sh" start >/dev/null 3>&-
  fi
}

stop_shared_local_aws() {
  local dir="$BATS_FILE_TMPDIR/local-aws"
  [[ -f $dir/moto.port ]] || return 0
  LOCAL_AWS_DIR=$dir LOCAL_AWS_PORT=$(<"$dir/moto.port") "$REPO_ROOT/scripts/local_aws.sh" stop >/dev/null 2>&1 || true
}

# terraform_without_destroy DIR: DIR/terraform, the real terraform for every
# command but `destroy`, which it only reports (one message of terraform's
# -json UI, which destroy.sh reads): for a test of what destroy.sh does
# before terraform destroy, which would only delete its fake state's
# resources (about 8 s of CPU each).
terraform_without_destroy() {
  mkdir -p "$1"
  # shellcheck disable=SC2016 # the $ are the wrapper's own
  printf '#!/bin/sh\nfor a; do [ "$a" = destroy ] && { echo '\''{"@level":"info","@message":"(terraform destroy not run by the test)","type":"log"}'\''; exit 0; }; done\nexec %q "$@"\n' \
    "$(command -v terraform)" >"$1/terraform"
  chmod +x "$1/terraform"
}

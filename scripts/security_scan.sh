#!/usr/bin/env bash
# The security gate: every scanner must run and find nothing, or the deploy stops.
set -Eeuo pipefail

# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

TARGET=aws
REQUIREMENTS="$REPO_ROOT/lambda/requirements.txt"
OSV_URL=${PIP_AUDIT_OSV_URL:-}
REPORT_DIR="$REPO_ROOT/reports/security"
CACHE_DIR=${SECURITY_SCAN_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/image-processor/security-scan}
REUSE_SECONDS=${SECURITY_SCAN_REUSE_SECONDS:-3600}
RESCAN=0

usage() {
  cat <<USAGE
Usage: $(basename "$0") [--target aws|local] [--requirements FILE] [--osv-url URL] [--rescan]

Runs, in order: bandit (lambda/), pip-audit --strict (the Lambda's pinned
requirements), terraform fmt -check and validate, checkov (terraform/, zero
failed checks), shellcheck (scripts/). Prints a summary and writes each
tool's machine-readable report under reports/security/.

Exits 0 only if every tool ran and found nothing. A tool that is missing or
cannot do its job is a failure, not a pass. The one exception: with
--target local, a vulnerability service that cannot be reached is reported
as NOT CHECKED and does not fail the scan (nothing real is deployed there).

A pass is reused, without scanning, for up to an hour: only for the same
target, vulnerability service and requirements, the same content of every
file the scanners read (lambda/, terraform/, scripts/, .shellcheckrc), and
the same scanner executables and pins. A changed file scans again; a failed
scan is never kept. The hour bounds how late a newly published advisory can
be noticed. Passes are kept in \$SECURITY_SCAN_CACHE_DIR (default
~/.cache/image-processor/security-scan); \$SECURITY_SCAN_REUSE_SECONDS
changes the hour (0: never reuse).

Options:
  --target T           aws (default) or local
  --requirements FILE  requirements to audit (default: lambda/requirements.txt)
  --osv-url URL        query this OSV-compatible service instead of PyPI's
                       (env: PIP_AUDIT_OSV_URL)
  --rescan             scan even when the same inputs passed within the hour
  -h, --help           show this help
USAGE
}

while (($#)); do
  case $1 in
    --target) TARGET=$(option_value "$@") || exit 2; shift 2 ;;
    --requirements) REQUIREMENTS=$(option_value "$@") || exit 2; shift 2 ;;
    --osv-url) OSV_URL=$(option_value "$@") || exit 2; shift 2 ;;
    --rescan) RESCAN=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage_error "unknown option: $1" ;;
  esac
done
[[ $TARGET == aws || $TARGET == local ]] || usage_error "--target must be aws or local, not '$TARGET'"
[[ -f $REQUIREMENTS ]] || die "requirements file not found: $REQUIREMENTS"
[[ $REUSE_SECONDS =~ ^[0-9]+$ ]] || die "SECURITY_SCAN_REUSE_SECONDS must be a number of seconds, not '$REUSE_SECONDS'"

use_project_venv
tidy_terraform_env
mkdir -p "$REPORT_DIR"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/security-scan.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# scan_key: a hash of everything the scan's verdict depends on. The files are
# every file under the scanned folders but what the tools write there
# themselves (Python's __pycache__, Terraform's .terraform/, lock file, state
# and plans); the scanners are their executables' content, so a different
# installation (or a stand-in on PATH) is a different key.
scan_key() {
  local tool path
  {
    printf 'target=%s\nosv=%s\nrequirements=' "$TARGET" "$OSV_URL"
    sha256sum <"$REQUIREMENTS"
    (cd "$REPO_ROOT" && find lambda terraform scripts .shellcheckrc requirements-dev.txt requirements-checkov.txt \
      \( -name __pycache__ -o -name .terraform \) -prune -o \
      \( -type f -o -type l \) ! -name .terraform.lock.hcl ! -name '*.tfstate*' ! -name '*.tfplan' -print0 |
      LC_ALL=C sort -z | xargs -0 sha256sum)
    for tool in bandit pip-audit terraform checkov shellcheck; do
      if path=$(command -v "$tool"); then
        printf '%s ' "$tool"
        sha256sum <"$(readlink -f "$path")"
      else
        printf '%s missing\n' "$tool"
      fi
    done
  } | sha256sum | cut -d' ' -f1
}

# reuse_pass KEY: when KEY passed within REUSE_SECONDS, its reports and summary, and exit 0.
reuse_pass() {
  local entry="$CACHE_DIR/$1" passed_at age
  ((RESCAN == 0 && REUSE_SECONDS > 0)) || return 0
  passed_at=$(cat "$entry/passed-at" 2>/dev/null) || return 0
  [[ $passed_at =~ ^[0-9]+$ ]] || return 0
  age=$(($(date +%s) - passed_at))
  ((age >= 0 && age < REUSE_SECONDS)) || return 0
  cp "$entry"/reports/* "$REPORT_DIR"/
  cat "$entry/summary.txt"
  printf '\n%sSecurity scan passed%s (reused: these exact inputs passed %ss ago; --rescan scans again).\n' \
    "$C_GREEN" "$C_RESET" "$age"
  exit 0
}

# keep_pass KEY SUMMARY-FILE: the reports of a pass, for reuse (a failure is never kept).
keep_pass() {
  local tmp
  mkdir -p "$CACHE_DIR" && tmp=$(mktemp -d "$CACHE_DIR/.new.XXXXXX") || return 0
  mkdir "$tmp/reports"
  cp "$REPORT_DIR"/*.json "$tmp/reports/" 2>/dev/null || true
  cp "$2" "$tmp/summary.txt"
  date +%s >"$tmp/passed-at"
  rm -rf "${CACHE_DIR:?}/$1"
  mv -T "$tmp" "$CACHE_DIR/$1" 2>/dev/null || rm -rf "$tmp"
}

KEY=$(scan_key)
reuse_pass "$KEY"

declare -a ROWS=()
FAILED=0

# record TOOL RESULT FINDINGS: one summary row; FAIL and MISSING fail the gate.
record() {
  ROWS+=("$1|$2|$3")
  case $2 in
    PASS) ok "$1: $3" ;;
    "NOT CHECKED") printf '%s -- %s %s: %s\n' "$C_YELLOW" "$C_RESET" "$1" "$3" ;;
    *) FAILED=1; printf '%sFAIL%s %s: %s\n' "$C_RED" "$C_RESET" "$1" "$3" ;;
  esac
}

have() {
  command -v "$1" >/dev/null 2>&1 && return 0
  record "$2" MISSING "'$1' is not installed (run 'make setup')"
  return 1
}

json_count() { # json_count FILE PYTHON-EXPRESSION-ON-data
  python3 -c "import json,sys; data=json.load(open(sys.argv[1])); print($2)" "$1" 2>/dev/null || echo "?"
}

scan_bandit() {
  step "bandit: the Lambda's Python"
  have bandit bandit || return 0
  local report="$REPORT_DIR/bandit.json"
  if bandit -r "$REPO_ROOT/lambda" -f json -o "$report" -q >/dev/null 2>"$WORK/bandit.err"; then
    record bandit PASS "0 issues in lambda/"
  elif [[ -s $report ]]; then
    bandit -r "$REPO_ROOT/lambda" -f screen -q >&2 || true
    record bandit FAIL "$(json_count "$report" 'len(data["results"])') issue(s) in lambda/"
  else
    cat "$WORK/bandit.err" >&2
    record bandit FAIL "bandit did not run (error above)"
  fi
}

scan_pip_audit() {
  step "pip-audit: known vulnerabilities in ${REQUIREMENTS#"$REPO_ROOT"/}"
  have pip-audit pip-audit || return 0
  local report="$REPORT_DIR/pip-audit.json" args=(--strict --no-deps --disable-pip --progress-spinner off)
  [[ -n $OSV_URL ]] && args+=(--vulnerability-service osv --osv-url "$OSV_URL")
  rm -f "$report"
  # --strict: without it, a service that cannot be reached reads as
  # "No known vulnerabilities found" and exits 0.
  if pip-audit "${args[@]}" -r "$REQUIREMENTS" -f json -o "$report" 2>"$WORK/pip-audit.err"; then
    record pip-audit PASS "0 known vulnerabilities"
    return 0
  fi
  local vulns=0
  [[ -s $report ]] && vulns=$(json_count "$report" 'sum(len(d.get("vulns", [])) for d in data["dependencies"])')
  if [[ $vulns != 0 && $vulns != "?" ]]; then
    pip-audit "${args[@]}" -r "$REQUIREMENTS" >&2 2>/dev/null || true # the table, to stderr
    record pip-audit FAIL "$vulns known vulnerability(ies)"
  elif [[ $TARGET == local ]]; then
    # Expected offline; the reason is kept, not printed on every local run.
    cp "$WORK/pip-audit.err" "$REPORT_DIR/pip-audit.err"
    record pip-audit "NOT CHECKED" "not every package was checked (allowed for --target local only; ${REPORT_DIR#"$REPO_ROOT"/}/pip-audit.err)"
  else
    grep -E '^ERROR' "$WORK/pip-audit.err" >&2 || cat "$WORK/pip-audit.err" >&2
    record pip-audit FAIL "not every package was checked (pip-audit's errors are above): unchecked is not safe"
  fi
}

scan_terraform() {
  step "terraform: fmt and validate"
  have terraform "terraform fmt" || { record "terraform validate" MISSING "terraform is not installed"; return 0; }
  if terraform fmt -check -recursive "$REPO_ROOT/terraform" >"$WORK/fmt.out" 2>&1; then
    record "terraform fmt" PASS "all files formatted"
  else
    cat "$WORK/fmt.out" >&2
    record "terraform fmt" FAIL "$(wc -l <"$WORK/fmt.out") file(s) need 'terraform fmt'"
  fi
  # A data directory of the scan's own, kept between scans (no provider
  # download each time) and outside the folders it scans: terraform/.terraform
  # stays the user's, and a make test or a deploy beside the scan keeps its own.
  local -x TF_DATA_DIR="$REPO_ROOT/.terraform-scan"
  if ! terraform_init "$REPO_ROOT/terraform" -backend=false >"$WORK/init.out" 2>&1; then
    tail -n 20 "$WORK/init.out" >&2
    record "terraform validate" FAIL "terraform init failed (providers unavailable?)"
    return 0
  fi
  if terraform -chdir="$REPO_ROOT/terraform" validate -json >"$REPORT_DIR/terraform-validate.json" 2>&1; then
    record "terraform validate" PASS "configuration is valid"
  else
    terraform -chdir="$REPO_ROOT/terraform" validate >&2 || true
    record "terraform validate" FAIL "$(json_count "$REPORT_DIR/terraform-validate.json" 'data["error_count"]') error(s)"
  fi
}

scan_checkov() {
  step "checkov: terraform/"
  have checkov checkov || return 0
  local rc=0
  checkov -d "$REPO_ROOT/terraform" --framework terraform --skip-download --quiet --compact \
    -o cli -o json --output-file-path "$WORK/checkov" >"$WORK/checkov.out" 2>"$WORK/checkov.err" || rc=$?
  local report="$WORK/checkov/results_json.json"
  if [[ ! -s $report ]]; then
    cat "$WORK/checkov.err" >&2
    record checkov FAIL "checkov did not produce results (error above)"
    return 0
  fi
  cp "$report" "$REPORT_DIR/checkov.json"
  local failed skipped
  failed=$(json_count "$report" 'data["summary"]["failed"]')
  skipped=$(json_count "$report" 'data["summary"]["skipped"]')
  if [[ $rc -eq 0 && $failed == 0 ]]; then
    record checkov PASS "0 failed, $skipped skipped inline with reasons (SECURITY.md)"
  else
    cat "$WORK/checkov.out" >&2
    record checkov FAIL "$failed failed check(s)"
  fi
}

scan_shellcheck() {
  step "shellcheck: scripts/"
  have shellcheck shellcheck || return 0
  local report="$REPORT_DIR/shellcheck.json"
  if (cd "$REPO_ROOT" && shellcheck -f json scripts/*.sh scripts/lib/*.sh >"$report" 2>"$WORK/shellcheck.err"); then
    record shellcheck PASS "0 findings in scripts/"
  else
    (cd "$REPO_ROOT" && shellcheck scripts/*.sh scripts/lib/*.sh >&2) || true
    record shellcheck FAIL "$(json_count "$report" 'len(data)') finding(s)"
  fi
}

scan_bandit
scan_pip_audit
scan_terraform
scan_checkov
scan_shellcheck

{
  printf '\n%sSecurity scan summary%s (target: %s; reports in %s)\n' "$C_BOLD" "$C_RESET" "$TARGET" "${REPORT_DIR#"$REPO_ROOT"/}"
  printf '  %-20s %-12s %s\n' TOOL RESULT FINDINGS
  for row in "${ROWS[@]}"; do
    IFS='|' read -r tool result findings <<<"$row"
    printf '  %-20s %-12s %s\n' "$tool" "$result" "$findings"
  done
} | tee "$WORK/summary.out"
sed $'s/\e\\[[0-9;]*m//g' "$WORK/summary.out" >"$WORK/summary.txt" # kept without colour
printf '%s\n' "${ROWS[@]}" | awk -F'|' 'BEGIN{print "["} {printf "%s{\"tool\":\"%s\",\"result\":\"%s\",\"findings\":\"%s\"}", (NR>1?",":""), $1, $2, $3} END{print "]"}' >"$REPORT_DIR/summary.json"

if ((FAILED)); then
  printf '\n%sSecurity scan FAILED%s: fix the findings above; nothing may be deployed until it passes.\n' "$C_RED" "$C_RESET" >&2
  exit 1
fi
# Kept only when nothing the key covers changed while the tools ran.
[[ $(scan_key) == "$KEY" ]] && keep_pass "$KEY" "$WORK/summary.txt"
printf '\n%sSecurity scan passed.%s\n' "$C_GREEN" "$C_RESET"

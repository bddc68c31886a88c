"""Deliberate breaks, each with the one test that must catch it (`make breaks`).

Each break is a one-place edit of a file (the text, exactly once, and what
replaces it) and the test command that should then fail. For each break, a
fresh scratch copy of the repository (tracked and untracked files, sharing the
virtualenvs) is broken and the command run in it; before that, each command is
run once on an unbroken copy, so that a test that fails anyway is reported
rather than counted as a catch. Prints one line per break and exits 1 if any
was missed.

Usage: .venv/bin/python tests/breaks.py [--list] [NAME...]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Break:
    name: str
    file: str
    text: str
    replacement: str
    test: tuple[str, ...]


def bats(file: str, pattern: str) -> tuple[str, ...]:
    return (".venv/bin/bats", "--filter", pattern, f"tests/scripts/{file}")


def pytest(path: str, *args: str) -> tuple[str, ...]:
    return (".venv/bin/pytest", "-q", "-p", "no:cacheprovider", path, *args)


def terraform_test(file: str) -> tuple[str, ...]:
    return ("sh", "-c", f"cd terraform && terraform init -backend=false -input=false >/dev/null "
            f"&& terraform test -no-color -filter=tests/{file}")  # fmt: skip


SCAN = "scripts/security_scan.sh"
AUDIT = "scripts/audit/audit_report.py"
BREAKS = (
    Break("scan: a bandit finding recorded as PASS", SCAN,
          'record bandit FAIL "$(json_count', 'record bandit PASS "$(json_count',
          bats("security_scan.bats", "a bandit finding")),
    Break("scan: a pip-audit finding recorded as PASS", SCAN,
          'record pip-audit FAIL "$vulns', 'record pip-audit PASS "$vulns',
          bats("security_scan.bats", "a pip-audit finding")),
    Break("scan: terraform fmt findings recorded as PASS", SCAN,
          'record "terraform fmt" FAIL', 'record "terraform fmt" PASS',
          bats("security_scan.bats", "terraform fmt would change")),
    Break("scan: checkov's count ignored when it exits 0", SCAN,
          "if [[ $rc -eq 0 && $failed == 0 ]]; then", "if [[ $rc -eq 0 ]]; then",
          bats("security_scan.bats", "even when checkov exits 0")),
    Break("scan: a shellcheck finding recorded as PASS", SCAN,
          'record shellcheck FAIL "$(json_count', 'record shellcheck PASS "$(json_count',
          bats("security_scan.bats", "a shellcheck finding")),
    Break("scan: a missing scanner passes", SCAN,
          'record "$2" MISSING', 'record "$2" PASS',
          bats("security_scan.bats", "a missing scanner")),
    Break("scan reuse: keyed on file names, not their content", SCAN,
          "LC_ALL=C sort -z | xargs -0 sha256sum)", "LC_ALL=C sort -z | xargs -0 ls)",
          bats("security_scan.bats", "a pass is reused only")),
    Break("scan reuse: a failed scan kept", SCAN,
          "if ((FAILED)); then\n  printf",
          'keep_pass "$KEY" "$WORK/summary.txt"\nif ((FAILED)); then\n  printf',
          bats("security_scan.bats", "a pass is reused only")),
    Break("audit: a register row mutes every resource whose id contains its name", AUDIT,
          'return f"(^|/){re.escape(identifier)}(/|$)"', "return re.escape(identifier)",
          pytest("tests/unit/test_audit.py", "-k", "mutes_its_check_on_its_resource")),
    Break("audit: an artefact rule mutes the stack's own resources too", AUDIT,
          'if rule.get("outside_stack"):', "if False:",
          pytest("tests/unit/test_audit.py", "-k", "outside_the_stack")),
    Break("audit: a registered FAIL passes though Prowler did not mute it", AUDIT,
          'if not (row["muted"] and (row["check"], row["address"]) in registered)',
          'if (row["check"], row["address"]) not in registered',
          pytest("tests/unit/test_audit.py", "-k", "did_not_mute")),
    Break("destroy: any typed answer confirms", "scripts/destroy.sh",
          '[[ $answer == "$environment" ]]', '[[ -n $answer ]]',
          bats("destroy_guards.bats", "wrongly typed")),
    Break("destroy: the COMPLIANCE guard on --delete-audit-logs removed", "scripts/destroy.sh",
          "if ((DELETE_AUDIT_LOGS)) && [[ $lock_mode == COMPLIANCE ]]; then",
          "if ((DELETE_AUDIT_LOGS)) && [[ $lock_mode == NONE ]]; then",
          bats("destroy_guards.bats", "refuses when the audit logs are under COMPLIANCE")),
    Break("alarm: watches a queue name Terraform does not create",
          "terraform/modules/image-pipeline/alarms.tf",
          'QueueName = "${var.name}-undelivered-events"',
          'QueueName = "${var.name}-undelivered-event"',
          terraform_test("seams.tftest.hcl")),
    Break("alarm: renamed while the runbook keeps the old name",
          "terraform/modules/image-pipeline/alarms.tf",
          "    lambda-duration = {", "    lambda-slow = {",
          pytest("tests/unit/test_seams.py", "-k", "runbook or section")),
    Break("module: a default drifts from its generated README",
          "terraform/modules/image-pipeline/variables.tf",
          "  type        = number\n  default     = 1024\n",
          "  type        = number\n  default     = 2048\n",
          pytest("tests/unit/test_module_readmes.py")),
    Break("root: a module input declared again at the root",
          "terraform/variables.tf",
          'variable "local_aws" {',
          'variable "alert_email" {\n  type    = string\n  default = ""\n}\n\n'
          'variable "local_aws" {',
          pytest("tests/unit/test_variables_declared_once.py")),
    Break("root: an output nothing reads",
          "terraform/outputs.tf",
          'output "kms_key_arn" {',
          'output "lambda_role_arn" {\n  value = module.pipeline.lambda_role_arn\n}\n\n'
          'output "kms_key_arn" {',
          pytest("tests/unit/test_variables_declared_once.py")),
    Break("local profile: Security Hub asked of the local AWS",
          "terraform/main.tf",
          "enable_security_hub = !var.local_aws", "enable_security_hub = true",
          terraform_test("stack.tftest.hcl")),
    Break("local profile: the AWS profile's keys wait 7 days",
          "terraform/main.tf",
          "kms_deletion_window_days = var.local_aws ? 7 : 30",
          "kms_deletion_window_days = 7",
          terraform_test("stack.tftest.hcl")),
    Break("isolation: a tenant may write anywhere under uploads/",
          "terraform/modules/image-pipeline/uploaders.tf",
          '"${module.images_bucket.arn}/${local.input_prefix}${local.tenant_tag_variable}/*"',
          '"${module.images_bucket.arn}/${local.input_prefix}*"',
          terraform_test("pipeline.tftest.hcl")),
    Break("isolation: the enforced statements let another tenant overwrite",
          "tests/fixtures/policies/images_bucket_uploader_isolation.json",
          '"NotResource": "${bucket_arn}/uploads/$${aws:PrincipalTag/${tag_key}}/*"',
          '"NotResource": "${bucket_arn}/uploads/*"',
          pytest("tests/integration/test_local_aws_uploaders.py", "-k", "overwrite_another")),
    Break("record: who uploaded is not recorded", "lambda/pipeline.py",
          "uploaded_by=upload.uploaded_by,", "uploaded_by=None,",
          pytest("tests/integration/test_uploaders.py")),
    Break("front door: a POST policy without the size limit", "scripts/upload_url.py",
          '["content-length-range", 1, max_bytes],', "",
          pytest("tests/unit/test_upload_url.py")),
    Break("data key: the account statement gets kms:* back",
          "terraform/modules/image-pipeline/kms.tf",
          "    actions   = local.kms_data_key_administration_actions",
          '    actions   = ["kms:*"]',
          terraform_test("pipeline.tftest.hcl")),
    Break("keys: their use no longer bound to the stack's services",
          "terraform/modules/image-pipeline/key_guards.tf",
          '    sid       = "DenyUseOutsideTheStacksServices"\n    effect    = "Deny"',
          '    sid       = "DenyUseOutsideTheStacksServices"\n    effect    = "Allow"',
          terraform_test("pipeline.tftest.hcl")),
    Break("security key: its policy loses the shared Denies",
          "terraform/modules/image-pipeline/kms.tf",
          '  source_policy_documents = [data.aws_iam_policy_document.key_guards["security"].json]',
          "", terraform_test("pipeline.tftest.hcl")),
    Break("data key: anyone may schedule its deletion",
          "terraform/modules/image-pipeline/key_guards.tf",
          "      deletion_principals = local.data_key_deletion_principals",
          "      deletion_principals = []",
          terraform_test("pipeline.tftest.hcl")),
    Break("queues: the TLS-only Deny on every queue names no queue",
          "terraform/modules/image-pipeline/sqs.tf",
          "    resources = [each.value]", '    resources = ["arn:aws:sqs:::elsewhere"]',
          terraform_test("pipeline.tftest.hcl")),
    Break("data key: anyone may grant it",
          "terraform/modules/image-pipeline/kms.tf",
          '    "kms:CancelKeyDeletion",\n    "kms:CreateAlias",',
          '    "kms:CancelKeyDeletion",\n    "kms:CreateGrant",\n    "kms:CreateAlias",',
          terraform_test("pipeline.tftest.hcl")),
    Break("example: differs from the module call README shows",
          "terraform/examples/with-organisation-baseline/main.tf",
          "  access_log_target = null",
          '  access_log_target = { bucket = "org-logs", prefix = "s3/" }',
          pytest("tests/unit/test_seams.py", "-k", "readme_calls")),
    Break("failed-events queue: anyone may send to it (and the replay replays it)",
          "terraform/modules/image-pipeline/sqs.tf",
          '"DenyEverySender"\n    effect    = "Deny"\n    actions   = ["sqs:SendMessage"]',
          '"DenyEverySender"\n    effect    = "Deny"\n    actions   = ["sqs:PurgeQueue"]',
          terraform_test("pipeline.tftest.hcl")),
    Break("local AWS: enforces a bucket policy that is not the one Terraform renders",
          "terraform/modules/image-pipeline/buckets.tf",
          'sid       = "DenyCustomerProvidedKeys"', 'sid       = "DenySseC"',
          terraform_test("pipeline.tftest.hcl")),
    Break("guardduty: RDS Protection left out of the workload plans",
          "terraform/modules/account-baseline/variables.tf",
          '"RDS_LOGIN_EVENTS", "RUNTIME_MONITORING"]\n', '"RUNTIME_MONITORING"]\n',
          terraform_test("account_baseline.tftest.hcl")),
    Break("guardduty: Runtime Monitoring without its automated agents",
          "terraform/modules/account-baseline/guardduty.tf",
          '["EKS_ADDON_MANAGEMENT", "ECS_FARGATE_AGENT_MANAGEMENT", "EC2_AGENT_MANAGEMENT"]',
          "[]",
          terraform_test("account_baseline.tftest.hcl")),
    Break("destroy: a local stack's protected table left protected",
          "scripts/destroy.sh",
          "if [[ $TARGET == local && -n $protected_table ]]; then", "if false; then",
          bats("destroy_and_local_aws.bats", "deletion protection of a local")),
    Break("destroy: --delete-audit-logs after a destroy leaves the kept replica key",
          "scripts/destroy.sh",
          '[[ -z $replica_key ]] || schedule_replica_key "$replica_key"', "true",
          bats("destroy_and_local_aws.bats", "kept audit replica")),
    Break("destroy: --delete-audit-logs after a destroy leaves the kept replica buckets",
          "scripts/destroy.sh",
          'delete_replica_buckets "${found_replica[@]}" ||', "true ||",
          bats("destroy_and_local_aws.bats", "kept audit replica")),
    Break("destroy: the kept replica buckets not found (its one probe skips the replica region)",
          "scripts/destroy.sh", "if account and replica_region:", "if False:",
          bats("destroy_and_local_aws.bats", "kept audit replica")),
    Break("destroy: a local destroy with nothing to destroy runs terraform init again",
          "scripts/destroy.sh", "[[ $TARGET == local ]] || terraform_ready", "terraform_ready",
          bats("destroy_and_local_aws.bats", "destroy with nothing deployed")),
    Break("destroy: the audit-log buckets destroyed, not taken out of the state",
          "scripts/destroy.sh", '  out_of_state+=("${log_addresses[@]}")\n', "",
          bats("destroy_and_local_aws.bats", "a state without outputs")),
    Break("destroy: the security and audit keys destroyed, not taken out of the state",
          "scripts/destroy.sh", '|| out_of_state+=("${key_addresses[@]}")\n', "|| true\n",
          bats("hints.bats", "destroy keeps the security and audit keys")),
    Break("lambda: the sweep's failed invocations not kept",
          "terraform/modules/image-pipeline/lambda.tf",
          "    target_arn = aws_sqs_queue.failed_sweeps.arn\n",
          "    target_arn = aws_sqs_queue.rule_dead_letter.arn\n",
          terraform_test("pipeline.tftest.hcl")),
    Break("local AWS: a function's dead-letter queue dropped",
          "scripts/local/moto_server.py",
          'self.dead_letter_config = spec.get("DeadLetterConfig") or {}',
          "self.dead_letter_config = {}",
          pytest("tests/integration/test_local_aws_readback.py", "-k", "dead_letter")),
    Break("local AWS: GuardDuty dataSources not filled from the features",
          "scripts/local/moto_server.py",
          "guardduty_models.Detector.to_json = _detector_to_json_with_feature_data_sources",
          "pass",
          pytest("tests/integration/test_local_aws_readback.py", "-k", "data_source")),
    Break("mutation: pytest imports lambda/ itself, not mutmut's mutants",
          "scripts/dev/mutation.py",
          '(mutants / "lambda", Path("src"))', '(mutants / "lambda", ROOT / "lambda")',
          pytest("tests/unit/test_mutation.py")),
    Break("mutation: a mutant no test runs left out of the score", "scripts/dev/mutation.py",
          '("survived", "no tests")', '("survived",)',
          pytest("tests/unit/test_mutation.py")),
    Break("local AWS: start takes another server's answers on its port for its own",
          "scripts/local_aws.sh",
          'until listens_on_port "$(<"$PID_FILE")" && local_aws_answers; do',
          "until local_aws_answers; do",
          bats("destroy_and_local_aws.bats", "two starts on one port")),
    Break("local AWS: start takes a server that has not run setsid yet for one that exited",
          "scripts/local_aws.sh", 'if ! alive "$(<"$PID_FILE")"; then',
          "if ! running_pid >/dev/null; then",
          bats("destroy_and_local_aws.bats", "has not run setsid")),
    Break("deploy: an existing key alias whose key is not adopted is created again",
          "scripts/deploy.sh",
          'print(f"# retarget {alias} {key.get(\'KeyState\')} {key[\'KeyId\']}")',
          "continue",
          pytest("tests/e2e/test_recovery.py", "-k", "ctrl_c or kept_key")),
    Break("build: a changed handler source keeps the old package",
          "scripts/lib/package_manifest.py",
          'if current.get(name) != recorded.get("sources", {}).get(name):', "if False:",
          bats("build_lambda.bats", "an up-to-date package is kept")),
    Break("e2e: the runbook's replayed set-up restores none of its variables",
          "tests/e2e/test_runbook.py",
          '    declare -p "$_variable"\n', '    declare -p "$_variable" >&2\n',
          pytest("tests/e2e/test_runbook.py", "-k", "replayed_setup")),
    Break("e2e: the account baseline applied alone leaves its trail's files unencrypted",
          "terraform/modules/account-baseline/cloudtrail.tf",
          "kms_key_id                    = aws_kms_key.this[0].arn",
          "kms_key_id                    = null",
          pytest("tests/e2e/test_baseline_alone.py", "-k", "trail")),
    Break("e2e: parliament's report with a finding no KNOWN entry accepts",
          "scripts/audit/audit_policies.py",
          '"Sid": "AccountAdministration",', '"Sid": "NoSuchStatement",',
          pytest("tests/e2e/test_policies_lint.py", "-k", "parliament")),
    Break("e2e: the repository copy's new file times make pip run into the shared .venv",
          "tests/e2e/local_deployment.py",
          "            os.utime(target / name, ns=(status.st_atime_ns, status.st_mtime_ns))\n", "",
          pytest("tests/unit/test_e2e_copy.py")),
    Break("e2e: a Prowler FAIL on the shared stack without its row (the audit fails the run)",
          "SECURITY.md",
          "| `s3_bucket_server_access_logging_enabled` | "
          '`module.account_baseline.module.logs_bucket["this"].aws_s3_bucket.this` |',
          "", pytest("tests/e2e/test_audit.py", "-k", "every_fail")),
    Break("replication: the logs copied into the trail's replica, not a locked one of their own",
          "terraform/modules/audit-replica/replication.tf",
          "bucket        = module.logs_replica_bucket[each.key].arn",
          "bucket        = module.replica_bucket.arn",
          terraform_test("audit_replication.tftest.hcl")),
    Break("replication: the logs' replica without Object Lock",
          "terraform/modules/audit-replica/main.tf",
          "object_lock = var.object_lock # the same retention as the trail's replica",
          "object_lock = null # the same retention as the trail's replica",
          terraform_test("audit_replication.tftest.hcl")),
    Break("audit key: CloudTrail may encrypt with it for any trail (no aws:SourceArn of this one)",
          "terraform/modules/account-baseline/kms.tf",
          '      values   = [local.cloudtrail_arn]\n    }\n  }\n\n  statement {\n'
          '    sid       = "CloudTrailDescribesKey"',
          '      values   = ["arn:aws:cloudtrail:*"]\n    }\n  }\n\n  statement {\n'
          '    sid       = "CloudTrailDescribesKey"',
          terraform_test("account_baseline.tftest.hcl")),
    Break("audit key: anyone may schedule its deletion or grant it",
          "terraform/modules/account-baseline/kms.tf",
          "    actions   = local.kms_break_glass_actions", '    actions   = ["kms:DisableKey"]',
          terraform_test("account_baseline.tftest.hcl")),
    Break("audit bucket: its evidence may be deleted by anyone",
          "terraform/modules/account-baseline/buckets.tf",
          '      "s3:DeleteObjectVersion",\n', "",
          terraform_test("account_baseline.tftest.hcl")),
    Break("baseline: the logs bucket accepts access logs from any bucket of the account",
          "terraform/modules/account-baseline/buckets.tf",
          "          var.access_log_source_bucket_arns,\n", '          ["arn:aws:s3:::*"],\n',
          terraform_test("account_baseline.tftest.hcl")),
    Break("pipeline: a logs bucket of its own although given the baseline's",
          "terraform/modules/image-pipeline/buckets.tf",
          "count  = var.access_log_target == null ? 1 : 0\n\n  bucket",
          "count  = 1\n\n  bucket",
          terraform_test("pipeline.tftest.hcl")),
    Break("pipeline: the baseline's audit and logs buckets unwatched by the bucket rule",
          "terraform/modules/image-pipeline/events.tf",
          "    var.watched_bucket_names,\n", "",
          terraform_test("pipeline.tftest.hcl")),
    Break("destroy: the audit key kept without the command that schedules its deletion",
          "scripts/destroy.sh",
          "[[ -z $audit_alias ]] || kept_key", "[[ -n $audit_alias ]] || kept_key",
          bats("hints.bats", "destroy keeps the security and audit keys")),
    Break("cloudtrail: Insights watch the call rate only, not the error rate",
          "terraform/modules/account-baseline/cloudtrail.tf",
          '["ApiCallRateInsight", "ApiErrorRateInsight"]', '["ApiCallRateInsight"]',
          terraform_test("account_baseline.tftest.hcl")),
    Break("local AWS: a security group rule's description dropped again (plans never converge)",
          "scripts/local/moto_server.py",
          'or self.source_group.get("Description")', "or None",
          pytest("tests/integration/test_local_aws_readback.py")),
    Break("local AWS: an SDK's retry of a call already done is done again (Duplicate, NotFound)",
          "scripts/local/moto_server.py",
          '            if status.startswith("2"):', "            if False:",
          pytest("tests/integration/test_local_aws_retries.py")),
    Break("local AWS: a failed attempt's answer kept, so its retry fails again without being done",
          "scripts/local/moto_server.py",
          '            if status.startswith("2"):', "            if True:",
          pytest("tests/integration/test_local_aws_retries.py", "-k", "failed_attempt")),
    Break("local AWS: an attempt sent while the first runs does the call again",
          "scripts/local/moto_server.py",
          "if earlier is not None and not (earlier.done.is_set() and earlier.answer is None):",
          "if earlier is not None and earlier.done.is_set() and earlier.answer is not None:",
          pytest("tests/integration/test_local_aws_retries.py", "-k", "while_the_first_runs")),
    Break("local AWS: an attempt waits for a first attempt that never ends",
          "scripts/local/moto_server.py",
          "if not call.done.wait(timeout=WAIT_FOR_EARLIER):", "if not call.done.wait():",
          pytest("tests/integration/test_local_aws_retries.py", "-k", "waited_too_long")),
    Break("local AWS: answers kept for ever (a retry an hour later is not done)",
          "scripts/local/moto_server.py",
          "now - next(iter(_calls.values())).at > KEPT_FOR", "False",
          pytest("tests/integration/test_local_aws_retries.py", "-k", "kept_for")),
    Break("local AWS: one answer fewer kept than KEPT_CALLS says",
          "scripts/local/moto_server.py",
          "        while len(_calls) > KEPT_CALLS:", "        while len(_calls) >= KEPT_CALLS:",
          pytest("tests/integration/test_local_aws_retries.py", "-k", "newest_kept_calls")),
    Break("mutation: the copy's tests list the repository around it (git ls-files: none)",
          "scripts/dev/mutation.py",
          '"--index-info"], input=staged,', '"--index-info"], input=b"",',
          pytest("tests/unit/test_mutation.py")),
    Break("README: the local block uploads outside uploads/ (nothing is processed)",
          "README.md",
          's3_bucket_name)/uploads/"\nmake local-process',
          's3_bucket_name)/incoming/"\nmake local-process',
          pytest("tests/e2e/test_readme_local.py")),
    Break("README: the results block asks the table for a key it does not have",
          "README.md",
          """--key '{"object_key": {"S": "uploads/image.png"}}'""",
          """--key '{"key": {"S": "uploads/image.png"}}'""",
          pytest("tests/e2e/test_readme_local.py", "-k", "results")),
    Break("local AWS: a function's mappings are listed only by the text they were created with",
          "scripts/local/moto_server.py",
          "    return [m for m in mappings if m.function_arn == arn]\n",
          "    return [m for m in mappings if m.function_name == function_name]\n",
          pytest("tests/integration/test_local_aws_readback.py", "-k", "mappings")),
    Break("runbook: the trail block leaves out whether the trail logs",
          "INCIDENT_RESPONSE.md",
          "--query '[IsLogging, LatestDeliveryError]'", "--query '[LatestDeliveryError]'",
          pytest("tests/e2e/test_runbook.py", "-k", "trail_block")),
    Break("runbook: the resource policy block leaves out the queue's key",
          "INCIDENT_RESPONSE.md",
          "--attribute-names Policy KmsMasterKeyId", "--attribute-names Policy",
          pytest("tests/e2e/test_runbook.py", "-k", "resource_policy_block")),
    Break("runbook: the function block shows the code's size, not its hash",
          "INCIDENT_RESPONSE.md",
          "Configuration.[CodeSha256, LastModified", "Configuration.[CodeSize, LastModified",
          pytest("tests/e2e/test_runbook.py", "-k", "function_block")),
    Break("reprocess.sh reads an output the root does not have",
          "scripts/reprocess.sh",
          "FUNCTION=$(terraform_output lambda_function_arn)",
          "FUNCTION=$(terraform_output function_arn)",
          pytest("tests/unit/test_variables_declared_once.py", "-k", "every_output")),
    Break("local_aws.sh env: aws in the user's shell is whichever PATH finds first",
          "scripts/local_aws.sh",
          """  printf 'export PATH=%q:"${PATH#%q:}"\\n' """
          """"$REPO_ROOT/.venv/bin" "$REPO_ROOT/.venv/bin"\n""",
          "", bats("destroy_and_local_aws.bats", "pinned CLI of .venv")),
    Break("local AWS fixture: a server that never answers is left running",
          "tests/integration/local_aws.py",
          "            stop_server(server)\n            break\n", "            break\n",
          pytest("tests/integration/test_local_aws_start.py", "-k", "never_answers")),
    Break("local AWS fixture: a port is taken for the server's before it answers (a dead endpoint)",
          "tests/integration/local_aws.py",
          'in log.read_text(errors="replace") and answers(port):',
          'in log.read_text(errors="replace") or True:',
          pytest("tests/integration/test_local_aws_start.py")),
    Break("local AWS fixture: another server's answer taken for this one's",
          "tests/integration/local_aws.py",
          'if f"Running on {endpoint}" in log.read_text(errors="replace") and answers(port):',
          "if answers(port):",
          pytest("tests/integration/test_local_aws_start.py")),
    Break("local AWS: a replication rule's SourceSelectionCriteria dropped again",
          "scripts/local/moto_server.py",
          'if rule.get("SourceSelectionCriteria"):', "if False:",
          pytest("tests/integration/test_local_aws_readback.py")),
    Break("terraform -json: the progress ignores apply_complete",
          "scripts/lib/terraform_progress.py",
          'if kind == "apply_complete" and hook.get("action") in COUNTED:', "if False:",
          bats("terraform_progress.bats", "the progress counts apply_complete")),
    Break("terraform -json: in-flight resources not followed from apply_start",
          "scripts/lib/terraform_progress.py",
          'elif kind == "apply_start":', 'elif kind == "apply_started":',
          bats("terraform_progress.bats", "a second stops it and names")),
    Break("terraform -json: an error diagnostic shown without where it arose and its detail",
          "scripts/lib/terraform_progress.py",
          "            text = diagnostic(message)\n", "",
          bats("terraform_progress.bats", "a failed apply shows its error diagnostics")),
    Break("deploy --quiet: a failed plan's error diagnostics not shown", "scripts/deploy.sh",
          '((QUIET)) && tf_ui text --errors <"$WORK/plan.jsonl" >&2', ":",
          bats("hints.bats", "deploy's port hint")),
    Break("lint: mypy no longer checks the tests", "pyproject.toml",
          '"bench", "tests"]', '"bench"]',
          pytest("tests/unit/test_types.py", "-k", "every_python_file")),
    Break("layout: a file of scripts/ missing from scripts/README.md's table", "scripts/README.md",
          "`mutation.py`, `terraform_docs.py`", "`mutation.py`",
          pytest("tests/unit/test_scripts_layout.py")),
    Break("layout: make lint's shellcheck misses a folder of scripts/", "Makefile",
          "shellcheck scripts/*.sh scripts/lib/*.sh", "shellcheck scripts/*.sh",
          pytest("tests/unit/test_scripts_layout.py")),
    Break("setup: uv installs into the Python it finds, not the virtualenv's", "Makefile",
          "$(UV) pip install --python $(1)/bin/python $(2)", "$(UV) pip install $(2)",
          bats("setup.bats", "each install prints")),
    Break("setup: the tools' virtualenvs installed without their bytecode", "Makefile",
          "COMPILE := --compile-bytecode", "COMPILE :=",
          bats("setup.bats", "each install prints")),
    Break("setup: a new uv pin reinstalls .venv", "Makefile",
          "lambda/requirements.in | $(UV_STAMP)", "lambda/requirements.in $(UV_STAMP)",
          bats("setup.bats", "only uv when its pin changes")),
    Break("setup: a failed install's output not shown", "Makefile",
          "else rc=$$?; tail -n 25 $(1)/pip.log >&2;", "else rc=$$?;",
          bats("setup.bats", "a failed uv pip install")),
)  # fmt: skip


def scratch_copy(target: Path) -> Path:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, check=True, capture_output=True,
    ).stdout.split(b"\0")  # fmt: skip
    for name in filter(None, (n.decode() for n in listed)):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    # The bats helpers list the files to copy with git: the copy is a repository too.
    git = ("git", "-c", "user.name=breaks", "-c", "user.email=breaks@localhost")
    subprocess.run([*git, "init", "-q"], cwd=target, check=True)
    subprocess.run([*git, "add", "-A"], cwd=target, check=True)
    subprocess.run([*git, "commit", "-qm", "scratch"], cwd=target, check=True)
    for venv in (".venv", ".venv-checkov", ".venv-prowler"):
        if (ROOT / venv).exists():
            (target / venv).symlink_to(ROOT / venv)
            # .gitignore's `.venv/` matches a directory, not this link: a copy of
            # the copy must not list it.
            with (target / ".git" / "info" / "exclude").open("a") as exclude:
                exclude.write(f"/{venv}\n")
    return target


def run(test: tuple[str, ...], repo: Path) -> subprocess.CompletedProcess[str]:
    """The test's run (a hang fails it, exit 124), in a process group of its own, which is
    stopped once the test ends: a break may leave what the test started running (a server it
    never stops). Not what a test's script detaches with setsid (local_aws.sh start's server,
    which the tests stop themselves). Its output goes to files, so that nothing left running
    with the test's stdout keeps the run waiting."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen(
            test, cwd=repo, stdout=out, stderr=err, text=True, start_new_session=True
        )
        try:
            code = process.wait(timeout=900)
        except subprocess.TimeoutExpired:
            code = 124
            err.write("\ntimed out after 900 s")
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        out.seek(0)
        err.seek(0)
        return subprocess.CompletedProcess(test, code, out.read(), err.read())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--list", action="store_true", help="list the breaks and their tests")
    parser.add_argument("names", nargs="*", help="run only breaks whose name contains one of these")
    args = parser.parse_args(argv)
    chosen = [b for b in BREAKS if not args.names or any(n in b.name for n in args.names)]
    if args.list:
        for b in chosen:
            print(f"{b.name}\n    {b.file}\n    test: {' '.join(b.test)}")
        return 0

    missed = 0
    with tempfile.TemporaryDirectory(prefix="breaks.") as tmp:
        clean = scratch_copy(Path(tmp) / "clean")
        baseline = {test: run(test, clean).returncode == 0 for test in {b.test for b in chosen}}
        for number, b in enumerate(chosen):
            started = time.monotonic()
            repo = scratch_copy(Path(tmp) / str(number))
            path = repo / b.file
            text = path.read_text()
            if text.count(b.text) != 1:
                verdict = f"STALE  (the text to break is found {text.count(b.text)} times)"
            elif not baseline[b.test]:
                verdict = "BROKEN (its test fails without the break)"
            else:
                path.write_text(text.replace(b.text, b.replacement))
                caught = run(b.test, repo).returncode != 0
                verdict = "caught" if caught else "MISSED"
            missed += not verdict.startswith("caught")
            print(f"{verdict:<7} {b.name} ({time.monotonic() - started:.0f}s)", flush=True)
            shutil.rmtree(repo)
    print(f"{len(chosen) - missed} of {len(chosen)} breaks caught")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())

"""The paths a user meets on day two, on one local AWS, with the real scripts.

A deploy interrupted mid-apply (Ctrl-C: SIGINT to its process group)
finishes its apply (a Terraform stopped mid-call can leave resources outside
its state), and `destroy.sh --local --yes` then leaves nothing but what every
destroy keeps: the audit logs (the audit-log buckets and the audit replica:
its two buckets, key and role) and the two keys only break-glass may delete.
Then `make local-deploy` adopts all of them (Terraform import blocks in its
plan) with their logs, instead of failing with BucketAlreadyExists: the kept
security key and the account baseline's audit key as they are. On that
stack, its printed commands run in a fresh shell; its state, with the audit
and logs buckets put back at the pipeline module's addresses (before issue
21), plans to move them into the account baseline; and an alias outside the
state is adopted on the stack's key. Its destroy keeps the same things again.
Last, the kept security key is scheduled for deletion, as destroy's printed
command does, and a deploy meets a table of its name that is not the
stack's: it adopts the kept buckets a second time, moves the key's alias,
which KMS keeps, to a new key, and fails mid-apply on the table; the destroy
command it prints, run as printed, removes what it created, and the kept
buckets go with the command destroy prints for them: nothing is left.
Each deploy and destroy that later tests start from is a module fixture, so
that a test asserts one behaviour and `-k` can select any of them. (Four
deploys, one of them a re-apply and one failing half-way, and four destroys,
one of them of the kept buckets alone: one of each fewer than a cycle per
behaviour, as the recovery paths are make test-e2e's critical path.)
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from e2e.local_deployment import LocalDeployment, copy_repo, started

pytestmark = pytest.mark.slow

LOGS, AUDIT = "image-processor-local-logs-123456789012", "image-processor-local-audit-123456789012"
# The audit replica (local profile: enable_audit_replication, us-west-2), which
# every destroy keeps with the audit logs: its two buckets, key and role.
REPLICA_REGION = "us-west-2"
AUDIT_REPLICA = "image-processor-local-audit-replica-123456789012"
LOGS_REPLICA = "image-processor-local-logs-replica-123456789012"
REPLICA_ALIAS = "alias/image-processor-local-audit-replica"
REPLICATION_ROLE = "image-processor-local-audit-replication"
# What a destroy without --delete-audit-logs leaves, each named.
KEPT = {
    "buckets": sorted([LOGS, AUDIT, AUDIT_REPLICA, LOGS_REPLICA]),
    f"keys not pending deletion in {REPLICA_REGION}": [REPLICA_ALIAS],
    "roles": [REPLICATION_ROLE],
}


def leftovers(deployment: LocalDeployment) -> dict[str, list[str]]:
    """What exists on the local AWS, by service (AWS-managed keys aside)."""
    c = deployment.client
    kms = c("kms")
    # moto creates AWS managed keys (alias/aws/*) on use and reports them as
    # customer keys (README, "Where the local AWS differs"): not the stack's.
    managed = {
        a["TargetKeyId"]
        for a in kms.list_aliases()["Aliases"]
        if a["AliasName"].startswith("alias/aws/")
    }
    # destroy.sh keeps the security key and the account baseline's audit key
    # (only break-glass may delete them) and the next deploy adopts them: not
    # leftovers, asserted on their own below.
    kept_key = {
        a["TargetKeyId"]
        for a in kms.list_aliases()["Aliases"]
        if a["AliasName"] in (SECURITY_ALIAS, AUDIT_ALIAS)
    }
    keys = [k["KeyId"] for k in kms.list_keys()["Keys"] if k["KeyId"] not in managed | kept_key]
    found = {
        "buckets": [b["Name"] for b in c("s3").list_buckets()["Buckets"]],
        "tables": c("dynamodb").list_tables()["TableNames"],
        "functions": [f["FunctionName"] for f in c("lambda").list_functions()["Functions"]],
        "queues": c("sqs").list_queues().get("QueueUrls", []),
        "topics": [t["TopicArn"] for t in c("sns").list_topics()["Topics"]],
        "keys not pending deletion": [
            k
            for k in keys
            if (m := kms.describe_key(KeyId=k)["KeyMetadata"])["KeyManager"] == "CUSTOMER"
            and m["KeyState"] != "PendingDeletion"
        ],
        # The replica's key is in the replica region: named by its alias (its ID when it has none).
        f"keys not pending deletion in {REPLICA_REGION}": live_keys(deployment, REPLICA_REGION),
        "roles": [r["RoleName"] for r in c("iam").list_roles()["Roles"]],
        "policies": [p["PolicyName"] for p in c("iam").list_policies(Scope="Local")["Policies"]],
        "alarms": [a["AlarmName"] for a in c("cloudwatch").describe_alarms()["MetricAlarms"]],
        "log groups": [g["logGroupName"] for g in c("logs").describe_log_groups()["logGroups"]],
        "rules": [r["Name"] for r in c("events").list_rules()["Rules"]],
        "trails": [t["Name"] for t in c("cloudtrail").describe_trails()["trailList"]],
        "recorders": [
            r["name"]
            for r in c("config").describe_configuration_recorders()["ConfigurationRecorders"]
        ],
        "detectors": c("guardduty").list_detectors()["DetectorIds"],
    }
    return {service: sorted(names) for service, names in found.items() if names}


def live_keys(deployment: LocalDeployment, region: str) -> list[str]:
    """The customer keys of REGION not pending deletion, each by its alias or else its ID."""
    kms = deployment.client("kms", region)
    aliases = {a.get("TargetKeyId"): a["AliasName"] for a in kms.list_aliases()["Aliases"]}
    return [
        aliases.get(k["KeyId"], k["KeyId"])
        for k in kms.list_keys()["Keys"]
        if (m := kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"])["KeyManager"] == "CUSTOMER"
        and m["KeyState"] != "PendingDeletion"
        and not aliases.get(k["KeyId"], "").startswith("alias/aws/")
    ]


def state_resources(deployment: LocalDeployment) -> list[str]:
    path = deployment.local_aws_dir / "terraform.tfstate"
    try:
        state = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return []  # not written yet, or being written
    return [
        f"{r.get('module', '')}.{r['type']}.{r['name']}"
        for r in state.get("resources", [])
        if r.get("mode") == "managed"
    ]


def state_key_arns(deployment: LocalDeployment, address: str) -> list[str]:
    """The ARN of each instance of the state's key at `address` (module.type.name)."""
    state = json.loads((deployment.local_aws_dir / "terraform.tfstate").read_text())
    return [
        instance["attributes"]["arn"]
        for r in state["resources"]
        if f"{r.get('module', '')}.{r['type']}.{r['name']}" == address
        for instance in r["instances"]
    ]


def versions(deployment: LocalDeployment, bucket: str) -> int:
    pages = deployment.client("s3").get_paginator("list_object_versions").paginate(Bucket=bucket)
    return sum(len(page.get("Versions", [])) for page in pages)


def hint(output: str, prefix: str) -> str:
    """The command of a printed line 'PREFIX <command> (...)'."""
    match = re.search(rf"^ *{re.escape(prefix)} (.+?)(?: \(|$)", output, flags=re.MULTILINE)
    assert match, output
    return match.group(1)


def in_fresh_shell(
    deployment: LocalDeployment, command: str, answer: str
) -> subprocess.CompletedProcess[str]:
    """COMMAND as typed in a new shell at the repository root, on a terminal (script(1))."""
    fresh = {"HOME": os.environ["HOME"], "PATH": "/usr/local/bin:/usr/bin:/bin", "TERM": "dumb"}
    return subprocess.run(
        ["script", "-qec", command, "/dev/null"], input=answer + "\n", env=fresh,
        cwd=deployment.repo, capture_output=True, text=True, timeout=900,
    )  # fmt: skip


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalDeployment]:
    deployment = started(copy_repo(tmp_path_factory.mktemp("repo")))
    yield deployment
    deployment.stop()


def mid_apply(stack: LocalDeployment) -> dict[str, Any]:
    """deploy.sh --quiet, interrupted by Ctrl-C once the apply has created the logs bucket."""
    process = subprocess.Popen(
        [stack.repo / "scripts" / "deploy.sh", "--local", "--auto-approve", "--quiet"],
        cwd=stack.repo, env=stack.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 900
    created: list[str] = []
    while time.monotonic() < deadline and process.poll() is None:
        created = state_resources(stack)
        if any('.logs_bucket["this"].aws_s3_bucket_policy' in r for r in created):
            break
        time.sleep(0.5)
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in its terminal sends
    stdout, stderr = process.communicate(timeout=900)
    return {"rc": process.returncode, "stdout": stdout, "stderr": stderr, "created": len(created)}


@pytest.fixture(scope="module")
def interrupted(stack: LocalDeployment) -> dict[str, Any]:
    return mid_apply(stack)


@pytest.fixture(scope="module")
def destroyed_after_ctrl_c(
    stack: LocalDeployment, interrupted: dict[str, Any]
) -> subprocess.CompletedProcess[str]:
    """destroy.sh after the interrupted deploy; what the next deploys start from."""
    return stack.script("destroy.sh", "--local", "--yes")


def test_ctrl_c_mid_apply_lets_the_apply_finish_so_destroy_leaves_nothing(
    stack: LocalDeployment,
    interrupted: dict[str, Any],
    destroyed_after_ctrl_c: subprocess.CompletedProcess[str],
) -> None:
    """Stopping Terraform mid-call can leave a resource outside its state: it finishes instead."""
    assert interrupted["created"] > 0, interrupted  # interrupted mid-apply (and the message below)
    assert interrupted["rc"] == 0, interrupted["stdout"] + interrupted["stderr"]
    assert "interrupted: letting apply finish" in interrupted["stderr"]
    assert "Traceback" not in interrupted["stderr"]
    assert not (stack.repo / "terraform" / "deploy_adopt_kept_buckets.tf").exists()

    destroy = destroyed_after_ctrl_c

    assert destroy.returncode == 0, destroy.stdout[-3000:] + destroy.stderr[-3000:]
    assert '" failed (line' not in destroy.stderr
    assert state_resources(stack) == []
    # Every destroy keeps the audit-log buckets; nothing else is left.
    assert leftovers(stack) == KEPT
    assert not list((stack.repo / "terraform").glob("*.backup"))


# Deploy after a destroy, twice: the first adopts the kept security key as it
# is, the second (a deploy that fails mid-apply) starts from it scheduled for
# deletion and moves its alias to a new key. Both adopt the kept buckets.
SECURITY_ALIAS = "alias/image-processor-local-security"
AUDIT_ALIAS = "alias/image-processor-local-audit"  # the account baseline's audit key
TABLE = "image-processor-local-uploads"  # the stack's table name, made outside the stack


def keep_a_log_in_each_kept_bucket(stack: LocalDeployment, cycle: int) -> dict[str, int]:
    """A log file in each kept bucket (the trail's and S3's deliveries are moto's to make or
    not): the deploy must adopt the buckets as they are. Returns each bucket's version count."""
    for bucket in (LOGS, AUDIT):
        stack.client("s3").put_object(Bucket=bucket, Key=f"kept/cycle-{cycle}.log", Body=b"log")
    return {bucket: versions(stack, bucket) for bucket in (LOGS, AUDIT)}


@pytest.fixture(scope="module")
def first_cycle(
    stack: LocalDeployment, destroyed_after_ctrl_c: subprocess.CompletedProcess[str]
) -> dict[str, Any]:
    """After the first destroy, `make local-deploy`, as the README says."""
    before = leftovers(stack)
    kms = stack.client("kms")
    kept_key = kms.describe_key(KeyId=SECURITY_ALIAS)["KeyMetadata"]
    kept_audit_key = kms.describe_key(KeyId=AUDIT_ALIAS)["KeyMetadata"]["Arn"]
    kept_logs = keep_a_log_in_each_kept_bucket(stack, 1)
    make_sees_the_virtualenvs_as_installed(stack)
    deploy = stack.run("make", "-s", "local-deploy", timeout=1800)
    return {"before": before, "kept_key": kept_key, "kept_audit_key": kept_audit_key,
            "kept_logs": kept_logs, "deploy": deploy}  # fmt: skip


@pytest.fixture(scope="module")
def first_cycle_destroyed(
    stack: LocalDeployment, first_cycle: dict[str, Any]
) -> subprocess.CompletedProcess[str]:
    return stack.script("destroy.sh", "--local", "--yes")


@pytest.fixture(scope="module")
def failed_deploy(
    stack: LocalDeployment, first_cycle_destroyed: subprocess.CompletedProcess[str]
) -> dict[str, Any]:
    """After the second destroy: the kept security key scheduled for deletion, as destroy's
    printed break-glass command does (hints.bats), and a table of the stack's name that is not
    the stack's; then deploy.sh, which fails on that table mid-apply."""
    before = leftovers(stack)
    kms = stack.client("kms")
    kept_key = kms.describe_key(KeyId=SECURITY_ALIAS)["KeyMetadata"]["KeyId"]
    kms.schedule_key_deletion(KeyId=kept_key, PendingWindowInDays=30)
    kept_logs = keep_a_log_in_each_kept_bucket(stack, 2)
    stack.client("dynamodb").create_table(
        TableName=TABLE, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
    )  # fmt: skip
    deploy = stack.script("deploy.sh", "--local", "--auto-approve", "--quiet")
    security_keys = state_key_arns(stack, "module.pipeline.aws_kms_key.security")
    return {"before": before, "kept_key": kept_key, "kept_logs": kept_logs, "deploy": deploy,
            "state": state_resources(stack), "security_keys": security_keys}  # fmt: skip


def assert_the_kept_audit_logs_were_adopted(
    stack: LocalDeployment, cycle: dict[str, Any], number: int, adopted: list[str]
) -> None:
    deploy = cycle["deploy"]
    assert cycle["before"] == KEPT
    assert re.search(r"plan: \d+ to import, \d+ to add", deploy.stdout), deploy.stdout
    assert f"adopting what the last destroy kept: {', '.join(adopted)}" in deploy.stdout
    assert not (stack.repo / "terraform" / "deploy_adopt_kept_buckets.tf").exists()
    assert all(versions(stack, bucket) >= count for bucket, count in cycle["kept_logs"].items())
    for bucket in (LOGS, AUDIT):
        stack.client("s3").head_object(Bucket=bucket, Key=f"kept/cycle-{number}.log")
    buckets = [r for r in state_resources(stack) if r.endswith(".aws_s3_bucket.this")]
    assert 'module.account_baseline.module.logs_bucket["this"].aws_s3_bucket.this' in buckets
    assert 'module.account_baseline.module.audit_bucket["this"].aws_s3_bucket.this' in buckets


def assert_the_destroy_kept_the_audit_logs_alone(
    stack: LocalDeployment, destroy: subprocess.CompletedProcess[str]
) -> None:
    assert destroy.returncode == 0, destroy.stdout[-3000:] + destroy.stderr[-3000:]
    assert state_resources(stack) == []
    assert leftovers(stack) == KEPT


def test_make_local_deploy_after_a_destroy_adopts_the_kept_audit_logs_in_at_most_60_lines(
    stack: LocalDeployment, first_cycle: dict[str, Any]
) -> None:
    """As the README says: make local-deploy, at most 60 lines (a log holds the rest)."""
    deploy = first_cycle["deploy"]
    assert deploy.returncode == 0, deploy.stdout[-3000:] + deploy.stderr[-3000:]
    printed = deploy.stdout.splitlines() + deploy.stderr.splitlines()
    assert len(printed) <= 60, deploy.stdout
    # The kept keys with them: their aliases name them (the test below).
    adopted = [LOGS, AUDIT, SECURITY_ALIAS, AUDIT_ALIAS, AUDIT_REPLICA, LOGS_REPLICA]
    assert_the_kept_audit_logs_were_adopted(stack, first_cycle, 1, adopted)
    assert stack.outputs()["logs_bucket_name"] == LOGS


def test_a_deploy_after_a_destroy_adopts_the_kept_keys_as_they_are(
    stack: LocalDeployment, first_cycle: dict[str, Any]
) -> None:
    """The security key and the account baseline's audit key the destroy kept (the very first
    deploy made them) are the stack's keys again, not new ones."""
    deploy, kept_key = first_cycle["deploy"], first_cycle["kept_key"]
    assert deploy.returncode == 0, deploy.stdout[-3000:] + deploy.stderr[-3000:]
    assert kept_key["KeyState"] == "Enabled"
    assert stack.outputs()["security_kms_key_arn"] == kept_key["Arn"]
    kms = stack.client("kms")
    assert kms.describe_key(KeyId=kept_key["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"
    assert stack.outputs()["audit_kms_key_arn"] == first_cycle["kept_audit_key"]


def test_the_deploys_printed_commands_run_in_a_fresh_shell(
    stack: LocalDeployment, first_cycle: dict[str, Any], tmp_path: Path
) -> None:
    assert first_cycle["deploy"].returncode == 0
    run_the_printed_hints(stack, first_cycle["deploy"].stdout, tmp_path)


def test_a_deployment_from_before_the_baseline_owned_its_sinks_keeps_its_buckets(
    stack: LocalDeployment, first_cycle: dict[str, Any]
) -> None:
    """terraform/main.tf's moved blocks (issue 21): a state whose audit and logs buckets are
    still the pipeline module's, at their addresses before the account baseline owned them,
    plans to move both into the baseline, destroying and replacing nothing. The state is the
    deployed one with those addresses put back, and is restored after the plan."""
    assert first_cycle["deploy"].returncode == 0
    path = stack.local_aws_dir / "terraform.tfstate"
    saved = path.read_text()
    state = json.loads(saved)
    baseline, pipeline = "module.account_baseline.module.", "module.pipeline.module."
    before = {
        f'{baseline}audit_bucket["this"]': f'{pipeline}audit_bucket["this"]',
        f'{baseline}logs_bucket["this"]': f"{pipeline}logs_bucket",
    }
    moved = [r for r in state["resources"] if r.get("module") in before]
    assert {r["module"] for r in moved} == set(before)
    for resource in moved:
        resource["module"] = before[resource["module"]]
    state["serial"] += 1
    try:
        path.write_text(json.dumps(state))
        plan = stack.run("terraform", "-chdir=terraform", "plan", "-input=false", "-no-color",
                         "-refresh=false", "-var-file=local.tfvars", env=stack.aws_env)  # fmt: skip
    finally:
        path.write_text(saved)

    assert plan.returncode == 0, plan.stdout[-3000:] + plan.stderr[-3000:]
    for new, old in before.items():
        assert f"# {old}.aws_s3_bucket.this has moved to {new}.aws_s3_bucket.this" in plan.stdout
    assert re.search(r"Plan: \d+ to add, \d+ to change, 0 to destroy", plan.stdout), plan.stdout
    assert "must be replaced" not in plan.stdout


def test_an_alias_outside_the_state_is_adopted_as_it_is_on_the_stacks_key(
    stack: LocalDeployment, first_cycle: dict[str, Any]
) -> None:
    """An alias outside the state (a second Ctrl-C stops an apply whose CreateAlias then
    completes): the next deploy adopts it as it is, on the stack's key."""
    assert first_cycle["deploy"].returncode == 0
    kms = stack.client("kms")
    key = kms.describe_key(KeyId=SECURITY_ALIAS)["KeyMetadata"]["KeyId"]
    forget = stack.run(
        "terraform", "-chdir=terraform", "state", "rm", "module.pipeline.aws_kms_alias.security",
        env=stack.aws_env,
    )  # fmt: skip
    assert forget.returncode == 0, forget.stderr

    again = stack.script("deploy.sh", "--local", "--auto-approve", "--quiet")

    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert f"adopting {SECURITY_ALIAS}, which names key {key} (Enabled)" in again.stdout
    assert kms.describe_key(KeyId=SECURITY_ALIAS)["KeyMetadata"]["KeyId"] == key
    assert "module.pipeline.aws_kms_alias.security" in state_resources(stack)


def test_the_destroy_after_an_adopting_deploy_keeps_the_audit_logs_alone(
    stack: LocalDeployment, first_cycle_destroyed: subprocess.CompletedProcess[str]
) -> None:
    assert_the_destroy_kept_the_audit_logs_alone(stack, first_cycle_destroyed)


def test_a_second_deploy_after_a_destroy_adopts_the_kept_audit_logs_again(
    stack: LocalDeployment, failed_deploy: dict[str, Any]
) -> None:
    """Twice in a row: the buckets the first adopting deploy had are adopted again (its apply
    then fails on the table, which needs none of them: the test below)."""
    # The security key scheduled for deletion is not adopted: its alias is, alone (the test below).
    adopted = [LOGS, AUDIT, AUDIT_ALIAS, AUDIT_REPLICA, LOGS_REPLICA]
    assert_the_kept_audit_logs_were_adopted(stack, failed_deploy, 2, adopted)


def test_a_kept_key_scheduled_for_deletion_leaves_its_alias_and_the_next_deploy_moves_it(
    stack: LocalDeployment, failed_deploy: dict[str, Any]
) -> None:
    """destroy's printed break-glass command schedules the kept key's deletion (hints.bats), and
    KMS deletes a key's aliases only when the waiting period ends: the next deploy adopts the
    alias alone and points it at a new security key (was: the apply created the key, then failed
    on the alias with AlreadyExistsException, and so did every deploy after it). That deploy's
    apply fails on the table, which neither the key nor its alias needs."""
    deploy, kept = failed_deploy["deploy"], failed_deploy["kept_key"]
    kms = stack.client("kms")

    assert f"adopting {SECURITY_ALIAS}, which names key {kept} (PendingDeletion)" in deploy.stdout
    assert "AlreadyExists" not in deploy.stderr
    assert "module.pipeline.aws_kms_alias.security" in failed_deploy["state"]
    new = kms.describe_key(KeyId=SECURITY_ALIAS)["KeyMetadata"]
    assert new["KeyId"] != kept
    assert new["KeyState"] == "Enabled"
    assert failed_deploy["security_keys"] == [new["Arn"]]  # the stack's key, not a stray one
    assert kms.describe_key(KeyId=kept)["KeyMetadata"]["KeyState"] == "PendingDeletion"


def make_sees_the_virtualenvs_as_installed(stack: LocalDeployment) -> None:
    """make compares the shared virtualenvs' stamps with these files, which the copy made new."""
    for name in ("requirements-dev.txt", "lambda/requirements.txt", "requirements-checkov.txt"):
        os.utime(stack.repo / name, (0, 0))


def run_the_printed_hints(stack: LocalDeployment, printed: str, tmp_path: Path) -> None:
    """deploy.sh's outputs command and its 'Try it' lines, as printed, in one fresh shell."""
    outputs = hint(printed, "outputs:")
    try_it = [
        line.split("   #")[0].strip() for line in printed.split("Try it:\n", 1)[1].splitlines()
    ]
    (tmp_path / "image.png").write_bytes(b"not even an image")
    try_it[1] = try_it[1].replace("image.png", str(tmp_path / "image.png"))
    make_sees_the_virtualenvs_as_installed(stack)

    typed = in_fresh_shell(stack, " && ".join(["set -e", outputs, *try_it]), "")

    assert typed.returncode == 0, typed.stdout[-4000:]
    assert f'logs_bucket_name = "{LOGS}"' in typed.stdout  # the outputs command
    images = stack.outputs()["s3_bucket_name"]
    stack.client("s3").head_object(Bucket=images, Key="uploads/image.png")  # aws s3 cp
    table = stack.client("dynamodb").scan(TableName=stack.outputs()["dynamodb_table_name"])
    assert table["Count"] >= 1, typed.stdout[-4000:]  # make local-process delivered it


def test_a_deploy_that_fails_mid_apply_is_removed_by_the_destroy_it_prints(
    stack: LocalDeployment, failed_deploy: dict[str, Any]
) -> None:
    """The apply fails on a table of the same name that is not the stack's; destroy removes
    everything the failed apply created (outputs or not) and leaves that table alone."""
    deploy = failed_deploy["deploy"]

    assert deploy.returncode == 1, deploy.stdout[-3000:] + deploy.stderr[-3000:]
    # A half stack: what does not need the table exists, the table and its dependants do not.
    half = failed_deploy["state"]
    assert half
    needs_the_table = (".aws_dynamodb_table.this", ".aws_lambda_function.this")
    assert not [r for r in half if r.endswith(needs_the_table)], half
    assert "./scripts/deploy.sh --local again to finish" in deploy.stderr
    printed = re.search(
        r"or ((?:\S+=\S+ )*\./scripts/destroy\.sh --local) to remove it", deploy.stderr
    )
    assert printed, deploy.stderr

    # The printed command, in a fresh shell, answering its question with the environment.
    destroy = in_fresh_shell(stack, printed[1], "local")

    assert destroy.returncode == 0, destroy.stdout[-3000:]
    assert '" failed (line' not in destroy.stdout
    assert state_resources(stack) == []
    assert leftovers(stack) == {**KEPT, "tables": [TABLE]}

    # The kept buckets go with the command destroy prints for them.
    stack.client("dynamodb").delete_table(TableName=TABLE)
    delete = in_fresh_shell(stack, hint(destroy.stdout, "To delete them now:"), "delete")

    assert delete.returncode == 0, delete.stdout[-3000:]
    assert leftovers(stack) == {}, delete.stdout[-3000:]
    # The replica's key waits out its deletion window, its alias gone with it.
    replica_kms = stack.client("kms", REPLICA_REGION)
    assert REPLICA_ALIAS not in [a["AliasName"] for a in replica_kms.list_aliases()["Aliases"]]

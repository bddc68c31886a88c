"""The paths a user meets on day two, on one local AWS, with the real scripts.

A deploy interrupted mid-apply (Ctrl-C: SIGINT to its process group), then
`destroy.sh --local --yes`, leaves nothing but the audit-log buckets every
destroy keeps, and the command destroy prints to delete those removes them
too. Then destroy -> deploy -> destroy, twice in a row: each deploy after a
destroy adopts the kept buckets (Terraform import blocks in its plan) with
their logs, instead of failing with BucketAlreadyExists.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time

import pytest

from e2e.local_deployment import LocalDeployment, copy_repo, free_port

pytestmark = pytest.mark.slow

LOGS, AUDIT = "image-processor-local-logs-123456789012", "image-processor-local-audit-123456789012"


def leftovers(deployment: LocalDeployment) -> dict[str, list[str]]:
    """What exists on the local AWS, by service (AWS-managed keys aside)."""
    c = deployment.client
    kms = c("kms")
    keys = [k["KeyId"] for k in kms.list_keys()["Keys"]]
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
) -> subprocess.CompletedProcess:
    """COMMAND as typed in a new shell at the repository root, on a terminal (script(1))."""
    fresh = {"HOME": os.environ["HOME"], "PATH": "/usr/local/bin:/usr/bin:/bin", "TERM": "dumb"}
    return subprocess.run(
        ["script", "-qec", command, "/dev/null"], input=answer + "\n", env=fresh,
        cwd=deployment.repo, capture_output=True, text=True, timeout=900,
    )  # fmt: skip


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    repo = copy_repo(tmp_path_factory.mktemp("repo"))
    deployment = LocalDeployment(repo, free_port())
    for _ in range(3):  # a free port can be taken by a parallel worker first
        if deployment.script("local_aws.sh", "start").returncode == 0:
            break
        deployment = LocalDeployment(repo, free_port())
    else:
        pytest.fail("the local AWS did not start on three free ports")
    yield deployment
    deployment.stop()


@pytest.fixture(scope="module")
def interrupted(stack):
    """deploy.sh, interrupted by Ctrl-C once the apply has created the logs bucket."""
    process = subprocess.Popen(
        [stack.repo / "scripts" / "deploy.sh", "--local", "--auto-approve", "--quiet"],
        cwd=stack.repo, env=stack.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline and process.poll() is None:
        created = state_resources(stack)
        if any(".logs_bucket.aws_s3_bucket_policy" in r for r in created) and len(created) < 60:
            break
        time.sleep(0.5)
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in its terminal sends
    stdout, stderr = process.communicate(timeout=600)
    return {"rc": process.returncode, "stdout": stdout, "stderr": stderr, "state": created}


def test_an_interrupted_deploy_says_both_ways_forward(stack, interrupted):
    assert interrupted["rc"] == 1, interrupted["stdout"] + interrupted["stderr"]
    assert 0 < len(interrupted["state"]) < 60, interrupted["state"]  # it was mid-apply
    assert "./scripts/deploy.sh --local again to finish" in interrupted["stderr"]
    assert "./scripts/destroy.sh --local to remove it" in interrupted["stderr"]
    assert "Traceback" not in interrupted["stderr"]
    assert not (stack.repo / "terraform" / "deploy_adopt_kept_buckets.tf").exists()


def test_destroy_after_an_interrupted_deploy_leaves_nothing(stack, interrupted):
    destroy = stack.script("destroy.sh", "--local", "--yes")

    assert destroy.returncode == 0, destroy.stdout[-3000:] + destroy.stderr[-3000:]
    assert '" failed (line' not in destroy.stderr
    assert state_resources(stack) == []
    # Every destroy keeps the audit-log buckets; nothing else is left.
    assert leftovers(stack) == {"buckets": sorted([LOGS, AUDIT])}
    assert not list((stack.repo / "terraform").glob("*.backup"))

    # The command it prints to delete those, as printed, in a fresh shell.
    delete = in_fresh_shell(stack, hint(destroy.stdout, "To delete them now:"), "delete")

    assert delete.returncode == 0, delete.stdout[-3000:]
    assert leftovers(stack) == {}


@pytest.mark.parametrize("cycle", [1, 2])
def test_destroy_then_deploy_then_destroy(stack, interrupted, cycle):
    """Cycle 1 starts from a fresh deploy; each destroy keeps the logs, each deploy adopts them."""
    if cycle == 1:  # the first stack of this local AWS (the interrupted one is gone)
        first = stack.script("deploy.sh", "--local", "--auto-approve", "--quiet")
        assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
        destroy = stack.script("destroy.sh", "--local", "--yes")
        assert destroy.returncode == 0, destroy.stdout[-3000:] + destroy.stderr[-3000:]
    assert leftovers(stack) == {"buckets": sorted([LOGS, AUDIT])}
    kept = {bucket: versions(stack, bucket) for bucket in (LOGS, AUDIT)}
    assert kept[AUDIT] > 0  # the trail's files, kept by the destroy

    deploy = stack.script("deploy.sh", "--local", "--auto-approve", "--quiet")

    assert deploy.returncode == 0, deploy.stdout[-3000:] + deploy.stderr[-3000:]
    adopting = f"adopting the audit-log buckets kept by the last destroy: {LOGS}, {AUDIT}"
    assert adopting in deploy.stdout
    assert re.search(r"plan: \d+ to import, \d+ to add", deploy.stdout), deploy.stdout
    assert not (stack.repo / "terraform" / "deploy_adopt_kept_buckets.tf").exists()
    assert all(versions(stack, bucket) >= count for bucket, count in kept.items())
    assert stack.outputs()["logs_bucket_name"] == LOGS

    destroy = stack.script("destroy.sh", "--local", "--yes")

    assert destroy.returncode == 0, destroy.stdout[-3000:] + destroy.stderr[-3000:]
    assert state_resources(stack) == []
    assert leftovers(stack) == {"buckets": sorted([LOGS, AUDIT])}

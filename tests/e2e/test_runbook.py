"""Every command in INCIDENT_RESPONSE.md runs against the local AWS, and does what it says.

The runbook's fenced bash blocks are each preceded by a marker:
``<!-- runbook-test: NAME -->`` (run here, its effect asserted below) or
``<!-- not-run-locally: REASON -->`` (the local AWS cannot serve it).
"""

from __future__ import annotations

import json
import re
import subprocess

import pytest
from botocore.exceptions import ClientError

import images
from e2e.local_deployment import LocalDeployment, copy_repo, free_port
from helpers import ROOT

pytestmark = pytest.mark.slow

RUNBOOK = (ROOT / "INCIDENT_RESPONSE.md").read_text()
BLOCK = re.compile(
    r"<!-- (runbook-test|not-run-locally): ([^>]*?) -->\s*\n\s*```bash\n(.*?)```", re.DOTALL
)


def blocks() -> dict[str, str]:
    return {
        name.strip(): code for kind, name, code in BLOCK.findall(RUNBOOK) if kind == "runbook-test"
    }


def test_every_shell_block_is_marked():
    fenced = len(re.findall(r"^\s*```bash$", RUNBOOK, flags=re.MULTILINE))
    marked = len(BLOCK.findall(RUNBOOK))

    assert fenced == marked
    for kind, reason, _ in BLOCK.findall(RUNBOOK):
        if kind == "not-run-locally":
            assert len(reason.split()) >= 4, "say why the local AWS cannot run it"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    deployment = LocalDeployment(copy_repo(tmp_path_factory.mktemp("repo")), free_port())
    assert deployment.script("local_aws.sh", "start").returncode == 0
    deploy = deployment.script("deploy.sh", "--local", "--auto-approve")
    assert deploy.returncode == 0, deploy.stdout[-3000:] + deploy.stderr[-3000:]
    outputs = json.loads(
        subprocess.run(
            ["terraform", "-chdir=terraform", "output", "-json"],
            env=deployment.aws_env, cwd=deployment.repo, check=True, capture_output=True, text=True,
        ).stdout
    )  # fmt: skip
    names = {k: v["value"] for k, v in outputs.items()}
    s3 = deployment.client("s3")
    for key in ("uploads/suspect.png", "uploads/photo.png"):
        s3.put_object(Bucket=names["s3_bucket_name"], Key=key, Body=images.make("PNG"))
    process(deployment, names)
    yield deployment, names
    deployment.script("destroy.sh", "--local", "--yes")
    deployment.stop()


def process(deployment: LocalDeployment, names: dict) -> None:
    result = subprocess.run(
        [ROOT / ".venv" / "bin" / "python", "scripts/local_lambda.py", "--once",
         "--function", names["lambda_function_name"], "--bucket", names["s3_bucket_name"]],
        env=deployment.aws_env, cwd=deployment.repo, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]


def run_block(deployment: LocalDeployment, name: str) -> subprocess.CompletedProcess:
    script = blocks()["setup"] + "\n" + blocks()[name]
    # The AWS CLI v1 ignores AWS_ENDPOINT_URL for SQS (it pins SQS's legacy
    # endpoint), so a shim passes the endpoint explicitly to every command.
    shim = deployment.repo / ".local-aws" / "bin"
    shim.mkdir(parents=True, exist_ok=True)
    real_aws = ROOT / ".venv" / "bin" / "aws"
    (shim / "aws").write_text(
        f'#!/bin/sh\nexec {real_aws} --endpoint-url "$AWS_ENDPOINT_URL" "$@"\n'
    )
    (shim / "aws").chmod(0o755)
    env = deployment.aws_env | {"PATH": f"{shim}:{deployment.aws_env['PATH']}"}
    result = subprocess.run(
        ["bash", "-Eeuo", "pipefail", "-c", script],
        env=env, cwd=deployment.repo, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, f"{name}:\n{result.stdout}\n{result.stderr}"
    return result


def test_setup_reads_the_outputs(stack):
    deployment, names = stack

    result = run_block(deployment, "setup")

    assert f"function={names['lambda_function_name']}" in result.stdout


def test_stop_and_resume_processing(stack):
    deployment, names = stack
    lam = deployment.client("lambda")

    run_block(deployment, "stop-processing")
    stopped = lam.get_function_concurrency(FunctionName=names["lambda_function_name"])
    run_block(deployment, "resume-processing")
    resumed = lam.get_function_concurrency(FunctionName=names["lambda_function_name"])

    assert stopped["ReservedConcurrentExecutions"] == 0
    assert resumed["ReservedConcurrentExecutions"] == 5


def test_block_and_unblock_uploads(stack):
    deployment, names = stack
    s3, bucket = deployment.client("s3"), names["s3_bucket_name"]

    run_block(deployment, "block-uploads")
    with pytest.raises(ClientError) as blocked:
        s3.put_object(Bucket=bucket, Key="uploads/during-incident.png", Body=b"x")
    s3.put_object(Bucket=bucket, Key="elsewhere/allowed.txt", Body=b"x")  # only uploads/ is blocked
    run_block(deployment, "unblock-uploads")
    s3.put_object(Bucket=bucket, Key="uploads/after-incident.png", Body=b"x")

    assert blocked.value.response["Error"]["Code"] in ("AccessDenied", "403")
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    assert "IncidentBlockUploads" not in {s.get("Sid") for s in policy["Statement"]}


def test_find_the_record_of_an_upload(stack):
    deployment, _ = stack

    result = run_block(deployment, "find-record")

    assert "PROCESSED" in result.stdout
    assert re.search(r"[0-9a-f]{64}", result.stdout)  # the upload's sha256


def test_access_logs_name_the_object(stack):
    deployment, _ = stack

    result = run_block(deployment, "access-logs")

    # moto logs object PUTs as REST.PUT.BUCKET; AWS writes REST.PUT.OBJECT. Both say PUT.
    lines = [line for line in result.stdout.splitlines() if line.startswith("[")]
    assert lines
    assert any("PUT" in line for line in lines)


def test_quarantine_moves_the_object_out_of_uploads(stack):
    deployment, names = stack
    s3, bucket = deployment.client("s3"), names["s3_bucket_name"]

    run_block(deployment, "quarantine")

    tags = s3.get_object_tagging(Bucket=bucket, Key="quarantine/suspect.png")["TagSet"]
    assert {"Key": "incident", "Value": "quarantined"} in tags
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="uploads/suspect.png")


def test_dlq_depth_is_reported(stack):
    deployment, _ = stack

    result = run_block(deployment, "dlq-depth")

    report = result.stdout.split("\n", 1)[1]  # after the set-up block's own line
    assert json.loads(report)["Attributes"]["ApproximateNumberOfMessages"] == "0"


def test_reprocess_an_object_by_copying_it_onto_itself(stack):
    deployment, names = stack
    before = deployment.client("dynamodb").get_item(
        TableName=names["dynamodb_table_name"], Key={"object_key": {"S": "uploads/photo.png"}}
    )["Item"]

    run_block(deployment, "reprocess-object")
    process(deployment, names)

    after = deployment.client("dynamodb").get_item(
        TableName=names["dynamodb_table_name"], Key={"object_key": {"S": "uploads/photo.png"}}
    )["Item"]
    assert after["version_id"] != before["version_id"]
    assert after["status"]["S"] == "PROCESSED"


def test_cancel_a_key_deletion(stack):
    deployment, names = stack
    kms = deployment.client("kms")
    key_id = names["kms_key_arn"].rsplit("/", 1)[1]
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)

    result = run_block(deployment, "cancel-key-deletion")

    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"
    assert "Enabled" in result.stdout


def test_lifecycle_rules_are_shown(stack):
    deployment, _ = stack

    result = run_block(deployment, "lifecycle")

    assert "expire-uploads" in result.stdout

"""scripts/reprocess.sh --local, end to end against the local AWS server.

The real script and the real aws CLI, against scripts/local/moto_server.py: the
images are processed first through the uploads queue's path; then the script
builds the manifest of the prefix, finds that the local AWS has no S3 Batch
Operations, and runs each task through the deployed function's handler with
the documented invocation. The same recipe set changes nothing; a new one
(the function's RECIPES changed) writes every output again and says so in the
records; running it again is a no-op.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import zipfile
from pathlib import Path
from typing import Any, cast

import pytest
from local_aws import LocalAWS, local_aws_fixture  # noqa: F401 - the fixture

import images
from config import load_settings
from helpers import LIMITS_ENV, ROOT, FakeLambdaContext, s3_event, sqs_batch
from notifications import NOTIFICATIONS, SECURITY, Notifier
from pipeline import Pipeline
from storage import ObjectStore, RecordStore, UploadRecord
from structured_log import get_logger

NAME = "image-processor-reprocess"
BUCKET = f"{NAME}-images"
TABLE = f"{NAME}-uploads"
KEYS = ["uploads/a.png", "uploads/2026/b c.jpg", "uploads/2026/d+e.webp"]
NEW_RECIPES = '[{"name": "web", "max_edge": 800}]'


@pytest.fixture(scope="module")
def deployed(local_aws: LocalAWS) -> dict[str, Any]:
    """What the stack deploys, as far as a reprocess touches it."""
    iam, lam, s3, ddb, sns = (
        local_aws.client("iam"),
        local_aws.client("lambda"),
        local_aws.client("s3"),
        local_aws.client("dynamodb"),
        local_aws.client("sns"),
    )
    role = iam.create_role(
        RoleName=NAME,
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )["Role"]["Arn"]
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    ddb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "object_key", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "object_key", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    topics = {t: sns.create_topic(Name=f"{NAME}-{t}")["TopicArn"] for t in ("n", "s")}
    environment = {
        "TABLE_NAME": TABLE,
        "NOTIFICATIONS_TOPIC_ARN": topics["n"],
        "SECURITY_TOPIC_ARN": topics["s"],
        "LOG_LEVEL": "WARNING",
    } | LIMITS_ENV
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("lambda_function.py", "def handler(event, context): pass\n")
    lam.create_function(
        FunctionName=NAME,
        Runtime="python3.13",
        Role=role,
        Handler="lambda_function.handler",
        Code={"ZipFile": package.getvalue()},
        Timeout=60,
        MemorySize=1024,
        Environment={"Variables": environment},
    )
    return {"environment": environment}


def pipeline(local_aws: LocalAWS, environment: dict[str, str]) -> Pipeline:
    settings = load_settings(environment)
    return Pipeline(
        settings,
        ObjectStore(local_aws.client("s3")),
        RecordStore(local_aws.client("dynamodb"), settings.table_name),
        Notifier(
            local_aws.client("sns"),
            {
                NOTIFICATIONS: settings.notifications_topic_arn,
                SECURITY: settings.security_topic_arn,
            },
        ),
        get_logger("image_processor", "WARNING"),
    )


def reprocess(local_aws: LocalAWS, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    port = local_aws.endpoint.rsplit(":", 1)[1]
    env = local_aws.env | {"LOCAL_AWS_PORT": port, "LOCAL_AWS_DIR": str(tmp_path), "NO_COLOR": "1"}
    return subprocess.run(
        [str(ROOT / "scripts" / "reprocess.sh"), "--local", "--bucket", BUCKET,
         "--function", NAME, *args],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def records(local_aws: LocalAWS) -> dict[str, UploadRecord]:
    items = local_aws.client("dynamodb").scan(TableName=TABLE, ConsistentRead=True)["Items"]
    return {r.object_key: r for r in map(UploadRecord.from_item, items)}


def output_versions(local_aws: LocalAWS, key: str) -> int:
    listed = local_aws.client("s3").list_object_versions(Bucket=BUCKET, Prefix=key)
    return sum(1 for v in listed.get("Versions", []) if v["Key"] == key)


def report_rows(local_aws: LocalAWS, stdout: str) -> list[dict[str, str]]:
    job_id = stdout.split()[1].rstrip(":")
    body = local_aws.client("s3").get_object(
        Bucket=BUCKET, Key=f"batch-operations/reports/{job_id}.csv"
    )["Body"]
    return list(csv.DictReader(io.StringIO(body.read().decode())))


def test_reprocess_a_prefix_locally_only_when_the_recipe_set_changed(
    local_aws: LocalAWS, deployed: dict[str, Any], tmp_path: Path
) -> None:
    s3 = local_aws.client("s3")
    # Uploaded and processed through the uploads queue's path, as usual.
    first = pipeline(local_aws, deployed["environment"])
    for n, key in enumerate(KEYS):
        fmt = {"png": "PNG", "jpg": "JPEG", "webp": "WEBP"}[key.rsplit(".", 1)[1]]
        data = images.make(fmt, (1600, 1200))
        version = s3.put_object(Bucket=BUCKET, Key=key, Body=data)["VersionId"]
        event = s3_event(BUCKET, key, size=len(data), version_id=version, sequencer=f"{n + 1:016X}")
        result = first.handle(sqs_batch(event), FakeLambdaContext())
        assert result["batchItemFailures"] == []
    before = records(local_aws)
    assert {k: r.status for k, r in before.items()} == dict.fromkeys(KEYS, "PROCESSED")

    # The same recipe set: every task succeeds and nothing is written.
    same = reprocess(local_aws, tmp_path)

    assert same.returncode == 0, same.stderr
    assert "the local AWS has no S3 Batch Operations" in same.stdout
    assert "3 tasks: 3 Succeeded, 0 TemporaryFailure, 0 PermanentFailure" in same.stdout
    assert {
        row["key"]: row["result_string"].split(":")[0]
        for row in report_rows(local_aws, same.stdout.splitlines()[-1])
    } == dict.fromkeys(KEYS, "unchanged")
    assert records(local_aws) == before

    # A new recipe set on the function: every image is processed again.
    local_aws.client("lambda").update_function_configuration(
        FunctionName=NAME,
        Environment={"Variables": deployed["environment"] | {"RECIPES": NEW_RECIPES}},
    )
    new_digest = load_settings(deployed["environment"] | {"RECIPES": NEW_RECIPES}).recipe_digest

    changed = reprocess(local_aws, tmp_path)

    assert changed.returncode == 0, changed.stderr
    assert "3 tasks: 3 Succeeded" in changed.stdout
    after = records(local_aws)
    for key in KEYS:
        assert after[key].status == "PROCESSED"
        assert after[key].recipe_digest == new_digest != before[key].recipe_digest
        assert after[key].sequencer == before[key].sequencer
        processed_at, processed_before = after[key].processed_at, before[key].processed_at
        assert processed_at is not None
        assert processed_before is not None
        assert processed_at > processed_before
        # The new recipe set writes its own key once; the old output is named as replaced.
        output_key = after[key].output_key
        assert output_key is not None
        assert output_versions(local_aws, output_key) == 1
        assert list(after[key].replaced_outputs) == [before[key].output_key]
    rows = report_rows(local_aws, changed.stdout.splitlines()[-1])
    assert all(row["result_code"] == "Succeeded" for row in rows)
    assert all(row["result_string"].startswith("PROCESSED: wrote processed/") for row in rows)

    # Again with the same (new) recipe set: a no-op.
    again = reprocess(local_aws, tmp_path)

    assert again.returncode == 0, again.stderr
    assert records(local_aws) == after
    assert all(output_versions(local_aws, cast(str, r.output_key)) == 1 for r in after.values())


def test_an_empty_prefix_is_refused_before_anything_runs(
    local_aws: LocalAWS, deployed: dict[str, Any], tmp_path: Path
) -> None:
    result = reprocess(local_aws, tmp_path, "--prefix", "uploads/nothing-here/")

    assert result.returncode == 1
    assert "no object under" in result.stderr


def test_keys_outside_the_input_prefix_fail_permanently_and_change_nothing(
    local_aws: LocalAWS, deployed: dict[str, Any], tmp_path: Path
) -> None:
    s3 = local_aws.client("s3")
    s3.put_object(Bucket=BUCKET, Key="processed/elsewhere.png", Body=images.make("PNG"))
    before = records(local_aws)

    result = reprocess(local_aws, tmp_path, "--prefix", "processed/")

    assert result.returncode == 1
    counts = result.stdout.splitlines()[-1]
    assert "0 Succeeded, 0 TemporaryFailure" in counts
    rows = report_rows(local_aws, counts)
    assert rows
    assert {row["result_code"] for row in rows} == {"PermanentFailure"}
    assert {row["result_string"] for row in rows} == {"not reprocessed: key is outside uploads/"}
    assert records(local_aws) == before


def test_on_aws_the_job_request_passes_the_real_clis_validation(
    local_aws: LocalAWS, deployed: dict[str, Any], tmp_path: Path
) -> None:
    """Without --local: the manifest as S3 Batch Operations reads it, and a create-job
    request the aws CLI accepts (it then fails to connect: the local AWS has no
    s3-control endpoint for the account, https://<account>.s3-control...)."""
    role = "arn:aws:iam::123456789012:role/image-processor-reprocess-batch-operations"
    env = local_aws.env | {"LOCAL_AWS_DIR": str(tmp_path), "NO_COLOR": "1"}

    result = subprocess.run(
        [str(ROOT / "scripts" / "reprocess.sh"), "--bucket", BUCKET, "--function",
         f"arn:aws:lambda:us-east-1:123456789012:function:{NAME}", "--role-arn", role],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip

    assert result.returncode == 1
    assert "Could not connect to the endpoint URL" in result.stderr, result.stderr
    assert "Parameter validation failed" not in result.stderr
    assert "Invalid" not in result.stderr
    s3 = local_aws.client("s3")
    [manifest] = s3.list_objects_v2(Bucket=BUCKET, Prefix="batch-operations/manifests/")[
        "Contents"
    ][-1:]
    lines = s3.get_object(Bucket=BUCKET, Key=manifest["Key"])["Body"].read().decode().splitlines()
    assert f"{BUCKET},uploads/2026/b%20c.jpg" in lines
    assert f"{BUCKET},uploads/2026/d%2Be.webp" in lines
    assert all(line.startswith(f"{BUCKET},uploads/") for line in lines)

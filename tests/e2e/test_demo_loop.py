"""The user's loop on the local AWS, end to end: `scripts/demo.sh`, then destroy.

Runs the real scripts in a scratch copy of the repository against moto's
server on a free port: the real `terraform apply` (deploy.sh --local), the
real `aws s3 cp`, the real handler, then destroy.sh, and checks what is left.
"""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
from pathlib import Path

import boto3
import pytest
from PIL import Image

from helpers import ROOT

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _copy_repo(target: Path) -> Path:
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.split(b"\0")
    for name in filter(None, files):
        source = ROOT / name.decode()
        if source.is_file():
            (target / name.decode()).parent.mkdir(parents=True, exist_ok=True)
            (target / name.decode()).write_bytes(source.read_bytes())
            (target / name.decode()).chmod(source.stat().st_mode)
    for venv in (".venv", ".venv-checkov"):
        (target / venv).symlink_to(ROOT / venv)
    return target


@pytest.fixture(scope="module")
def loop(tmp_path_factory):
    repo = _copy_repo(tmp_path_factory.mktemp("repo"))
    port = _free_port()
    env = os.environ | {"LOCAL_AWS_PORT": str(port), "NO_COLOR": "1"}
    env.pop("AWS_ENDPOINT_URL", None)
    demo = subprocess.run(
        [repo / "scripts" / "demo.sh", "--keep"],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    endpoint = f"http://127.0.0.1:{port}"
    clients = {
        name: boto3.client(
            name,
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        for name in (
            "s3",
            "dynamodb",
            "lambda",
            "sns",
            "sqs",
            "kms",
            "iam",
            "logs",
            "cloudwatch",
            "events",
            "cloudtrail",
            "config",
            "guardduty",
        )
    }
    state = repo / ".local-aws" / "terraform.tfstate"
    outputs = (
        {k: v["value"] for k, v in json.loads(state.read_text())["outputs"].items()}
        if state.exists()
        else {}
    )
    yield {"repo": repo, "env": env, "demo": demo, "aws": clients, "outputs": outputs}
    subprocess.run([repo / "scripts" / "local_aws.sh", "stop"], env=env, check=False)


def test_the_demo_succeeds_and_says_what_it_did(loop):
    demo = loop["demo"]
    assert demo.returncode == 0, demo.stdout[-4000:] + demo.stderr[-4000:]
    for step in ("Security scan passed", "terraform apply", "Uploading with aws s3 cp", "Results"):
        assert step in demo.stdout
    assert "SNS notifications topic: 5 message(s)" in demo.stdout
    assert "SNS security topic: 1 message(s)" in demo.stdout


@pytest.mark.parametrize(
    ("name", "size", "fmt", "modes"),
    [
        # Stored 3000x2000 with EXIF orientation 6: upright it is portrait.
        ("holiday photo.jpg", (683, 1024), "JPEG", {"RGB"}),
        ("logo_thumb.png", (200, 200), "PNG", {"RGBA"}),
        ("street_grayscale.webp", (1600, 1200), "WEBP", {"L", "RGB"}),
    ],
)
def test_processed_objects_are_right(loop, name, size, fmt, modes):
    s3 = loop["aws"]["s3"]
    response = s3.get_object(Bucket=loop["outputs"]["s3_bucket_name"], Key=f"processed/demo/{name}")
    image = Image.open(io.BytesIO(response["Body"].read()))

    assert (image.size, image.format) == (size, fmt)
    assert image.mode in modes
    assert not image.getexif()
    assert response["ServerSideEncryption"] == "aws:kms"
    assert (loop["repo"] / "demo-output" / "processed" / "demo" / name).exists()


def test_every_upload_has_one_terminal_record(loop):
    items = loop["aws"]["dynamodb"].scan(TableName=loop["outputs"]["dynamodb_table_name"])["Items"]
    outcomes = {
        i["object_key"]["S"]: (i["status"]["S"], i.get("reason", {}).get("S")) for i in items
    }

    assert outcomes == {
        "uploads/demo/holiday photo.jpg": ("PROCESSED", None),
        "uploads/demo/logo_thumb.png": ("PROCESSED", None),
        "uploads/demo/street_grayscale.webp": ("PROCESSED", None),
        "uploads/demo/panorama.png": ("REJECTED", "too_large_dimensions"),
        "uploads/demo/not-really.jpg": ("REJECTED", "type_mismatch"),
    }


def test_the_deployed_function_has_the_handlers_contract(loop):
    function = loop["aws"]["lambda"].get_function_configuration(
        FunctionName=loop["outputs"]["lambda_function_name"]
    )
    assert function["Handler"] == "lambda_function.handler"
    assert function["TracingConfig"]["Mode"] == "Active"
    assert function["KMSKeyArn"] == loop["outputs"]["kms_key_arn"]
    assert set(function["Environment"]["Variables"]) >= {"TABLE_NAME", "SECURITY_TOPIC_ARN"}


def test_destroy_leaves_nothing_but_the_key_waiting_for_deletion(loop):
    destroy = subprocess.run(
        [loop["repo"] / "scripts" / "destroy.sh", "--local", "--yes"],
        env=loop["env"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert destroy.returncode == 0, destroy.stdout[-3000:] + destroy.stderr[-3000:]
    aws = loop["aws"]

    assert aws["s3"].list_buckets()["Buckets"] == []
    assert aws["dynamodb"].list_tables()["TableNames"] == []
    assert aws["lambda"].list_functions()["Functions"] == []
    assert aws["sns"].list_topics()["Topics"] == []
    assert aws["sqs"].list_queues().get("QueueUrls", []) == []
    assert aws["logs"].describe_log_groups()["logGroups"] == []
    assert aws["cloudwatch"].describe_alarms()["MetricAlarms"] == []
    assert aws["events"].list_rules()["Rules"] == []
    assert aws["cloudtrail"].describe_trails()["trailList"] == []
    assert aws["config"].describe_configuration_recorders()["ConfigurationRecorders"] == []
    assert aws["guardduty"].list_detectors()["DetectorIds"] == []
    assert [r for r in aws["iam"].list_roles()["Roles"] if "image-processor" in r["RoleName"]] == []
    [key] = aws["kms"].list_keys()["Keys"]
    assert (
        aws["kms"].describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "PendingDeletion"
    )

    again = subprocess.run(
        [loop["repo"] / "scripts" / "destroy.sh", "--local", "--yes"],
        env=loop["env"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert again.returncode == 0
    assert "Nothing to destroy" in again.stdout

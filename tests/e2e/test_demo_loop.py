"""The user's loop on the local AWS, end to end: `scripts/demo.sh`, then destroy.

Runs the real scripts in a scratch copy of the repository against moto's
server on a free port: the real `terraform apply` (deploy.sh --local), the
real `aws s3 cp`, the real handler, then destroy.sh, and checks what is left.
"""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from e2e.local_deployment import LocalDeployment, copy_repo, free_port

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def loop(tmp_path_factory):
    deployment = LocalDeployment(copy_repo(tmp_path_factory.mktemp("repo")), free_port())
    demo = deployment.script("demo.sh", "--keep")
    state = deployment.repo / ".local-aws" / "terraform.tfstate"
    outputs = (
        {k: v["value"] for k, v in json.loads(state.read_text())["outputs"].items()}
        if state.exists()
        else {}
    )
    yield {"deployment": deployment, "demo": demo, "outputs": outputs}
    deployment.stop()


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
    s3 = loop["deployment"].client("s3")
    response = s3.get_object(Bucket=loop["outputs"]["s3_bucket_name"], Key=f"processed/demo/{name}")
    image = Image.open(io.BytesIO(response["Body"].read()))

    assert (image.size, image.format) == (size, fmt)
    assert image.mode in modes
    assert not image.getexif()
    assert response["ServerSideEncryption"] == "aws:kms"
    assert (loop["deployment"].repo / "demo-output" / "processed" / "demo" / name).exists()


def test_every_upload_has_one_terminal_record(loop):
    ddb = loop["deployment"].client("dynamodb")
    items = ddb.scan(TableName=loop["outputs"]["dynamodb_table_name"])["Items"]
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
    function = (
        loop["deployment"]
        .client("lambda")
        .get_function_configuration(FunctionName=loop["outputs"]["lambda_function_name"])
    )
    assert function["Handler"] == "lambda_function.handler"
    assert function["TracingConfig"]["Mode"] == "Active"
    assert function["KMSKeyArn"] == loop["outputs"]["kms_key_arn"]
    assert set(function["Environment"]["Variables"]) >= {"TABLE_NAME", "SECURITY_TOPIC_ARN"}


def test_a_second_plan_says_no_changes(loop):
    """Convergence: the deployed stack matches its configuration, on the local AWS too."""
    deployment = loop["deployment"]
    state = deployment.repo / ".local-aws" / "terraform.tfstate"

    plan = deployment.run(
        "terraform", "-chdir=terraform", "plan", "-input=false", "-no-color",
        "-detailed-exitcode", f"-state={state}", "-var-file=local.tfvars",
        env=deployment.aws_env, timeout=300,
    )  # fmt: skip

    assert plan.returncode == 0, plan.stdout[-4000:] + plan.stderr[-2000:]
    assert "No changes." in plan.stdout


def test_destroy_leaves_nothing_but_the_key_waiting_for_deletion(loop):
    deployment = loop["deployment"]
    # What the demo's own clean-up does (--keep skipped it): its queues are not Terraform's.
    cleanup = deployment.run(deployment.repo / ".venv" / "bin" / "python", "scripts/demo_tool.py",
                             "cleanup", env=deployment.aws_env)  # fmt: skip
    assert cleanup.returncode == 0, cleanup.stderr
    destroy = deployment.script("destroy.sh", "--local", "--yes")
    assert destroy.returncode == 0, destroy.stdout[-3000:] + destroy.stderr[-3000:]
    aws = deployment.client

    assert aws("s3").list_buckets()["Buckets"] == []
    assert aws("dynamodb").list_tables()["TableNames"] == []
    assert aws("lambda").list_functions()["Functions"] == []
    assert aws("sns").list_topics()["Topics"] == []
    assert aws("sqs").list_queues().get("QueueUrls", []) == []
    assert aws("logs").describe_log_groups()["logGroups"] == []
    assert aws("cloudwatch").describe_alarms()["MetricAlarms"] == []
    assert aws("events").list_rules()["Rules"] == []
    assert aws("cloudtrail").describe_trails()["trailList"] == []
    assert aws("config").describe_configuration_recorders()["ConfigurationRecorders"] == []
    assert aws("guardduty").list_detectors()["DetectorIds"] == []
    roles = aws("iam").list_roles()["Roles"]
    assert [r for r in roles if "image-processor" in r["RoleName"]] == []
    kms = aws("kms")
    keys = [kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"] for k in kms.list_keys()["Keys"]]
    [ours] = [k for k in keys if k["Arn"] == loop["outputs"]["kms_key_arn"]]
    assert ours["KeyState"] == "PendingDeletion"
    # Any other key is an AWS-managed default key (moto creates aws/dynamodb's
    # when a table is created, and lists it as CUSTOMER), never this stack's.
    aws_managed = {
        a.get("TargetKeyId")
        for a in kms.list_aliases()["Aliases"]
        if a["AliasName"].startswith("alias/aws/")
    }
    assert {k["KeyId"] for k in keys if k is not ours} <= aws_managed

    again = deployment.script("destroy.sh", "--local", "--yes")
    assert again.returncode == 0
    assert "Nothing to destroy" in again.stdout

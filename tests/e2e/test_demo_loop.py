"""The user's loop on the local AWS, end to end: `scripts/demo.sh`, then destroy.

Runs the real scripts in a scratch copy of the repository: first a local AWS
of the user's own (as `make local-up` leaves it, with an object the user
uploaded and a Terraform state), then the demo beside it, which must use its
own port and state and leave the user's untouched. The real `terraform
apply` (deploy.sh --local), the real `aws s3 cp`, the real handler, then
destroy.sh, and checks what is left.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from PIL import Image

from e2e.local_deployment import LocalDeployment, copy_repo, started
from helpers import ROOT

pytestmark = pytest.mark.slow

USER_BUCKET, USER_KEY = "my-own-bucket", "uploads/mine.png"
README_TEXT = (ROOT / "README.md").read_text()
USER_STATE = '{"version": 4, "serial": 7, "lineage": "the-users-own", "resources": []}\n'


@pytest.fixture(scope="module")
def loop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    repo = copy_repo(tmp_path_factory.mktemp("repo"))
    # The user's own local AWS, an upload of theirs and a state file of theirs.
    user = started(repo)
    user.client("s3").create_bucket(Bucket=USER_BUCKET)
    user.client("s3").put_object(Bucket=USER_BUCKET, Key=USER_KEY, Body=b"mine")
    (user.local_aws_dir / "terraform.tfstate").write_text(USER_STATE)

    # LOCAL_AWS_PORT names the user's port: the demo must not take it.
    demo = user.script("demo.sh", "--keep")
    demo_dir = repo / ".local-aws" / "demo"
    port = int((demo_dir / "moto.port").read_text()) if (demo_dir / "moto.port").exists() else 0
    deployment = LocalDeployment(repo, port, ".local-aws/demo")
    state = deployment.local_aws_dir / "terraform.tfstate"
    outputs = (
        {k: v["value"] for k, v in json.loads(state.read_text())["outputs"].items()}
        if state.exists()
        else {}
    )
    yield {"user": user, "deployment": deployment, "demo": demo, "outputs": outputs}
    deployment.script("demo.sh", "--down")
    user.stop()


def test_the_demo_succeeds_and_says_what_it_did(loop: dict[str, Any]) -> None:
    demo = loop["demo"]
    assert demo.returncode == 0, demo.stdout[-4000:] + demo.stderr[-4000:]
    for step in ("security scan passed", "Apply complete!", "uploaded 5 images", "Results"):
        assert step in demo.stdout
    assert "SNS notifications topic: 5 message(s)" in demo.stdout
    assert "SNS security topic: 1 message(s)" in demo.stdout


def test_the_demo_is_calm_and_ends_with_the_results(loop: dict[str, Any]) -> None:
    lines = loop["demo"].stdout.splitlines()

    assert len(lines) <= 150, len(lines)
    results = lines.index(next(line for line in lines if line.startswith("==> Results")))
    assert not [line for line in lines[results:] if line.startswith("==>")][1:]
    assert "Processed images saved under" in lines[-1]
    assert any(line.startswith("Full log") for line in lines[:results])
    everything = loop["demo"].stdout + loop["demo"].stderr
    assert "Deprecated" not in everything
    assert not re.search(r"^ERROR", everything, flags=re.MULTILINE)
    assert "\x1b[" not in everything  # not a terminal: no colour


def test_the_log_holds_terraform_the_scan_and_the_handler_without_colour(
    loop: dict[str, Any],
) -> None:
    log = (loop["deployment"].local_aws_dir / "demo.log").read_text()

    assert "Apply complete! Resources:" in log
    assert "Security scan summary" in log
    assert '"request_id"' in log  # the handler's JSON lines
    assert "\x1b[" not in log


def test_the_users_own_local_stack_is_untouched(loop: dict[str, Any]) -> None:
    user = loop["user"]

    assert user.script("local_aws.sh", "status").returncode == 0
    body = user.client("s3").get_object(Bucket=USER_BUCKET, Key=USER_KEY)["Body"].read()
    assert body == b"mine"
    assert (user.local_aws_dir / "terraform.tfstate").read_text() == USER_STATE
    assert loop["deployment"].port != user.port


def test_a_second_deploy_passes_the_preflight(loop: dict[str, Any]) -> None:
    deploy = loop["deployment"].script("deploy.sh", "--local", "--auto-approve", "--quiet")

    assert deploy.returncode == 0, deploy.stdout[-3000:] + deploy.stderr[-3000:]
    assert "not running" not in deploy.stderr
    loop["second_deploy"] = deploy


def test_a_second_deploy_says_nothing_to_change(loop: dict[str, Any]) -> None:
    deploy = loop.get("second_deploy") or loop["deployment"].script(
        "deploy.sh", "--local", "--auto-approve", "--quiet"
    )

    assert "Nothing to change" in deploy.stdout


def test_the_try_it_lines_upload_as_printed_in_a_fresh_shell(
    loop: dict[str, Any], tmp_path: Path
) -> None:
    """deploy.sh's hint, typed into a shell with no AWS settings of its own."""
    deploy = loop.get("second_deploy") or loop["deployment"].script(
        "deploy.sh", "--local", "--auto-approve", "--quiet"
    )
    hint = deploy.stdout.split("Try it:\n", 1)[1].splitlines()
    (tmp_path / "image.png").write_bytes(b"not even an image")
    commands = "set -e\n" + "\n".join(line.strip() for line in hint[:2]).replace(
        "image.png", str(tmp_path / "image.png")
    )
    fresh = {"HOME": str(tmp_path), "PATH": "/usr/local/bin:/usr/bin:/bin"}

    typed = subprocess.run(
        ["bash", "-c", commands], env=fresh, cwd=loop["deployment"].repo,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip

    assert typed.returncode == 0, commands + "\n" + typed.stderr
    s3 = loop["deployment"].client("s3")
    s3.head_object(Bucket=loop["outputs"]["s3_bucket_name"], Key="uploads/image.png")


@pytest.mark.parametrize(
    ("name", "size", "fmt", "modes"),
    [
        # Stored 3000x2000 with EXIF orientation 6: upright it is portrait.
        ("holiday photo.jpg", (683, 1024), "JPEG", {"RGB"}),
        ("logo_thumb.png", (200, 200), "PNG", {"RGBA"}),
        ("street_grayscale.webp", (1600, 1200), "WEBP", {"L", "RGB"}),
    ],
)
def test_processed_objects_are_right(
    loop: dict[str, Any], name: str, size: tuple[int, int], fmt: str, modes: set[str]
) -> None:
    s3 = loop["deployment"].client("s3")
    response = s3.get_object(Bucket=loop["outputs"]["s3_bucket_name"], Key=f"processed/demo/{name}")
    image = Image.open(io.BytesIO(response["Body"].read()))

    assert (image.size, image.format) == (size, fmt)
    assert image.mode in modes
    assert not image.getexif()
    assert response["ServerSideEncryption"] == "aws:kms"
    assert (loop["deployment"].repo / "demo-output" / "processed" / "demo" / name).exists()


def test_every_upload_has_one_terminal_record(loop: dict[str, Any]) -> None:
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


def test_the_deployed_function_has_the_handlers_contract(loop: dict[str, Any]) -> None:
    function = (
        loop["deployment"]
        .client("lambda")
        .get_function_configuration(FunctionName=loop["outputs"]["lambda_function_name"])
    )
    assert function["Handler"] == "lambda_function.handler"
    assert function["TracingConfig"]["Mode"] == "Active"
    assert function["KMSKeyArn"] == loop["outputs"]["kms_key_arn"]
    assert set(function["Environment"]["Variables"]) >= {"TABLE_NAME", "SECURITY_TOPIC_ARN"}


def _other_key(loop: dict[str, Any]) -> str:
    kms = loop["deployment"].client("kms")
    return cast(str, kms.create_key(Description="not the stack's")["KeyMetadata"]["Arn"])


@pytest.mark.parametrize(
    ("key", "options"),
    [
        ("uploads/denied/sse-s3.png", ["--sse", "AES256"]),
        ("uploads/denied/other-key.png", ["--sse", "aws:kms", "--sse-kms-key-id", "OTHER_KEY"]),
        ("uploads/denied/aws-managed-key.png", ["--sse", "aws:kms"]),
        ("uploads/denied/sse-c.png", ["--sse-c", "AES256", "--sse-c-key", "0123456789abcdef" * 2]),
        ("processed/demo/logo_thumb.png", []),  # anyone but the function's role
    ],
    ids=["sse-s3", "another-kms-key", "aws-managed-key", "sse-c", "output-prefix"],
)
def test_the_bucket_refuses_what_it_should_through_the_real_cli(
    loop: dict[str, Any], tmp_path: Path, key: str, options: list[str]
) -> None:
    """Issue 10 item 3: the bucket policy's denies, as the real `aws s3 cp` meets them."""
    deployment, bucket = loop["deployment"], loop["outputs"]["s3_bucket_name"]
    s3 = deployment.client("s3")
    before = s3.list_object_versions(Bucket=bucket, Prefix=key).get("Versions", [])
    image = tmp_path / "image.png"
    Image.new("RGB", (8, 8), "red").save(image)
    options = [_other_key(loop) if o == "OTHER_KEY" else o for o in options]

    upload = deployment.run("aws", "s3", "cp", "--only-show-errors", image, f"s3://{bucket}/{key}",
                            *options, env=deployment.aws_env, timeout=120)  # fmt: skip

    assert upload.returncode != 0
    assert "AccessDenied" in upload.stderr, upload.stderr
    # The README shows this error for the denied uploads, as the CLI prints it.
    resource = f'"arn:aws:s3:::{bucket}/{key}"'
    for words in ("An error occurred (AccessDenied) when calling the PutObject operation: User: ",
                  f"is not authorized to perform: s3:PutObject on resource: {resource} "
                  "with an explicit deny in a resource-based policy"):  # fmt: skip
        assert words in upload.stderr, upload.stderr
        assert words.replace(bucket, "image-processor-local-images-123456789012").replace(
            key, "processed/image.png") in README_TEXT  # fmt: skip
    # Nothing lost, nothing added: the key holds exactly what it held before.
    assert s3.list_object_versions(Bucket=bucket, Prefix=key).get("Versions", []) == before


def test_a_plain_upload_still_gets_the_stacks_key(loop: dict[str, Any], tmp_path: Path) -> None:
    deployment, bucket = loop["deployment"], loop["outputs"]["s3_bucket_name"]
    image = tmp_path / "image.png"
    Image.new("RGB", (8, 8), "blue").save(image)

    target = f"s3://{bucket}/uploads/allowed/plain.png"
    upload = deployment.run("aws", "s3", "cp", "--only-show-errors", image, target,
                            env=deployment.aws_env)  # fmt: skip

    assert upload.returncode == 0, upload.stderr
    head = deployment.client("s3").head_object(Bucket=bucket, Key="uploads/allowed/plain.png")
    assert (head["ServerSideEncryption"], head["SSEKMSKeyId"]) == (
        "aws:kms",
        loop["outputs"]["kms_key_arn"],
    )


def test_a_second_plan_says_no_changes(loop: dict[str, Any]) -> None:
    """Convergence: the deployed stack matches its configuration, on the local AWS too."""
    deployment = loop["deployment"]

    # aws_env's TF_DATA_DIR is the local stack's (its backend names its state).
    plan = deployment.run(
        "terraform", "-chdir=terraform", "plan", "-input=false", "-no-color",
        "-detailed-exitcode", "-var-file=local.tfvars",
        env=deployment.aws_env, timeout=300,
    )  # fmt: skip

    assert plan.returncode == 0, plan.stdout[-4000:] + plan.stderr[-2000:]
    assert "No changes." in plan.stdout


def test_the_kept_demos_printed_commands_run_in_a_fresh_shell(loop: dict[str, Any]) -> None:
    """demo.sh --keep's 'use it' and 'outputs' lines, as printed: the shell they
    set up follows the demo's port and state, not the default 5055."""
    printed, deployment = loop["demo"].stdout, loop["deployment"]
    use = re.search(r"^ *use it: +(.+)$", printed, flags=re.MULTILINE)
    outputs = re.search(r"^ *outputs: +(.+)$", printed, flags=re.MULTILINE)
    assert use, printed
    assert outputs, printed
    fresh = {"HOME": str(deployment.repo), "PATH": "/usr/local/bin:/usr/bin:/bin"}

    typed = subprocess.run(
        ["bash", "-c", f"set -e; {use[1]}; {outputs[1]}; scripts/local_aws.sh status"],
        env=fresh, cwd=deployment.repo, capture_output=True, text=True, timeout=120,
    )  # fmt: skip

    assert typed.returncode == 0, typed.stdout + typed.stderr
    assert f'lambda_function_name = "{loop["outputs"]["lambda_function_name"]}"' in typed.stdout
    assert f"127.0.0.1:{deployment.port}" in typed.stdout  # the scripts follow the demo


def test_destroy_leaves_nothing_but_the_locked_audit_logs_and_the_key_waiting_for_deletion(
    loop: dict[str, Any],
) -> None:
    deployment = loop["deployment"]
    # What the demo's own clean-up does (--keep skipped it): its queues are not Terraform's.
    cleanup = deployment.run(deployment.repo / ".venv" / "bin" / "python",
                             "scripts/local/demo_tool.py", "cleanup",
                             env=deployment.aws_env)  # fmt: skip
    assert cleanup.returncode == 0, cleanup.stderr
    destroy = deployment.script("destroy.sh", "--local", "--yes")
    assert destroy.returncode == 0, destroy.stdout[-3000:] + destroy.stderr[-3000:]
    aws = deployment.client

    logs_bucket = loop["outputs"]["logs_bucket_name"]
    audit_bucket = loop["outputs"]["audit_bucket_name"]
    # The local profile replicates both (enable_audit_replication): the audit
    # replica's buckets, <stack>-audit|logs-replica-<account>
    # (terraform/modules/audit-replica), are kept with them.
    replicas = [b.replace("-logs-", "-logs-replica-").replace("-audit-", "-audit-replica-")
                for b in (logs_bucket, audit_bucket)]  # fmt: skip
    kept = sorted(b["Name"] for b in aws("s3").list_buckets()["Buckets"])
    assert kept == sorted([logs_bucket, audit_bucket, *replicas])
    assert f"Kept: s3://{logs_bucket} s3://{audit_bucket}" in destroy.stdout
    assert "Kept with them: the audit replica in us-west-2" in destroy.stdout
    assert "--delete-audit-logs" in destroy.stdout
    lock = aws("s3").get_object_lock_configuration(Bucket=audit_bucket)["ObjectLockConfiguration"]
    retention = lock["Rule"]["DefaultRetention"]  # moto adds "Years": 0 beside "Days"
    assert (retention["Mode"], retention["Days"]) == ("GOVERNANCE", 365)
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
    kept_roles = [r["RoleName"] for r in roles if "image-processor" in r["RoleName"]]
    assert kept_roles == ["image-processor-local-audit-replication"]  # the replica's, kept with it
    kms = aws("kms")
    keys = [kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"] for k in kms.list_keys()["Keys"]]
    stacks = ("kms_key_arn", "security_kms_key_arn", "audit_kms_key_arn")
    ours = [k for k in keys if k["Arn"] in {loop["outputs"][name] for name in stacks}]
    states = {k["Arn"]: k["KeyState"] for k in ours}
    assert states == {
        loop["outputs"]["kms_key_arn"]: "PendingDeletion",
        # Kept: only the break-glass principal may delete them (SECURITY.md, "Encryption and
        # key management"): the pipeline's security key and the account baseline's audit key.
        loop["outputs"]["security_kms_key_arn"]: "Enabled",
        loop["outputs"]["audit_kms_key_arn"]: "Enabled",
    }
    # Any other key is an AWS-managed default key (moto creates aws/dynamodb's
    # when a table is created, and lists it as CUSTOMER), never this stack's,
    # or the foreign key the bucket-deny test created (_other_key).
    aws_managed = {
        a.get("TargetKeyId")
        for a in kms.list_aliases()["Aliases"]
        if a["AliasName"].startswith("alias/aws/")
    }
    foreign = {k["KeyId"] for k in keys if k.get("Description") == "not the stack's"}
    assert {k["KeyId"] for k in keys if k not in ours} - foreign <= aws_managed

    assert "Destroy complete! Resources: " in destroy.stdout
    counted = re.search(r"terraform destroy \((\d+) resources\)", destroy.stdout)
    destroyed = re.search(r"Resources: (\d+) destroyed", destroy.stdout)
    assert counted
    assert destroyed
    # Counts tell the truth: what destroy.sh announces is what Terraform destroys
    # (the kept audit-log bucket is out of the state, and out of the count).
    assert destroyed.group(1) == counted.group(1)

    again = deployment.script("destroy.sh", "--local", "--yes")
    assert again.returncode == 0
    assert "Nothing to destroy" in again.stdout


def test_the_kept_demos_remove_line_removes_it_in_a_fresh_shell(loop: dict[str, Any]) -> None:
    """demo.sh --keep's 'remove it' line, as printed: destroys what the demo's state
    still holds (in file order, the test above destroyed it) and stops its local AWS."""
    deployment = loop["deployment"]
    remove = re.search(r"^ *remove it: +(.+)$", loop["demo"].stdout, flags=re.MULTILINE)
    assert remove, loop["demo"].stdout
    assert deployment.script("local_aws.sh", "status").returncode == 0  # still kept
    fresh = {"HOME": os.environ["HOME"], "PATH": "/usr/local/bin:/usr/bin:/bin"}

    typed = subprocess.run(
        ["bash", "-c", remove[1]], env=fresh, cwd=deployment.repo,
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip

    assert typed.returncode == 0, typed.stdout + typed.stderr
    assert "local AWS stopped" in typed.stdout
    assert deployment.script("local_aws.sh", "status").returncode == 1
    # The user's own local AWS is untouched.
    assert loop["user"].script("local_aws.sh", "status").returncode == 0

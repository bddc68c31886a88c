"""README's commands, pasted into a shell as printed, on the shared stack.

"To play with it yourself": all but the first line (the stack is deployed) and the last (the
destroy, which the shared stack's own test runs last). "Deploying to a real AWS account": its
upload line, then "Where to see the results", in a shell that ran the local block's `eval` line
(so they meet the local stack). Each shell has the stack's LOCAL_AWS_PORT and LOCAL_AWS_DIR (what
the first line's stack would have by default), no .venv/bin on PATH and another aws first on it.
What the tests add to the stack and the copy is removed after."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess

import pytest
from PIL import Image

import images
from e2e.local_deployment import LocalDeployment
from helpers import ROOT

pytestmark = pytest.mark.slow

PLAY = re.compile(r"To play with it yourself:\n\n```bash\n(.*?)^```", re.DOTALL | re.MULTILINE)
RESULTS = re.compile(r"Where to see the results:\n\n```bash\n(.*?)^```", re.DOTALL | re.MULTILINE)
UPLOAD = re.compile(r"^aws s3 cp image\.png .*/uploads/$", re.MULTILINE)


def readme_shell(stack: LocalDeployment, script: str) -> subprocess.CompletedProcess[str]:
    """script in bash -e, in the repository copy, with another aws before .venv's (not on PATH)."""
    reader = stack.repo / "readme-reader"
    (reader / "bin").mkdir(parents=True)
    (reader / "bin" / "aws").write_text("#!/bin/sh\necho 'another aws' >&2; exit 1\n")
    (reader / "bin" / "aws").chmod(0o755)
    path = [p for p in os.environ["PATH"].split(":") if ".venv" not in p]
    try:
        return subprocess.run(
            ["bash", "--noprofile", "--norc", "-e", "-c", script],
            env=stack.env | {"PATH": ":".join([str(reader / "bin"), *path])},
            cwd=stack.repo, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
    finally:
        shutil.rmtree(reader)


def remove_upload(stack: LocalDeployment, name: str) -> None:
    """The upload's versions, its output's and its record: the shared stack as it was."""
    names = stack.outputs()
    s3, bucket = stack.client("s3"), names["s3_bucket_name"]
    for key in (f"uploads/{name}", f"processed/{name}"):
        for version in s3.list_object_versions(Bucket=bucket, Prefix=key).get("Versions", []):
            s3.delete_object(Bucket=bucket, Key=key, VersionId=version["VersionId"])
    stack.client("dynamodb").delete_item(
        TableName=names["dynamodb_table_name"], Key={"object_key": {"S": f"uploads/{name}"}}
    )
    (stack.repo / name).unlink(missing_ok=True)


def test_the_readmes_local_commands_run_as_printed(shared_stack: LocalDeployment) -> None:
    block = PLAY.findall((ROOT / "README.md").read_text())[0].splitlines()
    assert block[0].startswith("make local-deploy")
    assert block[-1].startswith("./scripts/destroy.sh")
    (shared_stack.repo / "photo.jpg").write_bytes(images.make("JPEG", (1600, 1200)))
    try:
        ran = readme_shell(shared_stack, "\n".join(block[1:-1]))

        assert ran.returncode == 0, ran.stdout + ran.stderr
        listed = ran.stdout.splitlines()  # aws s3 ls of processed/, after what other tests left
        assert any(line.endswith(" photo.jpg") for line in listed), ran.stdout
        bucket = shared_stack.outputs()["s3_bucket_name"]
        output = shared_stack.client("s3").get_object(Bucket=bucket, Key="processed/photo.jpg")
        assert Image.open(io.BytesIO(output["Body"].read())).size == (1024, 768)
    finally:
        remove_upload(shared_stack, "photo.jpg")


def test_the_readmes_upload_and_results_commands_run_as_printed(
    shared_stack: LocalDeployment,
) -> None:
    readme = (ROOT / "README.md").read_text()
    env_line = PLAY.findall(readme)[0].splitlines()[1]
    assert env_line.startswith('eval "$(scripts/local_aws.sh env)"')
    upload, results = UPLOAD.findall(readme)[0], RESULTS.findall(readme)[0]
    (shared_stack.repo / "image.png").write_bytes(images.make("PNG", (1600, 1200)))
    try:
        ran = readme_shell(
            shared_stack, "\n".join([env_line, upload, "make local-process", results])
        )

        assert ran.returncode == 0, ran.stdout + ran.stderr
        # aws s3 ls of processed/: a line that ends with the output's name
        assert any(line.endswith(" image.png") for line in ran.stdout.splitlines()), ran.stdout
        # get-item: the upload's record, whole, as JSON between the listing and the logs
        shown = ran.stdout[ran.stdout.index("\n{\n") + 1 : ran.stdout.rindex("\n}") + 2]
        item = json.loads(shown)["Item"]
        assert item["object_key"] == {"S": "uploads/image.png"}
        assert item["status"] == {"S": "PROCESSED"}
        assert item["output_key"] == {"S": "processed/image.png"}
        # filter-log-events: nothing, locally (README: the runner logs to its own output)
        assert ran.stdout.endswith("\n}\n"), ran.stdout[-400:]
    finally:
        remove_upload(shared_stack, "image.png")

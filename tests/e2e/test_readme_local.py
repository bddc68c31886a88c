"""README's local commands ("To play with it yourself"), pasted into a shell as printed, on the
shared stack: all but the first line (the stack is deployed) and the last (the destroy, which
the shared stack's own test runs last). The shell has the stack's LOCAL_AWS_PORT and
LOCAL_AWS_DIR (what the first line's stack would have by default), no .venv/bin on PATH and
another aws first on it. What the test adds to the stack and the copy is removed after."""

from __future__ import annotations

import io
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


def test_the_readmes_local_commands_run_as_printed(shared_stack: LocalDeployment) -> None:
    block = PLAY.findall((ROOT / "README.md").read_text())[0].splitlines()
    assert block[0].startswith("make local-deploy")
    assert block[-1].startswith("./scripts/destroy.sh")
    names = shared_stack.outputs()
    bucket, table = names["s3_bucket_name"], names["dynamodb_table_name"]
    reader = shared_stack.repo / "readme-reader"
    (reader / "bin").mkdir(parents=True)
    (reader / "bin" / "aws").write_text("#!/bin/sh\necho 'another aws' >&2; exit 1\n")
    (reader / "bin" / "aws").chmod(0o755)
    (shared_stack.repo / "photo.jpg").write_bytes(images.make("JPEG", (1600, 1200)))
    path = [p for p in os.environ["PATH"].split(":") if ".venv" not in p]
    try:
        ran = subprocess.run(
            ["bash", "--noprofile", "--norc", "-e", "-c", "\n".join(block[1:-1])],
            env=shared_stack.env | {"PATH": ":".join([str(reader / "bin"), *path])},
            cwd=shared_stack.repo, capture_output=True, text=True, timeout=600,
        )  # fmt: skip

        assert ran.returncode == 0, ran.stdout + ran.stderr
        listed = ran.stdout.splitlines()  # aws s3 ls of processed/, after what other tests left
        assert any(line.endswith(" photo.jpg") for line in listed), ran.stdout
        output = shared_stack.client("s3").get_object(Bucket=bucket, Key="processed/photo.jpg")
        assert Image.open(io.BytesIO(output["Body"].read())).size == (1024, 768)
    finally:
        s3 = shared_stack.client("s3")
        for key in ("uploads/photo.jpg", "processed/photo.jpg"):
            for version in s3.list_object_versions(Bucket=bucket, Prefix=key).get("Versions", []):
                s3.delete_object(Bucket=bucket, Key=key, VersionId=version["VersionId"])
        shared_stack.client("dynamodb").delete_item(
            TableName=table, Key={"object_key": {"S": "uploads/photo.jpg"}}
        )
        (shared_stack.repo / "photo.jpg").unlink()
        shutil.rmtree(reader)

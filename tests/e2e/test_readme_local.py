"""README's local commands ("To play with it yourself"), pasted into a fresh shell as printed,
on the shared stack: all but the first line (the stack is deployed) and the last (the
destroy, which the shared stack's own test runs last)."""

from __future__ import annotations

import io
import os
import re
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
    (shared_stack.repo / "photo.jpg").write_bytes(images.make("JPEG", (1600, 1200)))
    # A shell of the reader's: no .venv/bin on PATH (the eval line puts it there), and
    # another aws first on it.
    other = shared_stack.repo / "other-bin"
    other.mkdir(exist_ok=True)
    (other / "aws").write_text("#!/bin/sh\necho 'another aws' >&2; exit 1\n")
    (other / "aws").chmod(0o755)
    path = [p for p in os.environ["PATH"].split(":") if ".venv" not in p]

    ran = subprocess.run(
        ["bash", "--noprofile", "--norc", "-e", "-c", "\n".join(block[1:-1])],
        env=shared_stack.env | {"PATH": ":".join([str(other), *path])},
        cwd=shared_stack.repo, capture_output=True, text=True, timeout=600,
    )  # fmt: skip

    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert ran.stdout.rstrip().endswith(" photo.jpg"), ran.stdout  # aws s3 ls: the result
    bucket = shared_stack.outputs()["s3_bucket_name"]
    output = shared_stack.client("s3").get_object(Bucket=bucket, Key="processed/photo.jpg")
    assert Image.open(io.BytesIO(output["Body"].read())).size == (1024, 768)

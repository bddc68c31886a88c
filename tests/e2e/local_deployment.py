"""A scratch copy of the repository, deployed to its own local AWS, for e2e tests."""

from __future__ import annotations

import json
import os
import socket
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from helpers import ROOT

SERVICES = (
    "s3", "dynamodb", "lambda", "sns", "sqs", "kms", "iam", "logs",
    "cloudwatch", "events", "cloudtrail", "config", "guardduty",
)  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def copy_repo(target: Path) -> Path:
    """The tracked (and untracked, not ignored) files, sharing the virtualenvs. Each file keeps
    its modification time, so that make finds the shared virtualenvs up to date (as the bats
    tests' copy does) instead of running pip into them again (make local-deploy, local-process)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.split(b"\0")
    for name in filter(None, (n.decode() for n in listed)):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            (target / name).write_bytes(source.read_bytes())
            status = source.stat()
            (target / name).chmod(status.st_mode)
            os.utime(target / name, ns=(status.st_atime_ns, status.st_mtime_ns))
    # .venv-prowler may not exist yet: the audit's fixture builds it beside the deployment.
    for venv in (".venv", ".venv-checkov", ".venv-prowler"):
        (target / venv).symlink_to(ROOT / venv)
    return target


@dataclass
class LocalDeployment:
    repo: Path
    port: int
    state_dir: str = ".local-aws"  # LOCAL_AWS_DIR, relative to the repository

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def local_aws_dir(self) -> Path:
        return self.repo / self.state_dir

    @property
    def env(self) -> dict[str, str]:
        env = os.environ | {
            "LOCAL_AWS_PORT": str(self.port),
            "LOCAL_AWS_DIR": str(self.local_aws_dir),
            "NO_COLOR": "1",
        }
        for name in ("AWS_ENDPOINT_URL", "TF_DATA_DIR"):
            env.pop(name, None)
        return env

    @property
    def aws_env(self) -> dict[str, str]:
        """What `--local` sets (`scripts/local_aws.sh env`): endpoint, dummy keys, local state."""
        return self.env | {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            "AWS_CONFIG_FILE": "/dev/null",
            # The local stack's Terraform data directory (scripts/lib/common.sh):
            # `terraform -chdir=terraform output` then reads the local state.
            "TF_DATA_DIR": str(self.local_aws_dir / "terraform"),
            "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}",
        }

    def client(self, service: str, region: str = "us-east-1") -> Any:
        """A client of the deployment's local AWS (boto3's stubs type one per service name)."""
        make: Callable[..., Any] = boto3.client
        return make(
            service,
            endpoint_url=self.endpoint,
            region_name=region,
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )

    def run(
        self, *args: str | Path, timeout: int = 900, **kwargs: Any
    ) -> subprocess.CompletedProcess[str]:
        kwargs.setdefault("env", self.env)
        return subprocess.run(
            [str(a) for a in args], capture_output=True, text=True,
            timeout=timeout, cwd=self.repo, **kwargs,
        )  # fmt: skip

    def script(self, name: str, *args: str, timeout: int = 900) -> subprocess.CompletedProcess[str]:
        return self.run(self.repo / "scripts" / name, *args, timeout=timeout)

    def stop(self) -> None:
        self.script("local_aws.sh", "stop", timeout=60)

    def outputs(self) -> dict[str, str]:
        """The deployed stack's outputs, read as the user would (`terraform output`)."""
        printed = subprocess.run(
            ["terraform", "-chdir=terraform", "output", "-json"],
            env=self.aws_env, cwd=self.repo, check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip
        return {name: output["value"] for name, output in json.loads(printed).items()}


def started(repo: Path, attempts: int = 3) -> LocalDeployment:
    """A deployment of REPO whose local AWS runs (`local_aws.sh start`) on a free port. A free
    port can be taken before the server binds it (by a parallel worker's server, or any
    connection's local port on a busy machine); the server then exits, and another is tried."""
    for _ in range(attempts):
        deployment = LocalDeployment(repo, free_port())
        start = deployment.script("local_aws.sh", "start", timeout=120)
        if start.returncode == 0:
            return deployment
        deployment.stop()  # (a server that did not answer in time may still run)
    pytest.fail(
        f"the local AWS did not start on {attempts} free ports:\n{start.stdout}{start.stderr}"
    )


@contextmanager
def deployed_stack(scratch: Path) -> Iterator[LocalDeployment]:
    """A copy of the repository in SCRATCH, deployed with deploy.sh to its own local AWS.

    Only the local AWS is stopped afterwards: destroy.sh is proven in
    test_demo_loop.py, and this stack goes with its server and SCRATCH.
    """
    deployment = started(copy_repo(scratch))
    try:
        deploy = deployment.script("deploy.sh", "--local", "--auto-approve")
        assert deploy.returncode == 0, deploy.stdout[-3000:] + deploy.stderr[-3000:]
        yield deployment
    finally:
        deployment.stop()

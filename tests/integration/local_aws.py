"""The local AWS as a server (scripts/local/moto_server.py on a free port).

For tests that drive it with the real aws CLI or from another process, as
users do. Import the fixture into a test module:
``from local_aws import LocalAWS, local_aws_fixture``; it is named ``local_aws``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, overload

import boto3
import pytest
from e2e.local_deployment import free_port

from helpers import REGION, ROOT

if TYPE_CHECKING:
    from types_boto3_dynamodb import DynamoDBClient
    from types_boto3_ec2 import EC2Client
    from types_boto3_guardduty import GuardDutyClient
    from types_boto3_iam import IAMClient
    from types_boto3_kms import KMSClient
    from types_boto3_lambda import LambdaClient
    from types_boto3_s3 import S3Client
    from types_boto3_sns import SNSClient
    from types_boto3_sqs import SQSClient
    from types_boto3_sts import STSClient

AWS_CLI = ROOT / ".venv" / "bin" / "aws"


@dataclass
class LocalAWS:
    endpoint: str

    @property
    def env(self) -> dict[str, str]:
        """What a process needs to talk to this local AWS, and to nothing else."""
        return {
            "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}",
            "HOME": os.environ.get("HOME", "/tmp"),
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        }

    # One overload per service the tests call, typed by its types-boto3 stubs.
    @overload
    def client(self, service: Literal["dynamodb"], **credentials: str) -> DynamoDBClient: ...
    @overload
    def client(self, service: Literal["ec2"], **credentials: str) -> EC2Client: ...
    @overload
    def client(self, service: Literal["guardduty"], **credentials: str) -> GuardDutyClient: ...
    @overload
    def client(self, service: Literal["iam"], **credentials: str) -> IAMClient: ...
    @overload
    def client(self, service: Literal["kms"], **credentials: str) -> KMSClient: ...
    @overload
    def client(self, service: Literal["lambda"], **credentials: str) -> LambdaClient: ...
    @overload
    def client(self, service: Literal["s3"], **credentials: str) -> S3Client: ...
    @overload
    def client(self, service: Literal["sns"], **credentials: str) -> SNSClient: ...
    @overload
    def client(self, service: Literal["sqs"], **credentials: str) -> SQSClient: ...
    @overload
    def client(self, service: Literal["sts"], **credentials: str) -> STSClient: ...
    @overload
    def client(self, service: str, **credentials: str) -> Any: ...
    def client(self, service: str, **credentials: str) -> Any:
        """A client of this local AWS (boto3's stubs type one per service name)."""
        credentials = credentials or {
            "aws_access_key_id": "local",
            "aws_secret_access_key": "local",
        }
        make: Callable[..., Any] = boto3.client
        return make(service, endpoint_url=self.endpoint, region_name=REGION, **credentials)

    def aws(
        self, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """The real aws CLI against this local AWS."""
        return subprocess.run(
            [str(AWS_CLI), *args],
            env=env or self.env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip


@pytest.fixture(scope="module", name="local_aws")
def local_aws_fixture() -> Iterator[LocalAWS]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "local" / "moto_server.py"), "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield LocalAWS(endpoint)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:  # busy with a long queue (make load): stop it
            server.kill()
            server.wait()

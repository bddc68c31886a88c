"""The local AWS as a server (scripts/local/moto_server.py on a free port).

For tests that drive it with the real aws CLI or from another process, as
users do. Import the fixture into a test module:
``from local_aws import LocalAWS, local_aws_fixture``; it is named ``local_aws``.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast, overload

import boto3
import pytest
from botocore.exceptions import ClientError
from e2e.local_deployment import free_port

from helpers import REGION, ROOT

if TYPE_CHECKING:
    from types_boto3_dynamodb import DynamoDBClient
    from types_boto3_ec2 import EC2Client
    from types_boto3_guardduty import GuardDutyClient
    from types_boto3_iam import IAMClient
    from types_boto3_iam.type_defs import TagTypeDef
    from types_boto3_kms import KMSClient
    from types_boto3_lambda import LambdaClient
    from types_boto3_s3 import S3Client
    from types_boto3_s3.type_defs import FilterRuleTypeDef, QueueConfigurationTypeDef
    from types_boto3_sns import SNSClient
    from types_boto3_sqs import SQSClient
    from types_boto3_sqs.literals import QueueAttributeNameType
    from types_boto3_sts import STSClient

AWS_CLI = ROOT / ".venv" / "bin" / "aws"
#: The images bucket's policies as Terraform renders them, their ARNs as placeholders
#: (terraform/tests/pipeline.tftest.hcl fails until they are; `make policy-fixtures`).
POLICIES = ROOT / "tests" / "fixtures" / "policies"
#: The tag that names a role's tenant: uploader_tenant_tag_key's default.
TAG_KEY = "image-processor:tenant"
#: The end of S3's AccessDenied message for a bucket-policy deny (troubleshoot-403-errors).
EXPLICIT_DENY = "with an explicit deny in a resource-based policy"
#: A trust policy anyone here may use: the local AWS does not check trust policies (README).
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
    }
)


@dataclass
class LocalAWS:
    endpoint: str
    log: Path  # the server's output (moto.log)

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
    def client(self, service: Literal["dynamodb"], **options: Any) -> DynamoDBClient: ...
    @overload
    def client(self, service: Literal["ec2"], **options: Any) -> EC2Client: ...
    @overload
    def client(self, service: Literal["guardduty"], **options: Any) -> GuardDutyClient: ...
    @overload
    def client(self, service: Literal["iam"], **options: Any) -> IAMClient: ...
    @overload
    def client(self, service: Literal["kms"], **options: Any) -> KMSClient: ...
    @overload
    def client(self, service: Literal["lambda"], **options: Any) -> LambdaClient: ...
    @overload
    def client(self, service: Literal["s3"], **options: Any) -> S3Client: ...
    @overload
    def client(self, service: Literal["sns"], **options: Any) -> SNSClient: ...
    @overload
    def client(self, service: Literal["sqs"], **options: Any) -> SQSClient: ...
    @overload
    def client(self, service: Literal["sts"], **options: Any) -> STSClient: ...
    @overload
    def client(self, service: str, **options: Any) -> Any: ...
    def client(self, service: str, **options: Any) -> Any:
        """A client of this local AWS (boto3's stubs type one per service name); `options`
        are boto3.client's: the credentials (by default the account's) and its config."""
        options = {"aws_access_key_id": "local", "aws_secret_access_key": "local"} | options
        make: Callable[..., Any] = boto3.client
        return make(service, endpoint_url=self.endpoint, region_name=REGION, **options)

    def role(self, name: str, tags: dict[str, str] | None = None) -> str:
        """A new role's ARN (TRUST as its trust policy), with the tags given."""
        tagged: list[TagTypeDef] = [{"Key": k, "Value": v} for k, v in (tags or {}).items()]
        created = self.client("iam").create_role(
            RoleName=name, AssumeRolePolicyDocument=TRUST, Tags=tagged
        )
        return created["Role"]["Arn"]

    def credentials(self, role_arn: str, session: str = "test", **assume: Any) -> dict[str, str]:
        """A session of the role (AssumeRole), as a client's keyword arguments."""
        issued = self.client("sts").assume_role(
            RoleArn=role_arn, RoleSessionName=session, **assume
        )["Credentials"]
        return {
            "aws_access_key_id": issued["AccessKeyId"],
            "aws_secret_access_key": issued["SecretAccessKey"],
            "aws_session_token": issued["SessionToken"],
        }

    def role_env(self, role_arn: str, session: str = "test") -> dict[str, str]:
        """`env` for a process that runs as a session of the role."""
        return self.env | {k.upper(): v for k, v in self.credentials(role_arn, session).items()}

    def s3_as(self, role_arn: str, session: str = "test", **assume: Any) -> S3Client:
        """An S3 client of a session of the role."""
        return self.client("s3", **self.credentials(role_arn, session, **assume))

    def events_queue(
        self, bucket: str, name: str, prefix: str | None = None, **attributes: str
    ) -> tuple[str, str]:
        """A new queue (URL, ARN) with the attributes given, that the bucket sends its
        ObjectCreated events to (under the prefix, if one is given)."""
        sqs = self.client("sqs")
        given = cast("dict[QueueAttributeNameType, str]", attributes)
        url = sqs.create_queue(QueueName=name, Attributes=given)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
        configuration: QueueConfigurationTypeDef = {"QueueArn": arn["QueueArn"], "Id": "uploads",
                                         "Events": ["s3:ObjectCreated:*"]}  # fmt: skip
        if prefix is not None:
            rule: FilterRuleTypeDef = {"Name": "prefix", "Value": prefix}
            configuration["Filter"] = {"Key": {"FilterRules": [rule]}}
        self.client("s3").put_bucket_notification_configuration(
            Bucket=bucket, NotificationConfiguration={"QueueConfigurations": [configuration]}
        )
        sqs.purge_queue(QueueUrl=url)  # S3's test event for the new configuration
        return url, arn["QueueArn"]

    def aws(
        self, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """The real aws CLI against this local AWS."""
        return subprocess.run(
            [str(AWS_CLI), *args],
            env=env or self.env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip


def rendered_policy(name: str, **values: str | list[str]) -> str:
    """A policy of POLICIES with its placeholders filled as Terraform's templatefile does
    (a list through jsonencode, $${ as ${); a placeholder without a value raises KeyError."""

    def fill(placeholder: re.Match[str]) -> str:
        value = values[placeholder.group(2)]
        return json.dumps(value) if placeholder.group(1) else str(value)

    template = (POLICIES / name).read_text()
    return re.sub(r"(?<!\$)\$\{(jsonencode\()?(\w+)\)?\}", fill, template).replace("$${", "${")


def denied(call: Callable[..., object], *args: object, **kwargs: object) -> str:
    """The message of the bucket policy's explicit deny that the call must raise."""
    with pytest.raises(ClientError) as refused:
        call(*args, **kwargs)
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    message = refused.value.response["Error"]["Message"]
    assert EXPLICIT_DENY in message
    return message


def start_server(
    log: Path, attempts: int = 3, wait: float = 60
) -> tuple[subprocess.Popen[bytes], str]:
    """The local AWS on a free port, once it runs there and answers (/moto-api/config), and
    its endpoint. A free port can be taken before the server binds it (by another server, or
    any connection's local port on a busy machine); a server that exits while starting is
    started again on another port, and one that never answers fails the test with the end of
    its log."""
    command = [sys.executable, str(ROOT / "scripts" / "local" / "moto_server.py"), "-p"]
    for _ in range(attempts):
        port = free_port()
        endpoint = f"http://127.0.0.1:{port}"
        with log.open("ab") as output:
            server = subprocess.Popen([*command, str(port)], stdout=output, stderr=output)
        deadline = time.monotonic() + wait
        while server.poll() is None and time.monotonic() < deadline:
            # (Another server may answer on the port: only this one's log says it runs there.)
            if f"Running on {endpoint}" in log.read_text(errors="replace") and answers(port):
                return server, endpoint
            time.sleep(0.1)
        if server.poll() is None:
            stop_server(server)
            break
    tail = log.read_text(errors="replace").splitlines()[-20:]
    raise RuntimeError("the local AWS did not start; the end of its log:\n" + "\n".join(tail))


def answers(port: int) -> bool:
    """Whether a 2xx answers /moto-api/config on the port (not a refused connection, a
    connection to itself, or a listener that never answers)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/moto-api/config")
        return connection.getresponse().status < 300  # (moto answers 201)
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


def stop_server(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:  # busy with a long queue (make load): stop it
        server.kill()
        server.wait()


@pytest.fixture(scope="module", name="local_aws")
def local_aws_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalAWS]:
    log = tmp_path_factory.mktemp("local-aws") / "moto.log"
    server, endpoint = start_server(log)
    try:
        yield LocalAWS(endpoint, log)
    finally:
        stop_server(server)

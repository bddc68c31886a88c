"""scripts/local_lambda.py delivers S3 events the way S3 and Lambda would.

Against the local AWS server (scripts/lib/moto_server.py), uploads made with
the real aws CLI; the function's code is replaced by a recorder, so each
test sees exactly the events and the environment Lambda would hand it.
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import subprocess
import sys
import threading
import time
import zipfile

import pytest
from local_aws import LocalAWS, local_aws_fixture  # noqa: F401 - the fixture

from helpers import ROOT

spec = importlib.util.spec_from_file_location("local_lambda", ROOT / "scripts" / "local_lambda.py")
local_lambda = importlib.util.module_from_spec(spec)
sys.modules["local_lambda"] = local_lambda  # dataclasses look their module up
spec.loader.exec_module(local_lambda)


class Recorder:
    """Stands in for lambda_function.handler; counts deliveries running at once."""

    def __init__(self, seconds: float = 0.0) -> None:
        self.seconds = seconds
        self.events: list[dict] = []
        self.environment: dict[str, str] = {}
        self.running = self.most_at_once = 0
        self._lock = threading.Lock()

    def load(self, environment: dict[str, str]):
        self.environment = environment
        return self.handler

    def handler(self, event: dict, _context) -> dict:
        with self._lock:
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
            self.events.append(event)
        time.sleep(self.seconds)
        with self._lock:
            self.running -= 1
        return {"outcomes": [{"status": "PROCESSED"}]}

    def names(self) -> dict[str, str]:
        return {
            e["Records"][0]["s3"]["object"]["key"]: e["Records"][0]["eventName"]
            for e in self.events
        }


@pytest.fixture
def env(local_aws: LocalAWS, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in local_aws.env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


_deployed = iter(range(1000))


@pytest.fixture
def function(local_aws: LocalAWS, env) -> dict:
    """A bucket whose uploads/ invoke a function, as the stack deploys them."""
    n = next(_deployed)
    name, bucket = f"image-processor-test-{n}", f"image-processor-test-images-{n}"
    iam, lam, s3, kms = (local_aws.client(s) for s in ("iam", "lambda", "s3", "kms"))
    key = kms.create_key(Description="the stack's key")["KeyMetadata"]
    role = iam.create_role(
        RoleName=name,
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
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("lambda_function.py", "def handler(event, context): pass\n")
    arn = lam.create_function(
        FunctionName=name,
        Runtime="python3.13",
        Role=role,
        Handler="lambda_function.handler",
        Code={"ZipFile": package.getvalue()},
        Timeout=30,
        MemorySize=1024,
        KMSKeyArn=key["Arn"],
        Environment={"Variables": {"TABLE_NAME": "uploads"}},
    )["FunctionArn"]
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "LambdaFunctionConfigurations": [
                {
                    "Id": "uploads",
                    "LambdaFunctionArn": arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "uploads/"}]}},
                }
            ]
        },
    )
    # moto's DisableKey takes the key's id only, not its ARN as AWS does.
    return {"name": name, "bucket": bucket, "key": key["KeyId"], "role": role}


def deliver(function: dict, recorder: Recorder, tmp_path) -> int:
    return local_lambda.deliver(
        function["name"], function["bucket"], state_file=tmp_path / "delivered.json",
        load=recorder.load,
    )  # fmt: skip


def upload(local_aws: LocalAWS, function: dict, tmp_path, key: str, size: int = 1000) -> None:
    source = tmp_path / "upload.bin"
    source.write_bytes(os.urandom(size))
    result = local_aws.aws("s3", "cp", str(source), f"s3://{function['bucket']}/{key}")
    assert result.returncode == 0, result.stderr


def test_each_upload_gets_the_event_name_s3_sends(local_aws, function, tmp_path):
    bucket, recorder = function["bucket"], Recorder()
    upload(local_aws, function, tmp_path, "uploads/small.png")
    # The CLI uploads files of 8 MB and more in parts (its multipart_threshold).
    upload(local_aws, function, tmp_path, "uploads/large.png", size=9 * 1024 * 1024)
    copied = local_aws.aws(
        "s3", "cp", f"s3://{bucket}/uploads/small.png", f"s3://{bucket}/uploads/copy.png"
    )
    assert copied.returncode == 0, copied.stderr

    assert deliver(function, recorder, tmp_path) == 0

    assert recorder.names() == {
        "uploads/small.png": "ObjectCreated:Put",
        "uploads/large.png": "ObjectCreated:CompleteMultipartUpload",
        "uploads/copy.png": "ObjectCreated:Copy",
    }


def test_a_multipart_upload_is_recognised_without_a_recorded_name():
    version = {"Key": "uploads/a.png", "VersionId": "1", "ETag": '"0123abcd-2"'}

    assert local_lambda.event_name(version, {}) == "ObjectCreated:CompleteMultipartUpload"
    assert local_lambda.event_name(version | {"ETag": '"0123abcd"'}, {}) == "ObjectCreated:Put"


def test_the_function_runs_as_its_role(local_aws, function, tmp_path):
    recorder = Recorder()
    upload(local_aws, function, tmp_path, "uploads/a.png")

    assert deliver(function, recorder, tmp_path) == 0

    caller = local_aws.client(
        "sts",
        aws_access_key_id=recorder.environment["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=recorder.environment["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=recorder.environment["AWS_SESSION_TOKEN"],
    ).get_caller_identity()
    assert caller["Arn"].endswith(f":assumed-role/{function['name']}/{function['name']}")
    assert recorder.environment["TABLE_NAME"] == "uploads"


def test_reserved_concurrency_zero_stops_delivery_and_keeps_the_events(
    local_aws, function, tmp_path, capsys
):
    lam, recorder = local_aws.client("lambda"), Recorder()
    lam.put_function_concurrency(FunctionName=function["name"], ReservedConcurrentExecutions=0)
    upload(local_aws, function, tmp_path, "uploads/during-stop.png")

    stopped = deliver(function, recorder, tmp_path)
    events_while_stopped = list(recorder.events)
    lam.put_function_concurrency(FunctionName=function["name"], ReservedConcurrentExecutions=5)
    resumed = deliver(function, recorder, tmp_path)

    assert stopped == 0
    assert events_while_stopped == []
    assert "reserved concurrency 0" in capsys.readouterr().err
    assert resumed == 0
    assert list(recorder.names()) == ["uploads/during-stop.png"]


def test_reserved_concurrency_caps_parallel_deliveries(local_aws, function, tmp_path):
    lam, recorder = local_aws.client("lambda"), Recorder(seconds=0.5)
    lam.put_function_concurrency(FunctionName=function["name"], ReservedConcurrentExecutions=2)
    for n in range(6):
        upload(local_aws, function, tmp_path, f"uploads/{n}.png")

    assert deliver(function, recorder, tmp_path) == 0

    assert len(recorder.events) == 6
    assert recorder.most_at_once == 2


@pytest.mark.parametrize(
    ("break_key", "error"),
    [
        (lambda kms, key: kms.disable_key(KeyId=key), "KMSDisabledException"),
        (
            lambda kms, key: kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7),
            "KMSInvalidStateException",
        ),
    ],
    ids=["disabled", "pending deletion"],
)
def test_a_function_whose_key_cannot_decrypt_fails_and_keeps_the_events(
    local_aws, function, tmp_path, capsys, break_key, error
):
    kms, recorder = local_aws.client("kms"), Recorder()
    upload(local_aws, function, tmp_path, "uploads/a.png")
    break_key(kms, function["key"])

    refused = deliver(function, recorder, tmp_path)
    events_while_refused = list(recorder.events)
    if error == "KMSDisabledException":
        kms.enable_key(KeyId=function["key"])
    else:
        kms.cancel_key_deletion(KeyId=function["key"])
        kms.enable_key(KeyId=function["key"])  # cancelling leaves the key disabled
    recovered = deliver(function, recorder, tmp_path)

    assert refused == 1
    assert events_while_refused == []
    assert error in capsys.readouterr().err
    assert recovered == 0
    assert list(recorder.names()) == ["uploads/a.png"]


def test_the_delivery_ledger_lives_with_the_local_stack_it_belongs_to(tmp_path):
    # The demo runs on its own LOCAL_AWS_DIR: its ledger must not be the user's.
    env = os.environ | {
        "LOCAL_AWS_DIR": str(tmp_path / "demo"),
        "PYTHONPATH": str(ROOT / "scripts"),
    }

    printed = subprocess.run(
        [sys.executable, "-c", "import local_lambda; print(local_lambda.STATE_FILE)"], env=env,
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip

    assert printed.strip() == str(tmp_path / "demo" / "delivered.json")

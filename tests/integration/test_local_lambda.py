"""scripts/local/local_lambda.py consumes the uploads queue the way Lambda's event source
mapping does.

Against the local AWS server (scripts/local/moto_server.py): uploads made with
the real aws CLI, S3's events sent into an SQS queue by the server, and a
mapping from the queue to a function whose code is replaced by a recorder, so
each test sees exactly the batches and the environment Lambda would hand it.
"""

from __future__ import annotations

import io
import json
import os
import threading
import time
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

import pytest
from local_aws import LocalAWS, local_aws_fixture  # noqa: F401 - the fixture

from helpers import load_script

if TYPE_CHECKING:  # mypy reads scripts/local/local_lambda.py as the module it is
    import local_lambda
    from local_lambda import Handler
else:
    local_lambda = load_script("local/local_lambda")


class Recorder:
    """Stands in for lambda_function.handler; counts invocations running at once."""

    def __init__(self, seconds: float = 0.0, fail: set[str] | None = None) -> None:
        self.seconds = seconds
        self.fail = fail or set()  # keys whose message the handler reports failed
        self.batches: list[dict[str, Any]] = []
        self.environment: dict[str, str] = {}
        self.running = self.most_at_once = 0
        self._lock = threading.Lock()

    def load(self, environment: dict[str, str]) -> Handler:
        self.environment = environment
        return self.handler

    def handler(self, event: dict[str, Any], _context: object) -> dict[str, Any]:
        with self._lock:
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
            self.batches.append(event)
        time.sleep(self.seconds)
        with self._lock:
            self.running -= 1
        failures, outcomes = [], []
        for message in event["Records"]:
            body = json.loads(message["body"])
            if "Records" not in body:
                continue  # S3's test event
            key = unquote_plus(body["Records"][0]["s3"]["object"]["key"])
            if key in self.fail:
                failures.append({"itemIdentifier": message["messageId"]})
            else:
                outcomes.append({"object_key": key, "status": "PROCESSED", "reason": None})
        return {"outcomes": outcomes, "batchItemFailures": failures}

    def s3_records(self) -> list[dict[str, Any]]:
        bodies = [json.loads(m["body"]) for b in self.batches for m in b["Records"]]
        return [body["Records"][0] for body in bodies if "Records" in body]

    def names(self) -> dict[str, str]:
        return {unquote_plus(r["s3"]["object"]["key"]): r["eventName"] for r in self.s3_records()}


@pytest.fixture
def env(local_aws: LocalAWS, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in local_aws.env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


_deployed = iter(range(1000))


@pytest.fixture
def function(local_aws: LocalAWS, env: None) -> dict[str, Any]:
    """A bucket whose uploads/ events queue up for a function, as the stack deploys them."""
    n = next(_deployed)
    name, bucket = f"image-processor-test-{n}", f"image-processor-test-images-{n}"
    lam, s3, sqs = local_aws.client("lambda"), local_aws.client("s3"), local_aws.client("sqs")
    key = local_aws.client("kms").create_key(Description="the stack's key")["KeyMetadata"]
    role = local_aws.role(name)
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("lambda_function.py", "def handler(event, context): pass\n")
    function_arn = lam.create_function(
        FunctionName=name, Runtime="python3.13", Role=role, Handler="lambda_function.handler",
        Code={"ZipFile": package.getvalue()}, Timeout=30, MemorySize=1024, KMSKeyArn=key["Arn"],
        Environment={"Variables": {"TABLE_NAME": "uploads"}},
    )["FunctionArn"]  # fmt: skip
    dead = sqs.create_queue(QueueName=f"{name}-failed-events")["QueueUrl"]
    dead_arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    redrive = {"deadLetterTargetArn": dead_arn["Attributes"]["QueueArn"], "maxReceiveCount": 3}
    queue, queue_arn = local_aws.events_queue(
        bucket, f"{name}-uploads", "uploads/",
        VisibilityTimeout="180", RedrivePolicy=json.dumps(redrive),
    )  # fmt: skip
    mapping = lam.create_event_source_mapping(
        EventSourceArn=queue_arn,
        FunctionName=function_arn,  # as Terraform passes it
        BatchSize=10,
        FunctionResponseTypes=["ReportBatchItemFailures"],
        ScalingConfig={"MaximumConcurrency": 2},
    )["UUID"]
    # moto's DisableKey takes the key's id only, not its ARN as AWS does.
    return {
        "name": name, "bucket": bucket, "key": key["KeyId"], "role": role,
        "queue": queue, "dead": dead, "mapping": mapping,
    }  # fmt: skip


def deliver(function: dict[str, Any], recorder: Recorder, **options: Any) -> int:
    runner = local_lambda.Runner(
        function["name"], load=recorder.load, out=lambda _: None, **options
    )
    return runner.run()


def upload(
    local_aws: LocalAWS, function: dict[str, Any], tmp_path: Path, key: str, size: int = 1000
) -> None:
    source = tmp_path / "upload.bin"
    source.write_bytes(os.urandom(size))
    result = local_aws.aws("s3", "cp", str(source), f"s3://{function['bucket']}/{key}")
    assert result.returncode == 0, result.stderr


def visible(local_aws: LocalAWS, queue: str) -> int:
    attributes = local_aws.client("sqs").get_queue_attributes(
        QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages"]
    )
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def test_each_upload_is_one_message_with_the_event_s3_sends(
    local_aws: LocalAWS, function: dict[str, Any], tmp_path: Path
) -> None:
    bucket, recorder = function["bucket"], Recorder()
    upload(local_aws, function, tmp_path, "uploads/small.png")
    # The CLI uploads files of 8 MB and more in parts (its multipart_threshold).
    upload(local_aws, function, tmp_path, "uploads/large.png", size=9 * 1024 * 1024)
    copied = local_aws.aws(
        "s3", "cp", f"s3://{bucket}/uploads/small.png", f"s3://{bucket}/uploads/copy.png"
    )
    assert copied.returncode == 0, copied.stderr
    upload(local_aws, function, tmp_path, "elsewhere/ignored.png")

    assert deliver(function, recorder) == 0

    records = recorder.s3_records()
    assert len(records) == 3  # one each: no Put before the CompleteMultipartUpload
    assert recorder.names() == {
        "uploads/small.png": "ObjectCreated:Put",
        "uploads/large.png": "ObjectCreated:CompleteMultipartUpload",
        "uploads/copy.png": "ObjectCreated:Copy",
    }
    versions = local_aws.client("s3").list_object_versions(Bucket=bucket, Prefix="uploads/")
    assert {r["s3"]["object"]["versionId"] for r in records} == {
        v["VersionId"] for v in versions["Versions"]
    }
    sequencers = [r["s3"]["object"]["sequencer"] for r in records]
    assert len(set(sequencers)) == 3
    assert sequencers == sorted(sequencers)
    assert visible(local_aws, function["queue"]) == 0  # all deleted after success


def test_the_function_runs_as_its_role(
    local_aws: LocalAWS, function: dict[str, Any], tmp_path: Path
) -> None:
    recorder = Recorder()
    upload(local_aws, function, tmp_path, "uploads/a.png")

    assert deliver(function, recorder) == 0

    caller = local_aws.client(
        "sts",
        aws_access_key_id=recorder.environment["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=recorder.environment["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=recorder.environment["AWS_SESSION_TOKEN"],
    ).get_caller_identity()
    assert caller["Arn"].endswith(f":assumed-role/{function['name']}/{function['name']}")
    assert recorder.environment["TABLE_NAME"] == "uploads"


def test_a_disabled_mapping_stops_processing_and_the_uploads_wait(
    local_aws: LocalAWS, function: dict[str, Any], tmp_path: Path
) -> None:
    lam, recorder = local_aws.client("lambda"), Recorder()
    lam.update_event_source_mapping(UUID=function["mapping"], Enabled=False)
    upload(local_aws, function, tmp_path, "uploads/during-stop.png")
    lines: list[str] = []

    runner = local_lambda.Runner(function["name"], load=recorder.load, out=lines.append)
    stopped = runner.run()
    batches_while_stopped = list(recorder.batches)
    lam.update_event_source_mapping(UUID=function["mapping"], Enabled=True)
    resumed = deliver(function, recorder)

    assert stopped == 0
    assert batches_while_stopped == []
    assert any("processing stopped" in line for line in lines)
    assert resumed == 0
    assert list(recorder.names()) == ["uploads/during-stop.png"]


def test_maximum_concurrency_caps_parallel_invocations(
    local_aws: LocalAWS, function: dict[str, Any], tmp_path: Path
) -> None:
    recorder = Recorder(seconds=0.3)
    for n in range(6):
        upload(local_aws, function, tmp_path, f"uploads/{n}.png")
    lam = local_aws.client("lambda")
    lam.update_event_source_mapping(UUID=function["mapping"], BatchSize=1)

    assert deliver(function, recorder) == 0

    assert len(recorder.batches) == 6
    assert recorder.most_at_once == 2  # ScalingConfig.MaximumConcurrency


def test_a_batch_holds_at_most_batch_size_messages(
    local_aws: LocalAWS, function: dict[str, Any], tmp_path: Path
) -> None:
    recorder = Recorder()
    for n in range(5):
        upload(local_aws, function, tmp_path, f"uploads/b{n}.png")
    local_aws.client("lambda").update_event_source_mapping(UUID=function["mapping"], BatchSize=2)

    assert deliver(function, recorder) == 0

    assert sorted(len(b["Records"]) for b in recorder.batches) == [1, 2, 2]


def test_a_reported_failure_is_redelivered_alone_then_moved_to_the_failed_events_queue(
    local_aws: LocalAWS, function: dict[str, Any], tmp_path: Path
) -> None:
    recorder = Recorder(fail={"uploads/bad.png"})
    upload(local_aws, function, tmp_path, "uploads/good.png")
    upload(local_aws, function, tmp_path, "uploads/bad.png")

    # A visibility timeout of 1 s instead of the queue's 180: each run finds
    # the failure visible again, until the queue moves it on.
    results = []
    for _ in range(5):
        results.append(deliver(function, recorder, visibility_timeout=1))
        time.sleep(1.2)

    assert results == [1, 1, 1, 0, 0]

    names = [unquote_plus(r["s3"]["object"]["key"]) for r in recorder.s3_records()]
    assert names.count("uploads/good.png") == 1  # deleted after its success
    assert names.count("uploads/bad.png") == 3  # the queue's maxReceiveCount
    assert visible(local_aws, function["queue"]) == 0
    assert visible(local_aws, function["dead"]) == 1


def test_a_function_whose_key_cannot_decrypt_is_not_run_and_the_uploads_wait(
    local_aws: LocalAWS, function: dict[str, Any], tmp_path: Path
) -> None:
    kms, recorder = local_aws.client("kms"), Recorder()
    upload(local_aws, function, tmp_path, "uploads/k.png")
    kms.disable_key(KeyId=function["key"])
    lines: list[str] = []

    runner = local_lambda.Runner(
        function["name"], load=recorder.load, out=lines.append, visibility_timeout=30
    )
    refused = runner.run()
    kms.enable_key(KeyId=function["key"])

    assert refused == 1
    assert recorder.batches == []
    assert any("KMSDisabledException" in line for line in lines)
    assert visible(local_aws, function["queue"]) == 0  # in flight until its visibility ends


def test_the_summary_counts_outcomes_and_redeliveries() -> None:
    tally = local_lambda.Tally()
    tally.outcomes.update({"PROCESSED": 3, "REJECTED": 1})
    tally.reasons.update({"corrupt": 1})
    tally.batches, tally.messages, tally.failed, tally.redelivered = 2, 5, 1, 1

    assert tally.summary() == (
        "5 message(s) in 2 batch(es): 3 processed, 1 rejected (rejected: corrupt 1); "
        "1 failed and left queued; 1 redelivered"
    )

"""Load: uploads through the real S3 -> uploads queue -> function path, under faults and kills.

Against the local AWS server (scripts/local/moto_server.py): the uploads are
real PUTs; the server sends S3's event for each into an SQS queue with a
redrive policy to a failed-events queue (maxReceiveCount 5), as the stack
deploys them; scripts/local/local_lambda.py consumes the queue as Lambda's event
source mapping does (batches of 10, at most LOAD_CONCURRENCY invocations at
once, partial batch failures, the queue's visibility timeout). Each
invocation's handler is the real pipeline with its own clients, and:

* every AWS call it makes meets injected throttles and timeouts inside
  botocore's retry loop (tests/faults.py), at a rate where some calls exhaust
  botocore's retries and reach the code, plus bursts that always do;
* some invocations are killed mid-upload (at a download, after the claim), as
  a timeout would kill them: the whole batch returns to the queue, and the
  dead invocation's claims hold until their leases run out.

It then checks the promise: every upload ends in exactly one terminal record
(PROCESSED, REJECTED), or FAILED with its event in the failed-events queue;
nothing stays PROCESSING; each processed upload has exactly one output
object, and where a retry wrote it again (its first invocation failed after
the write), the new version holds the same bytes.

`make test` runs a short version (LOAD_UPLOADS=120); `make load` runs 10,000
and prints uploads/s and the redelivery counts.
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import random
import sys
import threading
import time
import zipfile
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

import boto3
import pytest
from local_aws import LocalAWS, local_aws_fixture  # noqa: F401 - the fixture
from PIL import Image

from config import load_settings
from faults import TIMEOUT, Fault, FaultInjector
from helpers import INDEX_KEY_SCHEMA, LIMITS_ENV, REGION, ROOT
from notifications import NOTIFICATIONS, SECURITY, Notifier
from pipeline import AWS_CONFIG, Pipeline
from storage import ObjectStore, RecordStore
from structured_log import get_logger

if TYPE_CHECKING:  # mypy reads scripts/local/local_lambda.py as the module it is
    import local_lambda
else:
    spec = importlib.util.spec_from_file_location(
        "local_lambda", ROOT / "scripts" / "local" / "local_lambda.py"
    )
    local_lambda = importlib.util.module_from_spec(spec)
    sys.modules["local_lambda"] = local_lambda
    spec.loader.exec_module(local_lambda)

UPLOADS = int(os.environ.get("LOAD_UPLOADS", "120"))
CONCURRENCY = int(os.environ.get("LOAD_CONCURRENCY", "4"))
FAULT_RATE = float(os.environ.get("LOAD_FAULT_RATE", "0.12"))  # per AWS call attempt
KILL_RATE = float(os.environ.get("LOAD_KILL_RATE", "0.01"))  # per download
MAX_RECEIVE_COUNT = 5  # queue_max_receive_count's default
FUNCTION_TIMEOUT_S = 10  # the smallest lambda_timeout_s: the claims' leases are at most this
VISIBILITY_TIMEOUT_S = (
    FUNCTION_TIMEOUT_S + 2
)  # the stack's is 6x; longer than any lease is what matters
PROGRESS_EVERY_S = 60
WAVE = int(os.environ.get("LOAD_WAVE", "500"))  # uploads sent while fewer wait in the queue
NAME = "load"
BUCKET, TABLE, INDEX = f"{NAME}-images", f"{NAME}-uploads", "in-progress"


class Killed(BaseException):
    """The invocation dies here, as at a timeout: nothing of the handler runs on."""


def client(local_aws: LocalAWS, service: str) -> Any:
    make: Callable[..., Any] = boto3.client  # one helper, six services
    return make(
        service, endpoint_url=local_aws.endpoint, region_name=REGION, config=AWS_CONFIG,
        aws_access_key_id="local", aws_secret_access_key="local",
    )  # fmt: skip


def sample(index: int, rng: random.Random) -> tuple[str, bytes]:
    """A small upload: mostly images of each kind, some that must be rejected."""
    kind = rng.choice(["jpg", "png", "webp", "png_thumb", "jpg_grayscale", "fake"])
    if kind == "fake":
        return f"uploads/load/{index:05d}-not-an-image.png", b"<html>not an image</html>"
    extension, _, suffix = kind.partition("_")
    image = Image.new("RGB", (rng.randint(32, 160), rng.randint(32, 160)), "teal")
    buffer = io.BytesIO()
    image.save(buffer, {"jpg": "JPEG", "png": "PNG", "webp": "WEBP"}[extension])
    name = f"{index:05d}" + (f"_{suffix}" if suffix else "")
    return f"uploads/load/{name}.{extension}", buffer.getvalue()


def deploy(local_aws: LocalAWS) -> dict[str, Any]:
    """The resources of the stack that the path crosses, shaped as the Terraform makes them."""
    s3, ddb, sns, sqs, lam, iam = (
        client(local_aws, s) for s in ("s3", "dynamodb", "sns", "sqs", "lambda", "iam")
    )
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    ddb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "object_key", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "object_key", "AttributeType": "S"},
            {"AttributeName": "lease_until", "AttributeType": "N"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": INDEX,
                "KeySchema": INDEX_KEY_SCHEMA,
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    topics, subscribers = {}, {}
    for topic in ("notifications", "security"):
        topics[topic] = sns.create_topic(Name=f"{NAME}-{topic}")["TopicArn"]
        subscribers[topic] = sqs.create_queue(QueueName=f"{NAME}-{topic}-subscriber")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=subscribers[topic], AttributeNames=["QueueArn"])
        sns.subscribe(
            TopicArn=topics[topic], Protocol="sqs", Endpoint=arn["Attributes"]["QueueArn"]
        )
    dead = sqs.create_queue(QueueName=f"{NAME}-failed-events")["QueueUrl"]
    dead_arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])
    queue = sqs.create_queue(
        QueueName=f"{NAME}-uploads",
        Attributes={
            "VisibilityTimeout": str(VISIBILITY_TIMEOUT_S),
            "RedrivePolicy": json.dumps(
                {
                    "deadLetterTargetArn": dead_arn["Attributes"]["QueueArn"],
                    "maxReceiveCount": MAX_RECEIVE_COUNT,
                }
            ),
        },
    )["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
    queue_arn = queue_arn["Attributes"]["QueueArn"]
    role = iam.create_role(
        RoleName=NAME,
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
    lam.create_function(
        FunctionName=NAME, Runtime="python3.13", Role=role, Handler="lambda_function.handler",
        Code={"ZipFile": package.getvalue()}, Timeout=FUNCTION_TIMEOUT_S, MemorySize=1024,
    )  # fmt: skip
    lam.create_event_source_mapping(
        EventSourceArn=queue_arn, FunctionName=NAME, BatchSize=10,
        FunctionResponseTypes=["ReportBatchItemFailures"],
        ScalingConfig={"MaximumConcurrency": CONCURRENCY},
    )  # fmt: skip
    s3.put_bucket_notification_configuration(
        Bucket=BUCKET,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "Id": "uploads",
                    "QueueArn": queue_arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "uploads/"}]}},
                }
            ]
        },
    )
    sqs.purge_queue(QueueUrl=queue)  # S3's test event for the new configuration
    settings = load_settings(
        {
            "TABLE_NAME": TABLE,
            "NOTIFICATIONS_TOPIC_ARN": topics["notifications"],
            "SECURITY_TOPIC_ARN": topics["security"],
            "PROCESSING_INDEX": INDEX,
            "LOG_LEVEL": "ERROR",
        }
        | LIMITS_ENV
    )
    return {"settings": settings, "topics": topics, "queue": queue, "dead": dead}


class Handlers:
    """One pipeline per invocation thread (a Lambda instance), with faults and kills."""

    def __init__(self, local_aws: LocalAWS, stack: dict[str, Any]) -> None:
        self.local_aws, self.stack = local_aws, stack
        self.local = threading.local()
        self.lock = threading.Lock()
        self.injected: Counter[str] = Counter()
        self.kills = 0
        self.seeds = iter(range(1_000_000))

    def load(self, _environment: dict[str, str]) -> Any:
        return self.handler

    def pipeline(self) -> Pipeline:
        if not hasattr(self.local, "pipeline"):
            with self.lock:
                seed = next(self.seeds)
            s3, ddb, sns = (client(self.local_aws, s) for s in ("s3", "dynamodb", "sns"))
            faults = [
                Fault("*", "ThrottlingException", rate=FAULT_RATE * 2 / 3),
                Fault("*", TIMEOUT, rate=FAULT_RATE / 3),
            ]
            if seed == 0:  # and one instance meets faults that always exhaust botocore's retries
                faults += [
                    Fault("PutItem", "ProvisionedThroughputExceededException", times=4, after=3),
                    Fault("GetObject", "SlowDown", times=4, after=8),
                    Fault("Publish", "Throttling", times=4, after=13),
                ]
            self.local.faults = FaultInjector(*faults, seed=seed).install(s3, ddb, sns)
            rng = random.Random(seed)

            def maybe_kill(**_: Any) -> None:
                if rng.random() < KILL_RATE:
                    with self.lock:
                        self.kills += 1
                    raise Killed

            s3.meta.events.register("before-call.s3.GetObject", maybe_kill)
            self.local.pipeline = Pipeline(
                self.stack["settings"], ObjectStore(s3), RecordStore(ddb, TABLE),
                Notifier(sns, {NOTIFICATIONS: self.stack["topics"]["notifications"],
                               SECURITY: self.stack["topics"]["security"]}),
                get_logger(f"{NAME}-{seed}", "CRITICAL"),
            )  # fmt: skip
        pipeline: Pipeline = self.local.pipeline
        return pipeline

    def handler(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        pipeline = self.pipeline()
        before = Counter(self.local.faults.injected)
        try:
            return pipeline.handle(event, context)
        except Killed:
            raise RuntimeError("the invocation was killed (a timeout)") from None
        finally:
            with self.lock:
                self.injected.update(Counter(self.local.faults.injected) - before)


def queue_counts(sqs: Any, url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(v) for v in attributes.values())


@pytest.fixture(scope="module")
def load(local_aws: LocalAWS) -> dict[str, Any]:
    stack = deploy(local_aws)
    s3, ddb, sqs = (client(local_aws, s) for s in ("s3", "dynamodb", "sqs"))
    rng = random.Random(20261206)
    samples = [sample(index, rng) for index in range(UPLOADS)]

    def put(item: tuple[str, bytes]) -> tuple[str, str]:
        return item[0], s3.put_object(Bucket=BUCKET, Key=item[0], Body=item[1])["VersionId"]

    handlers = Handlers(local_aws, stack)
    environment = {"AWS_ENDPOINT_URL": local_aws.endpoint} | {
        k: v for k, v in local_aws.env.items() if k.startswith("AWS_")
    }
    saved = {k: os.environ.get(k) for k in environment}
    os.environ.update(environment)
    uploads: dict[str, str] = {}
    started = reported = time.monotonic()
    try:
        runner = local_lambda.Runner(
            NAME, load=handlers.load, out=lambda _: None, session=boto3.Session()
        )
        # Uploads arrive in waves while the queue drains, as an import sends
        # them: moto's queue walks every message on each receive, so a backlog
        # of 10,000 would measure moto, not the pipeline (README).
        with ThreadPoolExecutor(max_workers=8) as pool:
            while (left := queue_counts(sqs, stack["queue"])) or len(uploads) < UPLOADS:
                if left < WAVE and len(uploads) < UPLOADS:
                    wave = samples[len(uploads) : len(uploads) + WAVE]
                    uploads |= dict(pool.map(put, wave))
                    left += len(wave)
                if time.monotonic() - reported >= PROGRESS_EVERY_S:  # make load: progress
                    reported = time.monotonic()
                    print(
                        f"  {reported - started:5.0f} s: {len(uploads)} uploaded, "
                        f"{left} in the queue",
                        flush=True,
                    )
                runner.run()
                time.sleep(0.5)  # killed batches come back after the visibility timeout
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    finished = time.monotonic()

    # The scheduled sweep, once every lease is long over (as its schedule
    # would run it): claims of invocations that died record FAILED.
    settings = stack["settings"]
    sweeper = Pipeline(
        settings, ObjectStore(s3), RecordStore(ddb, TABLE),
        Notifier(client(local_aws, "sns"), {NOTIFICATIONS: stack["topics"]["notifications"],
                                             SECURITY: stack["topics"]["security"]}),
        get_logger(f"{NAME}-sweep", "CRITICAL"),
        clock=lambda: time.time() + settings.stuck_after_s + FUNCTION_TIMEOUT_S + 1,
    )  # fmt: skip
    swept = sweeper.sweep()["expired"]

    records = {}
    for page in ddb.get_paginator("scan").paginate(TableName=TABLE, ConsistentRead=True):
        for item in page["Items"]:
            records[item["object_key"]["S"]] = item
    dead_lettered = []
    while batch := sqs.receive_message(
        QueueUrl=stack["dead"], MaxNumberOfMessages=10, VisibilityTimeout=300
    ).get("Messages", []):
        for message in batch:
            body = json.loads(message["Body"])
            dead_lettered.append(unquote_plus(body["Records"][0]["s3"]["object"]["key"]))
    outputs: dict[str, set[str]] = {}
    versions = 0
    for page in s3.get_paginator("list_object_versions").paginate(
        Bucket=BUCKET, Prefix="processed/"
    ):
        for version in page.get("Versions", []):
            outputs.setdefault(version["Key"], set()).add(version["ETag"])
            versions += 1

    tally = runner.tally
    statuses = Counter(r["status"]["S"] for r in records.values())
    print(  # what the README quotes (pytest -s shows it)
        f"\nload: {UPLOADS} uploads through S3 -> SQS -> function, {CONCURRENCY} at once, "
        f"batches of 10\n"
        f"  uploaded in waves of {WAVE} while the queue drained; all processed in "
        f"{finished - started:.0f} s: {UPLOADS / (finished - started):.1f} uploads/s through "
        f"the local pipeline\n"
        f"  injected: {sum(handlers.injected.values())} faults "
        f"({dict(handlers.injected.most_common(5))} ...), {handlers.kills} invocations killed\n"
        f"  deliveries: {tally.messages} in {tally.batches} batches; "
        f"{tally.redelivered} redelivered; {tally.failed} reported failed or in a killed batch\n"
        f"  records: {dict(statuses)} ({len(swept)} FAILED by the sweep); "
        f"failed-events queue: {len(dead_lettered)} "
        f"({len(set(dead_lettered) - set(records))} never claimed); "
        f"outputs: {len(outputs)} ({versions - len(outputs)} rewritten by a retry, same bytes)"
    )
    return {
        "uploads": uploads, "records": records, "dead_lettered": dead_lettered, "swept": swept,
        "outputs": outputs, "handlers": handlers, "tally": tally,
    }  # fmt: skip


def test_faults_and_kills_were_injected(load: dict[str, Any]) -> None:
    assert {"PutItem", "GetObject", "PutObject", "Publish"} <= set(load["handlers"].injected)
    assert load["tally"].failed > 0  # some deliveries failed and came back
    assert load["tally"].redelivered > 0


def test_every_upload_ends_in_one_terminal_record_or_the_failed_events_queue(
    load: dict[str, Any],
) -> None:
    records = load["records"]
    statuses = {key: r["status"]["S"] for key, r in records.items()}

    dead_lettered = set(load["dead_lettered"])

    assert set(records) | dead_lettered == set(load["uploads"])  # nothing lost
    assert "PROCESSING" not in statuses.values()  # nothing stuck (after the sweep)
    failed = {key for key, status in statuses.items() if status == "FAILED"}
    # A FAILED record waits for a replay: its event is in the failed-events
    # queue; so is the event of an upload no delivery could claim.
    assert failed <= dead_lettered
    assert len(load["dead_lettered"]) == len(dead_lettered)


def test_rejections_have_a_reason(load: dict[str, Any]) -> None:
    rejected = [r for r in load["records"].values() if r["status"]["S"] == "REJECTED"]

    assert rejected
    assert all(r["object_key"]["S"].endswith("not-an-image.png") for r in rejected)
    assert all(r["reason"]["S"] == "unsupported_type" for r in rejected)


def test_each_processed_upload_has_exactly_one_output(load: dict[str, Any]) -> None:
    processed = [r for r in load["records"].values() if r["status"]["S"] == "PROCESSED"]

    assert processed
    assert {r["output_key"]["S"] for r in processed} == set(load["outputs"])
    # A retry after a failure that followed the write writes the same bytes again.
    assert all(len(etags) == 1 for etags in load["outputs"].values())
    for record in processed:
        assert record["version_id"]["S"] == load["uploads"][record["object_key"]["S"]]

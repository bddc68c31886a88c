"""Soak: 1,000 uploads through the handler against the local AWS, under faults.

Several workers deliver S3's events to one pipeline each, as concurrent
Lambda instances would, against moto's server (scripts/local/moto_server.py):
a tenth of the events are delivered twice, all of them in shuffled order, and
every AWS call the handler makes meets injected throttles and connection
timeouts inside botocore's retry loop (tests/faults.py). An invocation that
raises is retried the way Lambda retries an asynchronous event (two retries),
and one that still fails goes to a list that stands for the failed-events
queue.

It then checks what SECURITY.md promises: every upload has exactly one
record, in a terminal state; each PROCESSED upload has exactly one output
object and at least one notification, all with the same notification_id;
nothing is left PROCESSING. Not part of `make test` (about a minute):
`make soak` (SOAK_UPLOADS, SOAK_WORKERS and SOAK_FAULT_RATE change it).
"""

from __future__ import annotations

import io
import json
import os
import random
import threading
from collections import Counter, defaultdict
from collections.abc import Callable
from queue import Empty, Queue
from typing import Any

import boto3
import pytest
from local_aws import LocalAWS, local_aws_fixture  # noqa: F401 - the fixture
from PIL import Image

from config import load_settings
from faults import TIMEOUT, Fault, FaultInjector
from helpers import LIMITS_ENV, REGION, FakeLambdaContext, s3_event
from notifications import NOTIFICATIONS, SECURITY, Notifier
from pipeline import AWS_CONFIG, Pipeline
from storage import ObjectStore, RecordStore
from structured_log import get_logger

pytestmark = pytest.mark.skipif(os.environ.get("SOAK") != "1", reason="make soak runs it")

UPLOADS = int(os.environ.get("SOAK_UPLOADS", "1000"))
WORKERS = int(os.environ.get("SOAK_WORKERS", "4"))
FAULT_RATE = float(os.environ.get("SOAK_FAULT_RATE", "0.03"))
DUPLICATE_SHARE = 0.1
LAMBDA_ATTEMPTS = 3  # the first invocation and Lambda's two retries
BUCKET, TABLE = "soak-images", "soak-uploads"


def client(local_aws: LocalAWS, service: str) -> Any:
    make: Callable[..., Any] = boto3.client  # one helper, four services
    return make(
        service, endpoint_url=local_aws.endpoint, region_name=REGION, config=AWS_CONFIG,
        aws_access_key_id="local", aws_secret_access_key="local",
    )  # fmt: skip


def sample(index: int, rng: random.Random) -> tuple[str, bytes]:
    """A small upload: mostly images of each kind, some that must be rejected."""
    kind = rng.choice(["jpg", "png", "webp", "png_thumb", "jpg_grayscale", "fake"])
    if kind == "fake":
        return f"uploads/soak/{index:04d}-not-an-image.png", b"<html>not an image</html>"
    extension, _, suffix = kind.partition("_")
    image = Image.new(
        "RGB", (rng.randint(40, 300), rng.randint(40, 300)), rng.choice(["red", "green", "blue"])
    )
    buffer = io.BytesIO()
    image.save(buffer, {"jpg": "JPEG", "png": "PNG", "webp": "WEBP"}[extension])
    name = f"{index:04d}" + (f"_{suffix}" if suffix else "")
    return f"uploads/soak/{name}.{extension}", buffer.getvalue()


@pytest.fixture(scope="module")
def soak(local_aws: LocalAWS) -> dict[str, Any]:
    rng = random.Random(20261202)
    s3, ddb, sns, sqs = (client(local_aws, s) for s in ("s3", "dynamodb", "sns", "sqs"))
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    ddb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "object_key", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "object_key", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    topics, queues = {}, {}
    for topic in ("notifications", "security"):
        topics[topic] = sns.create_topic(Name=f"soak-{topic}")["TopicArn"]
        queues[topic] = sqs.create_queue(QueueName=f"soak-{topic}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queues[topic], AttributeNames=["QueueArn"])
        sns.subscribe(
            TopicArn=topics[topic], Protocol="sqs", Endpoint=arn["Attributes"]["QueueArn"]
        )
    settings = load_settings(
        {
            "TABLE_NAME": TABLE,
            "NOTIFICATIONS_TOPIC_ARN": topics["notifications"],
            "SECURITY_TOPIC_ARN": topics["security"],
            "LOG_LEVEL": "ERROR",
        }
        | LIMITS_ENV
    )

    # Arrange: the uploads (without faults), then their events, duplicated and shuffled.
    events, uploads = [], {}
    for index in range(UPLOADS):
        key, data = sample(index, rng)
        put = s3.put_object(Bucket=BUCKET, Key=key, Body=data)
        uploads[key] = put["VersionId"]
        event = s3_event(
            BUCKET, key, size=len(data), version_id=put["VersionId"],
            etag=put["ETag"].strip('"'), sequencer=f"00{index + 0x100:016X}",
        )  # fmt: skip
        events.append(event)
        if rng.random() < DUPLICATE_SHARE:
            events.append(json.loads(json.dumps(event)))
    rng.shuffle(events)

    # Act: WORKERS concurrent "Lambda instances", each with its own clients and faults.
    pending: Queue[tuple[dict[str, Any], int]] = Queue()
    for event in events:
        pending.put((event, 1))
    failed_events: list[dict[str, Any]] = []
    invocations: Counter[str] = Counter()
    injected: Counter[str] = Counter()
    lock = threading.Lock()

    def worker(seed: int) -> None:
        clients = [client(local_aws, s) for s in ("s3", "dynamodb", "sns")]
        faults = FaultInjector(
            Fault("*", "ThrottlingException", rate=FAULT_RATE * 2 / 3),
            Fault("*", TIMEOUT, rate=FAULT_RATE / 3),
            seed=seed,
        ).install(*clients)
        pipeline = Pipeline(
            settings, ObjectStore(clients[0]), RecordStore(clients[1], TABLE),
            Notifier(clients[2], {NOTIFICATIONS: topics["notifications"],
                                  SECURITY: topics["security"]}),
            get_logger(f"soak-{seed}", "CRITICAL"),
        )  # fmt: skip
        while True:
            try:
                event, attempt = pending.get_nowait()
            except Empty:
                break
            try:
                pipeline.handle(event, FakeLambdaContext())
                outcome = "ok"
            except Exception:  # noqa: BLE001 - what Lambda would retry
                outcome = "raised"
                if attempt < LAMBDA_ATTEMPTS:
                    pending.put((event, attempt + 1))
                else:
                    with lock:
                        failed_events.append(event)
            with lock:
                invocations[outcome] += 1
        with lock:
            injected.update(faults.injected)

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    records = {}
    for page in ddb.get_paginator("scan").paginate(TableName=TABLE, ConsistentRead=True):
        for item in page["Items"]:
            records[item["object_key"]["S"]] = item
    messages: dict[str, list[dict[str, Any]]] = defaultdict(list)
    while batch := sqs.receive_message(
        QueueUrl=queues["notifications"], MaxNumberOfMessages=10, WaitTimeSeconds=0
    ).get("Messages", []):
        for message in batch:
            body = json.loads(json.loads(message["Body"])["Message"])
            messages[body["object_key"]].append(body)
            sqs.delete_message(
                QueueUrl=queues["notifications"], ReceiptHandle=message["ReceiptHandle"]
            )

    statuses = Counter(r["status"]["S"] for r in records.values())
    print(  # the figures SECURITY.md quotes (pytest -s shows them)
        f"\nsoak: {UPLOADS} uploads, {len(events)} deliveries "
        f"({len(events) - UPLOADS} duplicates), {WORKERS} workers, "
        f"fault rate {FAULT_RATE:.0%} per AWS call attempt\n"
        f"  injected faults: {sum(injected.values())} ({dict(injected.most_common(6))} ...)\n"
        f"  invocations: {dict(invocations)}; "
        f"events to the failed-events queue: {len(failed_events)}\n"
        f"  records: {dict(statuses)}; notifications: {sum(map(len, messages.values()))}"
    )
    return {
        "s3": s3, "uploads": uploads, "records": records, "failed_events": failed_events,
        "injected": injected, "messages": messages,
    }  # fmt: skip


def test_faults_were_injected_into_every_service(soak: dict[str, Any]) -> None:
    assert {"PutItem", "UpdateItem", "GetObject", "PutObject", "Publish"} <= set(soak["injected"])


def test_every_upload_has_exactly_one_terminal_record(soak: dict[str, Any]) -> None:
    records = soak["records"]

    assert set(records) == set(soak["uploads"])
    assert Counter(r["status"]["S"] for r in records.values()).keys() <= {
        "PROCESSED",
        "REJECTED",
        "FAILED",
    }
    failed = {k for k, r in records.items() if r["status"]["S"] == "FAILED"}
    dead_lettered = {e["Records"][0]["s3"]["object"]["key"] for e in soak["failed_events"]}
    assert failed == dead_lettered


def test_rejections_have_a_reason(soak: dict[str, Any]) -> None:
    rejected = [r for r in soak["records"].values() if r["status"]["S"] == "REJECTED"]

    assert rejected
    assert all(r["reason"]["S"] for r in rejected)
    assert all(r["object_key"]["S"].endswith("not-an-image.png") for r in rejected)


def test_each_processed_upload_has_one_output_and_a_stable_notification_id(
    soak: dict[str, Any],
) -> None:
    processed = {k: r for k, r in soak["records"].items() if r["status"]["S"] == "PROCESSED"}
    outputs: Counter[str] = Counter()
    for page in (
        soak["s3"]
        .get_paginator("list_object_versions")
        .paginate(Bucket=BUCKET, Prefix="processed/")
    ):
        outputs.update(v["Key"] for v in page.get("Versions", []))

    assert processed
    assert {r["output_key"]["S"]: 1 for r in processed.values()} == dict(outputs)
    for key in processed:
        ids = {m["notification_id"] for m in soak["messages"][key]}
        assert len(ids) == 1, (key, soak["messages"][key])

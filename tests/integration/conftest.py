"""moto-backed AWS for the handler: real boto3 calls against an in-process fake."""

from __future__ import annotations

import io
import itertools
import json
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from moto import mock_aws
from moto.core.botocore_stubber import BotocoreStubber
from PIL import Image

from config import load_settings
from helpers import INDEX_KEY_SCHEMA, LIMITS_ENV, REGION, Clock, s3_event
from notifications import NOTIFICATIONS, SECURITY, Notifier
from pipeline import AWS_CONFIG, Pipeline
from storage import ObjectStore, RecordStore
from structured_log import get_logger

if TYPE_CHECKING:
    from types_boto3_dynamodb import DynamoDBClient
    from types_boto3_s3 import S3Client
    from types_boto3_s3.type_defs import GetObjectOutputTypeDef
    from types_boto3_sns import SNSClient
    from types_boto3_sqs import SQSClient

BUCKET = "image-processor-test-images"
TABLE = "image-processor-test-uploads"
PROCESSING_INDEX = "in-progress"  # local.processing_index in the Terraform


@dataclass
class Stack:
    """The resources the Lambda talks to, and helpers to drive and inspect them."""

    s3: S3Client
    ddb: DynamoDBClient
    sns: SNSClient
    sqs: SQSClient
    topic_arns: dict[str, str]
    queue_urls: dict[str, str]
    _sequence: Iterator[int] = field(default_factory=lambda: itertools.count(0x100))

    def put(self, key: str, data: bytes) -> dict[str, Any]:
        """Upload ``data`` and return the event S3 would send for it."""
        response = self.s3.put_object(Bucket=BUCKET, Key=key, Body=data)
        return s3_event(
            BUCKET,
            key,
            size=len(data),
            version_id=response.get("VersionId"),
            etag=response["ETag"].strip('"'),
            sequencer=f"00{next(self._sequence):016X}",
        )

    def record(self, key: str) -> Any:
        """The item of ``key``, or None (Any, as the tests index it without a check first)."""
        item = self.ddb.get_item(
            TableName=TABLE, Key={"object_key": {"S": key}}, ConsistentRead=True
        )
        return item.get("Item")

    def records(self) -> list[dict[str, Any]]:
        return self.ddb.scan(TableName=TABLE)["Items"]

    def output(self, key: str) -> tuple[Image.Image, GetObjectOutputTypeDef]:
        response = self.s3.get_object(Bucket=BUCKET, Key=key)
        image = Image.open(io.BytesIO(response["Body"].read()))
        image.load()
        return image, response

    def output_versions(self, key: str) -> int:
        versions = self.s3.list_object_versions(Bucket=BUCKET, Prefix=key).get("Versions", [])
        return sum(1 for v in versions if v["Key"] == key)

    def messages(self, topic: str) -> list[dict[str, Any]]:
        """Every SNS message delivered so far to the queue subscribed to ``topic``."""
        received: list[dict[str, Any]] = []
        while True:
            batch = self.sqs.receive_message(
                QueueUrl=self.queue_urls[topic], MaxNumberOfMessages=10, WaitTimeSeconds=0
            ).get("Messages", [])
            if not batch:
                return received
            for message in batch:
                envelope = json.loads(message["Body"])
                received.append(
                    {
                        "body": json.loads(envelope["Message"]),
                        "attributes": {
                            k: v["Value"] for k, v in envelope.get("MessageAttributes", {}).items()
                        },
                        "subject": envelope.get("Subject"),
                    }
                )
                self.sqs.delete_message(
                    QueueUrl=self.queue_urls[topic], ReceiptHandle=message["ReceiptHandle"]
                )


def serialise_dynamodb(monkeypatch: pytest.MonkeyPatch) -> None:
    """One DynamoDB request at a time, as DynamoDB makes each conditional write atomic.

    moto's in-process backend evaluates a ConditionExpression and then writes
    the item without a lock, so two threads can both pass the same condition
    (two claims of one upload both succeed, about 1 run in 6 under load).
    DynamoDB itself makes a conditional write atomic for its item. A lock
    around moto's handling of each DynamoDB request restores that; the other
    services keep running concurrently. (moto's server would not help: it
    serves each request on a thread of its own over the same backends.)
    """
    lock = threading.Lock()
    process_request = BotocoreStubber.process_request

    def serialised(self: BotocoreStubber, request: Any) -> Any:
        if "://dynamodb." not in request.url:
            return process_request(self, request)
        with lock:
            return process_request(self, request)

    monkeypatch.setattr(BotocoreStubber, "process_request", serialised)


@pytest.fixture
def stack(aws_credentials: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    serialise_dynamodb(monkeypatch)
    with mock_aws():
        # The clients the pipeline gets: the function's own retry configuration,
        # so that faults injected into them meet botocore's real retry loop.
        s3 = boto3.client("s3", region_name=REGION, config=AWS_CONFIG)
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        ddb = boto3.client("dynamodb", region_name=REGION, config=AWS_CONFIG)
        # As terraform/modules/image-pipeline/dynamodb.tf makes it: the sparse
        # index of the claims in flight (only PROCESSING records carry lease_until),
        # keyed by object key (tests/unit/test_docs.py checks the two agree).
        ddb.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "object_key", "KeyType": "HASH"}],
            AttributeDefinitions=[
                {"AttributeName": "object_key", "AttributeType": "S"},
                {"AttributeName": "lease_until", "AttributeType": "N"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": PROCESSING_INDEX,
                    "KeySchema": INDEX_KEY_SCHEMA,
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        sns = boto3.client("sns", region_name=REGION, config=AWS_CONFIG)
        sqs = boto3.client("sqs", region_name=REGION)
        topic_arns, queue_urls = {}, {}
        for topic in ("notifications", "security"):
            topic_arns[topic] = sns.create_topic(Name=f"image-processor-test-{topic}")["TopicArn"]
            queue_urls[topic] = sqs.create_queue(QueueName=f"test-{topic}")["QueueUrl"]
            queue_arn = sqs.get_queue_attributes(
                QueueUrl=queue_urls[topic], AttributeNames=["QueueArn"]
            )["Attributes"]["QueueArn"]
            sns.subscribe(TopicArn=topic_arns[topic], Protocol="sqs", Endpoint=queue_arn)
        yield Stack(s3, ddb, sns, sqs, topic_arns, queue_urls)


def stack_environment(stack: Stack, **extra: str) -> dict[str, str]:
    """The function's environment variables for this stack."""
    return (
        {
            "TABLE_NAME": TABLE,
            "NOTIFICATIONS_TOPIC_ARN": stack.topic_arns["notifications"],
            "SECURITY_TOPIC_ARN": stack.topic_arns["security"],
            "PROCESSING_INDEX": PROCESSING_INDEX,
            "LOG_LEVEL": "DEBUG",
        }
        | LIMITS_ENV
        | extra
    )


@pytest.fixture
def environment(stack: Stack) -> dict[str, str]:
    return stack_environment(stack)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_pipeline(stack: Stack, clock: Clock) -> Callable[..., Pipeline]:
    """Build a pipeline from this stack's clients, as the init phase would (settings from env)."""

    def build(**environment: str) -> Pipeline:
        settings = load_settings(stack_environment(stack, **environment))
        return Pipeline(
            settings,
            ObjectStore(stack.s3),
            RecordStore(stack.ddb, settings.table_name),
            Notifier(
                stack.sns,
                {
                    NOTIFICATIONS: settings.notifications_topic_arn,
                    SECURITY: settings.security_topic_arn,
                },
            ),
            get_logger("image_processor", settings.log_level),
            clock=clock.now,
        )

    return build


@pytest.fixture
def pipeline(make_pipeline: Callable[..., Pipeline]) -> Pipeline:
    return make_pipeline()


@pytest.fixture(autouse=True)
def _quiet_botocore() -> None:
    logging.getLogger("botocore").setLevel(logging.WARNING)

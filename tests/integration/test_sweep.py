"""Records stuck in PROCESSING: a hard timeout or crash leaves the claim and its lease.

Lambda retries a failed asynchronous invocation twice, and keeps throttled
events for up to the maximum event age; when the function "can't keep up with
incoming events, events might also be deleted from the queue without being
sent to the function"
(https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html).
A scheduled sweep records such claims FAILED, so every record reaches a
terminal state; FAILED stays claimable, so a late retry still completes it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

import images
from events import Upload, parse_s3_record
from helpers import FakeLambdaContext
from pipeline import Pipeline
from storage import UploadRecord

if TYPE_CHECKING:
    from integration.conftest import Stack

SCHEDULED = {
    "version": "0",
    "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "account": "123456789012",
    "time": "2026-10-08T16:53:06Z",
    "region": "us-east-1",
    "resources": ["arn:aws:events:us-east-1:123456789012:rule/image-processor-sweep"],
    "detail": {},
}


def claim_that_died(pipeline: Pipeline, event: dict[str, Any], seconds_ago: int) -> None:
    upload = parse_s3_record(event["Records"][0], pipeline.settings)
    assert isinstance(upload, Upload)
    record = UploadRecord(
        object_key=upload.key,
        bucket=upload.bucket,
        sequencer=upload.sequencer,
        version_id=upload.version_id,
        request_id="timed-out-invocation",
        received_at="2026-01-01T00:00:00+00:00",
        expires_at=int(time.time()) + 86_400,
    )
    pipeline.records.claim(record, lease_seconds=30, now=int(time.time()) - seconds_ago)


def test_a_claim_whose_invocation_died_is_recorded_failed_and_announced(
    pipeline: Pipeline, stack: Stack
) -> None:
    # Arrange: a claim whose lease ran out 20 minutes ago (stuck_after_s is 900)
    event = stack.put("uploads/stuck.png", images.make("PNG"))
    claim_that_died(pipeline, event, seconds_ago=1230)

    # Act
    result = pipeline.handle(SCHEDULED, FakeLambdaContext())

    # Assert
    assert result == {"expired": ["uploads/stuck.png"]}
    record = stack.record("uploads/stuck.png")
    assert (record["status"]["S"], record["reason"]["S"]) == ("FAILED", "LeaseExpired")
    assert "timed-out-invocation" in record["reason_message"]["S"]
    assert "lease_until" not in record
    assert "pending_topics" not in record
    [notice] = stack.messages("notifications")
    assert (notice["body"]["status"], notice["body"]["reason"]) == ("FAILED", "LeaseExpired")


def test_a_late_retry_still_completes_a_swept_upload(pipeline: Pipeline, stack: Stack) -> None:
    event = stack.put("uploads/late.png", images.make("PNG"))
    claim_that_died(pipeline, event, seconds_ago=1230)
    pipeline.handle(SCHEDULED, FakeLambdaContext())

    pipeline.handle(event, FakeLambdaContext())

    assert stack.record("uploads/late.png")["status"]["S"] == "PROCESSED"


def test_a_recent_claim_and_decided_records_are_left_alone(
    pipeline: Pipeline, stack: Stack
) -> None:
    recent = stack.put("uploads/recent.png", images.make("PNG"))
    claim_that_died(pipeline, recent, seconds_ago=60)
    pipeline.handle(stack.put("uploads/done.png", images.make("PNG")), FakeLambdaContext())
    before = {r["object_key"]["S"]: r for r in stack.records()}
    stack.messages("notifications")

    result = pipeline.handle(SCHEDULED, FakeLambdaContext())

    assert result == {"expired": []}
    assert {r["object_key"]["S"]: r for r in stack.records()} == before
    assert stack.messages("notifications") == []


def test_a_retry_that_claims_the_upload_while_the_sweep_runs_keeps_it(
    pipeline: Pipeline, stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Arrange: the sweep reads the dead claim; before it writes, Lambda's retry
    # of that invocation claims the upload again with a fresh lease. A retry keeps
    # the request id ("duplicate invocations ... that have the same request ID
    # indicate that the Lambda service retried the function",
    # https://repost.aws/knowledge-center/lambda-function-duplicate-invocations),
    # so only the lease tells the two claims apart.
    event = stack.put("uploads/race.png", images.make("PNG"))
    claim_that_died(pipeline, event, seconds_ago=1230)
    scan = pipeline.records.stuck

    def stuck_then_retried(*args: Any, **kwargs: Any) -> Iterator[UploadRecord]:
        for stuck in scan(*args, **kwargs):
            claim_that_died(pipeline, event, seconds_ago=0)
            yield stuck

    monkeypatch.setattr(pipeline.records, "stuck", stuck_then_retried)

    # Act
    result = pipeline.handle(SCHEDULED, FakeLambdaContext())

    # Assert: the retry's claim stands; nothing is recorded FAILED or announced
    assert result == {"expired": []}
    record = stack.record("uploads/race.png")
    assert record["status"]["S"] == "PROCESSING"
    assert int(record["lease_until"]["N"]) >= int(time.time())
    assert "reason" not in record
    assert stack.messages("notifications") == []

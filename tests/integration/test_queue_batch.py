"""The uploads queue's batches (the event source mapping's event), against moto."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, cast

import images
from faults import Fault, FaultInjector
from helpers import FakeLambdaContext, sqs_batch
from pipeline import Pipeline

if TYPE_CHECKING:
    from integration.conftest import Stack

#: Attempts botocore makes per call with the function's configuration (1 + 3 retries).
EXHAUSTED = 4


def status(stack: Stack, key: str) -> str:
    return cast(str, stack.record(key)["status"]["S"])


def test_a_batch_of_uploads_is_processed_and_reports_no_failure(
    pipeline: Pipeline, stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    events = [stack.put(f"uploads/q{n}.png", images.make("PNG")) for n in range(3)]

    result = pipeline.handle(sqs_batch(*events), lambda_context)

    assert result["batchItemFailures"] == []
    assert [status(stack, f"uploads/q{n}.png") for n in range(3)] == ["PROCESSED"] * 3


def test_one_failing_upload_is_reported_alone_and_its_batch_mates_are_done(
    pipeline: Pipeline, stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    events = [stack.put(f"uploads/m{n}.png", images.make("PNG")) for n in range(3)]
    # The 2nd message's download fails on every attempt botocore makes.
    FaultInjector(Fault("GetObject", "InternalError", times=EXHAUSTED, after=1)).install(stack.s3)

    result = pipeline.handle(sqs_batch(*events), lambda_context)

    assert result["batchItemFailures"] == [{"itemIdentifier": "msg-1"}]
    assert status(stack, "uploads/m0.png") == "PROCESSED"
    assert status(stack, "uploads/m1.png") == "FAILED"
    assert status(stack, "uploads/m2.png") == "PROCESSED"


def test_a_rejected_upload_is_not_a_failure(
    pipeline: Pipeline, stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    event = stack.put("uploads/notes.png", b"not an image at all")

    result = pipeline.handle(sqs_batch(event), lambda_context)

    assert result["batchItemFailures"] == []
    record = stack.record("uploads/notes.png")
    assert record["status"]["S"] == "REJECTED"
    assert record["reason"]["S"] == "unsupported_type"


def test_a_message_that_is_not_an_event_is_reported_failed_not_dropped(
    pipeline: Pipeline, stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    good = stack.put("uploads/fine.png", images.make("PNG"))

    result = pipeline.handle(
        sqs_batch("not json", {"hello": "world"}, [1, 2], good), lambda_context
    )

    assert result["batchItemFailures"] == [
        {"itemIdentifier": "msg-0"},
        {"itemIdentifier": "msg-1"},
        {"itemIdentifier": "msg-2"},
    ]
    assert status(stack, "uploads/fine.png") == "PROCESSED"


def test_s3s_test_event_through_the_queue_is_acknowledged(
    pipeline: Pipeline, stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    test_event = {
        "Service": "Amazon S3",
        "Event": "s3:TestEvent",
        "Time": "2026-01-01T00:00:00.000Z",
        "Bucket": "image-processor-test-images",
        "RequestId": "5582815E1AEA5ADF",
        "HostId": "8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE",
    }

    result = pipeline.handle(sqs_batch(test_event), lambda_context)

    assert result == {"outcomes": [], "batchItemFailures": []}


def test_a_scheduled_event_inside_a_message_is_refused(
    pipeline: Pipeline, stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    schedule = {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}

    result = pipeline.handle(sqs_batch(schedule), lambda_context)

    assert result["batchItemFailures"] == [{"itemIdentifier": "msg-0"}]


def test_uploads_left_when_time_runs_out_are_reported_for_redelivery(
    pipeline: Pipeline, stack: Stack
) -> None:
    events = [stack.put(f"uploads/t{n}.png", images.make("PNG")) for n in range(2)]

    result = pipeline.handle(sqs_batch(*events), FakeLambdaContext(timeout_ms=1000))

    assert result["batchItemFailures"] == [{"itemIdentifier": "msg-0"}, {"itemIdentifier": "msg-1"}]
    assert stack.record("uploads/t0.png") is None  # nothing claimed: the next delivery starts clean


def test_the_most_delivered_message_goes_first_so_time_never_defers_it_again(
    pipeline: Pipeline, stack: Stack
) -> None:
    events = [stack.put(f"uploads/o{n}.png", images.make("PNG")) for n in range(3)]
    batch = sqs_batch(*events)
    batch["Records"][2]["attributes"]["ApproximateReceiveCount"] = "4"  # deferred 3 times

    class TimeForOneUpload(FakeLambdaContext):
        """Time runs out once the first upload of the batch is decided."""

        def get_remaining_time_in_millis(self) -> int:
            decided = any(r["status"]["S"] != "PROCESSING" for r in stack.records())
            return 1_000 if decided else 20_000

    result = pipeline.handle(batch, TimeForOneUpload())

    assert status(stack, "uploads/o2.png") == "PROCESSED"
    assert result["batchItemFailures"] == [{"itemIdentifier": "msg-0"}, {"itemIdentifier": "msg-1"}]


def test_a_redelivered_message_of_a_processed_upload_changes_nothing(
    pipeline: Pipeline, stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    event = stack.put("uploads/again.png", images.make("PNG"))
    pipeline.handle(sqs_batch(event), lambda_context)
    first = stack.record("uploads/again.png")

    result = pipeline.handle(sqs_batch(event, receive_count=2), lambda_context)

    assert result["batchItemFailures"] == []
    assert result["outcomes"][0]["status"] == "DUPLICATE"
    assert stack.record("uploads/again.png") == first
    assert json.loads(json.dumps(result))  # what Lambda returns to the mapping is JSON

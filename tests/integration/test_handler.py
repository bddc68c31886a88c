"""The handler against moto: real boto3 calls, the event S3 would send."""

from __future__ import annotations

import copy
import time
from typing import TYPE_CHECKING, Any, cast

import pytest
from botocore.exceptions import ClientError

import images
from errors import BatchIncomplete, InsufficientTime, MalformedEvent, UploadInProgress
from events import Upload, parse_s3_record
from faults import Fault, FaultInjector
from helpers import FakeLambdaContext
from pipeline import Pipeline
from storage import UploadRecord

if TYPE_CHECKING:
    from integration.conftest import Stack

#: Attempts botocore makes per call with the function's configuration (1 + 3 retries).
EXHAUSTED = 4


def status(stack: Stack, key: str) -> str:
    return cast(str, stack.record(key)["status"]["S"])


def claim_elsewhere(
    pipeline: Pipeline, event: dict[str, Any], now: int, lease_seconds: int = 30
) -> None:
    """Another invocation's claim of the event's upload, made at ``now``."""
    upload = parse_s3_record(event["Records"][0], pipeline.settings)
    assert isinstance(upload, Upload)
    record = UploadRecord(
        object_key=upload.key,
        bucket=upload.bucket,
        sequencer=upload.sequencer,
        request_id="another-invocation",
        received_at="2026-01-01T00:00:00+00:00",
        expires_at=int(time.time()) + 86_400,
    )
    pipeline.records.claim(record, lease_seconds=lease_seconds, now=now)


# --------------------------------------------------------------------------
# The happy path
# --------------------------------------------------------------------------


def test_upload_is_processed_recorded_and_announced(
    pipeline: Pipeline, stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    # Arrange
    data = images.make("JPEG", (3000, 2000))
    event = stack.put("uploads/2026/holiday.jpg", data)

    # Act
    result = pipeline.handle(event, lambda_context)

    # Assert: the output object
    output, response = stack.output("processed/2026/holiday.jpg")
    assert (output.format, output.size, output.mode) == ("JPEG", (1024, 683), "RGB")
    assert response["ContentType"] == "image/jpeg"
    assert (
        response["Metadata"]["source-version-id"]
        == event["Records"][0]["s3"]["object"]["versionId"]
    )

    # Assert: the record
    item = stack.record("uploads/2026/holiday.jpg")
    assert item["status"]["S"] == "PROCESSED"
    assert item["operation"]["S"] == "resize"
    assert item["output_key"]["S"] == "processed/2026/holiday.jpg"
    assert (item["input_width"]["N"], item["input_height"]["N"]) == ("3000", "2000")
    assert (item["output_width"]["N"], item["output_height"]["N"]) == ("1024", "683")
    assert item["input_format"]["S"] == item["output_format"]["S"] == "JPEG"
    assert item["input_bytes"]["N"] == str(len(data))
    assert len(item["sha256"]["S"]) == 64
    assert item["request_id"]["S"] == lambda_context.aws_request_id
    sequencer = event["Records"][0]["s3"]["object"]["sequencer"]
    assert item["sequencer"]["S"] == sequencer.ljust(64, "0")
    assert item["trigger"]["S"] == "s3_event"
    assert item["bucket"]["S"] == "image-processor-test-images"
    assert item["version_id"]["S"] == event["Records"][0]["s3"]["object"]["versionId"]
    assert item["etag"]["S"] == event["Records"][0]["s3"]["object"]["eTag"]
    assert item["event_size"]["N"] == str(len(data))
    assert item["input_mode"]["S"] == item["output_mode"]["S"] == "RGB"
    assert int(item["output_bytes"]["N"]) == response["ContentLength"]
    assert int(item["duration_ms"]["N"]) >= 0
    assert item["received_at"]["S"].endswith("+00:00")
    assert item["processed_at"]["S"].endswith("+00:00")
    assert int(item["expires_at"]["N"]) > 0
    assert "pending_topics" not in item
    assert "lease_until" not in item

    # Assert: one notification, nothing for security
    [message] = stack.messages("notifications")
    assert message["body"]["status"] == "PROCESSED"
    assert message["body"]["output_key"] == "processed/2026/holiday.jpg"
    assert message["attributes"] == {"status": "PROCESSED", "operation": "resize"}
    assert stack.messages("security") == []
    assert result["outcomes"][0]["status"] == "PROCESSED"


def test_ttl_is_ninety_days_from_now(
    pipeline: Pipeline, stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    pipeline.handle(stack.put("uploads/ttl.png", images.make("PNG")), lambda_context)

    expires_at = int(stack.record("uploads/ttl.png")["expires_at"]["N"])
    assert abs(expires_at - (time.time() + 90 * 86400)) < 60


@pytest.mark.parametrize(
    "key",
    [
        "uploads/with space/my photo.png",
        "uploads/a+b=c&d.png",
        "uploads/100%25 real.png",
        "uploads/ünïcødé/写真_thumb.png",
        "uploads/a/b/c/d/e/deep.png",
    ],
)
def test_keys_are_url_decoded(
    pipeline: Pipeline, stack: Stack, lambda_context: FakeLambdaContext, key: str
) -> None:
    pipeline.handle(stack.put(key, images.make("PNG", (400, 300))), lambda_context)

    assert status(stack, key) == "PROCESSED"
    output, _ = stack.output("processed/" + key.removeprefix("uploads/"))
    assert output.format == "PNG"


def test_several_records_in_one_event(
    pipeline: Pipeline, stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    events = [stack.put(f"uploads/batch/{n}.png", images.make("PNG")) for n in range(3)]
    event = {"Records": [e["Records"][0] for e in events]}

    result = pipeline.handle(event, lambda_context)

    assert [o["status"] for o in result["outcomes"]] == ["PROCESSED"] * 3
    assert len(stack.messages("notifications")) == 3


# --------------------------------------------------------------------------
# What the function never touches
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key", ["processed/loop.png", "elsewhere/x.png", "uploads/folder/", "uploadsx/y.png"]
)
def test_keys_outside_the_input_prefix_and_folder_markers_are_ignored(
    pipeline: Pipeline, stack: Stack, lambda_context: FakeLambdaContext, key: str
) -> None:
    event = stack.put(key, b"" if key.endswith("/") else images.make("PNG"))

    result = pipeline.handle(event, lambda_context)

    assert result["outcomes"] == []
    assert stack.records() == []
    assert stack.messages("notifications") == []
    listed = stack.s3.list_objects_v2(Bucket="image-processor-test-images")["Contents"]
    assert [o["Key"] for o in listed] == [key]


def test_events_other_than_object_creation_are_ignored(
    pipeline: Pipeline, stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    event = stack.put("uploads/x.png", images.make("PNG"))
    event["Records"][0]["eventName"] = "ObjectRemoved:Delete"

    pipeline.handle(event, lambda_context)

    assert stack.records() == []


# --------------------------------------------------------------------------
# Rejections
# --------------------------------------------------------------------------


def test_content_not_matching_its_name_is_rejected_and_reported_to_security(
    pipeline: Pipeline, stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    pipeline.handle(stack.put("uploads/fake.jpg", images.make("PNG")), lambda_context)

    item = stack.record("uploads/fake.jpg")
    assert item["status"]["S"] == "REJECTED"
    assert item["reason"]["S"] == "type_mismatch"
    assert "PNG" in item["reason_message"]["S"]
    assert "output_key" not in item
    [notice] = stack.messages("notifications")
    [alert] = stack.messages("security")
    assert notice["body"] == alert["body"]
    assert alert["attributes"]["reason"] == "type_mismatch"
    assert (
        stack.s3.list_objects_v2(Bucket="image-processor-test-images", Prefix="processed/")[
            "KeyCount"
        ]
        == 0
    )


def test_too_large_is_rejected_from_the_event_without_downloading(
    pipeline: Pipeline, stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    event = stack.put("uploads/huge.png", images.make("PNG"))
    event["Records"][0]["s3"]["object"]["size"] = 10 * 1024 * 1024 + 1
    downloads = FaultInjector().install(stack.s3)

    pipeline.handle(event, lambda_context)

    assert downloads.attempts["GetObject"] == 0  # never downloaded
    item = stack.record("uploads/huge.png")
    assert (item["status"]["S"], item["reason"]["S"]) == ("REJECTED", "too_large_bytes")
    assert stack.messages("security") == []


def test_unsupported_extension_is_rejected(
    pipeline: Pipeline, stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    pipeline.handle(stack.put("uploads/doc.pdf", b"%PDF-1.7"), lambda_context)

    assert stack.record("uploads/doc.pdf")["reason"]["S"] == "unsupported_extension"


def test_an_object_deleted_before_processing_is_recorded_not_lost(
    pipeline: Pipeline, stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    event = stack.put("uploads/gone.png", images.make("PNG"))
    version = event["Records"][0]["s3"]["object"]["versionId"]
    stack.s3.delete_object(
        Bucket="image-processor-test-images", Key="uploads/gone.png", VersionId=version
    )

    pipeline.handle(event, lambda_context)

    item = stack.record("uploads/gone.png")
    assert (item["status"]["S"], item["reason"]["S"]) == ("REJECTED", "object_missing")


def test_memory_guard_uses_the_functions_memory(
    pipeline: Pipeline, stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    context = FakeLambdaContext(memory_limit_in_mb="128")

    pipeline.handle(stack.put("uploads/wide.png", images.make("PNG", (4000, 3000))), context)

    item = stack.record("uploads/wide.png")
    assert item["reason"]["S"] == "too_large_for_memory"
    assert "MiB" in item["reason_message"]["S"]


# --------------------------------------------------------------------------
# Delivery semantics: duplicates, order, retries
# --------------------------------------------------------------------------


def test_duplicate_event_changes_nothing_and_sends_nothing(
    pipeline: Pipeline, stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    event = stack.put("uploads/dup.png", images.make("PNG"))
    pipeline.handle(event, lambda_context)
    first = stack.record("uploads/dup.png")
    stack.messages("notifications")

    result = pipeline.handle(copy.deepcopy(event), FakeLambdaContext())

    assert result["outcomes"][0]["status"] == "DUPLICATE"
    assert stack.record("uploads/dup.png") == first
    assert stack.messages("notifications") == []
    assert stack.output_versions("processed/dup.png") == 1


def test_older_event_after_newer_one_changes_nothing(
    pipeline: Pipeline, stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    old = stack.put("uploads/v.png", images.make("PNG", (300, 200)))
    new = stack.put("uploads/v.png", images.make("PNG", (600, 400)))
    pipeline.handle(new, lambda_context)

    result = pipeline.handle(old, FakeLambdaContext())

    assert result["outcomes"][0]["status"] == "DUPLICATE"
    item = stack.record("uploads/v.png")
    assert item["version_id"]["S"] == new["Records"][0]["s3"]["object"]["versionId"]
    assert stack.output("processed/v.png")[0].size == (600, 400)


def test_the_version_named_in_the_event_is_read(
    pipeline: Pipeline, stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    old = stack.put("uploads/ver.png", images.make("PNG", (300, 200)))
    stack.put("uploads/ver.png", images.make("PNG", (600, 400)))

    pipeline.handle(old, lambda_context)

    assert stack.output("processed/ver.png")[0].size == (300, 200)


def test_a_new_upload_of_the_same_key_is_processed_again(
    pipeline: Pipeline, stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    pipeline.handle(stack.put("uploads/again.png", images.make("PNG", (300, 200))), lambda_context)

    pipeline.handle(
        stack.put("uploads/again.png", images.make("PNG", (500, 200))), FakeLambdaContext()
    )

    assert stack.output("processed/again.png")[0].size == (500, 200)
    assert len(stack.messages("notifications")) == 2


def test_transient_s3_failure_records_failed_raises_and_the_retry_completes(
    pipeline: Pipeline, stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    event = stack.put("uploads/flaky.png", images.make("PNG"))
    FaultInjector(Fault("PutObject", "SlowDown", times=EXHAUSTED)).install(stack.s3)

    with pytest.raises(BatchIncomplete) as raised:
        pipeline.handle(event, lambda_context)

    assert isinstance(raised.value.__cause__, ClientError)
    item = stack.record("uploads/flaky.png")
    assert item["status"]["S"] == "FAILED"
    assert item["reason"]["S"] == "ClientError:SlowDown"
    assert stack.messages("notifications") == []

    pipeline.handle(copy.deepcopy(event), FakeLambdaContext())  # Lambda's retry

    assert status(stack, "uploads/flaky.png") == "PROCESSED"
    assert stack.output_versions("processed/flaky.png") == 1
    assert len(stack.messages("notifications")) == 1


def test_transient_dynamodb_failure_raises_and_the_retry_completes(
    pipeline: Pipeline, stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    event = stack.put("uploads/ddb.png", images.make("PNG"))
    FaultInjector(
        Fault("PutItem", "ProvisionedThroughputExceededException", times=EXHAUSTED)
    ).install(stack.ddb)

    with pytest.raises(BatchIncomplete):
        pipeline.handle(event, lambda_context)
    assert stack.record("uploads/ddb.png") is None

    pipeline.handle(copy.deepcopy(event), FakeLambdaContext())

    assert status(stack, "uploads/ddb.png") == "PROCESSED"
    assert len(stack.messages("notifications")) == 1


def test_sns_failure_keeps_the_result_and_the_retry_only_notifies(
    pipeline: Pipeline, stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    event = stack.put("uploads/quiet.png", images.make("PNG"))
    FaultInjector(Fault("Publish", "InternalError", times=EXHAUSTED)).install(stack.sns)

    with pytest.raises(BatchIncomplete):
        pipeline.handle(event, lambda_context)
    item = stack.record("uploads/quiet.png")
    assert item["status"]["S"] == "PROCESSED"
    assert item["pending_topics"]["SS"] == ["notifications"]

    pipeline.handle(copy.deepcopy(event), FakeLambdaContext())

    assert "pending_topics" not in stack.record("uploads/quiet.png")
    assert len(stack.messages("notifications")) == 1
    assert stack.output_versions("processed/quiet.png") == 1


def test_a_live_claim_elsewhere_makes_the_duplicate_retry_later(
    pipeline: Pipeline, stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    event = stack.put("uploads/busy.png", images.make("PNG"))
    claim_elsewhere(pipeline, event, now=int(time.time()))

    with pytest.raises(BatchIncomplete) as raised:
        pipeline.handle(event, lambda_context)

    assert isinstance(raised.value.__cause__, UploadInProgress)


def test_an_expired_claim_is_taken_over(
    pipeline: Pipeline, stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    event = stack.put("uploads/dead.png", images.make("PNG"))
    claim_elsewhere(pipeline, event, now=int(time.time()) - 600)  # died 10 minutes ago

    pipeline.handle(event, lambda_context)

    assert status(stack, "uploads/dead.png") == "PROCESSED"


def test_batch_with_one_failing_record_processes_the_others(
    pipeline: Pipeline, stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    good = [stack.put(f"uploads/ok{n}.png", images.make("PNG")) for n in range(2)]
    bad = stack.put("uploads/bad.png", images.make("PNG"))
    event = {"Records": [good[0]["Records"][0], bad["Records"][0], good[1]["Records"][0]]}
    # The 2nd record's download fails on every attempt.
    FaultInjector(Fault("GetObject", "InternalError", times=EXHAUSTED, after=1)).install(stack.s3)

    with pytest.raises(BatchIncomplete, match="1 of 3"):
        pipeline.handle(event, lambda_context)

    assert status(stack, "uploads/ok0.png") == "PROCESSED"
    assert status(stack, "uploads/ok1.png") == "PROCESSED"
    assert status(stack, "uploads/bad.png") == "FAILED"


def test_too_little_time_left_fails_cleanly_before_claiming(
    pipeline: Pipeline, stack: Stack
) -> None:
    event = stack.put("uploads/late.png", images.make("PNG"))

    with pytest.raises(BatchIncomplete) as raised:
        pipeline.handle(event, FakeLambdaContext(timeout_ms=1000))

    assert isinstance(raised.value.__cause__, InsufficientTime)
    assert stack.record("uploads/late.png") is None


def test_a_malformed_record_is_not_silently_dropped(
    pipeline: Pipeline, stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    with pytest.raises(BatchIncomplete) as raised:
        pipeline.handle({"Records": [{"eventName": "ObjectCreated:Put"}]}, lambda_context)

    assert isinstance(raised.value.__cause__, MalformedEvent)


def test_logs_are_json_with_the_request_id(
    capsys: pytest.CaptureFixture[str],
    pipeline: Pipeline,
    stack: Stack,
    lambda_context: FakeLambdaContext,
) -> None:
    import json

    pipeline.handle(stack.put("uploads/log.png", images.make("PNG")), lambda_context)

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    [decided] = [line for line in lines if line["message"] == "upload decided"]
    assert decided["request_id"] == lambda_context.aws_request_id
    assert decided["object_key"] == "uploads/log.png"
    assert decided["status"] == "PROCESSED"
    assert isinstance(decided["duration_ms"], int)


@pytest.mark.parametrize(
    ("client", "operation", "after", "code", "stage"),
    [
        ("ddb", "PutItem", 0, "ProvisionedThroughputExceededException", "claim"),
        ("s3", "GetObject", 0, "InternalError", "decide"),
        ("ddb", "UpdateItem", 0, "ThrottlingException", "finish"),
        ("sns", "Publish", 0, "InternalErrorException", "announce"),
        ("ddb", "UpdateItem", 1, "ThrottlingException", "announce"),
    ],
)
def test_every_failure_is_logged_as_json_with_its_stage_and_the_request_id(
    capsys: pytest.CaptureFixture[str],
    pipeline: Pipeline,
    stack: Stack,
    lambda_context: FakeLambdaContext,
    client: str,
    operation: str,
    after: int,
    code: str,
    stage: str,
) -> None:
    import json

    event = stack.put("uploads/logged.png", images.make("PNG"))
    FaultInjector(Fault(operation, code, times=EXHAUSTED, after=after)).install(
        getattr(stack, client)
    )

    with pytest.raises(BatchIncomplete):
        pipeline.handle(event, lambda_context)

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    [failure] = [line for line in lines if line["message"].startswith("upload not completed")]
    assert failure["level"] == "ERROR"
    assert failure["request_id"] == lambda_context.aws_request_id
    assert failure["object_key"] == "uploads/logged.png"
    assert (failure["stage"], failure["error_code"]) == (stage, code)
    assert code in failure["exception"]


def test_a_failure_to_record_the_failure_is_logged_too(
    capsys: pytest.CaptureFixture[str],
    pipeline: Pipeline,
    stack: Stack,
    lambda_context: FakeLambdaContext,
) -> None:
    import json

    event = stack.put("uploads/twice.png", images.make("PNG"))
    FaultInjector(Fault("GetObject", "InternalError", times=EXHAUSTED)).install(stack.s3)
    FaultInjector(Fault("UpdateItem", "ThrottlingException", times=EXHAUSTED)).install(stack.ddb)

    with pytest.raises(BatchIncomplete) as raised:
        pipeline.handle(event, lambda_context)

    assert isinstance(raised.value.__cause__, ClientError)
    assert raised.value.__cause__.response["Error"]["Code"] == "InternalError"
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    stages = [line["stage"] for line in lines if line["message"].startswith("upload not completed")]
    assert stages == ["decide", "record_failure"]


def test_s3s_test_event_is_ignored(
    pipeline: Pipeline, stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    event = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "b", "RequestId": "1"}

    assert pipeline.handle(event, lambda_context) == {"outcomes": []}
    assert stack.records() == []


def test_an_event_of_another_shape_is_raised_so_it_reaches_the_failed_events_queue(
    pipeline: Pipeline, stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    with pytest.raises(MalformedEvent):
        pipeline.handle({"source": "aws.s3", "detail-type": "Object Created"}, lambda_context)

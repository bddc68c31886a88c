"""Errors no retry can fix end REJECTED with a reason, not FAILED and three attempts.

S3 keys are at most 1,024 bytes of UTF-8
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html); the
output key is ``processed/`` + the rest of the upload key, two bytes longer
than ``uploads/`` + the same rest. S3's error codes:
https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#ErrorCodeList
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

import images
from errors import BatchIncomplete
from faults import Fault, FaultInjector
from helpers import FakeLambdaContext
from pipeline import Pipeline

if TYPE_CHECKING:
    from integration.conftest import Stack

BUCKET = "image-processor-test-images"


def key_of(length: int, char: str = "a") -> str:
    """An upload key of exactly ``length`` UTF-8 bytes."""
    prefix, suffix = "uploads/", ".png"
    filler = length - len(prefix) - len(suffix)
    body = char * (filler // len(char.encode()))
    return prefix + body + "a" * (filler - len(body.encode())) + suffix


@pytest.mark.parametrize(("length", "char"), [(1023, "a"), (1024, "a"), (1024, "é")])
def test_an_upload_key_whose_output_key_is_too_long_is_rejected_before_download(
    pipeline: Pipeline, stack: Stack, lambda_context: FakeLambdaContext, length: int, char: str
) -> None:
    # Arrange
    key = key_of(length, char)
    assert len(key.encode()) == length
    event = stack.put(key, images.make("PNG"))
    calls = FaultInjector().install(stack.s3)

    # Act
    pipeline.handle(event, lambda_context)

    # Assert
    record = stack.record(key)
    assert (record["status"]["S"], record["reason"]["S"]) == ("REJECTED", "key_too_long")
    assert f"{length + 2} bytes" in record["reason_message"]["S"]
    assert calls.attempts["GetObject"] == calls.attempts["PutObject"] == 0
    [notice] = stack.messages("notifications")
    assert notice["attributes"]["reason"] == "key_too_long"
    assert stack.s3.list_objects_v2(Bucket=BUCKET, Prefix="processed/")["KeyCount"] == 0


def test_the_longest_upload_key_that_fits_is_processed(
    pipeline: Pipeline, stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    key = key_of(1022)

    pipeline.handle(stack.put(key, images.make("PNG")), lambda_context)

    output_key = stack.record(key)["output_key"]["S"]
    assert len(output_key.encode()) == 1024
    assert stack.output(output_key)[0].format == "PNG"


@pytest.mark.parametrize(
    ("operation", "code", "reason"),
    [
        ("PutObject", "KeyTooLongError", "key_too_long"),
        ("GetObject", "InvalidArgument", "request_refused"),
        ("GetObject", "InvalidObjectState", "request_refused"),
        ("PutObject", "MetadataTooLarge", "request_refused"),
    ],
)
def test_a_permanent_s3_error_is_a_rejection_with_its_code(
    pipeline: Pipeline,
    stack: Stack,
    lambda_context: FakeLambdaContext,
    operation: str,
    code: str,
    reason: str,
) -> None:
    # Arrange: S3 answers every attempt with the error
    event = stack.put("uploads/refused.png", images.make("PNG"))
    faults = FaultInjector(Fault(operation, code, times=99)).install(stack.s3)

    # Act: nothing raised, so Lambda does not retry
    result = pipeline.handle(event, lambda_context)

    # Assert
    record = stack.record("uploads/refused.png")
    assert (record["status"]["S"], record["reason"]["S"]) == ("REJECTED", reason)
    # The message names the call, S3's code and S3's own words (tests/faults.py's).
    assert record["reason_message"]["S"].endswith(
        f"S3 {operation} refused with {code}: injected by tests/faults.py"
    )
    assert result["outcomes"][0]["status"] == "REJECTED"
    assert faults.injected[operation] == 1  # a 4xx that is not a throttle: no SDK retry
    assert len(stack.messages("notifications")) == 1


def test_access_denied_is_failed_and_retried_because_an_operator_can_fix_it(
    pipeline: Pipeline, stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    event = stack.put("uploads/denied.png", images.make("PNG"))
    FaultInjector(Fault("GetObject", "AccessDenied", status=403, times=99)).install(stack.s3)

    with pytest.raises(BatchIncomplete):
        pipeline.handle(event, lambda_context)

    record = stack.record("uploads/denied.png")
    assert (record["status"]["S"], record["reason"]["S"]) == ("FAILED", "ClientError:AccessDenied")
    assert stack.messages("notifications") == []


def test_the_retry_after_the_fix_completes_it(
    pipeline: Pipeline, stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    event = stack.put("uploads/fixed.png", images.make("PNG"))
    FaultInjector(Fault("GetObject", "AccessDenied", status=403, times=1)).install(stack.s3)
    with pytest.raises(BatchIncomplete):
        pipeline.handle(event, lambda_context)

    pipeline.handle(event, FakeLambdaContext())

    assert stack.record("uploads/fixed.png")["status"]["S"] == "PROCESSED"

"""Faults in every AWS call the handler makes, injected inside botocore's retry loop.

One throttle or 5xx is absorbed by botocore's own retries: the upload completes
on the first delivery, as if nothing happened. When every attempt of a call
fails, the record says exactly how far the upload got, the handler raises (so
Lambda retries), and Lambda's retry completes the work exactly once: one
terminal record, one notification, and the output as if nothing had happened.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

import pytest

import images
from errors import BatchIncomplete
from faults import LOST_RESPONSE, TIMEOUT, Fault, FaultInjector
from helpers import Clock, FakeLambdaContext
from pipeline import AWS_CONFIG, Pipeline

if TYPE_CHECKING:
    from integration.conftest import Stack

#: Attempts botocore makes per call: the first plus ``max_attempts`` retries.
# botocore-stubs declare Config's options as __init__ parameters only, not as its attributes.
ATTEMPTS = AWS_CONFIG.retries["max_attempts"] + 1  # type: ignore[attr-defined]
KEY = "uploads/fault.png"

# (client, operation, good calls before the fault, error, the record after the fault)
# PutItem is the claim: without it there is no record. UpdateItem #0 writes the
# decision (so PROCESSING stays, with its lease); UpdateItem #1 marks the
# notification as sent (the decision is in, the mark is missing).
EXHAUSTED = [
    ("s3", "GetObject", 0, "InternalError", "FAILED"),
    ("s3", "GetObject", 0, TIMEOUT, "FAILED"),
    ("s3", "PutObject", 0, "SlowDown", "FAILED"),
    ("ddb", "PutItem", 0, "ProvisionedThroughputExceededException", None),
    ("ddb", "UpdateItem", 0, "ThrottlingException", "PROCESSING"),
    ("sns", "Publish", 0, "InternalErrorException", "PROCESSED"),
    ("ddb", "UpdateItem", 1, "ThrottlingException", "PROCESSED"),
]


def inject(
    stack: Stack, client: str, operation: str, after: int, error: str, times: int
) -> FaultInjector:
    return FaultInjector(Fault(operation, error, times=times, after=after)).install(
        getattr(stack, client)
    )


@pytest.mark.parametrize(
    ("client", "operation", "after", "error"),
    [row[:4] for row in EXHAUSTED] + [("ddb", "PutItem", 0, LOST_RESPONSE)],
    ids=[f"{r[1]}-after-{r[2]}-{r[3]}" for r in EXHAUSTED] + ["PutItem-lost-response"],
)
def test_one_failed_attempt_is_retried_by_botocore_and_the_upload_completes(
    pipeline: Pipeline,
    stack: Stack,
    lambda_context: FakeLambdaContext,
    client: str,
    operation: str,
    after: int,
    error: str,
) -> None:
    # Arrange
    event = stack.put(KEY, images.make("PNG", (1500, 1000)))
    faults = inject(stack, client, operation, after, error, times=1)

    # Act: one delivery, no exception
    result = pipeline.handle(event, lambda_context)

    # Assert: the fault happened inside the call, and nothing shows it
    assert faults.injected[operation] == 1
    assert faults.attempts[operation] >= 2  # the failed attempt and botocore's retry
    assert result["outcomes"][0]["status"] == "PROCESSED"
    [record] = stack.records()
    assert record["status"]["S"] == "PROCESSED"
    assert "pending_topics" not in record
    assert len(stack.messages("notifications")) == 1
    assert stack.output_versions("processed/fault.png") == 1


@pytest.mark.parametrize(
    ("client", "operation", "after", "error", "status_after_fault"),
    EXHAUSTED,
    ids=[f"{f[1]}-after-{f[2]}-{f[3]}" for f in EXHAUSTED],
)
def test_exhausted_retries_are_recorded_raised_and_lambdas_retry_completes_once(
    pipeline: Pipeline,
    stack: Stack,
    clock: Clock,
    client: str,
    operation: str,
    after: int,
    error: str,
    status_after_fault: str | None,
) -> None:
    # Arrange
    event = stack.put(KEY, images.make("PNG", (1500, 1000)))
    faults = inject(stack, client, operation, after, error, times=ATTEMPTS)

    # Act: the first delivery meets the fault on every attempt of one call
    with pytest.raises(BatchIncomplete):
        pipeline.handle(event, FakeLambdaContext())

    # Assert: the fault exhausted botocore's retries, and the record tells the truth
    assert faults.injected[operation] == ATTEMPTS
    record = stack.record(KEY)
    assert (record["status"]["S"] if record else None) == status_after_fault
    if status_after_fault == "FAILED":
        assert record["reason"]["S"] in {
            f"ClientError:{error}",
            "ConnectTimeoutError",
        }
        assert "lease_until" not in record
    if status_after_fault == "PROCESSING":
        assert int(record["lease_until"]["N"]) > 0  # taken over once the lease runs out

    # Act: Lambda retries a minute or two later (any lease has run out by then)
    clock.advance(120)
    pipeline.handle(copy.deepcopy(event), FakeLambdaContext())

    # Assert: done exactly once
    [final] = stack.records()
    assert final["status"]["S"] == "PROCESSED"
    assert "pending_topics" not in final
    assert "reason" not in final
    messages = stack.messages("notifications")
    if (operation, after) == ("UpdateItem", 1):
        # Published, then the "sent" mark failed: the retry cannot know the
        # message went out and sends it again, with the same notification_id.
        assert len(messages) == 2
        assert len({m["body"]["notification_id"] for m in messages}) == 1
    else:
        assert len(messages) == 1
    output, _ = stack.output("processed/fault.png")
    assert output.size == (1024, 683)
    assert stack.output_versions("processed/fault.png") == (
        2 if operation == "UpdateItem" and after == 0 else 1
    )

    # And a third delivery of the same event changes nothing.
    again = pipeline.handle(copy.deepcopy(event), FakeLambdaContext())
    assert again["outcomes"][0]["status"] == "DUPLICATE"
    assert stack.messages("notifications") == []


def test_a_few_percent_of_faults_in_every_call_still_end_in_one_terminal_record_each(
    pipeline: Pipeline, stack: Stack, clock: Clock
) -> None:
    """A small soak: random throttles and timeouts in every call of every client."""
    # Arrange
    events = [stack.put(f"uploads/soak/{n}.png", images.make("PNG", (300, 200))) for n in range(12)]
    faults = FaultInjector(
        Fault("*", "ThrottlingException", rate=0.05),
        Fault("*", TIMEOUT, rate=0.03),
        seed=7,
    ).install(stack.s3, stack.ddb, stack.sns)

    # Act: every event is delivered until it stops raising (Lambda's retries)
    for event in events:
        for _attempt in range(3):
            try:
                pipeline.handle(copy.deepcopy(event), FakeLambdaContext())
                break
            except BatchIncomplete:
                clock.advance(120)

    # Assert
    assert sum(faults.injected.values()) > 0
    records = stack.records()
    assert len(records) == len(events)
    assert {r["status"]["S"] for r in records} == {"PROCESSED"}
    assert all("pending_topics" not in r for r in records)
    ids = {m["body"]["notification_id"] for m in stack.messages("notifications")}
    assert len(ids) == len(events)

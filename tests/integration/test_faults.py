"""A fault injected into each AWS call the handler makes, then Lambda's retry.

For each: what the record says after the fault, that the handler raised (so
Lambda retries), and that the retry completes the work exactly once: one
terminal record, one notification, and the output's bytes as if nothing had
happened.
"""

from __future__ import annotations

import copy
import time

import pytest

import images
import storage
from helpers import FakeLambdaContext, fail_call

FAULTS = [
    # (adapter, operation, good calls before the fault, error code, status after the fault)
    ("OBJECTS", "GetObject", 0, "InternalError", "FAILED"),
    ("OBJECTS", "PutObject", 0, "SlowDown", "FAILED"),
    ("RECORDS", "PutItem", 0, "ProvisionedThroughputExceededException", None),
    ("RECORDS", "UpdateItem", 0, "ThrottlingException", "FAILED"),
    ("NOTIFIER", "Publish", 0, "InternalErrorException", "PROCESSED"),
    ("RECORDS", "UpdateItem", 1, "ThrottlingException", "PROCESSED"),  # marking the message sent
]


@pytest.mark.parametrize(
    ("adapter", "operation", "after", "code", "status_after_fault"),
    FAULTS,
    ids=[f"{f[1]}-after-{f[2]}" for f in FAULTS],
)
def test_a_fault_is_recorded_raised_and_the_retry_completes_once(
    app, stack, monkeypatch, adapter, operation, after, code, status_after_fault
):
    # Arrange
    data = images.make("PNG", (1500, 1000))
    event = stack.put("uploads/fault.png", data)
    client = getattr(app, adapter)
    client = getattr(client, {"OBJECTS": "_s3", "RECORDS": "_ddb", "NOTIFIER": "_sns"}[adapter])
    calls = fail_call(client, operation, code, after=after)

    # Act: the first delivery meets the fault
    with pytest.raises(app.BatchIncomplete):
        app.handler(event, FakeLambdaContext())

    # Assert: the fault happened and the record tells the truth
    assert calls["failed"] == 1
    record = stack.record("uploads/fault.png")
    assert (record["status"]["S"] if record else None) in {status_after_fault, "PROCESSING"}
    if status_after_fault == "FAILED" and record["status"]["S"] == "FAILED":
        assert code in record["reason"]["S"]

    # Act: Lambda retries about a minute later (any lease has run out by then)
    real_time = time.time
    monkeypatch.setattr(storage.time, "time", lambda: real_time() + 120)
    app.handler(copy.deepcopy(event), FakeLambdaContext())

    # Assert: done exactly once
    [final] = stack.records()
    assert final["status"]["S"] == "PROCESSED"
    assert "pending_topics" not in final
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

    # And a third delivery of the same event changes nothing.
    again = app.handler(copy.deepcopy(event), FakeLambdaContext())
    assert again["outcomes"][0]["status"] == "DUPLICATE"
    assert stack.messages("notifications") == []

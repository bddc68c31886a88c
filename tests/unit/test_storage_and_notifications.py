"""The pure parts of the storage and notification adapters."""

from __future__ import annotations

from decimal import Decimal

import pytest

from notifications import NOTIFICATIONS, SECURITY, build_message, topics_for
from storage import SEQUENCER_WIDTH, Status, Trigger, UploadRecord, normalize_sequencer

RECORD = UploadRecord(
    object_key="uploads/a.png",
    bucket="bucket",
    sequencer="01".ljust(SEQUENCER_WIDTH, "0"),
    request_id="req-1",
    received_at="2026-01-01T00:00:00+00:00",
    expires_at=1_800_000_000,
)


def test_sequencers_of_different_lengths_are_right_padded_as_the_s3_user_guide_says() -> None:
    # "first right pad the shorter value with zeros, and then do a lexicographical
    # comparison" (S3 User Guide, Event message structure)
    shorter, longer = normalize_sequencer("FF"), normalize_sequencer("0100")

    assert shorter == "FF" + "0" * (SEQUENCER_WIDTH - 2)
    assert longer > normalize_sequencer("00FF")
    assert shorter > longer  # left-padding would say the opposite
    assert normalize_sequencer("0055aed6dcd90281e5") == normalize_sequencer("0055AED6DCD90281E5")
    assert normalize_sequencer("0055AED6DCD90281E5") == normalize_sequencer("0055AED6DCD90281E500")


@pytest.mark.parametrize("bad", ["xyz", "12 34", "F" * 65, "", None])
def test_a_malformed_sequencer_is_refused(bad: str | None) -> None:
    with pytest.raises(ValueError, match="sequencer"):
        normalize_sequencer(bad)


def test_the_record_round_trips_through_its_dynamodb_item() -> None:
    record = RECORD.decided(
        status=Status.PROCESSED,
        trigger=Trigger.MALWARE_SCAN,
        output_width=1024,
        pending_topics=frozenset({NOTIFICATIONS}),
        reason=None,
    )

    item = record.to_item()

    assert item["status"] == {"S": "PROCESSED"}
    assert item["trigger"] == {"S": "malware_scan"}
    assert item["output_width"] == {"N": "1024"}
    assert item["pending_topics"] == {"SS": ["notifications"]}
    assert "reason" not in item  # absent, not null
    assert UploadRecord.from_item(item) == record


def test_an_empty_topic_set_is_absent_and_reads_back_empty() -> None:
    item = RECORD.to_item()

    assert "pending_topics" not in item
    assert UploadRecord.from_item(item).pending_topics == frozenset()


def test_the_decision_leaves_out_what_the_claim_wrote() -> None:
    record = RECORD.decided(status=Status.REJECTED, reason="corrupt", lease_until=5)

    assert record.decision() == {"status": "REJECTED", "reason": "corrupt"}


def test_an_unknown_attribute_from_a_newer_version_is_ignored() -> None:
    item = RECORD.to_item() | {"added_later": {"S": "x"}}

    assert UploadRecord.from_item(item) == RECORD


def test_messages_carry_public_fields_only_as_plain_json() -> None:
    record = RECORD.decided(
        status=Status.PROCESSED,
        output_width=1024,
        lease_until=1,
        pending_topics=frozenset({NOTIFICATIONS}),
        etag="abc",
    )

    message = build_message(record)

    notification_id = message.pop("notification_id")
    assert message == {
        "object_key": "uploads/a.png",
        "bucket": "bucket",
        "status": "PROCESSED",
        "output_width": 1024,
        "request_id": "req-1",
    }
    assert type(message["status"]) is str
    assert len(notification_id) == 32


def test_every_message_about_one_upload_has_the_same_id() -> None:
    newer_upload = RECORD.decided(sequencer="02".ljust(SEQUENCER_WIDTH, "0"))
    retried = RECORD.decided(request_id="req-2", status=Status.PROCESSED)

    assert build_message(RECORD)["notification_id"] == build_message(retried)["notification_id"]
    assert (
        build_message(RECORD)["notification_id"] != build_message(newer_upload)["notification_id"]
    )


def test_numbers_read_back_from_dynamodb_are_plain_ints() -> None:
    item = RECORD.to_item() | {"input_width": {"N": "3000"}}

    record = UploadRecord.from_item(item)

    assert record.input_width == 3000
    assert not isinstance(record.input_width, Decimal)


def test_suspicious_outcomes_also_go_to_security() -> None:
    assert topics_for(suspicious=False) == {NOTIFICATIONS}
    assert topics_for(suspicious=True) == {NOTIFICATIONS, SECURITY}

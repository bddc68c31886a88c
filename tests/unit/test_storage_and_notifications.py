"""The pure parts of the storage and notification adapters."""

from __future__ import annotations

from decimal import Decimal

import pytest

from notifications import NOTIFICATIONS, SECURITY, build_message, topics_for
from storage import normalize_sequencer


def test_sequencers_of_different_lengths_compare_as_aws_documents():
    # AWS: left-pad the shorter value with zeros, then compare lexicographically.
    shorter, longer = normalize_sequencer("FF"), normalize_sequencer("0100")

    assert shorter < longer
    assert normalize_sequencer("0055aed6dcd90281e5") == normalize_sequencer("55AED6DCD90281E5")


@pytest.mark.parametrize("bad", ["xyz", "12 34", "F" * 65])
def test_a_malformed_sequencer_is_refused(bad):
    with pytest.raises(ValueError, match="sequencer"):
        normalize_sequencer(bad)


def test_messages_carry_public_fields_only_as_plain_json():
    record = {
        "object_key": "uploads/a.png",
        "status": "PROCESSED",
        "output_width": Decimal(1024),
        "lease_until": Decimal(1),
        "pending_topics": {"notifications"},
        "etag": "abc",
    }

    message = build_message(record)

    notification_id = message.pop("notification_id")
    assert message == {"object_key": "uploads/a.png", "status": "PROCESSED", "output_width": 1024}
    assert type(message["output_width"]) is int
    assert len(notification_id) == 32


def test_every_message_about_one_upload_has_the_same_id():
    first = {"object_key": "uploads/a.png", "sequencer": "01", "status": "PROCESSED"}
    newer_upload = first | {"sequencer": "02"}

    assert build_message(first)["notification_id"] == build_message(dict(first))["notification_id"]
    assert build_message(first)["notification_id"] != build_message(newer_upload)["notification_id"]


def test_suspicious_outcomes_also_go_to_security():
    assert topics_for(suspicious=False) == [NOTIFICATIONS]
    assert topics_for(suspicious=True) == [NOTIFICATIONS, SECURITY]

"""The record and the message of an upload with several outputs, and what a reprocess replaced."""

from __future__ import annotations

import json

from image_processor import recipe_digest
from notifications import NOTIFICATIONS, build_message
from storage import (
    SEED_RECIPE_DIGEST,
    SEQUENCER_WIDTH,
    Status,
    Trigger,
    UploadRecord,
    _replacing,
)

SEQUENCER = "01".ljust(SEQUENCER_WIDTH, "0")
CLAIM = UploadRecord(
    object_key="uploads/a.jpg",
    bucket="bucket",
    sequencer=SEQUENCER,
    request_id="req-2",
    received_at="2026-01-01T00:00:00+00:00",
    expires_at=1_800_000_000,
    recipe_digest="0123456789abcdef",
)
OUTPUTS = (
    {"recipe": "display", "key": "processed/display/a.jpg", "format": "JPEG", "width": 1024,
     "height": 683, "bytes": 81234},
    {"recipe": "thumb", "key": "processed/thumb/a.webp", "format": "WEBP", "width": 200,
     "height": 133, "bytes": 6000},
)  # fmt: skip


def test_the_seeds_digest_is_the_one_the_store_assumes_for_old_records() -> None:
    assert recipe_digest(None) == SEED_RECIPE_DIGEST


def test_outputs_round_trip_through_the_dynamodb_item_as_plain_ints() -> None:
    record = CLAIM.decided(status=Status.PROCESSED, outputs=OUTPUTS, replaced_outputs=("x",))

    item = record.to_item()

    assert item["outputs"]["L"][1]["M"]["width"] == {"N": "200"}
    assert item["replaced_outputs"] == {"L": [{"S": "x"}]}
    back = UploadRecord.from_item(item)
    assert back == record
    assert type(back.outputs[0]["bytes"]) is int


def test_no_outputs_is_absent_from_the_item_and_the_message() -> None:
    assert "outputs" not in CLAIM.to_item()
    assert "outputs" not in build_message(CLAIM)
    assert "replaced_outputs" not in build_message(CLAIM)


def test_the_message_lists_every_output_as_json() -> None:
    record = CLAIM.decided(status=Status.PROCESSED, outputs=OUTPUTS, pending_topics={NOTIFICATIONS})

    message = json.loads(json.dumps(build_message(record)))

    assert message["outputs"] == [dict(o) for o in OUTPUTS]
    assert message["recipe_digest"] == "0123456789abcdef"


def test_a_reprocess_names_the_outputs_of_the_earlier_set() -> None:
    earlier = CLAIM.decided(
        request_id="req-1", status=Status.PROCESSED, recipe_digest="ffffffffffffffff",
        outputs=OUTPUTS, output_key="processed/display/a.jpg",
    )  # fmt: skip

    claimed = _replacing(CLAIM, earlier)

    assert claimed.replaced_outputs == ("processed/display/a.jpg", "processed/thumb/a.webp")
    assert claimed.previous_recipe_digest == "ffffffffffffffff"


def test_a_record_from_before_digests_replaces_its_one_output_under_the_seeds_digest() -> None:
    earlier = CLAIM.decided(
        request_id="req-1", status=Status.PROCESSED, recipe_digest=None,
        output_key="processed/a.jpg", trigger=Trigger.MALWARE_SCAN,
    )  # fmt: skip

    claimed = _replacing(CLAIM, earlier)

    assert claimed.replaced_outputs == ("processed/a.jpg",)
    assert claimed.previous_recipe_digest == SEED_RECIPE_DIGEST


def test_a_retry_of_a_reprocess_keeps_what_the_first_attempt_found() -> None:
    failed = CLAIM.decided(
        request_id="req-1", status=Status.FAILED,
        replaced_outputs=("processed/a.jpg",), previous_recipe_digest=SEED_RECIPE_DIGEST,
    )  # fmt: skip

    claimed = _replacing(CLAIM, failed)

    assert claimed.replaced_outputs == ("processed/a.jpg",)
    assert claimed.previous_recipe_digest == SEED_RECIPE_DIGEST


def test_nothing_is_replaced_by_a_new_upload_or_after_a_rejection() -> None:
    newer = CLAIM.decided(sequencer="02".ljust(SEQUENCER_WIDTH, "0"))
    older = CLAIM.decided(request_id="req-1", status=Status.PROCESSED, outputs=OUTPUTS,
                          recipe_digest="ffffffffffffffff")  # fmt: skip
    rejected = CLAIM.decided(request_id="req-1", status=Status.REJECTED, recipe_digest="ff")

    assert _replacing(newer, older).replaced_outputs == ()
    assert _replacing(CLAIM, rejected).replaced_outputs == ()

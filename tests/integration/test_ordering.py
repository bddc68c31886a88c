"""Event order by S3's ``sequencer``, compared the way the S3 User Guide says.

"The sequencers can be of different lengths. To compare these values, first
right pad the shorter value with zeros, and then do a lexicographical
comparison."
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html)

``FF`` and ``0100`` are ordered differently by right-padding (``FF00`` >
``0100``: FF is later) and by left-padding (``00FF`` < ``0100``), so these
tests fail if the code pads on the wrong side.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

import images
from helpers import FakeLambdaContext
from pipeline import Pipeline

if TYPE_CHECKING:
    from integration.conftest import Stack

KEY = "uploads/order.png"


def two_uploads(stack: Stack) -> tuple[dict[str, Any], dict[str, Any]]:
    earlier = stack.put(KEY, images.make("PNG", (300, 200)))
    later = stack.put(KEY, images.make("PNG", (600, 400)))
    earlier["Records"][0]["s3"]["object"]["sequencer"] = "0100"
    later["Records"][0]["s3"]["object"]["sequencer"] = "FF"
    return earlier, later


def test_the_later_upload_wins_when_its_shorter_sequencer_arrives_first(
    pipeline: Pipeline, stack: Stack
) -> None:
    earlier, later = two_uploads(stack)
    pipeline.handle(later, FakeLambdaContext())

    result = pipeline.handle(earlier, FakeLambdaContext())

    assert result["outcomes"][0]["status"] == "DUPLICATE"
    assert stack.output("processed/order.png")[0].size == (600, 400)
    record = stack.record(KEY)
    assert record["version_id"]["S"] == later["Records"][0]["s3"]["object"]["versionId"]
    assert record["sequencer"]["S"] == "FF".ljust(64, "0")


def test_the_later_upload_replaces_the_earlier_one_in_order(
    pipeline: Pipeline, stack: Stack
) -> None:
    earlier, later = two_uploads(stack)
    pipeline.handle(earlier, FakeLambdaContext())

    result = pipeline.handle(later, FakeLambdaContext())

    assert result["outcomes"][0]["status"] == "PROCESSED"
    assert stack.output("processed/order.png")[0].size == (600, 400)
    assert len(stack.messages("notifications")) == 2


def test_trailing_zeros_do_not_make_a_different_upload(pipeline: Pipeline, stack: Stack) -> None:
    event = stack.put(KEY, images.make("PNG"))
    event["Records"][0]["s3"]["object"]["sequencer"] = "0055AED6DCD90281E5"
    pipeline.handle(event, FakeLambdaContext())
    padded = copy.deepcopy(event)
    padded["Records"][0]["s3"]["object"]["sequencer"] = "0055AED6DCD90281E500"

    result = pipeline.handle(padded, FakeLambdaContext())

    assert result["outcomes"][0]["status"] == "DUPLICATE"

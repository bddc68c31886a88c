"""Recipes end to end against moto: several outputs per upload, one record, one message.

The recipe set reaches the function as Terraform passes it (``RECIPES``, the
JSON of ``var.recipes``), and the claim's idempotency knows which set decided.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import ClientError

import images
from errors import BatchIncomplete
from faults import Fault, FaultInjector
from helpers import FakeLambdaContext
from pipeline import Pipeline
from storage import SEED_RECIPE_DIGEST

if TYPE_CHECKING:
    from integration.conftest import Stack

#: 4 attempts per call: botocore's standard mode with the function's configuration.
EXHAUSTED = 4

THREE = [
    {"name": "display", "max_edge": 1024, "format": "jpeg", "quality": 85},
    {"name": "thumb", "max_edge": 200, "format": "webp"},
    {"name": "modern", "max_edge": 1024, "format": "avif"},
]
TWO = [
    {"name": "display", "max_edge": 800, "format": "jpeg"},
    {"name": "mono", "width": 300, "height": 100, "grayscale": True, "format": "png"},
]


def recipes_env(recipes: list[dict[str, Any]]) -> dict[str, str]:
    return {"RECIPES": json.dumps(recipes)}


def test_three_recipes_write_three_outputs_one_record_and_one_message(
    make_pipeline: Callable[..., Pipeline], stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    pipeline = make_pipeline(**recipes_env(THREE))
    event = stack.put("uploads/2026/photo.jpg", images.make("JPEG", (3000, 2000)))

    pipeline.handle(event, lambda_context)

    expected = {
        "processed/display/2026/photo.jpg": ("JPEG", (1024, 683), "image/jpeg"),
        "processed/thumb/2026/photo.webp": ("WEBP", (200, 133), "image/webp"),
        "processed/modern/2026/photo.avif": ("AVIF", (1024, 683), "image/avif"),
    }
    for key, (fmt, size, content_type) in expected.items():
        output, response = stack.output(key)
        assert (output.format, output.size) == (fmt, size), key
        assert response["ContentType"] == content_type
        assert response["Metadata"]["recipe-digest"] == pipeline.settings.recipe_digest
    item = stack.record("uploads/2026/photo.jpg")
    assert item["status"]["S"] == "PROCESSED"
    assert item["recipe_digest"]["S"] == pipeline.settings.recipe_digest
    outputs = [{k: next(iter(v.values())) for k, v in o["M"].items()} for o in item["outputs"]["L"]]
    assert [(o["recipe"], o["key"], o["format"]) for o in outputs] == [
        ("display", "processed/display/2026/photo.jpg", "JPEG"),
        ("thumb", "processed/thumb/2026/photo.webp", "WEBP"),
        ("modern", "processed/modern/2026/photo.avif", "AVIF"),
    ]
    for recorded in outputs:
        _, response = stack.output(recorded["key"])
        assert int(recorded["bytes"]) == response["ContentLength"]
    [message] = stack.messages("notifications")
    assert [o["key"] for o in message["body"]["outputs"]] == list(expected)
    assert message["body"]["outputs"][1] == {
        "recipe": "thumb",
        "key": "processed/thumb/2026/photo.webp",
        "format": "WEBP",
        "width": 200,
        "height": 133,
        "bytes": int(outputs[1]["bytes"]),
    }
    assert message["body"]["recipe_digest"] == pipeline.settings.recipe_digest
    assert message["attributes"]["operation"] == "recipes"


def test_the_default_records_its_one_output_and_the_seeds_digest(
    pipeline: Pipeline, stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    pipeline.handle(stack.put("uploads/a_thumb.png", images.make("PNG")), lambda_context)

    item = stack.record("uploads/a_thumb.png")
    assert item["recipe_digest"]["S"] == SEED_RECIPE_DIGEST == pipeline.settings.recipe_digest
    [output] = item["outputs"]["L"]
    assert output["M"]["key"]["S"] == item["output_key"]["S"] == "processed/a_thumb.png"
    assert output["M"]["recipe"]["S"] == "thumbnail"


def test_a_duplicate_event_under_the_same_recipes_changes_nothing(
    make_pipeline: Callable[..., Pipeline], stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    pipeline = make_pipeline(**recipes_env(THREE))
    event = stack.put("uploads/dup.jpg", images.make("JPEG"))
    pipeline.handle(event, lambda_context)
    stack.messages("notifications")

    result = pipeline.handle(copy.deepcopy(event), FakeLambdaContext())

    assert result["outcomes"][0]["status"] == "DUPLICATE"
    assert stack.output_versions("processed/thumb/dup.webp") == 1
    assert stack.messages("notifications") == []


def test_changed_recipes_reprocess_the_same_upload_and_say_what_they_replaced(
    make_pipeline: Callable[..., Pipeline], stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    # Arrange: decided under the seed's rule, then the recipes change (a backfill
    # builds the same upload again, with the record's sequencer).
    event = stack.put("uploads/old.jpg", images.make("JPEG", (2000, 1000)))
    make_pipeline().handle(event, lambda_context)
    stack.messages("notifications")
    changed = make_pipeline(**recipes_env(TWO))

    # Act
    result = changed.handle(copy.deepcopy(event), FakeLambdaContext())

    # Assert
    assert result["outcomes"][0]["status"] == "PROCESSED"
    item = stack.record("uploads/old.jpg")
    assert item["recipe_digest"]["S"] == changed.settings.recipe_digest != SEED_RECIPE_DIGEST
    assert item["previous_recipe_digest"]["S"] == SEED_RECIPE_DIGEST
    assert [k["S"] for k in item["replaced_outputs"]["L"]] == ["processed/old.jpg"]
    mono, _ = stack.output("processed/mono/old.png")
    assert (mono.format, mono.mode, mono.size) == ("PNG", "L", (200, 100))
    assert stack.output("processed/display/old.jpg")[0].size == (800, 400)
    [message] = stack.messages("notifications")
    assert message["body"]["replaced_outputs"] == ["processed/old.jpg"]

    # ...and the same event again under the new recipes is a duplicate.
    again = changed.handle(copy.deepcopy(event), FakeLambdaContext())
    assert again["outcomes"][0]["status"] == "DUPLICATE"


def test_a_record_written_before_records_had_a_digest_counts_as_the_seeds(
    make_pipeline: Callable[..., Pipeline], stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    event = stack.put("uploads/legacy.png", images.make("PNG"))
    pipeline = make_pipeline()
    pipeline.handle(event, lambda_context)
    stack.ddb.update_item(  # as the previous release wrote it
        TableName="image-processor-test-uploads",
        Key={"object_key": {"S": "uploads/legacy.png"}},
        UpdateExpression="REMOVE recipe_digest, outputs",
    )

    same = pipeline.handle(copy.deepcopy(event), FakeLambdaContext())
    changed = make_pipeline(**recipes_env(TWO)).handle(copy.deepcopy(event), FakeLambdaContext())

    assert same["outcomes"][0]["status"] == "DUPLICATE"
    assert changed["outcomes"][0]["status"] == "PROCESSED"
    item = stack.record("uploads/legacy.png")
    assert [k["S"] for k in item["replaced_outputs"]["L"]] == ["processed/legacy.png"]


def test_two_of_three_outputs_written_is_failed_and_the_retry_adds_no_objects(
    make_pipeline: Callable[..., Pipeline], stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    # Arrange: the third PutObject fails past botocore's retries.
    pipeline = make_pipeline(**recipes_env(THREE))
    event = stack.put("uploads/partial.jpg", images.make("JPEG", (1600, 1200)))
    FaultInjector(Fault("PutObject", "SlowDown", times=EXHAUSTED, after=2)).install(stack.s3)

    # Act
    with pytest.raises(BatchIncomplete) as raised:
        pipeline.handle(event, lambda_context)

    # Assert: never PROCESSED, nothing announced
    assert isinstance(raised.value.__cause__, ClientError)
    item = stack.record("uploads/partial.jpg")
    assert item["status"]["S"] == "FAILED"
    assert "outputs" not in item
    assert stack.messages("notifications") == []
    assert stack.output_versions("processed/modern/partial.avif") == 0

    # Act: Lambda's retry
    pipeline.handle(copy.deepcopy(event), FakeLambdaContext())

    # Assert: every output once more under its own key; no other object
    assert stack.record("uploads/partial.jpg")["status"]["S"] == "PROCESSED"
    listed = stack.s3.list_objects_v2(Bucket="image-processor-test-images", Prefix="processed/")
    assert sorted(o["Key"] for o in listed["Contents"]) == [
        "processed/display/partial.jpg",
        "processed/modern/partial.avif",
        "processed/thumb/partial.webp",
    ]
    assert stack.output_versions("processed/modern/partial.avif") == 1
    assert len(stack.messages("notifications")) == 1


def test_an_output_key_over_s3s_limit_rejects_before_anything_is_written(
    make_pipeline: Callable[..., Pipeline], stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    recipes = [{"name": "a", "max_edge": 100, "key": "{recipe}/" + "x" * 600 + "/{path}.{ext}"}]
    pipeline = make_pipeline(**recipes_env(recipes))
    event = stack.put("uploads/" + "y" * 420 + ".png", images.make("PNG"))

    pipeline.handle(event, lambda_context)

    item = stack.record("uploads/" + "y" * 420 + ".png")
    assert (item["status"]["S"], item["reason"]["S"]) == ("REJECTED", "key_too_long")
    assert "Contents" not in stack.s3.list_objects_v2(
        Bucket="image-processor-test-images", Prefix="processed/"
    )


# --------------------------------------------------------------------------
# HEIC input, switched on and off
# --------------------------------------------------------------------------


def test_a_phones_heic_is_processed_upright_without_metadata_when_switched_on(
    make_pipeline: Callable[..., Pipeline], stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    pipeline = make_pipeline(HEIC_INPUT="on")
    data = images.heic(images.gradient((1200, 1600)), orientation=6, gps=True)
    event = stack.put("uploads/IMG_0001.HEIC", data)

    pipeline.handle(event, lambda_context)

    output, response = stack.output("processed/IMG_0001.jpg")
    assert (output.format, output.size, response["ContentType"]) == (
        "JPEG",
        (768, 1024),
        "image/jpeg",
    )
    assert images.is_upright(output)
    assert not output.getexif()
    item = stack.record("uploads/IMG_0001.HEIC")
    assert (item["input_format"]["S"], item["output_format"]["S"]) == ("HEIF", "JPEG")


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("uploads/IMG_0002.HEIC", "unsupported_extension"),
        ("uploads/IMG_0002.jpg", "unsupported_type"),
    ],
)
def test_heic_switched_off_is_rejected_exactly_as_before(
    pipeline: Pipeline, stack: Stack, lambda_context: FakeLambdaContext, key: str, reason: str
) -> None:
    data = images.heic(images.gradient((120, 160)))

    pipeline.handle(stack.put(key, data), lambda_context)

    item = stack.record(key)
    assert (item["status"]["S"], item["reason"]["S"]) == ("REJECTED", reason)

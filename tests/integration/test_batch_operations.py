"""S3 Batch Operations' invocation (a reprocessing job's tasks) against moto."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

import images
from errors import MalformedEvent
from faults import Fault, FaultInjector
from helpers import Clock, FakeLambdaContext, batch_invocation, sqs_batch
from notifications import build_message
from pipeline import Pipeline
from storage import REPROCESS_FLOOR_SEQUENCER, SEED_RECIPE_DIGEST, Claim, UploadRecord

if TYPE_CHECKING:
    from integration.conftest import Stack

#: Attempts botocore makes per call with the function's configuration (1 + 3 retries).
EXHAUSTED = 4
BUCKET = "image-processor-test-images"
ATTEMPTS = itertools.count()
NEW_RECIPES = '[{"name": "web", "max_edge": 800}]'


def results(response: dict[str, Any]) -> list[tuple[str, str]]:
    return [(r["resultCode"], r["resultString"]) for r in response["results"]]


def stored(stack: Stack, key: str) -> UploadRecord:
    return UploadRecord.from_item(stack.record(key))


@pytest.fixture
def reprocessor(make_pipeline: Callable[..., Pipeline]) -> Pipeline:
    """The pipeline after the recipe set changed (another RECIPES, another digest)."""
    return make_pipeline(RECIPES=NEW_RECIPES)


def test_the_response_echoes_the_invocation_and_answers_every_task(
    pipeline: Pipeline, stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    stack.put("uploads/a.png", images.make("PNG"))
    event = batch_invocation(BUCKET, "uploads/a.png", "outside.png", invocation_id="inv-1")

    response = pipeline.handle(event, lambda_context)

    assert set(response) == {
        "invocationSchemaVersion",
        "treatMissingKeysAs",
        "invocationId",
        "results",
    }
    assert response["invocationSchemaVersion"] == "2.0"
    assert response["invocationId"] == "inv-1"
    assert response["treatMissingKeysAs"] == "PermanentFailure"
    assert [r["taskId"] for r in response["results"]] == ["task-0", "task-1"]


@pytest.mark.parametrize("schema", ["1.0", "2.0"])
def test_an_image_never_processed_is_processed_and_recorded(
    pipeline: Pipeline, stack: Stack, lambda_context: FakeLambdaContext, schema: str
) -> None:
    stack.put("uploads/old photo+1.png", images.make("PNG", (2000, 1000)))

    response = pipeline.handle(
        batch_invocation(BUCKET, "uploads/old photo+1.png", schema=schema), lambda_context
    )

    assert results(response) == [
        (
            "Succeeded",
            f"PROCESSED: wrote processed/old photo+1.png under recipe set {SEED_RECIPE_DIGEST}",
        )
    ]
    output, _ = stack.output("processed/old photo+1.png")
    assert output.size == (1024, 512)
    record = stored(stack, "uploads/old photo+1.png")
    assert record.status == "PROCESSED"
    assert record.recipe_digest == SEED_RECIPE_DIGEST
    assert record.sequencer == REPROCESS_FLOOR_SEQUENCER


def test_the_same_recipe_set_again_is_a_no_op(
    pipeline: Pipeline, stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    event = stack.put("uploads/a.png", images.make("PNG"))
    pipeline.handle(event, lambda_context)  # the upload's own S3 event
    before = stack.record("uploads/a.png")

    response = pipeline.handle(batch_invocation(BUCKET, "uploads/a.png"), lambda_context)

    assert results(response) == [
        ("Succeeded", f"unchanged: already PROCESSED under recipe set {SEED_RECIPE_DIGEST}")
    ]
    assert stack.record("uploads/a.png") == before
    assert stack.output_versions("processed/a.png") == 1


def test_a_new_recipe_set_reprocesses_and_keeps_the_uploads_sequencer(
    pipeline: Pipeline, reprocessor: Pipeline, stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    event = stack.put("uploads/a.png", images.make("PNG"))
    pipeline.handle(event, lambda_context)
    first = stored(stack, "uploads/a.png")
    stack.messages("notifications")  # drain the first announcement

    response = reprocessor.handle(batch_invocation(BUCKET, "uploads/a.png"), FakeLambdaContext())

    assert results(response)[0][0] == "Succeeded"
    # The new recipe set ("web", the default key template) writes its own key.
    assert results(response)[0][1].startswith("PROCESSED: wrote processed/web/a.png")
    record = stored(stack, "uploads/a.png")
    assert record.recipe_digest == reprocessor.settings.recipe_digest != first.recipe_digest
    assert record.sequencer == first.sequencer
    assert record.version_id == first.version_id
    assert record.request_id != first.request_id
    assert list(record.replaced_outputs) == ["processed/a.png"]  # says what it replaced
    assert stack.output_versions("processed/web/a.png") == 1
    assert stack.output_versions("processed/a.png") == 1  # the old output is left to expire
    # Subscribers drop repeats by notification_id: the reprocess is news.
    [message] = stack.messages("notifications")
    assert message["body"]["notification_id"] != build_message(first)["notification_id"]

    again = reprocessor.handle(batch_invocation(BUCKET, "uploads/a.png"), lambda_context)

    assert results(again)[0][1].startswith("unchanged: already PROCESSED")
    assert stack.output_versions("processed/web/a.png") == 1


def test_a_reprocess_processes_the_recorded_version_not_a_newer_unannounced_one(
    pipeline: Pipeline, reprocessor: Pipeline, stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    event = stack.put("uploads/a.png", images.make("PNG", (400, 400)))
    pipeline.handle(event, lambda_context)
    recorded = stored(stack, "uploads/a.png").version_id
    # A newer upload whose event has not arrived yet.
    stack.s3.put_object(Bucket=BUCKET, Key="uploads/a.png", Body=images.make("PNG", (300, 300)))

    reprocessor.handle(batch_invocation(BUCKET, "uploads/a.png"), lambda_context)

    output, response = stack.output("processed/a.png")
    assert output.size == (400, 400)
    assert response["Metadata"]["source-version-id"] == recorded


def test_a_later_upload_still_wins_over_a_reprocess(
    pipeline: Pipeline, reprocessor: Pipeline, stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    stack.put("uploads/a.png", images.make("PNG", (400, 400)))
    reprocessor.handle(batch_invocation(BUCKET, "uploads/a.png"), lambda_context)
    assert stored(stack, "uploads/a.png").sequencer == REPROCESS_FLOOR_SEQUENCER

    newer = stack.put("uploads/a.png", images.make("PNG", (300, 300)))
    result = reprocessor.handle(newer, lambda_context)

    assert result["outcomes"][0]["status"] == "PROCESSED"
    output, _ = stack.output("processed/web/a.png")  # the reprocessor runs the "web" recipe
    assert output.size == (300, 300)


def test_a_rejected_upload_under_a_new_recipe_set_is_decided_again(
    pipeline: Pipeline, reprocessor: Pipeline, stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    pipeline.handle(stack.put("uploads/notes.png", b"not an image"), lambda_context)

    response = reprocessor.handle(batch_invocation(BUCKET, "uploads/notes.png"), lambda_context)

    assert results(response) == [("Succeeded", "REJECTED unsupported_type")]
    assert stored(stack, "uploads/notes.png").recipe_digest == reprocessor.settings.recipe_digest


def test_a_key_outside_the_input_prefix_is_a_permanent_failure(
    pipeline: Pipeline, stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    stack.s3.put_object(Bucket=BUCKET, Key="processed/a.png", Body=images.make("PNG"))

    response = pipeline.handle(batch_invocation(BUCKET, "processed/a.png"), lambda_context)

    assert results(response) == [("PermanentFailure", "not reprocessed: key is outside uploads/")]
    assert stack.record("processed/a.png") is None


def test_a_missing_object_is_a_permanent_failure_with_its_record(
    pipeline: Pipeline, stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    response = pipeline.handle(batch_invocation(BUCKET, "uploads/gone.png"), lambda_context)

    assert results(response) == [
        (
            "PermanentFailure",
            f"REJECTED object_missing: s3://{BUCKET}/uploads/gone.png is gone",
        )
    ]
    assert stored(stack, "uploads/gone.png").reason == "object_missing"


def test_a_failure_a_retry_can_fix_is_temporary_and_only_that_task(
    pipeline: Pipeline, stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    for n in range(2):
        stack.put(f"uploads/t{n}.png", images.make("PNG"))
    # The first task's download fails on every attempt botocore makes.
    FaultInjector(Fault("GetObject", "InternalError", times=EXHAUSTED)).install(stack.s3)

    response = pipeline.handle(
        batch_invocation(BUCKET, "uploads/t0.png", "uploads/t1.png"), lambda_context
    )

    [(code0, message0), (code1, _)] = results(response)
    assert code0 == "TemporaryFailure"
    assert "InternalError" in message0
    assert code1 == "Succeeded"
    assert stored(stack, "uploads/t0.png").status == "FAILED"

    redriven = pipeline.handle(batch_invocation(BUCKET, "uploads/t0.png"), lambda_context)

    assert results(redriven)[0][0] == "Succeeded"
    assert stored(stack, "uploads/t0.png").status == "PROCESSED"


def test_a_task_being_processed_elsewhere_is_redriven(
    pipeline: Pipeline,
    reprocessor: Pipeline,
    stack: Stack,
    lambda_context: FakeLambdaContext,
    clock: Clock,
) -> None:
    event = stack.put("uploads/a.png", images.make("PNG"))
    pipeline.handle(event, lambda_context)
    upload_record = stored(stack, "uploads/a.png")
    # Another invocation holds a live claim under the new recipe set.
    reprocessor.records.claim_reprocess(
        upload_record.decided(request_id="elsewhere", recipe_digest="other"),
        lease_seconds=300,
        now=int(clock.now()),
    )

    response = reprocessor.handle(batch_invocation(BUCKET, "uploads/a.png"), lambda_context)

    assert results(response)[0][0] == "TemporaryFailure"


def test_a_malformed_task_fails_alone(
    pipeline: Pipeline, stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    stack.put("uploads/a.png", images.make("PNG"))
    event = batch_invocation(BUCKET, "uploads/b.png", "uploads/a.png")
    del event["tasks"][0]["s3Key"]

    response = pipeline.handle(event, lambda_context)

    [(code0, message0), (code1, _)] = results(response)
    assert (code0, code1) == ("PermanentFailure", "Succeeded")
    assert "task-0" in message0


def test_a_reprocess_does_not_disturb_the_queue_path(
    pipeline: Pipeline, reprocessor: Pipeline, stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    event = stack.put("uploads/a.png", images.make("PNG"))
    pipeline.handle(sqs_batch(event), lambda_context)
    reprocessor.handle(batch_invocation(BUCKET, "uploads/a.png"), lambda_context)

    # A late redelivery of the upload's own event changes nothing.
    result = reprocessor.handle(sqs_batch(event), lambda_context)

    assert result["batchItemFailures"] == []
    assert stack.output_versions("processed/a.png") == 1
    assert stack.output_versions("processed/web/a.png") == 1


# --------------------------------------------------------------------------
# The reprocess claim itself (what guards a race between plan and claim)
# --------------------------------------------------------------------------


def decided(
    pipeline: Pipeline, stack: Stack, lambda_context: FakeLambdaContext, key: str = "uploads/a.png"
) -> UploadRecord:
    pipeline.handle(stack.put(key, images.make("PNG")), lambda_context)
    return stored(stack, key)


def reclaim(pipeline: Pipeline, record: UploadRecord, clock: Clock, **changes: Any) -> Claim:
    attempt = record.decided(request_id=f"reprocess-{next(ATTEMPTS)}", **changes)
    return pipeline.records.claim_reprocess(attempt, lease_seconds=60, now=int(clock.now()))


def test_the_claim_refuses_the_same_recipe_set(
    pipeline: Pipeline, stack: Stack, lambda_context: FakeLambdaContext, clock: Clock
) -> None:
    record = decided(pipeline, stack, lambda_context)

    assert reclaim(pipeline, record, clock).outcome == "duplicate"


def test_the_claim_takes_another_recipe_set(
    pipeline: Pipeline, stack: Stack, lambda_context: FakeLambdaContext, clock: Clock
) -> None:
    record = decided(pipeline, stack, lambda_context)

    claim = reclaim(pipeline, record, clock, recipe_digest="another")

    assert claim.outcome == "claimed"
    assert stored(stack, "uploads/a.png").sequencer == record.sequencer


def test_the_claim_refuses_when_a_newer_upload_took_the_record(
    pipeline: Pipeline, stack: Stack, lambda_context: FakeLambdaContext, clock: Clock
) -> None:
    record = decided(pipeline, stack, lambda_context)
    pipeline.handle(stack.put("uploads/a.png", images.make("PNG")), FakeLambdaContext())

    claim = reclaim(pipeline, record, clock, recipe_digest="another")

    assert claim.outcome == "duplicate"
    assert claim.record.sequencer > record.sequencer


def test_a_record_without_digest_is_the_seed_rules_to_the_claim(
    pipeline: Pipeline, stack: Stack, lambda_context: FakeLambdaContext, clock: Clock
) -> None:
    record = decided(pipeline, stack, lambda_context)
    stack.ddb.update_item(
        TableName="image-processor-test-uploads",
        Key={"object_key": {"S": "uploads/a.png"}},
        UpdateExpression="REMOVE recipe_digest",
    )

    assert reclaim(pipeline, record, clock).outcome == "duplicate"
    assert reclaim(pipeline, record, clock, recipe_digest="another").outcome == "claimed"


def test_the_claim_takes_a_failed_record_or_an_expired_lease_but_not_a_live_one(
    pipeline: Pipeline, stack: Stack, lambda_context: FakeLambdaContext, clock: Clock
) -> None:
    record = decided(pipeline, stack, lambda_context)
    live = reclaim(pipeline, record, clock, recipe_digest="another")

    assert reclaim(pipeline, record, clock, recipe_digest="third").outcome == "in_progress"
    clock.advance(120)
    assert reclaim(pipeline, live.record, clock, recipe_digest="another").outcome == "claimed"


def test_an_invocation_without_its_ids_cannot_be_answered_and_raises(
    pipeline: Pipeline, lambda_context: FakeLambdaContext
) -> None:
    event = batch_invocation(BUCKET, "uploads/a.png")
    del event["invocationId"]

    with pytest.raises(MalformedEvent):
        pipeline.handle(event, lambda_context)


def test_a_batch_operations_request_inside_a_queue_message_is_refused(
    pipeline: Pipeline, stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    stack.put("uploads/a.png", images.make("PNG"))

    result = pipeline.handle(sqs_batch(batch_invocation(BUCKET, "uploads/a.png")), lambda_context)

    assert result["batchItemFailures"] == [{"itemIdentifier": "msg-0"}]
    assert stack.record("uploads/a.png") is None

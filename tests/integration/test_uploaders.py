"""Who uploaded, and for which tenant: the record and the notification (issue 20, item 4).

S3's event names the principal that caused it (``userIdentity.principalId``,
https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html);
with UPLOADER_ISOLATION=on (enable_uploader_isolation) the key's first segment
below uploads/ is the tenant, the only prefix the bucket's policy lets that
tenant write. Events that carry no principal (a GuardDuty scan result, a
reprocess of an object with no record, a malformed identity) record what is
known and never stop the decision.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

import images
from helpers import FakeLambdaContext, batch_invocation, scan_result_event
from pipeline import Pipeline
from storage import SEED_RECIPE_DIGEST, UploadRecord

if TYPE_CHECKING:
    from integration.conftest import Stack

BUCKET = "image-processor-test-images"
PRINCIPAL = "AWS:AIDAEXAMPLE"  # tests/fixtures/events/s3_object_created.json


@pytest.fixture
def isolated(make_pipeline: Callable[..., Pipeline]) -> Pipeline:
    return make_pipeline(UPLOADER_ISOLATION="on")


def stored(stack: Stack, key: str) -> UploadRecord:
    return UploadRecord.from_item(stack.record(key))


def test_the_record_and_the_notification_name_the_uploader_and_the_tenant(
    isolated: Pipeline, stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    event = stack.put("uploads/acme/2026/holiday.jpg", images.make("JPEG"))

    isolated.handle(event, lambda_context)

    item = stack.record("uploads/acme/2026/holiday.jpg")
    assert item["status"]["S"] == "PROCESSED"
    assert item["uploaded_by"]["S"] == PRINCIPAL
    assert item["tenant"]["S"] == "acme"
    [message] = stack.messages("notifications")
    assert message["body"]["uploaded_by"] == PRINCIPAL
    assert message["body"]["tenant"] == "acme"


def test_the_decision_log_names_them(
    capsys: pytest.CaptureFixture[str],
    isolated: Pipeline,
    stack: Stack,
    lambda_context: FakeLambdaContext,
) -> None:
    isolated.handle(stack.put("uploads/acme/logged.png", images.make("PNG")), lambda_context)

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    [decided] = [line for line in lines if line["message"] == "upload decided"]
    assert (decided["uploaded_by"], decided["tenant"]) == (PRINCIPAL, "acme")


def test_a_rejection_names_them_too(
    isolated: Pipeline, stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    event = stack.put("uploads/globex/not-an-image.png", b"plain text, not a PNG")

    isolated.handle(event, lambda_context)

    record = stored(stack, "uploads/globex/not-an-image.png")
    assert record.status == "REJECTED"
    assert (record.uploaded_by, record.tenant) == (PRINCIPAL, "globex")
    [notice] = stack.messages("notifications")
    assert (notice["body"]["uploaded_by"], notice["body"]["tenant"]) == (PRINCIPAL, "globex")


def test_without_isolation_the_uploader_is_recorded_and_no_tenant(
    pipeline: Pipeline, stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    pipeline.handle(stack.put("uploads/acme/a.png", images.make("PNG")), lambda_context)

    item = stack.record("uploads/acme/a.png")
    assert item["uploaded_by"]["S"] == PRINCIPAL
    assert "tenant" not in item
    [message] = stack.messages("notifications")
    assert "tenant" not in message["body"]


@pytest.mark.parametrize(
    ("key", "tenant"),
    [
        ("uploads/a.png", None),  # no segment: written before isolation, or by nobody now
        ("uploads//a.png", None),  # an empty tenant, which the bucket policy refuses
        ("uploads/acme/../globex/a.png", "acme"),  # keys are literal: this is acme's
    ],
)  # fmt: skip
def test_the_tenant_is_the_first_segment_as_written(
    isolated: Pipeline,
    stack: Stack,
    lambda_context: FakeLambdaContext,
    key: str,
    tenant: str | None,
) -> None:
    isolated.handle(stack.put(key, images.make("PNG")), lambda_context)

    assert stored(stack, key).tenant == tenant
    assert stored(stack, key).status == "PROCESSED"


@pytest.mark.parametrize(
    "identity",
    [None, {}, {"principalId": ""}, {"principalId": 42}, "AWS:not-a-map"],
    ids=["missing", "empty", "empty id", "not a string", "not an object"],
)
def test_an_event_without_a_readable_principal_is_still_decided(
    isolated: Pipeline, stack: Stack, lambda_context: FakeLambdaContext, identity: object
) -> None:
    event = stack.put("uploads/acme/b.png", images.make("PNG"))
    record = event["Records"][0]
    if identity is None:
        del record["userIdentity"]
    else:
        record["userIdentity"] = identity

    isolated.handle(event, lambda_context)

    stored_record = stored(stack, "uploads/acme/b.png")
    assert stored_record.status == "PROCESSED"
    assert stored_record.uploaded_by is None
    assert stored_record.tenant == "acme"
    [message] = stack.messages("notifications")
    assert "uploaded_by" not in message["body"]


def test_a_scan_result_names_the_tenant_but_no_uploader(
    make_pipeline: Callable[..., Pipeline], stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    gated = make_pipeline(UPLOADER_ISOLATION="on", MALWARE_PROTECTION="on")
    obj = stack.put("uploads/acme/scanned.png", images.make("PNG"))["Records"][0]["s3"]["object"]

    gated.handle(
        scan_result_event(
            BUCKET, "uploads/acme/scanned.png", version_id=obj["versionId"], etag=obj["eTag"]
        ),
        lambda_context,
    )

    record = stored(stack, "uploads/acme/scanned.png")
    assert record.status == "PROCESSED"
    assert (record.uploaded_by, record.tenant) == (None, "acme")


def test_a_reprocess_keeps_who_uploaded(
    make_pipeline: Callable[..., Pipeline], stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    make_pipeline(UPLOADER_ISOLATION="on").handle(
        stack.put("uploads/acme/c.png", images.make("PNG")), lambda_context
    )
    reprocessor = make_pipeline(UPLOADER_ISOLATION="on", RECIPES='[{"name": "web"}]')

    response = reprocessor.handle(batch_invocation(BUCKET, "uploads/acme/c.png"), lambda_context)

    assert response["results"][0]["resultCode"] == "Succeeded"
    record = stored(stack, "uploads/acme/c.png")
    assert record.recipe_digest != SEED_RECIPE_DIGEST
    assert (record.uploaded_by, record.tenant) == (PRINCIPAL, "acme")


def test_a_reprocess_of_an_object_never_recorded_names_the_tenant_only(
    isolated: Pipeline, stack: Stack, lambda_context: FakeLambdaContext
) -> None:
    stack.s3.put_object(Bucket=BUCKET, Key="uploads/acme/old.png", Body=images.make("PNG"))

    isolated.handle(batch_invocation(BUCKET, "uploads/acme/old.png"), lambda_context)

    record = stored(stack, "uploads/acme/old.png")
    assert record.status == "PROCESSED"
    assert (record.uploaded_by, record.tenant) == (None, "acme")

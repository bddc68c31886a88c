"""The requests one upload makes, counted against moto: the capacity model's
per-upload figures (bench/capacity.py) are these, not a guess."""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest

import images
from helpers import FakeLambdaContext
from pipeline import Pipeline

if TYPE_CHECKING:
    from botocore.model import OperationModel
    from integration.conftest import Stack

ROOT = Path(__file__).resolve().parents[2]


def _load_capacity() -> ModuleType:
    spec = importlib.util.spec_from_file_location("capacity", ROOT / "bench" / "capacity.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["capacity"] = module
    spec.loader.exec_module(module)
    return module


capacity = _load_capacity()


def count_calls(*clients: Any) -> list[tuple[str, str, dict[str, Any]]]:
    """Every API call the clients make from now on: (service, operation) -> params."""
    calls: list[tuple[str, str, dict[str, Any]]] = []
    for client in clients:
        service = client.meta.service_model.service_name

        def record(
            params: dict[str, Any], model: OperationModel, _service: str = service, **_: object
        ) -> None:
            calls.append((_service, model.name, params))

        client.meta.events.register(f"provide-client-params.{service}.*", record)
    return calls


def test_one_upload_makes_the_requests_the_capacity_model_counts(
    stack: Stack, pipeline: Pipeline, lambda_context: FakeLambdaContext
) -> None:
    # Arrange
    event = stack.put("uploads/2026/03/holiday-photo-0001.jpg", images.make("JPEG", (1200, 800)))
    calls = count_calls(stack.s3, stack.ddb, stack.sns)

    # Act
    pipeline.handle(event, lambda_context)

    # Assert: the table writes, S3 requests and publishes per upload
    by_operation = Counter((service, operation) for service, operation, _ in calls)
    table_writes = by_operation[("dynamodb", "PutItem")] + by_operation[("dynamodb", "UpdateItem")]
    assert table_writes == capacity.TABLE_WRITES_PER_UPLOAD
    assert by_operation[("s3", "GetObject")] == capacity.S3_GETS_PER_UPLOAD
    # The function's PUT of the output; the upload's own PUT came before counting.
    assert by_operation[("s3", "PutObject")] == capacity.S3_PUTS_PER_UPLOAD - 1
    assert by_operation[("sns", "Publish")] == capacity.SNS_PUBLISHES_PER_UPLOAD

    # Assert: the index entry is added by the claim and removed by the decision
    (claim,) = [p for s, op, p in calls if op == "PutItem"]
    assert "lease_until" in claim["Item"]
    assert "lease_until" not in stack.record("uploads/2026/03/holiday-photo-0001.jpg")
    assert capacity.INDEX_WRITES_PER_UPLOAD == 2


#: An assumed role's principal id: AWS:, a role id of 21 characters, a
#: session name of 21 (S3's exact format, and real ids' lengths, unverified).
ROLE_PRINCIPAL = "AWS:AROAEXAMPLEID12345678:acme-uploader-session"


@pytest.mark.parametrize(("key_bytes", "fits"), [(72, True), (77, False)])
def test_the_record_fits_one_write_unit_up_to_a_72_byte_key(
    stack: Stack,
    pipeline: Pipeline,
    lambda_context: FakeLambdaContext,
    key_bytes: int,
    fits: bool,
) -> None:
    # The decided record, as stored, is under 1 KB as DynamoDB counts it up
    # to a key of 72 bytes (the key is in it three times: the record's, the
    # output key and the outputs list; and the uploader's principal id once).
    # README, Capacity and scale.
    key = "uploads/" + "k" * (key_bytes - 12) + ".jpg"
    event = stack.put(key, images.make("JPEG", (1200, 800)))
    event["Records"][0]["userIdentity"]["principalId"] = ROLE_PRINCIPAL

    pipeline.handle(event, lambda_context)

    item = stack.record(key)
    assert item["status"]["S"] == "PROCESSED"
    assert item["uploaded_by"]["S"] == ROLE_PRINCIPAL
    assert len(ROLE_PRINCIPAL) == 47
    assert (capacity.item_size(item) <= capacity.DDB_WRITE_UNIT_BYTES) is fits


def test_a_longer_key_makes_the_record_two_write_units(
    stack: Stack, pipeline: Pipeline, lambda_context: FakeLambdaContext
) -> None:
    key = "uploads/" + "k" * 88 + ".jpg"  # 100 bytes: what the README says costs two
    pipeline.handle(stack.put(key, images.make("JPEG", (1200, 800))), lambda_context)

    assert capacity.DDB_WRITE_UNIT_BYTES < capacity.item_size(stack.record(key)) <= 2048

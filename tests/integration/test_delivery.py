"""Delivery semantics under concurrency: the same event twice, at the same time."""

from __future__ import annotations

import copy
import threading
from typing import TYPE_CHECKING

import images
from errors import BatchIncomplete, UploadInProgress
from helpers import FakeLambdaContext
from pipeline import Pipeline

if TYPE_CHECKING:
    from integration.conftest import Stack


def test_the_same_event_delivered_concurrently_is_processed_once(
    pipeline: Pipeline, stack: Stack
) -> None:
    event = stack.put("uploads/twice.png", images.make("PNG", (2000, 1500)))
    outcomes, errors = [], []
    barrier = threading.Barrier(2)

    def deliver() -> None:
        barrier.wait()
        try:
            outcomes.append(pipeline.handle(copy.deepcopy(event), FakeLambdaContext()))
        except BatchIncomplete as e:
            errors.append(e.__cause__)

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    statuses = [o["outcomes"][0]["status"] for o in outcomes]
    assert statuses.count("PROCESSED") == 1
    # The other delivery either saw the decided record or a live claim (and
    # raised, so Lambda retries it later and then finds it decided).
    assert len(statuses) + len(errors) == 2
    assert all(isinstance(e, UploadInProgress) for e in errors)
    assert set(statuses) <= {"PROCESSED", "DUPLICATE"}
    assert len(stack.records()) == 1
    assert stack.output_versions("processed/twice.png") == 1
    assert len(stack.messages("notifications")) == 1

    if errors:  # Lambda's retry of the delivery that found the claim
        retry = pipeline.handle(copy.deepcopy(event), FakeLambdaContext())
        assert retry["outcomes"][0]["status"] == "DUPLICATE"
        assert stack.messages("notifications") == []

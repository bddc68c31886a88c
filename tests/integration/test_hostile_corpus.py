"""The hostile corpus through the real handler against moto.

For every case: no exception escapes, the upload ends in exactly one record in
a terminal state with the expected outcome (or, for keys the function must not
touch, in no record at all), and a processed output decodes to the expected
size and mode.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from hostile.corpus import CORPUS, Case

from helpers import FakeLambdaContext
from pipeline import Pipeline

if TYPE_CHECKING:
    from integration.conftest import Stack

TERMINAL = {"PROCESSED", "REJECTED", "FAILED"}


def test_the_corpus_is_big_enough_and_covers_every_outcome() -> None:
    reasons = {case.expected.reason for case in CORPUS if case.expected.status == "REJECTED"}

    assert len(CORPUS) >= 60
    assert {"PROCESSED", "REJECTED", "IGNORED"} <= {case.expected.status for case in CORPUS}
    assert {"decompression_bomb", "too_large_dimensions", "too_large_bytes", "empty",
            "unsupported_type", "type_mismatch", "unsupported_extension", "corrupt",
            "animated"} <= reasons  # fmt: skip


@pytest.mark.parametrize("case", CORPUS, ids=lambda case: case.id)
def test_every_case_reaches_its_expected_terminal_outcome(
    pipeline: Pipeline, stack: Stack, lambda_context: FakeLambdaContext, case: Case
) -> None:
    # Arrange
    event = stack.put(case.key, case.build())

    # Act: nothing may escape for an input-caused failure
    pipeline.handle(event, lambda_context)

    # Assert
    records = stack.records()
    if case.expected.status == "IGNORED":
        assert records == []
        return
    [record] = records
    assert record["status"]["S"] in TERMINAL
    assert record["status"]["S"] == case.expected.status, record.get("reason_message")
    if case.expected.status == "REJECTED":
        assert record["reason"]["S"] == case.expected.reason, record["reason_message"]["S"]
        assert "output_key" not in record
        return
    output, _ = stack.output(record["output_key"]["S"])
    assert output.size == case.expected.size
    if case.expected.mode:
        assert output.mode == case.expected.mode

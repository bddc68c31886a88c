"""``lambda_function.handler``: the pipeline built in the init phase from the environment."""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING

import pytest

import images
from helpers import FakeLambdaContext

if TYPE_CHECKING:
    from integration.conftest import Stack


def test_the_entry_point_builds_the_pipeline_in_the_init_phase_and_processes(
    stack: Stack,
    environment: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    lambda_context: FakeLambdaContext,
) -> None:
    # Arrange: the function's environment, then the import Lambda's init phase does
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delitem(sys.modules, "lambda_function", raising=False)
    app = importlib.import_module("lambda_function")
    event = stack.put("uploads/entry.png", images.make("PNG"))

    # Act
    result = app.handler(event, lambda_context)

    # Assert
    assert result["outcomes"][0]["status"] == "PROCESSED"
    assert app.PIPELINE.settings is app.SETTINGS
    assert stack.record("uploads/entry.png")["status"]["S"] == "PROCESSED"

"""Lambda entry point: the pipeline is built once per container, in the init phase.

A missing or malformed setting fails here, before any event is accepted. The
work is in ``pipeline.py``; see there what each upload ends in.
"""

from __future__ import annotations

from typing import Any

from config import Settings, load_settings
from pipeline import LambdaContext, Pipeline

SETTINGS: Settings = load_settings()
PIPELINE: Pipeline = Pipeline.from_settings(SETTINGS)


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return PIPELINE.handle(event, context)

"""Test helpers shared by every suite: the Lambda context and the S3 event."""

from __future__ import annotations

import copy
import importlib.util
import json
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote_plus

from botocore.exceptions import ClientError

ROOT = Path(__file__).resolve().parent.parent
EVENTS = Path(__file__).parent / "fixtures" / "events"
REGION = "us-east-1"


@dataclass
class FakeLambdaContext:
    """The attributes of the Lambda context object that the handler uses."""

    timeout_ms: int = 30_000
    memory_limit_in_mb: str = "1024"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_name: str = "image-processor-test"
    _started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self.timeout_ms - int((time.monotonic() - self._started) * 1000))


def s3_event(
    bucket: str,
    key: str,
    *,
    size: int,
    sequencer: str,
    version_id: str | None = None,
    etag: str = "d41d8cd98f00b204e9800998ecf8427e",
    event_name: str = "ObjectCreated:Put",
) -> dict:
    """The event S3 sends for one object, built from the JSON fixture."""
    with (EVENTS / "s3_object_created.json").open() as f:
        event = json.load(f)
    record = copy.deepcopy(event["Records"][0])
    record["eventName"] = event_name
    record["s3"]["bucket"]["name"] = bucket
    record["s3"]["bucket"]["arn"] = f"arn:aws:s3:::{bucket}"
    record["s3"]["object"].update(
        key=quote_plus(key, safe="/"), size=size, eTag=etag, sequencer=sequencer
    )
    if version_id:
        record["s3"]["object"]["versionId"] = version_id
    else:
        record["s3"]["object"].pop("versionId")
    event["Records"] = [record]
    return event


def fail_call(
    client, operation: str, code: str = "ThrottlingException", times: int = 1, after: int = 0
) -> dict[str, int]:
    """Make ``operation`` on ``client`` fail like AWS would.

    ``times`` calls fail, after ``after`` calls that succeed. Returns the
    counts of calls seen and failed.
    """
    calls = {"seen": 0, "failed": 0}

    def raise_error(**_kwargs):
        calls["seen"] += 1
        if calls["seen"] > after and calls["failed"] < times:
            calls["failed"] += 1
            raise ClientError({"Error": {"Code": code, "Message": "injected"}}, operation)

    client.meta.events.register(f"before-call.*.{operation}", raise_error)
    return calls


def load_script(name: str):
    """A module of scripts/ (not a package), imported by file name."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module

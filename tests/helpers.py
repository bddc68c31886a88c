"""Test helpers shared by every suite: the Lambda context and the S3 event."""

from __future__ import annotations

import copy
import importlib.util
import json
import re
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, quote_plus

if TYPE_CHECKING:
    from types_boto3_dynamodb.type_defs import KeySchemaElementTypeDef

ROOT = Path(__file__).resolve().parent.parent
EVENTS = Path(__file__).parent / "fixtures" / "events"
REGION = "us-east-1"


#: Where the function's settings are declared: the image-pipeline module's
#: variables (the root, terraform/main.tf, sets none of the limits).
PIPELINE_VARIABLES = ROOT / "terraform" / "modules" / "image-pipeline" / "variables.tf"


def terraform_default(variable: str, path: Path = PIPELINE_VARIABLES) -> str:
    """The default of a variable in a variables.tf (the pipeline module's), as written there."""
    text = path.read_text()
    block = re.search(rf'^variable "{variable}" \{{(.*?)^\}}', text, re.M | re.S)
    default = re.search(r"^\s*default\s*=\s*(.+)$", block[1], re.M) if block else None
    if default is None:
        raise LookupError(f"{path.relative_to(ROOT)} has no default for {variable}")
    return default[1].strip()


#: The environment Terraform gives the function for the limits, at its defaults
#: (the module's variables.tf is their one source).
LIMITS_ENV = {
    "MAX_UPLOAD_BYTES": str(int(terraform_default("max_upload_mb")) * 1024 * 1024),
    "MAX_DIMENSION": terraform_default("max_dimension"),
}


@dataclass
class FakeLambdaContext:
    """The attributes of the Lambda context object that the handler uses."""

    timeout_ms: int = 30_000
    memory_limit_in_mb: int | str = "1024"  # as pipeline.LambdaContext declares it
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_name: str = "image-processor-test"
    # Lambda's clock starts with the invocation: here when the handler first asks, not when
    # the test built its fixtures (a HEIC encode on a busy machine took most of 30 s).
    _started: float | None = None

    def get_remaining_time_in_millis(self) -> int:
        if self._started is None:
            self._started = time.monotonic()
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
) -> dict[str, Any]:
    """The event S3 sends for one object, built from the JSON fixture."""
    with (EVENTS / "s3_object_created.json").open() as f:
        event: dict[str, Any] = json.load(f)
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


@dataclass
class Clock:
    """The pipeline's clock: real time, moved forward by a test (a lease running out)."""

    offset: float = 0.0

    def now(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


def scan_result_event(
    bucket: str,
    key: str,
    *,
    result: str = "NO_THREATS_FOUND",
    version_id: str | None = None,
    etag: str = "d41d8cd98f00b204e9800998ecf8427e",
    time_: str = "2026-07-19T05:10:28Z",
) -> dict[str, Any]:
    """GuardDuty's scan-result event for one object, built from the JSON fixture."""
    with (EVENTS / "guardduty_malware_scan_result.json").open() as f:
        event: dict[str, Any] = json.load(f)
    event["time"] = time_
    details = event["detail"]["s3ObjectDetails"]
    details.update(bucketName=bucket, objectKey=key, eTag=etag)
    if version_id:
        details["versionId"] = version_id
    else:
        details.pop("versionId")
    scan = event["detail"]["scanResultDetails"]
    scan["scanResultStatus"] = result
    scan["threats"] = (
        [{"name": "EICAR-Test-File (not a virus)"}] if result == "THREATS_FOUND" else None
    )
    event["detail"]["scanStatus"] = {
        "NO_THREATS_FOUND": "COMPLETED",
        "THREATS_FOUND": "COMPLETED",
        "FAILED": "FAILED",
    }.get(result, "SKIPPED")
    return event


def load_script(path: str) -> ModuleType:
    """A module of scripts/ (not a package), imported by file name: `path` is
    its path under scripts/ without .py (``"audit/audit_report"``)."""
    name = path.rsplit("/", 1)[-1]
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{path}.py")
    if spec is None or spec.loader is None:
        raise ImportError(f"scripts/{path}.py cannot be loaded")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def sqs_batch(*events: object, receive_count: int = 1) -> dict[str, Any]:
    """The event Lambda's SQS event source mapping sends: one message per event
    (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html)."""
    return {
        "Records": [
            {
                "messageId": f"msg-{n}",
                "receiptHandle": f"handle-{n}",
                "body": body if isinstance(body, str) else json.dumps(body),
                "attributes": {
                    "ApproximateReceiveCount": str(receive_count),
                    "SentTimestamp": "1767225600000",
                    "SenderId": "AIDAIENQZJOLO23YVJ4VO",
                    "ApproximateFirstReceiveTimestamp": "1767225600001",
                },
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{REGION}:123456789012:image-processor-test-uploads",
                "awsRegion": REGION,
            }
            for n, body in enumerate(events)
        ]
    }


#: The in-progress index's key, as terraform/modules/image-pipeline/dynamodb.tf
#: makes it (tests/unit/test_docs.py checks the two agree).
INDEX_KEY_SCHEMA: list[KeySchemaElementTypeDef] = [
    {"AttributeName": "object_key", "KeyType": "HASH"},
    {"AttributeName": "lease_until", "KeyType": "RANGE"},
]


def batch_invocation(
    bucket: str,
    *keys: str,
    schema: str = "2.0",
    version_ids: tuple[str | None, ...] = (),
    invocation_id: str | None = None,
) -> dict[str, Any]:
    """S3 Batch Operations' request to the function, built from AWS's documented example:
    one task per key, each key URL-encoded as in the job's manifest."""
    fixture = (
        "s3_batch_operations_invocation_v1.json"
        if schema == "1.0"
        else ("s3_batch_operations_invocation_v2.json")
    )
    with (EVENTS / fixture).open() as f:
        event: dict[str, Any] = json.load(f)
    template = event["tasks"][0]
    tasks = []
    for n, key in enumerate(keys):
        task = copy.deepcopy(template)
        task["taskId"] = f"task-{n}"
        task["s3Key"] = quote(key, safe="/")
        task["s3VersionId"] = version_ids[n] if n < len(version_ids) else None
        if schema == "1.0":
            task["s3BucketArn"] = f"arn:aws:s3:::{bucket}"
        else:
            task["s3Bucket"] = bucket
        tasks.append(task)
    event["tasks"] = tasks
    if invocation_id:
        event["invocationId"] = invocation_id
    return event

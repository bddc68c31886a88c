"""Lambda entry point: parse the S3 event and orchestrate the modules.

Every upload under the input prefix ends in one record in a terminal state
(PROCESSED, REJECTED with a reason, or FAILED and retried by Lambda), or, when
its retries run out, with its event in the failure destination.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from urllib.parse import unquote_plus

import boto3
from botocore.config import Config

from config import Settings, load_settings
from image_processor import (
    ImageRejected,
    Limits,
    Reason,
    Route,
    check_size,
    process_image,
    route,
)
from notifications import NOTIFICATIONS, SECURITY, Notifier, topics_for
from storage import (
    ClaimOutcome,
    ObjectMissing,
    ObjectStore,
    ObjectTooLarge,
    RecordStore,
    Status,
    normalize_sequencer,
    topic_set,
)
from structured_log import get_logger, set_request_id

MIB = 1024 * 1024
#: Time one upload needs after it is claimed (download, process, write, record).
MIN_REMAINING_MS = 5_000
#: Memory the runtime, boto3, its clients and Pillow hold before any image is
#: decoded: 56 MB measured by `make bench`, rounded up.
RUNTIME_BASELINE_BYTES = 64 * MIB
#: Share of the function's memory that image processing may plan to use.
MEMORY_HEADROOM = 0.9


class LambdaContext(Protocol):
    aws_request_id: str
    memory_limit_in_mb: int | str

    def get_remaining_time_in_millis(self) -> int: ...


class RetryableError(Exception):
    """Raised so that Lambda retries the event (and, at the end, sends it to the DLQ)."""

    reason = "retryable"


class InsufficientTime(RetryableError):
    reason = "insufficient_time"


class UploadInProgress(RetryableError):
    reason = "in_progress_elsewhere"


class MalformedEvent(RetryableError):
    reason = "malformed_event"


class BatchIncomplete(RetryableError):
    reason = "batch_incomplete"


@dataclass(frozen=True, slots=True)
class Upload:
    bucket: str
    key: str
    size: int
    version_id: str | None
    sequencer: str
    etag: str | None


# --------------------------------------------------------------------------
# Created once per container (the init phase); a bad setting fails here.
# --------------------------------------------------------------------------

SETTINGS: Settings = load_settings()
LOGGER = get_logger("image_processor", SETTINGS.log_level)
_AWS_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 3}, connect_timeout=3, read_timeout=10
)
OBJECTS = ObjectStore(boto3.client("s3", config=_AWS_CONFIG))
RECORDS = RecordStore(boto3.client("dynamodb", config=_AWS_CONFIG), SETTINGS.table_name)
NOTIFIER = Notifier(
    boto3.client("sns", config=_AWS_CONFIG),
    {NOTIFICATIONS: SETTINGS.notifications_topic_arn, SECURITY: SETTINGS.security_topic_arn},
)


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    set_request_id(context.aws_request_id)
    records = event.get("Records") or []
    outcomes: list[dict[str, Any]] = []
    errors: list[Exception] = []
    for raw in records:
        try:
            upload = parse_record(raw, SETTINGS)
            if upload is None:
                continue
            outcomes.append(handle_upload(upload, context))
        except Exception as e:  # noqa: BLE001 - logged and recorded; re-raised after the batch
            errors.append(e)
    if errors:
        # The other records are done and recorded; a retry of the whole event
        # finds them decided and only redoes what failed.
        raise BatchIncomplete(f"{len(errors)} of {len(records)} records need a retry") from errors[
            0
        ]
    return {"outcomes": outcomes}


def parse_record(raw: dict[str, Any], settings: Settings) -> Upload | None:
    """The upload an S3 event record describes, or ``None`` if it is not ours to process."""
    try:
        s3 = raw["s3"]
        key = unquote_plus(s3["object"]["key"])
        bucket = s3["bucket"]["name"]
        event_name = raw.get("eventName", "")
    except (KeyError, TypeError) as e:
        LOGGER.error("not an S3 event record", extra={"record": str(raw)[:500]})
        raise MalformedEvent("the event record has no s3.bucket.name or s3.object.key") from e
    ignored = _ignored_because(key, event_name, settings)
    if ignored:
        LOGGER.info("record ignored", extra={"object_key": key, "ignored": ignored})
        return None
    try:
        sequencer = normalize_sequencer(s3["object"].get("sequencer"))
        size = int(s3["object"].get("size", 0))
    except (TypeError, ValueError) as e:
        LOGGER.error("malformed S3 event record", extra={"object_key": key})
        raise MalformedEvent(f"bad size or sequencer for {key!r}") from e
    return Upload(
        bucket=bucket,
        key=key,
        size=size,
        version_id=s3["object"].get("versionId") or None,
        sequencer=sequencer,
        etag=s3["object"].get("eTag"),
    )


def _ignored_because(key: str, event_name: str, settings: Settings) -> str | None:
    if not event_name.startswith("ObjectCreated:"):
        return f"event {event_name or '(none)'} is not an object creation"
    if not key.startswith(settings.input_prefix):
        return f"key is outside {settings.input_prefix}"
    if key.endswith("/"):
        return "folder marker"
    return None


def output_key_for(key: str, settings: Settings) -> str:
    return settings.output_prefix + key[len(settings.input_prefix) :]


def handle_upload(upload: Upload, context: LambdaContext) -> dict[str, Any]:
    """Claim, decide, record and announce one upload."""
    started = time.monotonic()
    remaining_ms = context.get_remaining_time_in_millis()
    if remaining_ms < MIN_REMAINING_MS:
        raise InsufficientTime(f"{remaining_ms} ms left before {upload.key!r} could be claimed")

    claim = RECORDS.claim(
        _claim_item(upload, context), lease_seconds=math.ceil(remaining_ms / 1000)
    )
    if claim.outcome is ClaimOutcome.DUPLICATE:
        LOGGER.info("duplicate or superseded event", extra={"object_key": upload.key})
        return {"object_key": upload.key, "status": "DUPLICATE"}
    if claim.outcome is ClaimOutcome.IN_PROGRESS:
        raise UploadInProgress(
            f"{upload.key!r} is being processed by {claim.item.get('request_id')}"
        )
    if claim.outcome is ClaimOutcome.NOTIFY_PENDING:
        _announce(claim.item)
        return _summary(claim.item)

    try:
        result = _decide(upload, context)
    except Exception as e:
        LOGGER.exception("upload failed; Lambda will retry", extra={"object_key": upload.key})
        failure = {
            "status": Status.FAILED.value,
            "reason": f"{type(e).__name__}:{getattr(e, 'reason', '') or _aws_error_code(e)}".rstrip(
                ":"
            ),
            "reason_message": str(e)[:500],
        }
        RECORDS.finish(claim.item, _timestamps(failure, started))
        raise
    record = RECORDS.finish(claim.item, _timestamps(result, started))
    if record is None:
        LOGGER.info("a newer upload took over the record", extra={"object_key": upload.key})
        return {"object_key": upload.key, "status": "SUPERSEDED"}
    LOGGER.info("upload decided", extra=_log_fields(record))
    _announce(record)
    return _summary(record)


def _decide(upload: Upload, context: LambdaContext) -> dict[str, Any]:
    """PROCESSED or REJECTED; raises for anything worth a retry."""
    settings = SETTINGS
    limits = Limits(
        max_bytes=settings.max_upload_bytes,
        max_dimension=settings.max_dimension,
        memory_budget_bytes=_memory_budget(context),
    )
    target: Route | None = None
    try:
        target = route(upload.key)
        check_size(upload.size, limits)
        data = OBJECTS.read(upload.bucket, upload.key, upload.version_id, limits.max_bytes)
    except ImageRejected as rejected:
        return _rejected(rejected, target, {"input_bytes": upload.size})
    except ObjectTooLarge as e:
        return _rejected(ImageRejected(Reason.TOO_LARGE_BYTES, str(e)), target, {})
    except ObjectMissing as e:
        return _rejected(
            ImageRejected(Reason.OBJECT_MISSING, f"the object is gone: {e}"), target, {}
        )

    facts: dict[str, Any] = {
        "input_bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    if context.get_remaining_time_in_millis() < MIN_REMAINING_MS:
        raise InsufficientTime(f"too little time left to process {upload.key!r}")
    try:
        processed = process_image(data, target, limits)
    except ImageRejected as rejected:
        return _rejected(rejected, target, facts)
    del data  # the decoded image and its output are all that is needed now

    output_key = output_key_for(upload.key, settings)
    OBJECTS.write(
        upload.bucket,
        output_key,
        processed.data,
        processed.content_type,
        {"source-version-id": upload.version_id or "null", "source-sha256": facts["sha256"]},
    )
    return facts | {
        "status": Status.PROCESSED.value,
        "operation": target.operation.value,
        "output_key": output_key,
        "input_format": processed.source.format,
        "input_width": processed.source.width,
        "input_height": processed.source.height,
        "input_mode": processed.source.mode,
        "output_format": processed.output.format,
        "output_width": processed.output.width,
        "output_height": processed.output.height,
        "output_mode": processed.output.mode,
        "output_bytes": processed.output.size_bytes,
        "pending_topics": topic_set(topics_for(suspicious=False)),
    }


def _rejected(
    rejected: ImageRejected, target: Route | None, facts: dict[str, Any]
) -> dict[str, Any]:
    return facts | {
        "status": Status.REJECTED.value,
        "reason": rejected.reason.value,
        "reason_message": rejected.message,
        "operation": target.operation.value if target else None,
        "pending_topics": topic_set(topics_for(suspicious=rejected.suspicious)),
    }


def _announce(record: dict[str, Any]) -> None:
    """Publish what is still pending for the record, marking each topic as sent."""
    for topic in sorted(record.get("pending_topics") or ()):
        NOTIFIER.publish(topic, record)
        RECORDS.notified(record["object_key"], record["sequencer"], topic)


def _claim_item(upload: Upload, context: LambdaContext) -> dict[str, Any]:
    now = _now()
    return {
        "object_key": upload.key,
        "bucket": upload.bucket,
        "sequencer": upload.sequencer,
        "version_id": upload.version_id,
        "etag": upload.etag,
        "event_size": upload.size,
        "request_id": context.aws_request_id,
        "received_at": now.isoformat(timespec="seconds"),
        "expires_at": int((now + timedelta(days=SETTINGS.record_ttl_days)).timestamp()),
    }


def _timestamps(result: dict[str, Any], started: float) -> dict[str, Any]:
    return result | {
        "processed_at": _now().isoformat(timespec="milliseconds"),
        "duration_ms": round((time.monotonic() - started) * 1000),
    }


def _memory_budget(context: LambdaContext) -> int | None:
    memory_mb = getattr(context, "memory_limit_in_mb", None)
    if not memory_mb:
        return None
    return int(int(memory_mb) * MIB * MEMORY_HEADROOM) - RUNTIME_BASELINE_BYTES


def _aws_error_code(error: Exception) -> str:
    response = getattr(error, "response", None)
    return response.get("Error", {}).get("Code", "") if isinstance(response, dict) else ""


def _log_fields(record: dict[str, Any]) -> dict[str, Any]:
    fields = ("object_key", "status", "reason", "operation", "input_bytes", "output_bytes")
    return {f: record.get(f) for f in fields} | {"duration_ms": record.get("duration_ms")}


def _summary(record: dict[str, Any]) -> dict[str, Any]:
    return {k: record.get(k) for k in ("object_key", "status", "reason", "output_key")}


def _now() -> datetime:
    return datetime.now(UTC)

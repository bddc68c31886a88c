"""The events that start the function, parsed into one ``Upload`` each.

Five shapes arrive:

* an SQS batch (``Records[].eventSource == "aws:sqs"``) from the uploads queue's
  event source mapping: each message's body is one of the shapes below
  (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html);
* S3's event notification (``Records[].s3``), when malware gating is off;
* GuardDuty Malware Protection for S3's scan result, delivered by an
  EventBridge rule, when it is on: detail-type "GuardDuty Malware Protection
  Object Scan Result", source ``aws.guardduty``
  (https://docs.aws.amazon.com/guardduty/latest/ug/monitor-with-eventbridge-s3-malware-protection.html);
* EventBridge's "Scheduled Event", which runs the sweep for stuck records;
* S3 Batch Operations' "Invoke AWS Lambda function" request
  (``invocationSchemaVersion`` and ``tasks``), a synchronous invocation per
  task of a reprocessing job, which expects a result per task
  (https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-invoke-lambda.html).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from urllib.parse import unquote, unquote_plus

from config import Settings
from errors import MalformedEvent
from storage import Trigger, normalize_sequencer

SCAN_RESULT_DETAIL_TYPE = "GuardDuty Malware Protection Object Scan Result"


class EventKind(StrEnum):
    SQS = "sqs"
    S3 = "s3"
    S3_TEST = "s3_test"  # sent once when a notification is configured
    MALWARE_SCAN = "malware_scan"
    SCHEDULE = "schedule"
    BATCH_OPERATIONS = "batch_operations"


class ScanResult(StrEnum):
    """``scanResultDetails.scanResultStatus`` values GuardDuty documents for S3 objects
    (https://docs.aws.amazon.com/guardduty/latest/ug/monitoring-malware-protection-s3-scans-gdu.html)."""

    NO_THREATS_FOUND = "NO_THREATS_FOUND"
    THREATS_FOUND = "THREATS_FOUND"
    UNSUPPORTED = "UNSUPPORTED"
    ACCESS_DENIED = "ACCESS_DENIED"
    FAILED = "FAILED"


@dataclass(frozen=True, slots=True)
class Upload:
    """One object to decide on, whichever event announced it."""

    bucket: str
    key: str
    version_id: str | None
    sequencer: str
    etag: str | None
    trigger: Trigger
    #: From S3's event; a scan result does not say, and the download limit applies.
    size: int | None = None
    #: The scan verdict (only for ``Trigger.MALWARE_SCAN``); unknown values are kept as sent.
    scan_result: str | None = None
    threats: tuple[str, ...] = ()
    #: A reprocess of an object already stored (S3 Batch Operations): claimed
    #: with ``RecordStore.claim_reprocess``, which keeps the record's sequencer.
    reprocess: bool = False
    #: Who uploaded: S3's ``userIdentity.principalId``. Only S3's event says;
    #: a scan result, a reprocess of an object without a record and the sweep
    #: do not, and ``None`` is recorded then.
    uploaded_by: str | None = None
    #: With uploader isolation, the tenant whose prefix the key is under.
    tenant: str | None = None

    @property
    def pinned_etag(self) -> str | None:
        """The ETag the object must still have when it is read, or ``None``.

        A scan result's: GuardDuty scanned the object version and ETag its
        event names (``s3ObjectDetails.versionId`` and ``eTag``,
        https://docs.aws.amazon.com/guardduty/latest/ug/monitor-with-eventbridge-s3-malware-protection.html),
        so the function reads exactly that version, and only while it has that
        ETag: an object changed after the scan, or an event that names an ETag
        the object never had, is rejected, never processed. S3's own event
        pins nothing beyond its version (malware gating off: unchanged).
        """
        return self.etag if self.trigger is Trigger.MALWARE_SCAN else None


def event_kind(event: Mapping[str, Any]) -> EventKind:
    if "invocationSchemaVersion" in event and isinstance(event.get("tasks"), list):
        return EventKind.BATCH_OPERATIONS
    records = event.get("Records")
    if isinstance(records, list):
        first = records[0] if records else None
        if isinstance(first, Mapping) and first.get("eventSource") == "aws:sqs":
            return EventKind.SQS
        return EventKind.S3
    if event.get("Event") == "s3:TestEvent":
        return EventKind.S3_TEST
    source, detail_type = event.get("source"), event.get("detail-type")
    if source == "aws.guardduty" and detail_type == SCAN_RESULT_DETAIL_TYPE:
        return EventKind.MALWARE_SCAN
    if source == "aws.events" and detail_type == "Scheduled Event":
        return EventKind.SCHEDULE
    raise MalformedEvent(f"not an event this function handles: {str(dict(event))[:300]}")


def ignored_because(key: str, settings: Settings) -> str | None:
    """Why a key is not ours to process, or ``None``."""
    if not key.startswith(settings.input_prefix):
        return f"key is outside {settings.input_prefix}"
    if key.endswith("/"):
        return "folder marker"
    return None


def tenant_of(key: str, settings: Settings) -> str | None:
    """The tenant an upload belongs to: its key's first segment below the input prefix.

    Only with uploader isolation, where the images bucket's policy lets a
    principal write only under ``<input_prefix><its tenant>/``
    (terraform/modules/image-pipeline/uploaders.tf). S3 keys are literal, so
    ``uploads/acme/../globex/x.png`` is acme's. A key with no segment
    (``uploads/x.png``) or an empty one (``uploads//x.png``) has no tenant.
    """
    if not settings.uploader_isolation or not key.startswith(settings.input_prefix):
        return None
    segment, slash, _ = key[len(settings.input_prefix) :].partition("/")
    return segment if slash and segment else None


def uploader_of(raw: Mapping[str, Any]) -> str | None:
    """S3's ``userIdentity.principalId``: "The unique ID of the IAM resource that caused
    the event" (https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html).

    ``None`` when the record has none or an unreadable one: who uploaded is
    recorded when known, and never stops the upload's decision.
    """
    identity = raw.get("userIdentity")
    principal = identity.get("principalId") if isinstance(identity, Mapping) else None
    return principal if isinstance(principal, str) and principal else None


def parse_s3_record(raw: Mapping[str, Any], settings: Settings) -> Upload | str:
    """The upload an S3 event record describes, or why it is ignored."""
    try:
        s3 = raw["s3"]
        key = unquote_plus(s3["object"]["key"])
        bucket = s3["bucket"]["name"]
        event_name = raw.get("eventName", "")
    except (KeyError, TypeError) as e:
        raise MalformedEvent("the event record has no s3.bucket.name or s3.object.key") from e
    if not str(event_name).startswith("ObjectCreated:"):
        return f"event {event_name or '(none)'} is not an object creation"
    ignored = ignored_because(key, settings)
    if ignored:
        return ignored
    if settings.malware_protection:
        return "malware gating is on: the scan result starts the processing"
    try:
        sequencer = normalize_sequencer(s3["object"].get("sequencer"))
        size = int(s3["object"].get("size", 0))
    except (TypeError, ValueError) as e:
        raise MalformedEvent(f"bad size or sequencer for {key!r}") from e
    return Upload(
        bucket=bucket,
        key=key,
        size=size,
        version_id=s3["object"].get("versionId") or None,
        sequencer=sequencer,
        etag=s3["object"].get("eTag"),
        trigger=Trigger.S3_EVENT,
        uploaded_by=uploader_of(raw),
        tenant=tenant_of(key, settings),
    )


def parse_scan_result(event: Mapping[str, Any], settings: Settings) -> Upload | str:
    """The upload a GuardDuty scan result is about, or why it is ignored.

    The object key is used as sent (unverified whether GuardDuty URL-encodes it
    the way S3's notifications do; the documented examples are plain keys).
    """
    try:
        detail = event["detail"]
        obj = detail["s3ObjectDetails"]
        bucket, key = obj["bucketName"], obj["objectKey"]
        result = detail["scanResultDetails"]["scanResultStatus"]
        scanned_at = datetime.fromisoformat(event["time"])
    except (KeyError, TypeError, ValueError) as e:
        raise MalformedEvent("the scan result has no bucket, key, result or time") from e
    if not settings.malware_protection:
        return "malware gating is off: S3's event starts the processing"
    ignored = ignored_because(key, settings)
    if ignored:
        return ignored
    version_id = obj.get("versionId") or None
    threats = tuple(
        str(t.get("name", "")) for t in detail["scanResultDetails"].get("threats") or ()
    )
    return Upload(
        bucket=bucket,
        key=key,
        version_id=version_id,
        sequencer=scan_sequencer(scanned_at, version_id or obj.get("eTag") or ""),
        etag=obj.get("eTag"),
        trigger=Trigger.MALWARE_SCAN,
        scan_result=str(result),
        threats=threats,
        tenant=tenant_of(key, settings),
    )


def scan_sequencer(scanned_at: datetime, version: str) -> str:
    """An ordering token for a scan result, which carries no S3 sequencer.

    The scan time (seconds) orders results of the same key; the version breaks
    ties deterministically, so a repeat of one result is a duplicate while two
    versions scanned within one second both get a token (their order is then
    arbitrary: S3 says nothing finer here).
    """
    seconds = int(scanned_at.timestamp())
    tie = hashlib.sha256(version.encode()).hexdigest()[:16]
    return normalize_sequencer(f"{seconds:010X}{tie}")


@dataclass(frozen=True, slots=True)
class QueueMessage:
    """One message of an SQS batch: its id (for a partial batch failure) and its event."""

    message_id: str
    event: Mapping[str, Any]
    receive_count: int


def parse_queue_message(raw: Mapping[str, Any]) -> QueueMessage:
    """The event an uploads-queue message carries (S3's, or a GuardDuty scan result).

    A body that is not JSON, or not an object, is malformed: the message is
    reported failed and, after the queue's receive limit, waits in the
    failed-events queue for an operator.
    """
    try:
        message_id = str(raw["messageId"])
    except (KeyError, TypeError) as e:
        raise MalformedEvent("an SQS record without a messageId") from e
    try:
        body = json.loads(raw["body"])
        receive_count = int(raw.get("attributes", {}).get("ApproximateReceiveCount", 1))
    except (KeyError, TypeError, ValueError) as e:
        raise MalformedEvent(f"message {message_id} has no JSON body") from e
    if not isinstance(body, dict):
        raise MalformedEvent(f"message {message_id}'s body is not a JSON object")
    return QueueMessage(message_id, body, receive_count)


#: The schema versions of S3 Batch Operations' Lambda payload: 1.0 names the
#: bucket by ARN (``s3BucketArn``), 2.0 by name (``s3Bucket``) and adds
#: ``job.userArguments``
#: (https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_LambdaInvokeOperation.html).
BATCH_SCHEMA_VERSIONS = frozenset({"1.0", "2.0"})


@dataclass(frozen=True, slots=True)
class BatchTask:
    """One task of an S3 Batch Operations invocation: an object of the job's manifest."""

    task_id: str
    bucket: str
    #: URL-decoded: the manifest holds URL-encoded keys and Batch Operations
    #: passes them on as they are.
    key: str
    version_id: str | None


@dataclass(frozen=True, slots=True)
class BatchInvocation:
    """An S3 Batch Operations invocation: what its response must echo, and its tasks."""

    schema_version: str
    invocation_id: str
    job_id: str
    user_arguments: Mapping[str, str]
    #: Each task as sent; ``parse_batch_task`` reads one (a bad one fails alone).
    tasks: tuple[Mapping[str, Any], ...]


def parse_batch_invocation(event: Mapping[str, Any]) -> BatchInvocation:
    """The invocation S3 Batch Operations sends, or ``MalformedEvent`` if nothing can answer it."""
    try:
        version = str(event["invocationSchemaVersion"])
        invocation_id = str(event["invocationId"])
        job = event.get("job") or {}
        job_id = str(job.get("id", ""))
        arguments = job.get("userArguments") or {}
        tasks = tuple(event["tasks"])
    except (KeyError, TypeError, AttributeError) as e:
        raise MalformedEvent("a Batch Operations invocation without an invocationId") from e
    if version not in BATCH_SCHEMA_VERSIONS:
        raise MalformedEvent(f"Batch Operations invocation schema {version!r} is not 1.0 or 2.0")
    if not isinstance(arguments, Mapping):
        raise MalformedEvent("the job's userArguments are not an object")
    user_arguments = {str(k): str(v) for k, v in arguments.items()}
    return BatchInvocation(version, invocation_id, job_id, user_arguments, tasks)


def task_id_of(raw: object) -> str:
    """The task's id, for its result, even when the rest of the task is unreadable."""
    return str(raw.get("taskId", "")) if isinstance(raw, Mapping) else ""


def parse_batch_task(raw: Mapping[str, Any], schema_version: str) -> BatchTask:
    """One task: its bucket (by ARN in 1.0, by name in 2.0), decoded key and version.

    The key is URL-decoded as the S3 User Guide's example function does
    (``urllib.unquote``, percent-decoding only, so a ``+`` stays a ``+``):
    "keys from S3 Batch Operations are URL encoded"
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-invoke-lambda.html).
    """
    task_id = task_id_of(raw)
    try:
        if not task_id:
            raise KeyError("taskId")
        encoded_key = raw["s3Key"]
        if schema_version == "1.0":
            arn = str(raw["s3BucketArn"])
            if not arn.startswith("arn:") or ":s3:" not in arn:
                raise ValueError(f"s3BucketArn {arn!r} is not an S3 ARN")
            bucket = arn.rsplit(":", 1)[-1]
        else:
            bucket = str(raw["s3Bucket"])
        if not isinstance(encoded_key, str) or not encoded_key or not bucket:
            raise ValueError("an empty s3Key or bucket")
    except (KeyError, TypeError, ValueError) as e:
        raise MalformedEvent(f"task {task_id or '(no taskId)'} has no bucket or key: {e}") from e
    version_id = raw.get("s3VersionId")
    return BatchTask(
        task_id=task_id,
        bucket=bucket,
        key=unquote(encoded_key),
        version_id=str(version_id) if version_id else None,
    )

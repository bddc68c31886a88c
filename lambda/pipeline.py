"""The pipeline: claim, decide, record and announce each upload.

Built once per container from its parts (settings, the S3, DynamoDB and SNS
adapters, a logger and a clock); a test builds one with its own clients.

Every upload that reaches ``handle_upload`` ends in one record: PROCESSED,
REJECTED with a reason, or FAILED and raised, so that its queue message is
reported failed and delivered again (after ``queue_max_receive_count``
deliveries the uploads queue moves it to the failed-events queue). A claim
whose invocation dies without a decision (a hard timeout) stays PROCESSING
until its lease runs out; the message's next delivery, after the queue's
visibility timeout, takes it over, and the sweep records it FAILED if none
comes.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

import batch_operations
from config import Settings
from errors import (
    BatchIncomplete,
    InsufficientTime,
    MalformedEvent,
    MalwareScanFailed,
    UploadInProgress,
)
from events import (
    EventKind,
    ScanResult,
    Upload,
    event_kind,
    parse_batch_invocation,
    parse_batch_task,
    parse_queue_message,
    parse_s3_record,
    parse_scan_result,
    task_id_of,
)
from image_processor import (
    OUTPUT_EXTENSIONS,
    SEED_RECIPES,
    ImageRejected,
    Limits,
    Reason,
    Recipe,
    Route,
    check_size,
    process_recipes,
    route,
)
from notifications import NOTIFICATIONS, SECURITY, Notifier, topics_for
from storage import (
    MAX_KEY_BYTES,
    ClaimOutcome,
    ObjectChanged,
    ObjectMissing,
    ObjectStore,
    ObjectTooLarge,
    RecordStore,
    S3RequestRefused,
    Status,
    UploadRecord,
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
#: Retries inside each AWS call (botocore's standard mode), before Lambda's own.
AWS_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 3}, connect_timeout=3, read_timeout=10
)
#: Rejections reported to the security topic besides the image processor's own.
SECURITY_REASONS = frozenset(
    {
        Reason.MALWARE,
        Reason.MALWARE_SCAN_UNSUPPORTED,
        Reason.MALWARE_SCAN_ACCESS_DENIED,
        Reason.SCANNED_OBJECT_CHANGED,
    }
)
_SCAN_REJECTIONS: dict[str, Reason] = {
    ScanResult.THREATS_FOUND: Reason.MALWARE,
    ScanResult.UNSUPPORTED: Reason.MALWARE_SCAN_UNSUPPORTED,
    ScanResult.ACCESS_DENIED: Reason.MALWARE_SCAN_ACCESS_DENIED,
}


class LambdaContext(Protocol):
    aws_request_id: str
    memory_limit_in_mb: int | str

    def get_remaining_time_in_millis(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Decision:
    """What ``_decide`` concluded, before it is stamped and written."""

    status: Status
    fields: Mapping[str, Any]
    topics: frozenset[str]


class Pipeline:
    def __init__(
        self,
        settings: Settings,
        objects: ObjectStore,
        records: RecordStore,
        notifier: Notifier,
        logger: logging.Logger,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.objects = objects
        self.records = records
        self.notifier = notifier
        self._log = logger
        self._clock = clock

    @classmethod
    def from_settings(cls, settings: Settings, session: boto3.Session | None = None) -> Pipeline:
        """The pipeline with real AWS clients (the Lambda init phase)."""
        session = session or boto3.Session()
        return cls(
            settings,
            ObjectStore(session.client("s3", config=AWS_CONFIG)),
            RecordStore(session.client("dynamodb", config=AWS_CONFIG), settings.table_name),
            Notifier(
                session.client("sns", config=AWS_CONFIG),
                {
                    NOTIFICATIONS: settings.notifications_topic_arn,
                    SECURITY: settings.security_topic_arn,
                },
            ),
            get_logger("image_processor", settings.log_level),
        )

    # ----------------------------------------------------------------------
    # Entry point
    # ----------------------------------------------------------------------

    def handle(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        set_request_id(context.aws_request_id)
        kind = self._kind(event)
        if kind is EventKind.SQS:
            return self.handle_queue_batch(event["Records"], context)
        if kind is EventKind.SCHEDULE:
            return self.sweep()
        if kind is EventKind.BATCH_OPERATIONS:
            return self.handle_batch_operations(event, context)
        return {"outcomes": self._handle_event(kind, event, context)}

    def _kind(self, event: Mapping[str, Any]) -> EventKind:
        try:
            return event_kind(event)
        except MalformedEvent:
            self._log.error("event not understood", extra={"event": str(dict(event))[:500]})
            raise

    def handle_queue_batch(
        self, messages: list[Mapping[str, Any]], context: LambdaContext
    ) -> dict[str, Any]:
        """Each message of an SQS batch on its own; the failed ones are reported by id.

        Lambda deletes the others and makes only these visible again: one bad
        upload never makes its batch-mates retry
        (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html).
        """
        failures: list[dict[str, str]] = []
        outcomes: list[dict[str, Any]] = []
        # The most-delivered first: a message left for lack of time is first
        # in its next batch, so the time limit never defers one upload again
        # and again until the queue's receive limit dead-letters it unclaimed.
        for raw in sorted(messages, key=_receive_count, reverse=True):
            message_id = str(raw.get("messageId", "")) if isinstance(raw, Mapping) else ""
            try:
                message = parse_queue_message(raw)
                kind = self._kind(message.event)
                if kind in (EventKind.SQS, EventKind.SCHEDULE, EventKind.BATCH_OPERATIONS):
                    raise MalformedEvent(f"message {message.message_id} carries a {kind} event")
                outcomes.extend(self._handle_event(kind, message.event, context))
            except MalformedEvent as e:
                self._log.error(
                    "queue message not understood; it will reach the failed-events queue",
                    extra={"message_id": message_id, "error": str(e), "record": str(raw)[:500]},
                )
                failures.append({"itemIdentifier": message_id})
            except Exception:  # noqa: BLE001 - handle_upload logged and recorded it
                failures.append({"itemIdentifier": message_id})
        return {"outcomes": outcomes, "batchItemFailures": failures}

    def handle_batch_operations(
        self, event: Mapping[str, Any], context: LambdaContext
    ) -> dict[str, Any]:
        """Each task of an S3 Batch Operations invocation (a reprocessing job), with its result.

        An invocation without the ids its response must echo cannot be
        answered: it raises. A bad task fails alone (PermanentFailure).
        """
        try:
            invocation = parse_batch_invocation(event)
        except MalformedEvent as e:
            self._log.error(
                "batch operations invocation not understood",
                extra={"error": str(e), "event": str(dict(event))[:500]},
            )
            raise
        results = [
            self._reprocess(raw, invocation.schema_version, context) for raw in invocation.tasks
        ]
        self._log.info(
            "batch operations tasks done",
            extra={
                "job_id": invocation.job_id,
                "user_arguments": dict(invocation.user_arguments),
                "results": [r.code.value for r in results],
            },
        )
        return batch_operations.response(invocation, results)

    def _reprocess(
        self, raw: Mapping[str, Any], schema_version: str, context: LambdaContext
    ) -> batch_operations.TaskResult:
        task_id = task_id_of(raw)
        try:
            task = parse_batch_task(raw, schema_version)
        except MalformedEvent as e:
            self._log.error("batch operations task not understood", extra={"task": str(raw)[:500]})
            return batch_operations.TaskResult(
                task_id, batch_operations.ResultCode.PERMANENT_FAILURE, str(e)
            )
        try:
            planned = batch_operations.plan(task, self.records.get(task.key), self.settings)
            if isinstance(planned, batch_operations.TaskResult):
                self._log.info(
                    "reprocess task decided without processing",
                    extra={"object_key": task.key, "result": planned.message},
                )
                return planned
            outcome = self.handle_upload(planned, context)
        except Exception as e:  # noqa: BLE001 - logged (by handle_upload, or here) and redriven
            self._log.warning(
                "reprocess task failed; Batch Operations will redrive it",
                extra={"object_key": task.key, "error": type(e).__name__},
            )
            return batch_operations.failure_of(task_id, e)
        return batch_operations.result_of(task, outcome, self.settings.recipe_digest)

    def _handle_event(
        self, kind: EventKind, event: Mapping[str, Any], context: LambdaContext
    ) -> list[dict[str, Any]]:
        """The uploads of one S3 event or scan result; raises when any needs a retry."""
        if kind is EventKind.S3_TEST:
            self._log.info("S3 test event ignored")
            return []
        raws: list[Mapping[str, Any]] = event["Records"] if kind is EventKind.S3 else [event]
        outcomes: list[dict[str, Any]] = []
        errors: list[Exception] = []
        for raw in raws:
            try:
                parsed = (
                    parse_s3_record(raw, self.settings)
                    if kind is EventKind.S3
                    else parse_scan_result(raw, self.settings)
                )
                if isinstance(parsed, str):
                    self._log.info("record ignored", extra={"ignored": parsed})
                    continue
                outcomes.append(self.handle_upload(parsed, context))
            except MalformedEvent as e:
                self._log.error("malformed event record", extra={"record": str(raw)[:500]})
                errors.append(e)
            except Exception as e:  # noqa: BLE001 - handle_upload logged and recorded it
                errors.append(e)
        if errors:
            # The other records are done and recorded; a retry of the whole event
            # finds them decided and only redoes what failed.
            message = f"{len(errors)} of {len(raws)} records need a retry"
            raise BatchIncomplete(message) from errors[0]
        return outcomes

    def handle_upload(self, upload: Upload, context: LambdaContext) -> dict[str, Any]:
        """Claim, decide, record and announce one upload; log whatever fails."""
        stage, logged = "claim", False
        try:
            started = time.monotonic()
            remaining_ms = context.get_remaining_time_in_millis()
            if remaining_ms < MIN_REMAINING_MS:
                raise InsufficientTime(
                    f"{remaining_ms} ms left before {upload.key!r} could be claimed"
                )
            claim_with = self.records.claim_reprocess if upload.reprocess else self.records.claim
            claim = claim_with(
                self._claim_record(upload, context),
                lease_seconds=math.ceil(remaining_ms / 1000),
                now=int(self._clock()),
            )
            if claim.outcome is ClaimOutcome.DUPLICATE:
                self._log.info("duplicate or superseded event", extra={"object_key": upload.key})
                return {"object_key": upload.key, "status": "DUPLICATE"}
            if claim.outcome is ClaimOutcome.IN_PROGRESS:
                raise UploadInProgress(
                    f"{upload.key!r} is being processed by {claim.record.request_id}"
                )
            if claim.outcome is ClaimOutcome.NOTIFY_PENDING:
                stage = "announce"
                self._announce(claim.record)
                return _summary(claim.record)

            stage = "decide"
            try:
                decision = self._decide(upload, context)
            except Exception as e:
                self._log_failure(upload, stage, e)
                logged = True
                try:
                    self._fail(claim.record, e, started)
                except Exception as record_error:  # noqa: BLE001 - the decision's error is raised
                    self._log_failure(upload, "record_failure", record_error)
                raise
            stage = "finish"
            record = self.records.finish(self._stamp(claim.record, decision, started))
            if record is None:
                self._log.info(
                    "a newer upload took over the record", extra={"object_key": upload.key}
                )
                return {"object_key": upload.key, "status": "SUPERSEDED"}
            self._log.info("upload decided", extra=_log_fields(record))
            stage = "announce"
            self._announce(record)
            return _summary(record)
        except Exception as e:
            if not logged:
                self._log_failure(upload, stage, e)
            raise

    # ----------------------------------------------------------------------
    # The decision
    # ----------------------------------------------------------------------

    def _decide(self, upload: Upload, context: LambdaContext) -> Decision:
        """PROCESSED or REJECTED; raises for anything worth a retry.

        PROCESSED only once every output is written: a write that fails raises
        (the record says FAILED and the upload is retried, which writes every
        output again under the same keys, so a retry leaves no extra objects).
        """
        settings = self.settings
        limits = Limits(
            max_bytes=settings.max_upload_bytes,
            max_dimension=settings.max_dimension,
            memory_budget_bytes=_memory_budget(context),
        )
        target: Route | None = None
        try:
            self._check_scan(upload)
            target = route(upload.key, heif=settings.heic_input)
            recipes = self._recipes_for(target)
            output_keys = self._output_keys(upload.key, target, recipes)
            for output_key in output_keys:
                if len(output_key.encode()) > MAX_KEY_BYTES:
                    raise ImageRejected(
                        Reason.KEY_TOO_LONG,
                        f"the output key would be {len(output_key.encode())} bytes; "
                        f"S3 allows {MAX_KEY_BYTES}",
                    )
            if upload.size is not None:
                check_size(upload.size, limits)
            data = self.objects.read(
                upload.bucket,
                upload.key,
                upload.version_id,
                limits.max_bytes,
                if_match=upload.pinned_etag,
            )
        except ImageRejected as rejected:
            size = {"input_bytes": upload.size} if upload.size is not None else {}
            return self._rejected(rejected, target, size)
        except ObjectTooLarge as e:
            return self._rejected(ImageRejected(Reason.TOO_LARGE_BYTES, str(e)), target, {})
        except ObjectMissing as e:
            return self._rejected(
                ImageRejected(Reason.OBJECT_MISSING, f"the object is gone: {e}"), target, {}
            )
        except S3RequestRefused as e:
            return self._rejected(_refused(e), target, {})
        except ObjectChanged as e:
            return self._rejected(
                ImageRejected(
                    Reason.SCANNED_OBJECT_CHANGED,
                    f"the object is not the one GuardDuty scanned: {e}",
                ),
                target,
                {},
            )

        facts: dict[str, Any] = {
            "input_bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
        }
        if context.get_remaining_time_in_millis() < MIN_REMAINING_MS:
            raise InsufficientTime(f"too little time left to process {upload.key!r}")
        try:
            processed = process_recipes(data, target.expected_format, recipes, limits)
        except ImageRejected as rejected:
            return self._rejected(rejected, target, facts)
        del data  # the decoded image and its outputs are all that is needed now

        metadata = {
            "source-version-id": upload.version_id or "null",
            "source-sha256": facts["sha256"],
        }
        outputs = []
        for output_key, rendition in zip(output_keys, processed.outputs, strict=True):
            if settings.recipes is not None:
                metadata |= {"recipe": rendition.recipe.name, "recipe-digest": self._digest}
            try:
                self.objects.write(
                    upload.bucket, output_key, rendition.data, rendition.content_type, metadata
                )
            except S3RequestRefused as e:
                return self._rejected(_refused(e), target, facts)
            outputs.append(
                {
                    "recipe": rendition.recipe.name,
                    "key": output_key,
                    "format": rendition.output.format,
                    "width": rendition.output.width,
                    "height": rendition.output.height,
                    "bytes": rendition.output.size_bytes,
                }
            )
        first = processed.outputs[0].output  # the seed's one output; a recipe set's first
        return Decision(
            Status.PROCESSED,
            facts
            | {
                "operation": self._operation(target),
                "output_key": output_keys[0],
                "input_format": processed.source.format,
                "input_width": processed.source.width,
                "input_height": processed.source.height,
                "input_mode": processed.source.mode,
                "output_format": first.format,
                "output_width": first.width,
                "output_height": first.height,
                "output_mode": first.mode,
                "output_bytes": first.size_bytes,
                "outputs": tuple(outputs),
            },
            topics_for(suspicious=False),
        )

    def _recipes_for(self, target: Route) -> tuple[Recipe, ...]:
        """The configured recipe set, or the seed's rule: the file name's one operation."""
        if self.settings.recipes is None:
            return (SEED_RECIPES[target.operation],)
        return self.settings.recipes

    def _output_keys(self, key: str, target: Route, recipes: tuple[Recipe, ...]) -> list[str]:
        """Each recipe's output key: deterministic, so a retry overwrites rather than adds."""
        if self.settings.recipes is None:
            output_key = self.output_key_for(key)
            if target.expected_format == "HEIF":  # written as JPEG: say so in the name
                output_key = output_key.rpartition(".")[0] + ".jpg"
            return [output_key]
        relative = key[len(self.settings.input_prefix) :]
        path, _, extension = relative.rpartition(".")
        keys = []
        for recipe in recipes:
            fmt = recipe.output_format(target.expected_format)
            same = recipe.format == "same" and fmt == target.expected_format
            ext = extension if same else OUTPUT_EXTENSIONS[fmt]
            rendered = recipe.key.format(path=path, ext=ext, recipe=recipe.name)
            keys.append(self.settings.output_prefix + rendered)
        return keys

    def _operation(self, target: Route | None) -> str | None:
        if target is None:
            return None
        return target.operation.value if self.settings.recipes is None else "recipes"

    @property
    def _digest(self) -> str:
        return self.settings.recipe_digest

    def _rejected(
        self, rejected: ImageRejected, target: Route | None, facts: Mapping[str, Any]
    ) -> Decision:
        return _rejected(rejected, target, facts, operation=self._operation(target))

    @staticmethod
    def _check_scan(upload: Upload) -> None:
        """Only a clean scan lets a gated upload through; anything unknown fails closed."""
        if upload.scan_result is None or upload.scan_result == ScanResult.NO_THREATS_FOUND:
            return
        reason = _SCAN_REJECTIONS.get(upload.scan_result)
        if reason is None:
            raise MalwareScanFailed(f"GuardDuty's scan result is {upload.scan_result}")
        threats = f" ({', '.join(upload.threats)})" if upload.threats else ""
        raise ImageRejected(reason, f"GuardDuty's scan result is {upload.scan_result}{threats}")

    def output_key_for(self, key: str) -> str:
        return self.settings.output_prefix + key[len(self.settings.input_prefix) :]

    # ----------------------------------------------------------------------
    # Records and announcements
    # ----------------------------------------------------------------------

    def _claim_record(self, upload: Upload, context: LambdaContext) -> UploadRecord:
        now = self._now()
        return UploadRecord(
            object_key=upload.key,
            bucket=upload.bucket,
            sequencer=upload.sequencer,
            trigger=upload.trigger,
            version_id=upload.version_id,
            etag=upload.etag,
            event_size=upload.size,
            request_id=context.aws_request_id,
            received_at=now.isoformat(timespec="seconds"),
            expires_at=int((now + timedelta(days=self.settings.record_ttl_days)).timestamp()),
            recipe_digest=self.settings.recipe_digest,
            uploaded_by=upload.uploaded_by,
            tenant=upload.tenant,
        )

    def _stamp(self, claimed: UploadRecord, decision: Decision, started: float) -> UploadRecord:
        return claimed.decided(
            status=decision.status,
            pending_topics=decision.topics,
            processed_at=self._now().isoformat(timespec="milliseconds"),
            duration_ms=round((time.monotonic() - started) * 1000),
            **decision.fields,
        )

    def _fail(self, claimed: UploadRecord, error: Exception, started: float) -> None:
        """Record FAILED for a decision that raised (the caller re-raises it)."""
        code = getattr(error, "reason", "") or _aws_error_code(error)
        # Modeled AWS errors are ClientError subclasses named like their code.
        kind = "ClientError" if isinstance(error, ClientError) else type(error).__name__
        failure = Decision(
            Status.FAILED,
            {
                "reason": f"{kind}:{code}".rstrip(":"),
                "reason_message": str(error)[:500],
            },
            frozenset(),
        )
        self.records.finish(self._stamp(claimed, failure, started))

    def _announce(self, record: UploadRecord) -> None:
        """Publish what is still pending for the record, marking each topic as sent."""
        for topic in sorted(record.pending_topics):
            self.notifier.publish(topic, record)
            self.records.notified(record, topic)

    def _log_failure(self, upload: Upload, stage: str, error: Exception) -> None:
        fields = {
            "object_key": upload.key,
            "stage": stage,
            "error": type(error).__name__,
            "error_code": getattr(error, "reason", "") or _aws_error_code(error),
        }
        if isinstance(error, InsufficientTime | UploadInProgress):
            self._log.warning("upload not completed; Lambda will retry", extra=fields)
        else:
            self._log.exception("upload not completed; Lambda will retry", extra=fields)

    # ----------------------------------------------------------------------
    # The sweep
    # ----------------------------------------------------------------------

    def sweep(self) -> dict[str, Any]:
        """Record FAILED every claim whose lease ran out long ago with no retry since.

        Its invocation died (a hard timeout or a crash) and Lambda either gave up
        (the event is in the failed-events queue) or dropped the event. FAILED
        stays claimable, so a late retry or a replay still completes it.
        """
        cutoff = int(self._clock()) - self.settings.stuck_after_s
        expired = []
        for stuck in self.records.stuck(cutoff, self.settings.processing_index):
            failed = stuck.decided(
                status=Status.FAILED,
                reason="LeaseExpired",
                reason_message=(
                    f"claimed by {stuck.request_id}, which ended without a decision; no retry "
                    f"came within {self.settings.stuck_after_s} s of its lease"
                ),
                processed_at=self._now().isoformat(timespec="milliseconds"),
                pending_topics=topics_for(suspicious=False),
            )
            record = self.records.expire(stuck, failed)
            if record is None:
                continue  # a retry claimed or decided it meanwhile
            self._log.error("stuck upload recorded FAILED", extra=_log_fields(record))
            self._announce(record)
            expired.append(record.object_key)
        self._log.info("sweep done", extra={"expired": len(expired)})
        return {"expired": expired}

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)


def _rejected(
    rejected: ImageRejected,
    target: Route | None,
    facts: Mapping[str, Any],
    operation: str | None = None,
) -> Decision:
    """REJECTED; ``operation`` defaults to the file name's (the seed's rule)."""
    suspicious = rejected.suspicious or rejected.reason in SECURITY_REASONS
    if operation is None and target is not None:
        operation = target.operation.value
    return Decision(
        Status.REJECTED,
        dict(facts)
        | {
            "reason": rejected.reason.value,
            "reason_message": rejected.message,
            "operation": operation,
        },
        topics_for(suspicious=suspicious),
    )


def _refused(error: S3RequestRefused) -> ImageRejected:
    reason = Reason.KEY_TOO_LONG if error.code == "KeyTooLongError" else Reason.REQUEST_REFUSED
    return ImageRejected(reason, str(error)[:500])


def _memory_budget(context: LambdaContext) -> int | None:
    memory_mb = getattr(context, "memory_limit_in_mb", None)
    if not memory_mb:
        return None
    return int(int(memory_mb) * MIB * MEMORY_HEADROOM) - RUNTIME_BASELINE_BYTES


def _aws_error_code(error: Exception) -> str:
    response = getattr(error, "response", None)
    return str(response.get("Error", {}).get("Code", "")) if isinstance(response, dict) else ""


def _log_fields(record: UploadRecord) -> dict[str, Any]:
    return {
        "object_key": record.object_key,
        "status": record.status.value,
        "reason": record.reason,
        "operation": record.operation,
        "input_bytes": record.input_bytes,
        "output_bytes": record.output_bytes,
        "duration_ms": record.duration_ms,
        "uploaded_by": record.uploaded_by,
        "tenant": record.tenant,
    }


def _summary(record: UploadRecord) -> dict[str, Any]:
    return {
        "object_key": record.object_key,
        "status": record.status.value,
        "reason": record.reason,
        "output_key": record.output_key,
    }


def _receive_count(raw: Mapping[str, Any]) -> int:
    """How often SQS has delivered a message (its ApproximateReceiveCount; 1 if unreadable)."""
    try:
        return int(raw.get("attributes", {}).get("ApproximateReceiveCount", 1))
    except (AttributeError, TypeError, ValueError):
        return 1

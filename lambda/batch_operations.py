"""S3 Batch Operations: the tasks of a reprocessing job, and the result of each.

A job's "Invoke AWS Lambda function" operation calls the function
synchronously with a few tasks (one per object of the manifest) and expects,
for each, a result code and a string that the job's completion report shows
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-invoke-lambda.html):

* ``Succeeded``: "The task completed normally"; its result string is in the report;
* ``TemporaryFailure``: the task "will be redriven before the job completes";
* ``PermanentFailure``: the task is marked failed in the report, with the string.

What this module decides, without any I/O: whether a task is an upload to
reprocess (and which one), and the result each outcome of the pipeline
becomes. An upload reprocessed under the recipe set its record already names
is a no-op ("unchanged"); any other decision the pipeline reaches (PROCESSED,
REJECTED with a reason, a duplicate) is ``Succeeded`` with what happened; an
error a retry may fix is ``TemporaryFailure``; a task that no retry can
complete (a key outside the input prefix, an object that is gone, a malformed
task) is ``PermanentFailure`` with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from config import Settings
from events import BatchInvocation, BatchTask, Upload, ignored_because, tenant_of
from image_processor import Reason
from storage import (
    REPROCESS_FLOOR_SEQUENCER,
    SEED_RECIPE_DIGEST,
    Status,
    Trigger,
    UploadRecord,
)

#: Longest result string we return (the report is a CSV; AWS documents no
#: limit that we found, so this bound is ours).
MAX_RESULT_STRING = 1000


class ResultCode(StrEnum):
    SUCCEEDED = "Succeeded"
    TEMPORARY_FAILURE = "TemporaryFailure"
    PERMANENT_FAILURE = "PermanentFailure"


#: What Batch Operations records for a task the response leaves out. Every
#: task gets a result; if one ever did not, it is reported failed, never
#: silently counted as done (the value of AWS's example response).
TREAT_MISSING_KEYS_AS = ResultCode.PERMANENT_FAILURE


@dataclass(frozen=True, slots=True)
class TaskResult:
    task_id: str
    code: ResultCode
    message: str

    def to_json(self) -> dict[str, str]:
        return {
            "taskId": self.task_id,
            "resultCode": self.code.value,
            "resultString": self.message[:MAX_RESULT_STRING],
        }


def response(invocation: BatchInvocation, results: Sequence[TaskResult]) -> dict[str, Any]:
    """The response Batch Operations expects: the invocation's ids echoed, a result per task."""
    return {
        "invocationSchemaVersion": invocation.schema_version,
        "treatMissingKeysAs": TREAT_MISSING_KEYS_AS.value,
        "invocationId": invocation.invocation_id,
        "results": [result.to_json() for result in results],
    }


def digest_of(record: UploadRecord) -> str:
    """The recipe set a record was decided under; no digest is the seed's rule."""
    return record.recipe_digest or SEED_RECIPE_DIGEST


def plan(task: BatchTask, record: UploadRecord | None, settings: Settings) -> Upload | TaskResult:
    """The upload a task reprocesses, or the task's result when there is nothing to do.

    The record, when there is one, names the version to process and the
    ordering token to keep: the job's manifest may be older than the latest
    upload of a key, and a reprocess must never bring an older version back.
    """
    ignored = ignored_because(task.key, settings)
    if ignored == "folder marker":
        return TaskResult(task.task_id, ResultCode.SUCCEEDED, "skipped: a folder marker")
    if ignored:
        return TaskResult(task.task_id, ResultCode.PERMANENT_FAILURE, f"not reprocessed: {ignored}")
    if record is not None and record.bucket != task.bucket:
        return TaskResult(
            task.task_id,
            ResultCode.PERMANENT_FAILURE,
            f"not reprocessed: the pipeline's record of this key is in bucket {record.bucket}",
        )
    if settings.malware_protection and not _scanned_clean(record):
        state = "no record" if record is None else f"the record is {record.status.value}"
        return TaskResult(
            task.task_id,
            ResultCode.PERMANENT_FAILURE,
            "not reprocessed: malware gating is on and only an upload GuardDuty scanned clean "
            f"and the pipeline processed may be reprocessed ({state})",
        )
    if record is not None and _unchanged(record, settings.recipe_digest):
        return TaskResult(
            task.task_id,
            ResultCode.SUCCEEDED,
            f"unchanged: already {record.status.value} under recipe set {digest_of(record)}",
        )
    if record is None:
        return Upload(
            bucket=task.bucket,
            key=task.key,
            version_id=task.version_id,
            sequencer=REPROCESS_FLOOR_SEQUENCER,
            etag=None,
            trigger=Trigger.S3_EVENT,
            reprocess=True,
            tenant=tenant_of(task.key, settings),
        )
    return Upload(
        bucket=record.bucket,
        key=record.object_key,
        version_id=record.version_id,
        sequencer=record.sequencer,
        etag=record.etag,
        trigger=record.trigger,
        reprocess=True,
        # A reprocess rewrites the record: who uploaded stays as first recorded.
        uploaded_by=record.uploaded_by,
        tenant=tenant_of(record.object_key, settings),
    )


def _scanned_clean(record: UploadRecord | None) -> bool:
    return (
        record is not None
        and record.trigger is Trigger.MALWARE_SCAN
        and record.status is Status.PROCESSED
    )


def _unchanged(record: UploadRecord, digest: str) -> bool:
    """Decided (and announced) under this recipe set already: nothing to redo."""
    return (
        record.status in (Status.PROCESSED, Status.REJECTED)
        and not record.pending_topics
        and digest_of(record) == digest
    )


def result_of(task: BatchTask, outcome: Mapping[str, Any], digest: str) -> TaskResult:
    """The result of a task the pipeline decided (``Pipeline.handle_upload``'s summary)."""
    status = str(outcome.get("status", ""))
    reason = outcome.get("reason")
    if status == Status.PROCESSED:
        message = f"PROCESSED: wrote {outcome.get('output_key')} under recipe set {digest}"
        return TaskResult(task.task_id, ResultCode.SUCCEEDED, message)
    if status == Status.REJECTED and reason == Reason.OBJECT_MISSING:
        return TaskResult(
            task.task_id,
            ResultCode.PERMANENT_FAILURE,
            f"REJECTED {reason}: s3://{task.bucket}/{task.key} is gone",
        )
    if status == Status.REJECTED:
        return TaskResult(task.task_id, ResultCode.SUCCEEDED, f"REJECTED {reason}")
    if status == "DUPLICATE":
        return TaskResult(
            task.task_id,
            ResultCode.SUCCEEDED,
            "DUPLICATE: decided meanwhile (by another invocation under this recipe set, "
            "or a newer upload of the key)",
        )
    if status == "SUPERSEDED":
        return TaskResult(
            task.task_id,
            ResultCode.SUCCEEDED,
            "SUPERSEDED: a newer upload of the key took the record over",
        )
    return TaskResult(
        task.task_id, ResultCode.TEMPORARY_FAILURE, f"no decision recorded (status {status!r})"
    )


def failure_of(task_id: str, error: Exception) -> TaskResult:
    """A task whose processing raised: Batch Operations redrives it before the job ends."""
    reason = getattr(error, "reason", "") or type(error).__name__
    return TaskResult(task_id, ResultCode.TEMPORARY_FAILURE, f"retry: {reason}: {error}")

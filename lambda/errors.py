"""Errors that make the queue deliver an event again (at the end: the failed-events queue).

Each carries a ``reason`` for the log and the FAILED record. Anything no retry
can fix is not raised: it ends the upload REJECTED with a reason instead.
"""

from __future__ import annotations


class RetryableError(Exception):
    reason = "retryable"


class InsufficientTime(RetryableError):
    reason = "insufficient_time"


class UploadInProgress(RetryableError):
    reason = "in_progress_elsewhere"


class MalformedEvent(RetryableError):
    """Not an event this function understands; kept for an operator in the failed-events queue."""

    reason = "malformed_event"


class MalwareScanFailed(RetryableError):
    """GuardDuty could not scan the object: its FAILED result, or one this code does not know."""

    reason = "malware_scan_failed"


class BatchIncomplete(RetryableError):
    reason = "batch_incomplete"

"""AWS adapters for storage: the S3 objects and the DynamoDB record of each upload.

The record is also the idempotency guard. S3 delivers events at least once and
not always in order, so every upload is first *claimed* with a conditional
write keyed on the event's ``sequencer``; a duplicate or an older event cannot
claim it and changes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

_SEQUENCER_WIDTH = 64
_SERIALIZER = TypeSerializer()
_DESERIALIZER = TypeDeserializer()


class Status(StrEnum):
    PROCESSING = "PROCESSING"  # claimed, not terminal; the lease says until when
    PROCESSED = "PROCESSED"
    REJECTED = "REJECTED"
    FAILED = "FAILED"


TERMINAL_STATUSES = frozenset({Status.PROCESSED, Status.REJECTED, Status.FAILED})


class ObjectMissing(Exception):
    """The object version named in the event no longer exists."""


class ObjectTooLarge(Exception):
    """The object is larger than the event said and than the limit allows."""

    def __init__(self, size_bytes: int) -> None:
        super().__init__(f"the object holds more than {size_bytes} bytes")
        self.size_bytes = size_bytes


def normalize_sequencer(sequencer: str | None) -> str:
    """Left-pad with zeros so that string order is event order, as AWS documents."""
    value = (sequencer or "").strip().upper()
    if len(value) > _SEQUENCER_WIDTH or any(c not in "0123456789ABCDEF" for c in value):
        raise ValueError(f"not an S3 event sequencer: {sequencer!r}")
    return value.rjust(_SEQUENCER_WIDTH, "0")


# --------------------------------------------------------------------------
# S3
# --------------------------------------------------------------------------


class ObjectStore:
    def __init__(self, client: Any) -> None:
        self._s3 = client

    def read(self, bucket: str, key: str, version_id: str | None, max_bytes: int) -> bytes:
        """The object's bytes, never more than ``max_bytes`` (+1 to detect excess)."""
        kwargs = {"Bucket": bucket, "Key": key}
        if version_id:
            kwargs["VersionId"] = version_id
        try:
            response = self._s3.get_object(**kwargs)
        except ClientError as e:
            if e.response["Error"]["Code"] in ("NoSuchKey", "NoSuchVersion", "404"):
                raise ObjectMissing(f"s3://{bucket}/{key} ({version_id or 'latest'})") from e
            raise
        body = response["Body"]
        try:
            data = body.read(max_bytes + 1)
        finally:
            body.close()
        if len(data) > max_bytes:
            raise ObjectTooLarge(max_bytes)
        return data

    def write(
        self, bucket: str, key: str, data: bytes, content_type: str, metadata: Mapping[str, str]
    ) -> None:
        # No encryption headers: the bucket's default SSE-KMS key applies, and the
        # bucket policy refuses any request that asks for another key.
        self._s3.put_object(
            Bucket=bucket, Key=key, Body=data, ContentType=content_type, Metadata=dict(metadata)
        )


# --------------------------------------------------------------------------
# DynamoDB
# --------------------------------------------------------------------------


class ClaimOutcome(StrEnum):
    CLAIMED = "claimed"  # this invocation owns the upload now
    DUPLICATE = "duplicate"  # already decided (or superseded by a newer upload)
    IN_PROGRESS = "in_progress"  # another invocation holds a live lease
    NOTIFY_PENDING = "notify_pending"  # decided, but some notifications were not sent


@dataclass(frozen=True, slots=True)
class Claim:
    outcome: ClaimOutcome
    item: dict[str, Any]


def _marshal(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _SERIALIZER.serialize(v) for k, v in values.items() if v is not None}


def _unmarshal(item: Mapping[str, Any] | None) -> dict[str, Any]:
    return {k: _DESERIALIZER.deserialize(v) for k, v in (item or {}).items()}


class RecordStore:
    def __init__(self, client: Any, table_name: str) -> None:
        self._ddb = client
        self._table = table_name

    def claim(self, item: Mapping[str, Any], lease_seconds: int) -> Claim:
        """Claim an upload for processing, unless a record says it need not be.

        Claimable when: no record yet; the record is of an older upload of the
        key (smaller sequencer); or it is this upload and it FAILED, or its
        PROCESSING lease has run out (the earlier invocation died).
        """
        now = int(time.time())
        new = {**item, "status": Status.PROCESSING.value, "lease_until": now + lease_seconds}
        try:
            self._ddb.put_item(
                TableName=self._table,
                Item=_marshal(new),
                ConditionExpression=(
                    "attribute_not_exists(object_key) OR sequencer < :seq OR "
                    "(sequencer = :seq AND (#status = :failed OR "
                    "(#status = :processing AND lease_until < :now)))"
                ),
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=_marshal(
                    {
                        ":seq": item["sequencer"],
                        ":failed": Status.FAILED.value,
                        ":processing": Status.PROCESSING.value,
                        ":now": now,
                    }
                ),
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as e:
            if e.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            existing = _unmarshal(e.response.get("Item"))
            return Claim(self._why_not_claimed(existing, item["sequencer"]), existing)
        return Claim(ClaimOutcome.CLAIMED, new)

    @staticmethod
    def _why_not_claimed(existing: Mapping[str, Any], sequencer: str) -> ClaimOutcome:
        if existing.get("sequencer") != sequencer:
            return ClaimOutcome.DUPLICATE  # a newer upload of the key owns the record
        if existing.get("status") == Status.PROCESSING.value:
            return ClaimOutcome.IN_PROGRESS
        if existing.get("pending_topics"):
            return ClaimOutcome.NOTIFY_PENDING
        return ClaimOutcome.DUPLICATE

    def finish(self, claim: Mapping[str, Any], result: Mapping[str, Any]) -> dict[str, Any] | None:
        """Write the terminal result if this invocation still owns the record.

        Returns the full record, or ``None`` when a newer upload took it over.
        """
        values = {k: v for k, v in result.items() if v is not None}
        names = {f"#a{i}": k for i, k in enumerate(values)}
        updates = ", ".join(f"#a{i} = :a{i}" for i in range(len(values)))
        attribute_values = {f":a{i}": v for i, v in enumerate(values.values())}
        attribute_values |= {":rid": claim["request_id"], ":seq": claim["sequencer"]}
        try:
            response = self._ddb.update_item(
                TableName=self._table,
                Key=_marshal({"object_key": claim["object_key"]}),
                UpdateExpression=f"SET {updates} REMOVE lease_until",
                ConditionExpression="request_id = :rid AND sequencer = :seq",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=_marshal(attribute_values),
                ReturnValues="ALL_NEW",
            )
        except ClientError as e:
            if e.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return None
            raise
        return _unmarshal(response["Attributes"])

    def notified(self, object_key: str, sequencer: str, topic: str) -> None:
        """Mark one notification of the record as sent."""
        self._ddb.update_item(
            TableName=self._table,
            Key=_marshal({"object_key": object_key}),
            UpdateExpression="DELETE pending_topics :topic",
            ConditionExpression="sequencer = :seq",
            ExpressionAttributeValues=_marshal({":topic": {topic}, ":seq": sequencer}),
        )

    def get(self, object_key: str) -> dict[str, Any] | None:
        response = self._ddb.get_item(
            TableName=self._table, Key=_marshal({"object_key": object_key}), ConsistentRead=True
        )
        return _unmarshal(response.get("Item")) or None


def topic_set(topics: Iterable[str]) -> set[str] | None:
    """DynamoDB cannot store an empty set; an absent attribute means 'none'."""
    values = set(topics)
    return values or None

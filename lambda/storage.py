"""AWS adapters for storage: the S3 objects and the DynamoDB record of each upload.

The record is also the idempotency guard. S3 delivers events at least once and
not always in order, so every upload is first *claimed* with a conditional
write keyed on the event's ordering token (S3's ``sequencer``); a duplicate or
an older event cannot claim it and changes nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

if TYPE_CHECKING:  # the stubs are a development dependency (requirements-dev.txt)
    from types_boto3_dynamodb import DynamoDBClient
    from types_boto3_s3 import S3Client
    from types_boto3_s3.type_defs import GetObjectRequestTypeDef

#: Width that ordering tokens are padded to before they are stored and compared.
SEQUENCER_WIDTH = 64
#: S3 refuses longer keys: "a sequence of Unicode characters whose UTF-8 encoding
#: is at most 1,024 bytes long"
#: (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html).
MAX_KEY_BYTES = 1024
_HEX = frozenset("0123456789ABCDEF")
_SERIALIZER = TypeSerializer()
_DESERIALIZER = TypeDeserializer()


class Status(StrEnum):
    PROCESSING = "PROCESSING"  # claimed, not terminal; the lease says until when
    PROCESSED = "PROCESSED"
    REJECTED = "REJECTED"
    FAILED = "FAILED"


class Trigger(StrEnum):
    """What started the processing: the S3 event, or GuardDuty's clean scan result."""

    S3_EVENT = "s3_event"
    MALWARE_SCAN = "malware_scan"


def normalize_sequencer(sequencer: str | None) -> str:
    """S3's ``sequencer``, right-padded with zeros so that string order is event order.

    The S3 User Guide: "The sequencers can be of different lengths. To compare
    these values, first right pad the shorter value with zeros, and then do a
    lexicographical comparison."
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html)
    """
    value = (sequencer or "").strip().upper()
    if not value or len(value) > SEQUENCER_WIDTH or not set(value) <= _HEX:
        raise ValueError(f"not an S3 event sequencer: {sequencer!r}")
    return value.ljust(SEQUENCER_WIDTH, "0")


# --------------------------------------------------------------------------
# The record
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class UploadRecord:
    """One upload's record: what arrived, who owns it, and what was decided.

    The DynamoDB item, the log fields and the notification are all built from
    this one type. ``None`` means "absent" (DynamoDB stores no nulls here).
    """

    # What arrived (written by the claim)
    object_key: str
    bucket: str
    sequencer: str
    trigger: Trigger = Trigger.S3_EVENT
    version_id: str | None = None
    etag: str | None = None
    event_size: int | None = None
    request_id: str
    received_at: str
    expires_at: int
    status: Status = Status.PROCESSING
    lease_until: int | None = None
    #: The recipe set this claim processes with (``image_processor.recipe_digest``).
    recipe_digest: str | None = None
    #: Who uploaded (S3's ``userIdentity.principalId``) and, with uploader
    #: isolation, the tenant whose prefix the key is under; ``None`` when the
    #: event that started the processing does not say (``events.Upload``).
    uploaded_by: str | None = None
    tenant: str | None = None
    # What was decided (written by finish)
    reason: str | None = None
    reason_message: str | None = None
    operation: str | None = None
    output_key: str | None = None
    sha256: str | None = None
    input_format: str | None = None
    input_width: int | None = None
    input_height: int | None = None
    input_mode: str | None = None
    input_bytes: int | None = None
    output_format: str | None = None
    output_width: int | None = None
    output_height: int | None = None
    output_mode: str | None = None
    output_bytes: int | None = None
    processed_at: str | None = None
    duration_ms: int | None = None
    #: Every output written: one map per recipe (``OUTPUT_FIELDS``).
    outputs: tuple[Mapping[str, Any], ...] = ()
    #: A reprocess under another recipe set: the outputs the earlier set had
    #: written, and that set's digest. Outputs the new set does not rewrite stay
    #: until the lifecycle rule expires them.
    replaced_outputs: tuple[str, ...] = ()
    previous_recipe_digest: str | None = None
    #: Topics still to be told about the decision; emptied as each is sent.
    pending_topics: frozenset[str] = field(default_factory=frozenset)

    #: Written by the claim; everything else is the decision.
    CLAIM_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {
            "object_key",
            "bucket",
            "sequencer",
            "trigger",
            "version_id",
            "etag",
            "event_size",
            "request_id",
            "received_at",
            "expires_at",
            "lease_until",
            "recipe_digest",
            "uploaded_by",
            "tenant",
        }
    )
    #: What each entry of ``outputs`` holds.
    OUTPUT_FIELDS: ClassVar[tuple[str, ...]] = (
        "recipe",
        "key",
        "format",
        "width",
        "height",
        "bytes",
    )

    def to_item(self) -> dict[str, Any]:
        """The DynamoDB item (attribute values marshalled), absent values left out."""
        return _marshal(dict(self._present()))

    def decision(self) -> dict[str, Any]:
        """The decided fields that are present: what ``finish`` writes."""
        return {k: v for k, v in self._present() if k not in self.CLAIM_FIELDS}

    def decided(self, **changes: Any) -> UploadRecord:
        """A copy with the decision applied."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> UploadRecord:
        """The record a DynamoDB item holds (numbers back to ``int``)."""
        values = {k: _DESERIALIZER.deserialize(v) for k, v in item.items()}
        known = {f.name for f in fields(cls)}
        kwargs: dict[str, Any] = {}
        for name, value in values.items():
            if name not in known:
                continue  # an attribute written by a newer version; keep reading
            if isinstance(value, Decimal):
                value = int(value)
            elif isinstance(value, set):
                value = frozenset(value)
            elif isinstance(value, list):
                value = tuple(_plain(entry) for entry in value)
            kwargs[name] = value
        kwargs["status"] = Status(kwargs.get("status", Status.PROCESSING))
        kwargs["trigger"] = Trigger(kwargs.get("trigger", Trigger.S3_EVENT))
        return cls(**kwargs)

    def _present(self) -> Iterator[tuple[str, Any]]:
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None or value == frozenset() or value == ():
                continue
            if isinstance(value, StrEnum):
                value = value.value
            elif isinstance(value, frozenset):
                value = set(value)
            elif isinstance(value, tuple):
                value = [dict(entry) if isinstance(entry, Mapping) else entry for entry in value]
            yield f.name, value

    def output_keys(self) -> tuple[str, ...]:
        """The keys of every output the record says were written."""
        if self.outputs:
            return tuple(str(entry["key"]) for entry in self.outputs)
        return (self.output_key,) if self.output_key else ()


def _plain(value: Any) -> Any:
    """A value read back from DynamoDB with its numbers as ``int`` (maps and lists too)."""
    if isinstance(value, Decimal):
        return int(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _marshal(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _SERIALIZER.serialize(v) for k, v in values.items() if v is not None}


# --------------------------------------------------------------------------
# S3
# --------------------------------------------------------------------------


class ObjectMissing(Exception):
    """The object version named in the event no longer exists."""


class ObjectTooLarge(Exception):
    """The object is larger than the event said and than the limit allows."""

    def __init__(self, size_bytes: int) -> None:
        super().__init__(f"the object holds more than {size_bytes} bytes")
        self.size_bytes = size_bytes


class ObjectChanged(Exception):
    """The object is not the one the caller pinned: S3 answered ``If-Match`` with 412.

    GetObject's ``If-Match``: "Return the object only if its entity tag (ETag)
    is the same as the one specified in this header; otherwise, return a 412
    Precondition Failed error"
    (https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/s3/aws.sdk.kotlin.services.s3.model/-get-object-request/if-match.html,
    the GetObject reference's text).
    """


class S3RequestRefused(Exception):
    """S3 refused the request for a reason that no retry can change."""

    def __init__(self, code: str, operation: str, message: str) -> None:
        super().__init__(f"S3 {operation} refused with {code}: {message}")
        self.code = code
        self.operation = operation


#: S3 error codes that the same request always gets again, so a retry cannot
#: help (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#ErrorCodeList).
#: AccessDenied and KMS errors are deliberately NOT here: they come from
#: configuration or an incident (a disabled key) that an operator fixes, after
#: which Lambda's retry or the failed-events replay must still be able to work.
PERMANENT_S3_ERRORS = frozenset(
    {
        "KeyTooLongError",  # 400 "Your key is too long."
        "InvalidArgument",  # 400 "Invalid Argument"
        "InvalidObjectState",  # 403 the object is archived (not valid for its state)
        "MetadataTooLarge",  # 400 user metadata over the 2 KB limit
        "EntityTooLarge",  # 400 the upload is over the maximum size
    }
)
_MISSING = frozenset({"NoSuchKey", "NoSuchVersion", "404"})
#: S3's code for a failed ``If-Match`` (HTTP 412).
_PRECONDITION_FAILED = frozenset({"PreconditionFailed", "412"})


def _s3_error(e: ClientError, operation: str, bucket: str, key: str, version: str | None) -> None:
    """Raise the domain error a ClientError stands for; return if it is transient."""
    code = e.response.get("Error", {}).get("Code", "")
    if code in _MISSING:
        raise ObjectMissing(f"s3://{bucket}/{key} ({version or 'latest'})") from e
    if code in PERMANENT_S3_ERRORS:
        message = e.response.get("Error", {}).get("Message", "")
        raise S3RequestRefused(code, operation, message) from e


def quoted_etag(etag: str) -> str:
    """An ETag as an HTTP entity tag: in double quotes (RFC 7232), as S3 returns it.

    Events carry it bare (S3's ``eTag``, GuardDuty's ``eTag``).
    """
    return etag if etag.startswith('"') else f'"{etag}"'


class ObjectStore:
    def __init__(self, client: S3Client) -> None:
        self._s3 = client

    def read(
        self,
        bucket: str,
        key: str,
        version_id: str | None,
        max_bytes: int,
        if_match: str | None = None,
    ) -> bytes:
        """The object's bytes, never more than ``max_bytes`` (+1 to detect excess).

        With ``if_match`` (an ETag), only if the object still has that ETag;
        ``ObjectChanged`` otherwise.
        """
        kwargs: GetObjectRequestTypeDef = {"Bucket": bucket, "Key": key}
        if version_id:
            kwargs["VersionId"] = version_id
        if if_match:
            kwargs["IfMatch"] = quoted_etag(if_match)
        try:
            response = self._s3.get_object(**kwargs)
        except ClientError as e:
            if e.response.get("Error", {}).get("Code", "") in _PRECONDITION_FAILED:
                raise ObjectChanged(
                    f"s3://{bucket}/{key} ({version_id or 'latest'}) no longer has "
                    f"ETag {quoted_etag(if_match or '')}"
                ) from e
            _s3_error(e, "GetObject", bucket, key, version_id)
            raise
        body = response["Body"]
        try:
            data: bytes = body.read(max_bytes + 1)
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
        try:
            self._s3.put_object(
                Bucket=bucket, Key=key, Body=data, ContentType=content_type, Metadata=dict(metadata)
            )
        except ClientError as e:
            _s3_error(e, "PutObject", bucket, key, None)
            raise


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
    record: UploadRecord


#: The digest of the seed's rule (``image_processor.recipe_digest(None)``),
#: which a record written before records had a digest was decided under.
SEED_RECIPE_DIGEST = "c08cd3b7bb6f677b"
#: The ordering token of a record that a reprocess creates for an object with
#: none: below any S3 sequencer, so the event of a later upload still wins.
REPROCESS_FLOOR_SEQUENCER = "0" * SEQUENCER_WIDTH


def _replacing(new: UploadRecord, old: UploadRecord) -> UploadRecord:
    """The claimed record, naming the outputs of a decision made under another recipe set.

    A retry of a reprocess (the earlier attempt FAILED or died) finds the
    earlier attempt's claim, which carries what the first attempt found.
    """
    if old.sequencer != new.sequencer:
        return new  # a new upload of the key, not a reprocess
    if old.status in (Status.PROCESSING, Status.FAILED) and old.recipe_digest == new.recipe_digest:
        return dataclasses.replace(
            new,
            replaced_outputs=old.replaced_outputs,
            previous_recipe_digest=old.previous_recipe_digest,
        )
    old_digest = old.recipe_digest or SEED_RECIPE_DIGEST
    if old.status is Status.PROCESSED and old_digest != new.recipe_digest:
        return dataclasses.replace(
            new, replaced_outputs=old.output_keys(), previous_recipe_digest=old_digest
        )
    return new


def _condition_item(error: ClientError) -> Mapping[str, Any]:
    """The item a failed condition returned (ReturnValuesOnConditionCheckFailure), or {}.

    botocore's type of an error response does not name it.
    """
    response: Mapping[str, object] = error.response
    item = response.get("Item")
    return item if isinstance(item, Mapping) else {}


class RecordStore:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._ddb = client
        self._table = table_name

    def claim(self, record: UploadRecord, lease_seconds: int, now: int) -> Claim:
        """Claim an upload for processing, unless a record says it need not be.

        Claimable when: no record yet; the record is of an older upload of the
        key (smaller sequencer) or came from the other trigger (malware gating
        switched on or off); or it is this upload and it FAILED, or its
        PROCESSING lease has run out (the earlier invocation died), or it was
        decided under another recipe set (``recipe_digest``: a reprocess, such
        as a backfill after the recipes changed). A record written before
        records had a digest counts as the seed's rule's.

        A reprocess's claimed record names the outputs the earlier decision
        had written (``replaced_outputs``), which ``finish`` then stores.
        """
        new = dataclasses.replace(record, status=Status.PROCESSING, lease_until=now + lease_seconds)
        reprocess = "(attribute_exists(recipe_digest) AND recipe_digest <> :digest)"
        if record.recipe_digest != SEED_RECIPE_DIGEST:
            reprocess = f"({reprocess} OR attribute_not_exists(recipe_digest))"
        values = {
            ":seq": record.sequencer,
            ":trigger": record.trigger.value,
            ":failed": Status.FAILED.value,
            ":processing": Status.PROCESSING.value,
            ":now": now,
        }
        if record.recipe_digest is not None:
            values[":digest"] = record.recipe_digest
            reprocess_condition = f" OR (#status <> :processing AND {reprocess})"
        else:
            reprocess_condition = ""
        try:
            response = self._ddb.put_item(
                TableName=self._table,
                Item=new.to_item(),
                ConditionExpression=(
                    "attribute_not_exists(object_key) OR #trigger <> :trigger OR "
                    "sequencer < :seq OR (sequencer = :seq AND (#status = :failed OR "
                    f"(#status = :processing AND lease_until < :now){reprocess_condition}))"
                ),
                ExpressionAttributeNames={"#status": "status", "#trigger": "trigger"},
                ExpressionAttributeValues=_marshal(values),
                ReturnValues="ALL_OLD",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as e:
            if e.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            existing = UploadRecord.from_item(_condition_item(e))
            return Claim(self._why_not_claimed(existing, record), existing)
        old = response.get("Attributes")
        if old:
            new = _replacing(new, UploadRecord.from_item(old))
        return Claim(ClaimOutcome.CLAIMED, new)

    def get(self, object_key: str) -> UploadRecord | None:
        """The record of a key as stored now (a consistent read), or ``None``."""
        item = self._ddb.get_item(
            TableName=self._table,
            Key=_marshal({"object_key": object_key}),
            ConsistentRead=True,
        ).get("Item")
        return UploadRecord.from_item(item) if item else None

    def claim_reprocess(self, record: UploadRecord, lease_seconds: int, now: int) -> Claim:
        """Claim an object that is already stored, for a reprocess (S3 Batch Operations).

        A reprocess has no S3 sequencer of its own: ``record`` carries the one
        of the record it read (``get``), or ``REPROCESS_FLOOR_SEQUENCER`` when
        there was none, and the claim keeps it, so that the event of a later
        upload of the key (a larger sequencer) still takes the record over.

        Claimable when: no record; or the record is still the one read (same
        sequencer and trigger) and it was decided under another recipe set
        (a record without a digest counts as the seed's rule's), or it
        FAILED, or its PROCESSING lease has run out. Under the same recipe set
        a decided record is left alone: reprocessing twice is a no-op.
        """
        if record.recipe_digest is None:
            raise ValueError("a reprocess claim needs the recipe digest it processes with")
        new = dataclasses.replace(record, status=Status.PROCESSING, lease_until=now + lease_seconds)
        # A missing attribute is "not equal" to anything, so the digest is
        # compared only where it exists; a record without one is the seed's.
        other_digest = "(attribute_exists(recipe_digest) AND recipe_digest <> :digest)"
        if record.recipe_digest != SEED_RECIPE_DIGEST:
            other_digest = f"(attribute_not_exists(recipe_digest) OR {other_digest})"
        try:
            response = self._ddb.put_item(
                TableName=self._table,
                Item=new.to_item(),
                ConditionExpression=(
                    "attribute_not_exists(object_key) OR (sequencer = :seq AND "
                    "#trigger = :trigger AND ((#status = :processing AND lease_until < :now) OR "
                    f"(#status <> :processing AND (#status = :failed OR {other_digest}))))"
                ),
                ExpressionAttributeNames={"#status": "status", "#trigger": "trigger"},
                ExpressionAttributeValues=_marshal(
                    {
                        ":seq": record.sequencer,
                        ":trigger": record.trigger.value,
                        ":digest": record.recipe_digest,
                        ":failed": Status.FAILED.value,
                        ":processing": Status.PROCESSING.value,
                        ":now": now,
                    }
                ),
                ReturnValues="ALL_OLD",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as e:
            if e.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            existing = UploadRecord.from_item(_condition_item(e))
            return Claim(self._why_not_claimed(existing, record), existing)
        old = response.get("Attributes")
        if old:
            new = _replacing(new, UploadRecord.from_item(old))
        return Claim(ClaimOutcome.CLAIMED, new)

    @staticmethod
    def _why_not_claimed(existing: UploadRecord, record: UploadRecord) -> ClaimOutcome:
        # (A record decided under another recipe set was claimable: it is not one of these.)
        if existing.sequencer != record.sequencer:
            return ClaimOutcome.DUPLICATE  # a newer upload of the key owns the record
        if existing.status is Status.PROCESSING:
            if existing.request_id == record.request_id:
                # Our own claim: the write succeeded but its response was lost,
                # and botocore's retry met the record it had written.
                return ClaimOutcome.CLAIMED
            return ClaimOutcome.IN_PROGRESS
        if existing.pending_topics:
            return ClaimOutcome.NOTIFY_PENDING
        return ClaimOutcome.DUPLICATE

    def finish(self, record: UploadRecord) -> UploadRecord | None:
        """Write the record's decision if this invocation still owns the record.

        Returns the record as stored, or ``None`` when a newer upload took it over.
        """
        return self._decide(record, "request_id = :rid AND sequencer = :seq", record, {}, {})

    def notified(self, record: UploadRecord, topic: str) -> None:
        """Mark one notification of the record as sent."""
        self._ddb.update_item(
            TableName=self._table,
            Key=_marshal({"object_key": record.object_key}),
            UpdateExpression="DELETE pending_topics :topic",
            ConditionExpression="sequencer = :seq",
            ExpressionAttributeValues=_marshal({":topic": {topic}, ":seq": record.sequencer}),
        )

    def stuck(self, older_than: int, index_name: str | None = None) -> Iterator[UploadRecord]:
        """Records still PROCESSING whose lease ran out before ``older_than``.

        Only a PROCESSING record has ``lease_until`` (``finish`` removes it), so
        an index on that attribute holds only the records in flight; without
        one, the whole table is scanned.
        """
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "FilterExpression": "#status = :processing AND lease_until < :cutoff",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": _marshal(
                {":processing": Status.PROCESSING.value, ":cutoff": older_than}
            ),
            "ConsistentRead": index_name is None,
        }
        if index_name:
            kwargs["IndexName"] = index_name
        for page in self._ddb.get_paginator("scan").paginate(**kwargs):
            for item in page.get("Items", []):
                yield UploadRecord.from_item(item)

    def expire(self, stuck: UploadRecord, result: UploadRecord) -> UploadRecord | None:
        """Record a stuck claim's decision, unless it moved on meanwhile."""
        return self._decide(
            result,
            "request_id = :rid AND sequencer = :seq AND #st = :processing AND lease_until = :lease",
            stuck,
            {":processing": Status.PROCESSING.value, ":lease": stuck.lease_until},
            {"#st": "status"},
        )

    def _decide(
        self,
        result: UploadRecord,
        condition: str,
        owner: UploadRecord,
        values: Mapping[str, Any],
        names: Mapping[str, str],
    ) -> UploadRecord | None:
        decision = result.decision()
        attribute_names = {f"#a{i}": k for i, k in enumerate(decision)} | dict(names)
        updates = ", ".join(f"#a{i} = :a{i}" for i in range(len(decision)))
        attribute_values = {f":a{i}": v for i, v in enumerate(decision.values())}
        attribute_values |= {":rid": owner.request_id, ":seq": owner.sequencer} | dict(values)
        try:
            response = self._ddb.update_item(
                TableName=self._table,
                Key=_marshal({"object_key": result.object_key}),
                UpdateExpression=f"SET {updates} REMOVE lease_until",
                ConditionExpression=condition,
                ExpressionAttributeNames=attribute_names,
                ExpressionAttributeValues=_marshal(attribute_values),
                ReturnValues="ALL_NEW",
            )
        except ClientError as e:
            if e.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return None
            raise
        return UploadRecord.from_item(response["Attributes"])

"""AWS adapter for SNS: one JSON message per upload outcome.

Subscribers filter on the message attributes ``status``, ``operation`` and
``reason`` (for example, an email subscription that only wants rejections).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from storage import UploadRecord

if TYPE_CHECKING:  # the stubs are a development dependency (requirements-dev.txt)
    from types_boto3_sns import SNSClient
    from types_boto3_sns.type_defs import MessageAttributeValueTypeDef

NOTIFICATIONS = "notifications"
SECURITY = "security"

#: The record fields a notification carries (never image bytes, never secrets).
MESSAGE_FIELDS: tuple[str, ...] = (
    "object_key",
    "bucket",
    "status",
    "reason",
    "reason_message",
    "operation",
    "output_key",
    "version_id",
    "sha256",
    "input_format",
    "input_width",
    "input_height",
    "input_bytes",
    "output_format",
    "output_width",
    "output_height",
    "output_bytes",
    "processed_at",
    "request_id",
    # Who uploaded (S3's principal id) and, with uploader isolation, the tenant.
    "uploaded_by",
    "tenant",
    # Every output of the upload (one per recipe: recipe, key, format, width,
    # height, bytes), the recipe set's digest, and what a reprocess replaced.
    "outputs",
    "recipe_digest",
    "replaced_outputs",
    "previous_recipe_digest",
)


def topics_for(suspicious: bool) -> frozenset[str]:
    """Every outcome goes to the notifications topic; suspicious ones to security as well."""
    return frozenset({NOTIFICATIONS, SECURITY} if suspicious else {NOTIFICATIONS})


def build_message(record: UploadRecord) -> dict[str, Any]:
    """The notification body: the record's public fields, JSON-ready.

    ``notification_id`` is the same for every message about one upload (and
    recipe set): SNS
    delivers at least once, and a retry after a half-finished announcement
    sends again, so subscribers drop repeats by this id.
    """
    message: dict[str, Any] = {
        name: _plain(name, value)
        for name in MESSAGE_FIELDS
        if (value := getattr(record, name)) is not None and value != ()
    }
    # A reprocess under another recipe set keeps the upload's sequencer: the
    # digest tells its announcement apart from the first one.
    identity = f"{record.object_key}\n{record.sequencer}".encode()
    if record.recipe_digest:
        identity += f"\n{record.recipe_digest}".encode()
    message["notification_id"] = hashlib.sha256(identity).hexdigest()[:32]
    return message


def _plain(name: str, value: Any) -> Any:
    if name == "status":
        return str(value)
    if isinstance(value, tuple):
        return [dict(entry) if isinstance(entry, Mapping) else entry for entry in value]
    return value


class Notifier:
    def __init__(self, client: SNSClient, topic_arns: Mapping[str, str]) -> None:
        self._sns = client
        self._topic_arns = dict(topic_arns)

    def publish(self, topic: str, record: UploadRecord) -> str:
        """Publish the record's outcome to ``topic``; returns the SNS message id."""
        message = build_message(record)
        attributes: dict[str, MessageAttributeValueTypeDef] = {
            name: {"DataType": "String", "StringValue": str(message[name])}
            for name in ("status", "operation", "reason")
            if message.get(name)
        }
        response = self._sns.publish(
            TopicArn=self._topic_arns[topic],
            Subject=f"image-processor: {message['status']} {message.get('operation', '')}".strip(),
            Message=json.dumps(message, ensure_ascii=False, sort_keys=True),
            MessageAttributes=attributes,
        )
        return response["MessageId"]

#!/usr/bin/env python3
"""Helpers for `make demo`: sample images, topic subscriptions and the report.

Talks to the endpoint in AWS_ENDPOINT_URL (the local AWS).
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from PIL import Image, ImageDraw, ImageFilter

if TYPE_CHECKING:
    from types_boto3_sqs import SQSClient

QUEUES = {"notifications": "demo-notifications", "security": "demo-security-alerts"}


def photo_like(size: tuple[int, int], seed: int) -> Image.Image:
    """Soft shapes over a gradient with grain: compresses like a photo, not like flat colour."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test pictures, not secrets
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        r = rng.randrange(size[0] // 20, size[0] // 4)
        colour = tuple(rng.randrange(256) for _ in range(3))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
    image = image.filter(ImageFilter.GaussianBlur(size[0] / 200))
    noise = Image.effect_noise(size, 24).convert("RGB")
    return Image.blend(image, noise, 0.08)


def samples(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    photo = photo_like((3000, 2000), seed=1)
    exif = photo.getexif()
    exif[0x0112] = 6  # stored sideways, as phones do
    exif[0x010F] = "DemoCam"
    photo.save(directory / "holiday photo.jpg", quality=90, exif=exif.tobytes())

    logo = photo_like((800, 800), seed=2).convert("RGBA")
    mask = Image.new("L", logo.size, 0)
    ImageDraw.Draw(mask).ellipse((100, 100, 700, 700), fill=255)
    logo.putalpha(mask)
    logo.save(directory / "logo_thumb.png")

    photo_like((1600, 1200), seed=3).save(directory / "street_grayscale.webp", quality=85)

    # Too large in pixels: rejected from its header, before decoding.
    Image.new("L", (6000, 5000), 128).save(directory / "panorama.png")
    # A PNG pretending to be a JPEG: rejected, and reported to security.
    buffer = io.BytesIO()
    photo_like((300, 300), seed=4).save(buffer, "PNG")
    (directory / "not-really.jpg").write_bytes(buffer.getvalue())
    for path in sorted(directory.iterdir()):
        print(f"    {path.name:24} {path.stat().st_size:>9} bytes")


def subscribe(notifications_arn: str, security_arn: str) -> None:
    sqs, sns = boto3.client("sqs"), boto3.client("sns")
    for topic_arn, name in (
        (notifications_arn, QUEUES["notifications"]),
        (security_arn, QUEUES["security"]),
    ):
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn)
        print(f"    {name} <- {topic_arn.rsplit(':', 1)[-1]}")


def _messages(sqs: SQSClient, name: str) -> list[dict[str, Any]]:
    """The notifications the topic delivered to the queue (each an SNS envelope's Message)."""
    url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    received = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in batch:
            received.append(json.loads(json.loads(message["Body"])["Message"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return received


def cleanup() -> None:
    """Delete the demo's queues (they are not part of the Terraform stack)."""
    sqs = boto3.client("sqs")
    for name in QUEUES.values():
        try:
            sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName=name)["QueueUrl"])
        except sqs.exceptions.QueueDoesNotExist:
            continue


def report(bucket: str, table: str, output_dir: Path) -> int:
    s3, ddb, sqs = boto3.client("s3"), boto3.client("dynamodb"), boto3.client("sqs")
    items = sorted(ddb.scan(TableName=table)["Items"], key=lambda i: i["object_key"]["S"])
    output_dir.mkdir(parents=True, exist_ok=True)

    print(f"\n  {'UPLOAD':34} {'STATUS':10} {'REASON':22} {'OUTPUT':40} {'SIZE':>11} FORMAT")
    for item in items:
        values = {k: next(iter(v.values())) for k, v in item.items()}

        def get(name: str, values: dict[str, object] = values) -> str:
            return str(values.get(name, ""))  # the S and N attributes of the record

        size = f"{get('output_width')}x{get('output_height')}" if get("output_width") else ""
        print(
            f"  {get('object_key'):34} {get('status'):10} {get('reason'):22} "
            f"{get('output_key'):40} {size:>11} {get('output_format')}"
        )
        if get("output_key"):
            body = s3.get_object(Bucket=bucket, Key=get("output_key"))["Body"].read()
            target = output_dir / get("output_key").removeprefix("processed/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(body)
            with Image.open(io.BytesIO(body)) as image:
                assert image.size == (int(get("output_width")), int(get("output_height")))

    print("\n  DynamoDB records (first one in full):")
    if items:
        first = {k: next(iter(v.values())) for k, v in items[0].items()}
        print(
            "    "
            + json.dumps(first, indent=2, sort_keys=True, default=str).replace("\n", "\n    ")
        )
    for topic, name in QUEUES.items():
        messages = _messages(sqs, name)
        print(f"\n  SNS {topic} topic: {len(messages)} message(s)")
        for message in messages:
            print(
                f"    {message['status']:9} {message.get('reason', ''):20} {message['object_key']}"
            )
    print(f"\n  Processed images saved under {output_dir}/")
    return 0 if items else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    cmd = commands.add_parser("samples", help="write the sample images into DIR")
    cmd.add_argument("directory", type=Path, metavar="DIR")
    cmd = commands.add_parser("subscribe", help="subscribe the demo queues to both topics")
    cmd.add_argument("notifications_arn", metavar="NOTIFICATIONS_ARN")
    cmd.add_argument("security_arn", metavar="SECURITY_ARN")
    cmd = commands.add_parser("report", help="print what happened; save the outputs in DIR")
    cmd.add_argument("bucket", metavar="BUCKET")
    cmd.add_argument("table", metavar="TABLE")
    cmd.add_argument("output_dir", type=Path, metavar="OUTPUT_DIR")
    commands.add_parser("cleanup", help="delete the demo queues (not part of the stack)")
    args = parser.parse_args(argv)
    try:
        match args.command:
            case "samples":
                samples(args.directory)
            case "subscribe":
                subscribe(args.notifications_arn, args.security_arn)
            case "report":
                return report(args.bucket, args.table, args.output_dir)
            case "cleanup":
                cleanup()
    except (BotoCoreError, ClientError) as e:
        print(f"{parser.prog} {args.command}: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

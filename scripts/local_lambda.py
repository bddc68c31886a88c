#!/usr/bin/env python3
"""The S3 -> Lambda hop of the local AWS, which cannot run Lambda code itself.

moto's server stores the deployed function and the bucket notification but
cannot execute the code (that needs Docker). This runner does what S3 and
Lambda would: it finds the uploads that the bucket's notification
configuration would have delivered, builds the same S3 event (URL-encoded key,
size, eTag, versionId, sequencer) and calls ``lambda_function.handler``
in-process with the deployed function's environment variables.

    python scripts/local_lambda.py --once     # deliver what is pending, then exit
    python scripts/local_lambda.py --watch    # keep delivering until Ctrl-C

It talks to the endpoint in AWS_ENDPOINT_URL and refuses to run without one.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote_plus

import boto3

REPO_ROOT = Path(__file__).resolve().parent.parent
STATE_FILE = REPO_ROOT / ".local-aws" / "delivered.json"


@dataclass
class LocalContext:
    """The parts of the Lambda context object the handler uses."""

    memory_limit_in_mb: str
    timeout_ms: int
    function_name: str
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    _started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self.timeout_ms - int((time.monotonic() - self._started) * 1000))


def pending_events(
    s3, bucket: str, rules: list[dict], delivered: set[str]
) -> list[tuple[str, dict]]:
    """One (delivery id, event) per object version the notification would have sent."""
    events = []
    paginator = s3.get_paginator("list_object_versions")
    for rule in rules:
        prefix = _filter_value(rule, "prefix")
        suffix = _filter_value(rule, "suffix")
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            for version in page.get("Versions", []):
                key = version["Key"]
                delivery = f"{key}#{version['VersionId']}"
                if delivery in delivered or not key.endswith(suffix):
                    continue
                events.append((delivery, _event(bucket, version, rule)))
    # S3 delivers in no guaranteed order; oldest first is the friendly one here.
    events.sort(key=lambda item: item[1]["Records"][0]["s3"]["object"]["sequencer"])
    return events


def _filter_value(rule: dict, name: str) -> str:
    for item in rule.get("Filter", {}).get("Key", {}).get("FilterRules", []):
        if item["Name"].lower() == name:
            return item["Value"]
    return ""


def _event(bucket: str, version: dict, rule: dict) -> dict:
    modified = version["LastModified"]
    sequencer = f"{int(modified.timestamp() * 1_000_000):016X}"
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
                "eventTime": modified.isoformat().replace("+00:00", "Z"),
                "eventName": "ObjectCreated:Put",
                "userIdentity": {"principalId": "local"},
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": rule.get("Id", "local"),
                    "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
                    "object": {
                        "key": quote_plus(version["Key"], safe="/"),
                        "size": version["Size"],
                        "eTag": version["ETag"].strip('"'),
                        "versionId": version["VersionId"],
                        "sequencer": sequencer,
                    },
                },
            }
        ]
    }


def load_handler(environment: dict[str, str]):
    os.environ.update(environment)
    sys.path.insert(0, str(REPO_ROOT / "lambda"))
    return importlib.import_module("lambda_function").handler


def deliver(function_name: str, bucket: str, watch: bool, interval: float) -> int:
    lam, s3 = boto3.client("lambda"), boto3.client("s3")
    function = lam.get_function_configuration(FunctionName=function_name)
    notification = s3.get_bucket_notification_configuration(Bucket=bucket)
    rules = [
        rule
        for rule in notification.get("LambdaFunctionConfigurations", [])
        if rule["LambdaFunctionArn"] == function["FunctionArn"]
        and any(e.startswith("s3:ObjectCreated:") for e in rule["Events"])
    ]
    if not rules:
        print(f"no notification of {bucket} invokes {function_name}; nothing to deliver")
        return 1
    handler = load_handler(function.get("Environment", {}).get("Variables", {}))
    delivered = set(json.loads(STATE_FILE.read_text())) if STATE_FILE.exists() else set()
    failures = 0
    while True:
        for delivery, event in pending_events(s3, bucket, rules, delivered):
            context = LocalContext(
                memory_limit_in_mb=str(function["MemorySize"]),
                timeout_ms=function["Timeout"] * 1000,
                function_name=function_name,
            )
            key = event["Records"][0]["s3"]["object"]["key"]
            try:
                result = handler(event, context)
                outcome = result["outcomes"][0]["status"] if result["outcomes"] else "IGNORED"
            except Exception as e:  # noqa: BLE001 - reported like Lambda would, then retried
                failures += 1
                outcome = f"ERROR {type(e).__name__}: {e} (Lambda would retry)"
            else:
                delivered.add(delivery)
            print(f"delivered s3://{bucket}/{key} -> {outcome}", file=sys.stderr)
        STATE_FILE.parent.mkdir(exist_ok=True)
        STATE_FILE.write_text(json.dumps(sorted(delivered)))
        if not watch:
            return 1 if failures else 0
        time.sleep(interval)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--once", action="store_true", help="deliver pending uploads, then exit (default)"
    )
    mode.add_argument("--watch", action="store_true", help="keep delivering until interrupted")
    parser.add_argument("--function", required=True, help="deployed function name")
    parser.add_argument("--bucket", required=True, help="images bucket name")
    parser.add_argument(
        "--interval", type=float, default=1.0, help="seconds between polls (--watch)"
    )
    args = parser.parse_args()
    if not os.environ.get("AWS_ENDPOINT_URL"):
        parser.error("AWS_ENDPOINT_URL is not set: this runner only talks to the local AWS")
    try:
        return deliver(args.function, args.bucket, args.watch, args.interval)
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())

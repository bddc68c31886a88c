#!/usr/bin/env python3
"""The S3 -> Lambda hop of the local AWS, which cannot run Lambda code itself.

moto's server stores the deployed function and the bucket notification but
cannot execute the code (that needs Docker). This runner does what S3 and
Lambda would: it finds the uploads that the bucket's notification
configuration would have delivered, builds the same S3 event (URL-encoded key,
size, eTag, versionId, sequencer, and the event name S3 sends: Put, Copy or
CompleteMultipartUpload) and calls ``lambda_function.handler`` in-process with
the deployed function's environment variables and its role's credentials.

Like Lambda it honours the function's reserved concurrency (0: nothing is
delivered and the events stay pending; N: at most N deliveries at a time) and
refuses to run the function while its KMS key is disabled
(KMSDisabledException) or in another state that cannot decrypt, such as
pending deletion (KMSInvalidStateException); those events stay pending too.

    python scripts/local_lambda.py --once     # deliver what is pending, then exit
    python scripts/local_lambda.py --watch    # keep delivering until Ctrl-C

It talks to the endpoint in AWS_ENDPOINT_URL and refuses to run without one.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote_plus, urlencode

import boto3
from botocore.exceptions import BotoCoreError, ClientError

REPO_ROOT = Path(__file__).resolve().parent.parent
# Beside the local stack's state (LOCAL_AWS_DIR, as in scripts/lib/common.sh),
# so that a demo on its own directory never shares it with the user's stack.
STATE_FILE = Path(os.environ.get("LOCAL_AWS_DIR", REPO_ROOT / ".local-aws")) / "delivered.json"
# Parallel deliveries when the function has no reserved concurrency. Lambda
# would draw on the account's unreserved concurrency; a laptop cannot.
UNRESERVED_PARALLELISM = 10
# The Lambda API's errors when the function's environment cannot be decrypted
# (botocore: Lambda.Client.exceptions.KMSDisabledException, KMSInvalidStateException).
KMS_DISABLED = (
    "KMSDisabledException: Lambda couldn't decrypt the environment variables "
    "because the KMS key used is disabled. Check the Lambda function's KMS key settings."
)
KMS_INVALID_STATE = (
    "KMSInvalidStateException: Lambda couldn't decrypt the environment variables "
    "because the state of the KMS key used is not valid for Decrypt. "
    "Check the function's KMS key settings."
)


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


def recorded_event_names(bucket: str) -> dict[tuple[str, str], str]:
    """The event name S3 would send per (key, version), as the local AWS recorded it.

    scripts/lib/moto_server.py serves them; another server has none (empty).
    """
    endpoint = os.environ["AWS_ENDPOINT_URL"].rstrip("/")
    if not endpoint.startswith(("http://", "https://")):
        return {}
    url = f"{endpoint}/_local-aws/s3-events?{urlencode({'bucket': bucket})}"
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - http(s) only
            events = json.load(response)["events"]
    except (urllib.error.URLError, ValueError, KeyError):
        return {}
    return {(e["key"], e["versionId"]): e["eventName"] for e in events}


def event_name(version: dict, recorded: dict[tuple[str, str], str]) -> str:
    """S3's name for the event that created this version.

    A multipart upload's ETag ends in -<number of parts>, so an object without
    a recorded name is still told apart from a single PUT.
    """
    name = recorded.get((version["Key"], version["VersionId"]))
    if name:
        return name
    if re.search(r"-\d+$", version["ETag"].strip('"')):
        return "ObjectCreated:CompleteMultipartUpload"
    return "ObjectCreated:Put"


def pending_events(
    s3, bucket: str, rules: list[dict], delivered: set[str], recorded: dict | None = None
) -> list[tuple[str, dict]]:
    """One (delivery id, event) per object version the notification would have sent."""
    recorded = recorded or {}
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
                name = event_name(version, recorded)
                events.append((delivery, _event(bucket, version, rule, name)))
    # S3 delivers in no guaranteed order; oldest first is the friendly one here.
    events.sort(key=lambda item: item[1]["Records"][0]["s3"]["object"]["sequencer"])
    return events


def _filter_value(rule: dict, name: str) -> str:
    for item in rule.get("Filter", {}).get("Key", {}).get("FilterRules", []):
        if item["Name"].lower() == name:
            return item["Value"]
    return ""


def _event(bucket: str, version: dict, rule: dict, name: str = "ObjectCreated:Put") -> dict:
    modified = version["LastModified"]
    sequencer = f"{int(modified.timestamp() * 1_000_000):016X}"
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
                "eventTime": modified.isoformat().replace("+00:00", "Z"),
                "eventName": name,
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


def load_handler(environment: dict[str, str]) -> Callable:
    os.environ.update(environment)
    sys.path.insert(0, str(REPO_ROOT / "lambda"))
    return importlib.import_module("lambda_function").handler


def reserved_concurrency(lam, function_name: str) -> int | None:
    """The function's reserved concurrency; None when it has none."""
    return lam.get_function_concurrency(FunctionName=function_name).get(
        "ReservedConcurrentExecutions"
    )


def invoke_error(kms, function: dict) -> str | None:
    """Lambda's error on invoke when the key of the function's environment cannot decrypt."""
    key = function.get("KMSKeyArn")
    if not key:  # Lambda's own key (aws/lambda)
        return None
    state = kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"]
    if state == "Enabled":
        return None
    return KMS_DISABLED if state == "Disabled" else f"{KMS_INVALID_STATE} (key state {state})"


def role_environment(sts, function: dict) -> dict[str, str]:
    """The credentials Lambda gives the function: a session of its execution role."""
    credentials = sts.assume_role(
        RoleArn=function["Role"], RoleSessionName=function["FunctionName"]
    )["Credentials"]
    return {
        "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
        "AWS_SESSION_TOKEN": credentials["SessionToken"],
    }


def waves(events: list[tuple[str, dict]]) -> list[list[tuple[str, dict]]]:
    """Deliveries in rounds with at most one version of each key.

    Lambda may run two versions of one key at once; the handler copes (the
    later delivery finds a claim and is retried), but a single --once run
    would then end in a retry. Versions of one key therefore go in order.
    """
    rounds: list[list[tuple[str, dict]]] = []
    seen: dict[str, int] = {}
    for delivery, event in events:
        key = event["Records"][0]["s3"]["object"]["key"]
        index = seen.get(key, -1) + 1
        seen[key] = index
        if index == len(rounds):
            rounds.append([])
        rounds[index].append((delivery, event))
    return rounds


def deliver(
    function_name: str,
    bucket: str,
    watch: bool = False,
    interval: float = 1.0,
    *,
    state_file: Path = STATE_FILE,
    load: Callable[[dict[str, str]], Callable] = load_handler,
) -> int:
    # The runner's own clients use the caller's credentials; the handler gets the role's.
    session = boto3.Session()
    lam, s3, kms, sts = (session.client(s) for s in ("lambda", "s3", "kms", "sts"))
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
    environment = function.get("Environment", {}).get("Variables", {})
    handler = None
    delivered = set(json.loads(state_file.read_text())) if state_file.exists() else set()
    lock = threading.Lock()
    failures = 0
    last_notice = None

    def run(delivery: str, event: dict) -> None:
        nonlocal failures
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
            with lock:
                failures += 1
            outcome = f"ERROR {type(e).__name__}: {e} (Lambda would retry)"
        else:
            with lock:
                delivered.add(delivery)
        print(f"delivered s3://{bucket}/{key} -> {outcome}", file=sys.stderr)

    while True:
        pending = pending_events(s3, bucket, rules, delivered, recorded_event_names(bucket))
        refused = invoke_error(kms, function) if pending else None
        concurrency = reserved_concurrency(lam, function_name) if pending else None
        if refused:
            failures += len(pending)
            notice = f"not delivered: {len(pending)} event(s) stay pending: {refused}"
        elif concurrency == 0:
            notice = (
                f"throttled: {function_name} has reserved concurrency 0 (processing stopped); "
                f"{len(pending)} event(s) stay pending"
            )
        else:
            notice = None
        if notice and notice != last_notice:  # once, not on every poll of --watch
            print(notice, file=sys.stderr)
        last_notice = notice
        if pending and not notice:
            if handler is None:
                handler = load(environment | role_environment(sts, function))
            with ThreadPoolExecutor(max_workers=concurrency or UNRESERVED_PARALLELISM) as pool:
                for wave in waves(pending):
                    list(pool.map(lambda item: run(*item), wave))
        state_file.parent.mkdir(parents=True, exist_ok=True)
        state_file.write_text(json.dumps(sorted(delivered)))
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
    except (BotoCoreError, ClientError) as e:
        print(f"{parser.prog}: error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

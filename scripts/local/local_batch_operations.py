#!/usr/bin/env python3
"""The local stand-in for an S3 Batch Operations job that invokes the function.

The local AWS (moto) has no S3 Batch Operations (scripts/reprocess.sh probes
it first). This runs what a job would: it reads the job's CSV manifest
(``bucket,key``, keys URL-encoded) from S3, sends the function one documented
invocation per object (schema 2.0: ``invocationId``, ``job``, ``tasks`` with
``taskId``, ``s3Key`` as the manifest has it, ``s3VersionId``, ``s3Bucket``;
https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-invoke-lambda.html),
calls ``lambda_function.handler`` in-process with the deployed function's
environment and its role's credentials (as scripts/local/local_lambda.py does),
redrives a TemporaryFailure up to --attempts times, and writes a completion
report (a CSV of its own format: bucket, key, result code, result string).

    python scripts/local/local_batch_operations.py --function NAME --manifest s3://BUCKET/KEY \\
        --report s3://BUCKET/PREFIX

One task at a time: a laptop, not a fleet. It talks to the endpoint in
AWS_ENDPOINT_URL and refuses to run without one.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

import boto3
from botocore.exceptions import BotoCoreError, ClientError

# scripts/local/ is this file's directory, first on sys.path when it runs.
from local_lambda import Handler, LocalContext, invoke_error, load_handler, role_environment

if TYPE_CHECKING:
    from types_boto3_lambda.type_defs import FunctionConfigurationResponseTypeDef

SCHEMA_VERSION = "2.0"
SUCCEEDED, TEMPORARY, PERMANENT = "Succeeded", "TemporaryFailure", "PermanentFailure"


def s3_location(uri: str) -> tuple[str, str]:
    """(bucket, key) of an s3:// URI."""
    parts = urlsplit(uri)
    if parts.scheme != "s3" or not parts.netloc:
        raise ValueError(f"not an s3:// URI: {uri!r}")
    return parts.netloc, parts.path.lstrip("/")


def manifest_rows(text: str) -> Iterator[tuple[str, str, str | None]]:
    """(bucket, URL-encoded key, version or None) per line of a CSV manifest."""
    for row in csv.reader(io.StringIO(text)):
        if not row:
            continue
        if len(row) not in (2, 3):
            raise ValueError(f"a manifest line must be bucket,key[,version]: {row!r}")
        yield row[0], row[1], (row[2] or None) if len(row) == 3 else None


def invocation(
    job_id: str, task_id: str, bucket: str, key: str, version: str | None
) -> dict[str, Any]:
    """The request Batch Operations sends for one object (invocation schema 2.0)."""
    return {
        "invocationSchemaVersion": SCHEMA_VERSION,
        "invocationId": str(uuid.uuid4()),
        "job": {"id": job_id, "userArguments": {}},
        "tasks": [{"taskId": task_id, "s3Key": key, "s3VersionId": version, "s3Bucket": bucket}],
    }


def run_task(
    handler: Handler, function: FunctionConfigurationResponseTypeDef, event: dict[str, Any]
) -> tuple[str, str]:
    """The task's result code and string, as the handler answered (or failed)."""
    context = LocalContext(
        memory_limit_in_mb=str(function["MemorySize"]),
        timeout_ms=function["Timeout"] * 1000,
        function_name=function["FunctionName"],
    )
    try:
        response = handler(event, context)
        [result] = response["results"]
        if response["invocationId"] != event["invocationId"]:
            return TEMPORARY, "the response names another invocation"
        return result["resultCode"], result["resultString"]
    except Exception as e:  # noqa: BLE001 - a function error: Batch Operations would retry
        return TEMPORARY, f"function error {type(e).__name__}: {e}"


def run_job(
    function_name: str,
    manifest_uri: str,
    report_uri: str,
    attempts: int = 3,
    *,
    load: Callable[[dict[str, str]], Handler] = load_handler,
) -> tuple[str, Counter[str]]:
    """Run every task of the manifest; returns the job id and the count of each result code."""
    session = boto3.Session()
    lam, s3 = session.client("lambda"), session.client("s3")
    kms, sts = session.client("kms"), session.client("sts")
    function = lam.get_function_configuration(FunctionName=function_name)
    refused = invoke_error(kms, function)
    if refused:
        raise RuntimeError(f"Lambda would not run the function: {refused}")
    bucket, key = s3_location(manifest_uri)
    text = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    environment = function.get("Environment", {}).get("Variables", {})
    handler = load(environment | role_environment(sts, function))

    job_id = f"local-{uuid.uuid4()}"
    report = io.StringIO()
    writer = csv.writer(report)
    writer.writerow(["bucket", "key", "version_id", "result_code", "result_string"])
    counts: Counter[str] = Counter()
    for n, (task_bucket, encoded_key, version) in enumerate(manifest_rows(text)):
        for _attempt in range(attempts):
            event = invocation(job_id, f"task-{n}", task_bucket, encoded_key, version)
            code, message = run_task(handler, function, event)
            if code != TEMPORARY:
                break
        counts[code] += 1
        writer.writerow([task_bucket, unquote(encoded_key), version or "", code, message])
        print(f"{code:<16} s3://{task_bucket}/{unquote(encoded_key)}: {message}", file=sys.stderr)
    report_bucket, report_prefix = s3_location(report_uri)
    report_key = f"{report_prefix.rstrip('/')}/{job_id}.csv"
    s3.put_object(Bucket=report_bucket, Key=report_key, Body=report.getvalue().encode())
    print(f"report: s3://{report_bucket}/{report_key}", file=sys.stderr)
    return job_id, counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--function", required=True, help="deployed function name or ARN")
    parser.add_argument("--manifest", required=True, help="s3:// URI of the CSV manifest")
    parser.add_argument("--report", required=True, help="s3:// URI of the report prefix")
    parser.add_argument(
        "--attempts", type=int, default=3, help="tries per task while it fails temporarily"
    )
    args = parser.parse_args()
    if not os.environ.get("AWS_ENDPOINT_URL"):
        parser.error("AWS_ENDPOINT_URL is not set: this runner only talks to the local AWS")
    if args.attempts < 1:
        parser.error("--attempts must be at least 1")
    try:
        job_id, counts = run_job(args.function, args.manifest, args.report, args.attempts)
    except (BotoCoreError, ClientError, RuntimeError, ValueError) as e:
        print(f"{parser.prog}: error: {e}", file=sys.stderr)
        return 1
    summary = ", ".join(f"{counts[c]} {c}" for c in (SUCCEEDED, TEMPORARY, PERMANENT))
    print(f"job {job_id}: {sum(counts.values())} tasks: {summary}")
    return 1 if counts[TEMPORARY] or counts[PERMANENT] else 0


if __name__ == "__main__":
    sys.exit(main())

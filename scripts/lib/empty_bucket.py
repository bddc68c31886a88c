#!/usr/bin/env python3
"""Delete every object version and delete marker in S3 buckets, so they can be destroyed.

    python scripts/lib/empty_bucket.py [--bypass-governance-retention] [--delete] BUCKET [...]
    python scripts/lib/empty_bucket.py --measure BUCKET

A bucket that does not exist is skipped. Prints how many versions it removed.
--bypass-governance-retention also deletes versions under an S3 Object Lock
GOVERNANCE retention (the caller needs s3:BypassGovernanceRetention); versions
under COMPLIANCE retention cannot be deleted by anyone and make it fail.
--delete then deletes each emptied bucket (destroy.sh uses it for the audit-log
buckets an earlier destroy kept, which Terraform no longer manages).
--measure prints the number of object versions and their total size in bytes.
Talks to AWS_ENDPOINT_URL when it is set (the local AWS), else to AWS.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

try:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError
except ModuleNotFoundError as missing:  # run by a Python without the project's packages
    # The project's virtualenv has them (make setup): run this helper there.
    _venv = Path(__file__).resolve().parents[2] / ".venv"
    if (_venv / "bin" / "python").exists() and Path(sys.prefix).resolve() != _venv.resolve():
        python = str(_venv / "bin" / "python")
        os.execv(python, [python, *sys.argv])  # noqa: S606 - this same helper, same arguments
    name = Path(sys.argv[0]).name
    sys.exit(f"{name}: error: the Python package '{missing.name}' is missing: run 'make setup'")


def _pages(s3: Any, bucket: str) -> Iterator[dict[str, Any]]:
    try:
        yield from s3.get_paginator("list_object_versions").paginate(Bucket=bucket)
    except ClientError as e:
        if e.response["Error"]["Code"] != "NoSuchBucket":
            raise


def empty(s3: Any, bucket: str, *, bypass_governance_retention: bool = False) -> int:
    removed = 0
    for page in _pages(s3, bucket):
        batch = [
            {"Key": v["Key"], "VersionId": v["VersionId"]}
            for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
        ]
        if batch:  # a page holds at most 1,000, as DeleteObjects accepts
            extra = {"BypassGovernanceRetention": True} if bypass_governance_retention else {}
            response = s3.delete_objects(
                Bucket=bucket, Delete={"Objects": batch, "Quiet": True}, **extra
            )
            if response.get("Errors"):
                errors = response["Errors"][:3]
                raise RuntimeError(f"could not empty s3://{bucket}: {errors}")
            removed += len(batch)
    return removed


def measure(s3: Any, bucket: str) -> tuple[int, int]:
    versions = [v for page in _pages(s3, bucket) for v in page.get("Versions", [])]
    return len(versions), sum(v["Size"] for v in versions)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("buckets", nargs="+", metavar="BUCKET", help="bucket to empty")
    parser.add_argument(
        "--bypass-governance-retention",
        action="store_true",
        help="also delete versions under an Object Lock GOVERNANCE retention",
    )
    parser.add_argument("--delete", action="store_true", help="delete each bucket once it is empty")
    parser.add_argument(
        "--measure",
        action="store_true",
        help="print the number of object versions and their total size in bytes; delete nothing",
    )
    args = parser.parse_args(argv)
    try:
        s3 = boto3.client("s3")
        if args.measure:
            for bucket in args.buckets:
                count, size = measure(s3, bucket)
                print(count, size)
            return 0
        for bucket in args.buckets:
            removed = empty(
                s3, bucket, bypass_governance_retention=args.bypass_governance_retention
            )
            print(f"    s3://{bucket}: removed {removed} object version(s) and delete marker(s)")
            if args.delete:
                s3.delete_bucket(Bucket=bucket)
                print(f"    s3://{bucket}: deleted")
    except (BotoCoreError, ClientError, RuntimeError) as e:
        print(f"{parser.prog}: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

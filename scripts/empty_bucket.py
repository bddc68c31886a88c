#!/usr/bin/env python3
"""Delete every object version and delete marker in S3 buckets, so they can be destroyed.

    python scripts/empty_bucket.py [--bypass-governance-retention] BUCKET [BUCKET ...]
    python scripts/empty_bucket.py --measure BUCKET

A bucket that does not exist is skipped. Prints how many versions it removed.
--bypass-governance-retention also deletes versions under an S3 Object Lock
GOVERNANCE retention (the caller needs s3:BypassGovernanceRetention); versions
under COMPLIANCE retention cannot be deleted by anyone and make it fail.
--measure prints the number of object versions and their total size in bytes.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import boto3
from botocore.exceptions import ClientError


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


def main(argv: list[str]) -> int:
    s3 = boto3.client("s3")
    if len(argv) == 2 and argv[0] == "--measure":
        count, size = measure(s3, argv[1])
        print(count, size)
        return 0
    bypass = bool(argv) and argv[0] == "--bypass-governance-retention"
    buckets = argv[1:] if bypass else argv
    if not buckets or any(b.startswith("-") for b in buckets):
        print(__doc__, file=sys.stderr)
        return 2
    for bucket in buckets:
        removed = empty(s3, bucket, bypass_governance_retention=bypass)
        print(f"    s3://{bucket}: removed {removed} object version(s) and delete marker(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

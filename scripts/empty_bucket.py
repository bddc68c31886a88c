#!/usr/bin/env python3
"""Delete every object version and delete marker in S3 buckets, so they can be destroyed.

A bucket that does not exist is skipped. Prints how many versions it removed.
Talks to AWS_ENDPOINT_URL when it is set (the local AWS), else to AWS.
"""

from __future__ import annotations

import argparse
import sys

import boto3
from botocore.exceptions import BotoCoreError, ClientError


def empty(s3, bucket: str) -> int:
    removed = 0
    paginator = s3.get_paginator("list_object_versions")
    try:
        for page in paginator.paginate(Bucket=bucket):
            batch = [
                {"Key": v["Key"], "VersionId": v["VersionId"]}
                for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
            ]
            if batch:  # a page holds at most 1,000, as DeleteObjects accepts
                response = s3.delete_objects(
                    Bucket=bucket, Delete={"Objects": batch, "Quiet": True}
                )
                if response.get("Errors"):
                    errors = response["Errors"][:3]
                    raise RuntimeError(f"could not empty s3://{bucket}: {errors}")
                removed += len(batch)
    except ClientError as e:
        if e.response["Error"]["Code"] == "NoSuchBucket":
            return 0
        raise
    return removed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("buckets", nargs="+", metavar="BUCKET", help="bucket to empty")
    args = parser.parse_args(argv)
    try:
        s3 = boto3.client("s3")
        for bucket in args.buckets:
            removed = empty(s3, bucket)
            print(f"    s3://{bucket}: removed {removed} object version(s) and delete marker(s)")
    except (BotoCoreError, ClientError, RuntimeError) as e:
        print(f"{parser.prog}: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Issue a presigned POST policy for one upload: the front door for browsers and apps.

    python scripts/upload_url.py --tenant acme photo.jpg
    python scripts/upload_url.py --tenant acme --expires 120 --max-bytes 5242880 \\
        --bucket my-images-bucket photo_thumb.png

Prints JSON: the form's "url", the "fields" to send with the file (as the last
field, "file"), the "key" the upload will have, and "expires_at". A browser
or an app then uploads with an HTML form or, for example,
curl -F key=... -F Content-Type=... (every field) -F file=@photo.jpg URL.

The policy S3 checks before it stores a byte
(https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html):
the key, exactly uploads/<tenant>/<random>/<file name>, so the upload cannot
land anywhere else, not even on an earlier upload of the same tenant; the
Content-Type, exactly the type of the file name's extension (.jpg/.jpeg
image/jpeg, .png image/png, .webp image/webp; the function decides the format
and operation by the name and checks the bytes); content-length-range, 1 to
the function's limit (terraform output max_upload_bytes, or --max-bytes);
and an expiry of --expires seconds (default 300, at most 3600). No
encryption field: the bucket's default key applies, and a form field the
policy does not name is refused by S3.

It signs with the caller's credentials, and S3 authorizes the upload as that
caller's s3:PutObject: with enable_uploader_isolation, run it with the
tenant's role (its tag image-processor:tenant names the tenant). A policy
for another tenant's prefix is then refused by the bucket, whoever holds it.
SECURITY.md's threat model says what a stolen policy allows.

Talks to AWS_ENDPOINT_URL when it is set (the local AWS), else to AWS.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import secrets
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

try:
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError
except ModuleNotFoundError as missing:  # run by a Python without the project's packages
    _venv = Path(__file__).resolve().parents[1] / ".venv"
    if (_venv / "bin" / "python").exists() and Path(sys.prefix).resolve() != _venv.resolve():
        python = str(_venv / "bin" / "python")
        os.execv(python, [python, *sys.argv])  # noqa: S606 - this same helper, same arguments
    name = Path(sys.argv[0]).name
    sys.exit(f"{name}: error: the Python package '{missing.name}' is missing: run 'make setup'")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "lambda"))

from image_processor import CONTENT_TYPES, ImageRejected, route  # noqa: E402

#: The input prefix (terraform/modules/image-pipeline/locals.tf, lambda/config.py).
INPUT_PREFIX = "uploads/"
#: Signature Version 4: the form carries x-amz-credential, x-amz-date and
#: x-amz-signature (botocore would otherwise sign some regions' forms with
#: the older version 2).
SIGV4 = Config(signature_version="s3v4")
DEFAULT_EXPIRES_S = 300
MAX_EXPIRES_S = 3600
#: A tenant is one key segment: no "/" (it would nest in another tenant's
#: prefix, and the bucket refuses it), and only characters an IAM tag value
#: allows (https://docs.aws.amazon.com/IAM/latest/APIReference/API_Tag.html).
TENANT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:=+@-]{0,62}")
#: A file name: one segment, no control characters, within S3's key limit
#: with the prefix (1,024 bytes, https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html).
MAX_NAME_BYTES = 255


class UsageError(ValueError):
    """An argument the front door refuses, with the reason."""


def content_type_for(name: str) -> str:
    """The one Content-Type an upload of this file name may have (the function's own mapping)."""
    if "/" in name or not name or len(name.encode()) > MAX_NAME_BYTES:
        raise UsageError(f"file name {name!r} must be one path segment of 1 to 255 bytes")
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise UsageError(f"file name {name!r} must not contain control characters")
    try:
        expected = route(name).expected_format
    except ImageRejected as rejected:
        raise UsageError(rejected.message) from None
    return CONTENT_TYPES[expected]


def upload_key(tenant: str | None, name: str, token: str) -> str:
    """uploads/<tenant>/<token>/<name>: a fresh key, never an earlier upload's."""
    if tenant is not None and not TENANT.fullmatch(tenant):
        raise UsageError(
            f"tenant {tenant!r} must be 1 to 63 letters, digits and _.:=+@- (no '/'), "
            "starting with a letter or digit"
        )
    return f"{INPUT_PREFIX}{tenant + '/' if tenant else ''}{token}/{name}"


def presigned_post(
    s3: Any,
    *,
    bucket: str,
    tenant: str | None,
    name: str,
    max_bytes: int,
    expires_s: int = DEFAULT_EXPIRES_S,
    token: str | None = None,
) -> dict[str, Any]:
    """The form for one upload: url, fields (with the signed policy), key, expires_at."""
    if not 1 <= expires_s <= MAX_EXPIRES_S:
        raise UsageError(f"--expires must be 1 to {MAX_EXPIRES_S} seconds, got {expires_s}")
    if max_bytes < 1:
        raise UsageError(f"the size limit must be at least 1 byte, got {max_bytes}")
    content_type = content_type_for(name)
    key = upload_key(tenant, name, token or secrets.token_hex(8))
    now = datetime.now(UTC)
    post: dict[str, Any] = s3.generate_presigned_post(
        Bucket=bucket,
        Key=key,  # boto3 adds the exact {"key": ...} and {"bucket": ...} conditions
        Fields={"Content-Type": content_type},
        Conditions=[
            {"Content-Type": content_type},
            ["content-length-range", 1, max_bytes],
        ],
        ExpiresIn=expires_s,
    )
    expires_at = (now + timedelta(seconds=expires_s)).isoformat(timespec="seconds")
    return {"url": post["url"], "fields": post["fields"], "key": key, "expires_at": expires_at}


def decoded_policy(fields: dict[str, str]) -> dict[str, Any]:
    """The POST policy a form carries (base64 JSON), as S3 reads it."""
    policy: dict[str, Any] = json.loads(base64.b64decode(fields["policy"]))
    return policy


def terraform_output(name: str) -> str:
    """A value of the deployed stack's Terraform outputs (the one source of the limit)."""
    try:
        result = subprocess.run(  # noqa: S603 - fixed arguments, no shell
            ["terraform", f"-chdir={ROOT / 'terraform'}", "output", "-raw", name],  # noqa: S607
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
    except FileNotFoundError:
        raise UsageError(f"terraform is not on PATH: pass --{name.replace('_', '-')}") from None
    if result.returncode != 0 or not result.stdout.strip():
        raise UsageError(
            f"'terraform output {name}' gave nothing (no deployed stack here?): "
            f"pass it as an argument"
        )
    return result.stdout.strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("name", metavar="FILE_NAME", help="the file's name, e.g. photo.jpg")
    parser.add_argument(
        "--tenant", help="the tenant's prefix under uploads/ (required with uploader isolation)"
    )
    parser.add_argument("--bucket", help="images bucket (default: terraform output s3_bucket_name)")
    parser.add_argument(
        "--max-bytes", type=int,
        help="size limit in bytes (default: terraform output max_upload_bytes)",
    )  # fmt: skip
    parser.add_argument(
        "--expires", type=int, default=DEFAULT_EXPIRES_S,
        help=f"seconds the policy is valid, 1 to {MAX_EXPIRES_S} (default {DEFAULT_EXPIRES_S})",
    )  # fmt: skip
    args = parser.parse_args(argv)
    try:
        bucket = args.bucket or terraform_output("s3_bucket_name")
        max_bytes = (
            args.max_bytes
            if args.max_bytes is not None
            else int(terraform_output("max_upload_bytes"))
        )
        form = presigned_post(
            boto3.client("s3", config=SIGV4),
            bucket=bucket,
            tenant=args.tenant,
            name=args.name,
            max_bytes=max_bytes,
            expires_s=args.expires,
        )
    except (UsageError, ValueError) as e:
        parser.error(str(e))
    except (BotoCoreError, ClientError) as e:
        print(f"{parser.prog}: error: {e}", file=sys.stderr)
        return 1
    print(json.dumps(form, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())

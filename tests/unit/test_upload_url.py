"""The front door's presigned POST policy, decoded as S3 reads it (scripts/upload_url.py).

The policy is the form's ``policy`` field: base64 of a JSON document with an
``expiration`` and ``conditions``
(https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html).
Signing needs no AWS: botocore signs locally with the given keys.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

import boto3
import pytest

from helpers import LIMITS_ENV, ROOT, load_script

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client

if TYPE_CHECKING:  # mypy reads scripts/upload_url.py as the module it is
    import upload_url
else:
    upload_url = load_script("upload_url")

MAX_BYTES = int(LIMITS_ENV["MAX_UPLOAD_BYTES"])  # the pipeline module's max_upload_mb


@pytest.fixture
def s3() -> S3Client:
    return boto3.client(
        "s3",
        region_name="eu-west-1",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
        config=upload_url.SIGV4,
    )


def form(
    s3: S3Client, name: str = "photo.jpg", tenant: str | None = "acme", **kwargs: Any
) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "bucket": "images",
        "tenant": tenant,
        "name": name,
        "max_bytes": MAX_BYTES,
    }
    return upload_url.presigned_post(s3, **(arguments | kwargs))


def conditions(post: dict[str, Any]) -> list[Any]:
    return cast("list[Any]", upload_url.decoded_policy(post["fields"])["conditions"])


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("photo.jpg", "image/jpeg"),
        ("photo.JPEG", "image/jpeg"),
        ("icon_thumb.png", "image/png"),
        ("scan_grayscale.webp", "image/webp"),
    ],
)
def test_every_condition_of_the_policy(s3: S3Client, name: str, content_type: str) -> None:
    before = datetime.now(UTC).replace(microsecond=0)

    post = form(s3, name, token="0123456789abcdef", expires_s=120)

    key = f"uploads/acme/0123456789abcdef/{name}"
    policy = upload_url.decoded_policy(post["fields"])
    expiration = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    assert before + timedelta(seconds=119) <= expiration <= before + timedelta(seconds=122)
    # Exactly these conditions: the key, the type and the size fixed, the
    # bucket, and SigV4's own fields; nothing a client could widen.
    assert {"key": key} in policy["conditions"]
    assert {"bucket": "images"} in policy["conditions"]
    assert {"Content-Type": content_type} in policy["conditions"]
    assert ["content-length-range", 1, MAX_BYTES] in policy["conditions"]
    assert not [c for c in policy["conditions"] if isinstance(c, list) and c[0] == "starts-with"]
    signing = {"x-amz-algorithm", "x-amz-credential", "x-amz-date"}
    named = {name for c in policy["conditions"] if isinstance(c, dict) for name in c}
    assert named == {"key", "bucket", "Content-Type"} | signing
    assert len(policy["conditions"]) == len(named) + 1  # + content-length-range
    # The fields the form sends are the ones the policy names, and signed.
    assert post["fields"]["key"] == post["key"] == key
    assert post["fields"]["Content-Type"] == content_type
    assert set(post["fields"]) == {"key", "Content-Type", "policy", "x-amz-signature"} | signing
    assert post["fields"]["x-amz-credential"].startswith("AKIDEXAMPLE/")


def test_each_form_gets_a_fresh_key_under_the_tenants_prefix(s3: S3Client) -> None:
    keys = {form(s3)["key"] for _ in range(20)}

    assert len(keys) == 20
    assert all(k.startswith("uploads/acme/") and k.endswith("/photo.jpg") for k in keys)


def test_without_a_tenant_the_key_is_directly_under_uploads(s3: S3Client) -> None:
    assert form(s3, tenant=None, token="t")["key"] == "uploads/t/photo.jpg"


def test_the_size_limit_is_the_one_given(s3: S3Client) -> None:
    assert ["content-length-range", 1, 1024] in conditions(form(s3, max_bytes=1024))


def test_the_default_limit_is_terraforms_output(
    s3: S3Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One source: terraform output max_upload_bytes (the function's MAX_UPLOAD_BYTES)."""
    asked: list[str] = []

    def terraform_output(name: str) -> str:
        asked.append(name)
        return {"s3_bucket_name": "deployed-images", "max_upload_bytes": "2048"}[name]

    monkeypatch.setattr(upload_url, "terraform_output", terraform_output)
    monkeypatch.setattr(boto3, "client", lambda *_a, **_k: s3)  # upload_url.boto3 is boto3

    assert upload_url.main(["--tenant", "acme", "photo.png"]) == 0

    assert asked == ["s3_bucket_name", "max_upload_bytes"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tenant": "acme/x"}, "no '/'"),
        ({"tenant": ""}, "must be 1 to 63"),
        ({"tenant": "a*"}, "must be 1 to 63"),
        ({"name": "../globex/photo.jpg"}, "one path segment"),
        ({"name": "photo.gif"}, "does not end in .jpg"),
        ({"name": "photo.heic"}, "does not end in .jpg"),
        ({"name": "pho\nto.jpg"}, "control characters"),
        ({"name": "x" * 300 + ".jpg"}, "one path segment"),
        ({"expires_s": 0}, "1 to 3600"),
        ({"expires_s": 3601}, "1 to 3600"),
        ({"max_bytes": 0}, "at least 1 byte"),
    ],
)  # fmt: skip
def test_what_the_front_door_refuses(s3: S3Client, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(upload_url.UsageError, match=message):
        form(s3, **kwargs)


def test_the_cli_refuses_with_a_usage_error() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "upload_url.py"), "--bucket", "b",
         "--max-bytes", "10", "--tenant", "acme/x", "photo.jpg"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip

    assert result.returncode == 2
    assert "upload_url.py: error: tenant 'acme/x'" in result.stderr
    assert result.stdout == ""


def test_help_says_what_it_checks() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "upload_url.py"), "--help"],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip

    for promise in ("content-length-range", "Content-Type", "uploads/<tenant>/", "3600"):
        assert promise in result.stdout


def test_the_help_names_the_modules_default_tenant_tag_key() -> None:
    """A seam: the tag key the help tells a tenant's role to carry is the module's default."""
    import hcl2

    path = ROOT / "terraform" / "modules" / "image-pipeline" / "variables.tf"
    options = hcl2.SerializationOptions(with_comments=False, strip_string_quotes=True)
    with path.open(encoding="utf-8") as f:
        variables = hcl2.load(f, serialization_options=options)["variable"]
    name = "uploader_tenant_tag_key"
    (default,) = (v[name]["default"] for v in variables if name in v)
    assert upload_url.__doc__ is not None
    assert f"its tag {default} names the tenant" in upload_url.__doc__

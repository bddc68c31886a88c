"""The front door against the local AWS: presigned POST forms of two tenants (issue 20, item 4).

scripts/upload_url.py signs each form with the caller's credentials; the
bucket carries the isolation statements Terraform renders
(tests/fixtures/policies/images_bucket_uploader_isolation.json). The local AWS
(scripts/local/moto_server.py) authorizes a POST upload as s3:PutObject of the
form's key by the form's signer, so the bucket policy holds for forms too.

What it does not check is the POST policy itself: moto stores a form's file
whatever its size, type, key or expiry, and whatever its signature
(``test_the_local_aws_does_not_check_the_post_policy``, README "Where the
local AWS differs"); S3 refuses such a form before it stores a byte
(https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html).
The policy's conditions are asserted as rendered instead (tests/unit/test_upload_url.py).
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

import pytest
import requests
from local_aws import (  # noqa: F401 - the fixture
    EXPLICIT_DENY,
    TAG_KEY,
    LocalAWS,
    local_aws_fixture,
    rendered_policy,
)

from helpers import load_script

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client

if TYPE_CHECKING:  # mypy reads scripts/upload_url.py as the module it is
    import upload_url
else:
    upload_url = load_script("upload_url")

BUCKET = "image-processor-test-front-door"
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 2000  # the bytes do not matter to S3 or to moto here


def signer(local_aws: LocalAWS, role_arn: str) -> S3Client:
    """An S3 client of the tenant's role, signing as scripts/upload_url.py does (SigV4)."""
    credentials = local_aws.credentials(role_arn, "front-door")
    return local_aws.client("s3", config=upload_url.SIGV4, **credentials)


@pytest.fixture(scope="module")
def door(local_aws: LocalAWS) -> dict[str, Any]:
    s3 = local_aws.client("s3")
    roles = {t: local_aws.role(f"front-door-{t}", {TAG_KEY: t}) for t in ("acme", "globex")}
    function = local_aws.role("front-door-function")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    policy = rendered_policy(
        "images_bucket_uploader_isolation.json",
        bucket_arn=f"arn:aws:s3:::{BUCKET}", tag_key=TAG_KEY, exempt_role_arns=[function],
    )  # fmt: skip
    s3.put_bucket_policy(Bucket=BUCKET, Policy=policy)
    queue, _ = local_aws.events_queue(BUCKET, "front-door-events")
    return {
        "roles": roles,
        "signers": {t: signer(local_aws, arn) for t, arn in roles.items()},
        "s3": s3,
        "sqs": local_aws.client("sqs"),
        "queue": queue,
    }


def issue(
    door: dict[str, Any], signed_by: str, tenant: str, name: str = "photo.jpg", **kwargs: Any
) -> dict[str, Any]:
    return upload_url.presigned_post(
        door["signers"][signed_by], bucket=BUCKET, tenant=tenant, name=name,
        max_bytes=kwargs.pop("max_bytes", 5000), **kwargs,
    )  # fmt: skip


def post(form: dict[str, Any], data: bytes = JPEG, **override: str) -> requests.Response:
    fields = form["fields"] | override
    return requests.post(form["url"], data=fields, files={"file": ("f", data)}, timeout=60)


def stored(door: dict[str, Any], key: str) -> bytes | None:
    s3: S3Client = door["s3"]
    try:
        return s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    except door["s3"].exceptions.NoSuchKey:
        return None


def test_a_tenants_form_uploads_into_its_prefix(door: dict[str, Any]) -> None:
    form = issue(door, "acme", "acme")

    response = post(form)

    assert response.status_code == 204, response.text
    assert form["key"].startswith("uploads/acme/")
    assert stored(door, form["key"]) == JPEG


def test_a_form_for_another_tenants_prefix_is_refused_by_the_bucket(door: dict[str, Any]) -> None:
    """acme signs a form for globex's prefix: S3 authorizes the upload as acme's PutObject."""
    form = issue(door, "acme", "globex")

    response = post(form)

    assert response.status_code == 403
    assert "AccessDenied" in response.text
    assert EXPLICIT_DENY in response.text
    assert stored(door, form["key"]) is None


def test_a_stolen_form_uploads_as_its_signer_only_where_it_says(door: dict[str, Any]) -> None:
    """Whoever holds a form uploads that one key, as the tenant who signed it (SECURITY.md)."""
    form = issue(door, "acme", "acme")

    response = post(form)  # sent by anyone: a form carries its own signature

    assert response.status_code == 204
    assert stored(door, form["key"]) == JPEG


def test_the_event_names_the_forms_signer(local_aws: LocalAWS, door: dict[str, Any]) -> None:
    form = issue(door, "globex", "globex", name="evented.png")
    role_id = local_aws.client("iam").get_role(RoleName="front-door-globex")["Role"]["RoleId"]

    assert post(form).status_code == 204

    messages = door["sqs"].receive_message(QueueUrl=door["queue"], MaxNumberOfMessages=10)
    records = [
        r for m in messages.get("Messages", []) for r in json.loads(m["Body"]).get("Records", [])
    ]
    [record] = [r for r in records if r["s3"]["object"]["key"] == form["key"]]
    assert record["userIdentity"] == {"principalId": f"{role_id}:front-door"}


@pytest.mark.parametrize(
    ("case", "kwargs", "data", "override"),
    [
        ("larger than content-length-range", {"max_bytes": 100}, JPEG, {}),
        ("another Content-Type", {}, JPEG, {"Content-Type": "text/html"}),
        ("another key in the prefix", {}, JPEG, {"key": "uploads/acme/chosen-by-client.jpg"}),
        ("expired", {"expires_s": 1}, JPEG, {}),
        ("a forged signature", {}, JPEG, {"x-amz-signature": "0" * 64}),
    ],
)  # fmt: skip
def test_the_local_aws_does_not_check_the_post_policy(
    door: dict[str, Any], case: str, kwargs: dict[str, Any], data: bytes, override: dict[str, str]
) -> None:
    """S3 refuses each of these (sigv4-HTTPPOSTConstructPolicy); moto stores them.

    If moto starts checking, this test fails: move the row of README's local
    AWS differences into a test of the refusal.
    """
    form = issue(door, "acme", "acme", **kwargs)
    if case == "expired":
        time.sleep(2.1)

    response = post(form, data, **override)

    assert response.status_code == 204, case
    assert stored(door, override.get("key", form["key"])) == data

"""Two tenants against the local AWS: neither can overwrite the other's upload (issue 20, item 4).

The policy is tests/fixtures/policies/images_bucket_uploader_isolation.json, the
statements Terraform renders with ``enable_uploader_isolation`` on
(terraform/tests/pipeline.tftest.hcl ties the two). Each tenant is an IAM role
tagged ``image-processor:tenant`` (the default ``uploader_tenant_tag_key``); the
wrapper (scripts/local/moto_server.py) resolves ``${aws:PrincipalTag/...}`` in the
policy's NotResource and ``aws:PrincipalTag/...`` in its conditions from the
role's tags and the session's tags.

The attack: tenant globex writes the key of tenant acme's upload, which, with
the pipeline's deterministic output keys, would replace acme's processed image
and record. Without the isolation statements the overwrite succeeds
(``test_the_attack_succeeds_without_isolation``).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from local_aws import (  # noqa: F401 - the fixture
    TAG_KEY,
    LocalAWS,
    denied,
    local_aws_fixture,
    rendered_policy,
)

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client
    from types_boto3_s3.type_defs import ObjectVersionTypeDef

BUCKET = "image-processor-test-images"
OPEN_BUCKET = "image-processor-test-no-isolation"
ACME_KEY = "uploads/acme/photo.png"


@pytest.fixture(scope="module")
def tenants(local_aws: LocalAWS) -> dict[str, Any]:
    s3 = local_aws.client("s3")
    roles = {
        "acme": local_aws.role("tenant-acme", {TAG_KEY: "acme"}),
        "globex": local_aws.role("tenant-globex", {TAG_KEY: "globex"}),
        "nested": local_aws.role("tenant-nested", {TAG_KEY: "acme/x"}),  # nests in acme's prefix
        "empty": local_aws.role("tenant-empty", {TAG_KEY: ""}),
        "untagged": local_aws.role("an-untagged-role"),
        "function": local_aws.role("test-prod-lambda"),
        "batch": local_aws.role("test-prod-batch-operations"),
        "scanner": local_aws.role("test-prod-malware-protection"),
    }
    exempt = [roles["function"], roles["batch"], roles["scanner"]]
    for bucket in (BUCKET, OPEN_BUCKET):
        s3.create_bucket(Bucket=bucket)
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    policy = rendered_policy(
        "images_bucket_uploader_isolation.json",
        bucket_arn=f"arn:aws:s3:::{BUCKET}", tag_key=TAG_KEY, exempt_role_arns=exempt,
    )  # fmt: skip
    s3.put_bucket_policy(Bucket=BUCKET, Policy=policy)
    clients = {name: local_aws.s3_as(arn, "uploader") for name, arn in roles.items()}
    clients["admin"] = s3  # the account's default principal: no tenant tag
    return {"roles": roles, "s3": clients}


def versions(s3: S3Client, key: str, bucket: str = BUCKET) -> list[ObjectVersionTypeDef]:
    listed = s3.list_object_versions(Bucket=bucket, Prefix=key)
    return [v for v in listed.get("Versions", []) if v["Key"] == key]


def body(s3: S3Client, key: str, bucket: str = BUCKET) -> bytes:
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


# --------------------------------------------------------------------------
# The attack: tenant B overwrites tenant A's upload
# --------------------------------------------------------------------------


def test_a_tenant_cannot_overwrite_another_tenants_upload(tenants: dict[str, Any]) -> None:
    acme, globex = tenants["s3"]["acme"], tenants["s3"]["globex"]
    acme.put_object(Bucket=BUCKET, Key=ACME_KEY, Body=b"acme's image")

    message = denied(globex.put_object, Bucket=BUCKET, Key=ACME_KEY, Body=b"globex's forgery")

    assert "assumed-role/tenant-globex/uploader" in message
    assert [v["IsLatest"] for v in versions(acme, ACME_KEY)] == [True]
    assert body(acme, ACME_KEY) == b"acme's image"


def test_the_attack_succeeds_without_isolation(tenants: dict[str, Any]) -> None:
    """The same two tenants, the bucket without the isolation statements: the overwrite lands."""
    acme, globex = tenants["s3"]["acme"], tenants["s3"]["globex"]
    acme.put_object(Bucket=OPEN_BUCKET, Key=ACME_KEY, Body=b"acme's image")

    globex.put_object(Bucket=OPEN_BUCKET, Key=ACME_KEY, Body=b"globex's forgery")

    assert body(acme, ACME_KEY, OPEN_BUCKET) == b"globex's forgery"


@pytest.mark.parametrize("copy_source", ["uploads/globex/x.png", ACME_KEY])
def test_nor_by_copying_onto_it(tenants: dict[str, Any], copy_source: str) -> None:
    acme, globex = tenants["s3"]["acme"], tenants["s3"]["globex"]
    acme.put_object(Bucket=BUCKET, Key=ACME_KEY, Body=b"acme's image")
    globex.put_object(Bucket=BUCKET, Key="uploads/globex/x.png", Body=b"globex's")

    denied(
        globex.copy_object,
        Bucket=BUCKET,
        Key=ACME_KEY,
        CopySource={"Bucket": BUCKET, "Key": copy_source},
        MetadataDirective="REPLACE",
    )

    assert body(acme, ACME_KEY) == b"acme's image"


def test_nor_by_a_multipart_upload(tenants: dict[str, Any]) -> None:
    globex = tenants["s3"]["globex"]

    denied(globex.create_multipart_upload, Bucket=BUCKET, Key=ACME_KEY)

    assert tenants["s3"]["admin"].list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []


def test_nor_delete_it_or_its_versions(tenants: dict[str, Any]) -> None:
    acme, globex = tenants["s3"]["acme"], tenants["s3"]["globex"]
    version = acme.put_object(Bucket=BUCKET, Key=ACME_KEY, Body=b"acme's image")["VersionId"]

    denied(globex.delete_object, Bucket=BUCKET, Key=ACME_KEY)
    denied(globex.delete_object, Bucket=BUCKET, Key=ACME_KEY, VersionId=version)

    assert body(acme, ACME_KEY) == b"acme's image"


def test_a_dot_dot_key_is_literal_and_stays_in_the_writers_prefix(tenants: dict[str, Any]) -> None:
    """S3 keys are literal (a flat namespace, object-keys.html): no path is resolved."""
    acme, globex = tenants["s3"]["acme"], tenants["s3"]["globex"]
    acme.put_object(Bucket=BUCKET, Key=ACME_KEY, Body=b"acme's image")

    globex.put_object(Bucket=BUCKET, Key="uploads/globex/../acme/photo.png", Body=b"globex's")
    denied(globex.put_object, Bucket=BUCKET, Key="uploads/acme/../globex/y.png", Body=b"x")

    assert body(acme, ACME_KEY) == b"acme's image"
    assert body(globex, "uploads/globex/../acme/photo.png") == b"globex's"


# --------------------------------------------------------------------------
# Who may upload at all
# --------------------------------------------------------------------------


@pytest.mark.parametrize("tenant", ["acme", "globex"])
def test_each_tenant_uploads_under_its_own_prefix(tenants: dict[str, Any], tenant: str) -> None:
    s3 = tenants["s3"][tenant]

    s3.put_object(Bucket=BUCKET, Key=f"uploads/{tenant}/2026/own.png", Body=b"own")

    assert body(s3, f"uploads/{tenant}/2026/own.png") == b"own"


@pytest.mark.parametrize(
    "key", ["uploads/loose.png", "uploads/globex/x.png", "processed/acme/x.png", "other.png"]
)
def test_a_tenant_writes_nothing_outside_its_prefix(tenants: dict[str, Any], key: str) -> None:
    denied(tenants["s3"]["acme"].put_object, Bucket=BUCKET, Key=key, Body=b"x")


@pytest.mark.parametrize(
    ("principal", "key"),
    [
        ("untagged", "uploads/acme/x.png"),
        ("admin", "uploads/acme/x.png"),
        ("nested", "uploads/acme/x/inside-acme.png"),  # tenant "acme/x": denied everywhere
        ("empty", "uploads//x.png"),
    ],
)  # fmt: skip
def test_a_principal_without_a_well_formed_tenant_uploads_nothing(
    tenants: dict[str, Any], principal: str, key: str
) -> None:
    denied(tenants["s3"][principal].put_object, Bucket=BUCKET, Key=key, Body=b"x")

    assert versions(tenants["s3"]["admin"], key) == []


def test_outside_uploads_an_untagged_principal_is_unaffected(tenants: dict[str, Any]) -> None:
    """Operators still write the Batch Operations manifests (scripts/reprocess.sh)."""
    admin = tenants["s3"]["admin"]

    admin.put_object(Bucket=BUCKET, Key="batch-operations/manifests/m.csv", Body=b"k")

    assert body(admin, "batch-operations/manifests/m.csv") == b"k"


@pytest.mark.parametrize("exempt", ["function", "batch", "scanner"])
def test_the_stacks_roles_are_exempt(tenants: dict[str, Any], exempt: str) -> None:
    s3 = tenants["s3"][exempt]

    s3.put_object(Bucket=BUCKET, Key=f"processed/{exempt}.png", Body=b"x")

    assert body(tenants["s3"]["admin"], f"processed/{exempt}.png") == b"x"


def test_a_session_tag_overrides_the_roles_tenant(
    local_aws: LocalAWS, tenants: dict[str, Any]
) -> None:
    """Whoever may tag its session chooses its tenant: the tenant roles' trust
    policies must not allow sts:TagSession (README, "Uploading as a tenant").
    The local AWS does not check trust policies; AWS refuses AssumeRole with
    tags unless sts:TagSession is allowed (id_session-tags.html)."""
    tagged = [{"Key": TAG_KEY, "Value": "globex"}]
    as_globex = local_aws.s3_as(tenants["roles"]["acme"], Tags=tagged)

    as_globex.put_object(Bucket=BUCKET, Key="uploads/globex/by-acme-role.png", Body=b"x")
    denied(as_globex.put_object, Bucket=BUCKET, Key="uploads/acme/own.png", Body=b"x")


# --------------------------------------------------------------------------
# Who uploaded reaches the event
# --------------------------------------------------------------------------


def test_the_event_names_the_uploader(local_aws: LocalAWS, tenants: dict[str, Any]) -> None:
    sqs = local_aws.client("sqs")
    queue, _ = local_aws.events_queue(BUCKET, "uploaders-events", "uploads/")
    role_id = local_aws.client("iam").get_role(RoleName="tenant-acme")["Role"]["RoleId"]

    tenants["s3"]["acme"].put_object(Bucket=BUCKET, Key="uploads/acme/evented.png", Body=b"x")

    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    records = [r for m in messages for r in json.loads(m["Body"]).get("Records", [])]
    [record] = [r for r in records if r["s3"]["object"]["key"] == "uploads/acme/evented.png"]
    assert record["userIdentity"] == {"principalId": f"{role_id}:uploader"}


# --------------------------------------------------------------------------
# The wrapper's policy variables: decided where the statement applies, closed otherwise
# --------------------------------------------------------------------------


def test_a_variable_without_a_value_fails_closed_and_other_resources_are_unaffected(
    tenants: dict[str, Any],
) -> None:
    admin, bucket = tenants["s3"]["admin"], "image-processor-test-variables"
    admin.create_bucket(Bucket=bucket)
    deny = {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject"}
    admin.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Statement": [
        deny | {"Resource": f"arn:aws:s3:::{bucket}/tagged/${{aws:PrincipalTag/absent}}/*"},
        deny | {"Resource": f"arn:aws:s3:::{bucket}/other/*",
                "Condition": {"NotIpAddress": {"aws:SourceIp": "192.0.2.0/24"}}},
    ]}))  # fmt: skip

    denied(admin.put_object, Bucket=bucket, Key="tagged/x/a.png", Body=b"x")
    denied(admin.put_object, Bucket=bucket, Key="other/a.png", Body=b"x")
    admin.put_object(Bucket=bucket, Key="elsewhere/a.png", Body=b"x")

    assert body(admin, "elsewhere/a.png", bucket) == b"x"

"""The local AWS enforces the images bucket's conditional denies, through the real aws CLI.

The policy is tests/fixtures/policies/images_bucket_denies.json: the images
bucket's policy as Terraform renders it by default, its ARNs as placeholders
(terraform/tests/pipeline.tftest.hcl fails until it is; `make policy-fixtures`
rewrites it). Each denied upload fails with S3's AccessDenied error and leaves
nothing behind; the upload a user normally makes (no encryption options: the
bucket default, the stack's key) succeeds.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from local_aws import LocalAWS, local_aws_fixture, rendered_policy  # noqa: F401 - the fixture

if TYPE_CHECKING:
    from types_boto3_s3.type_defs import ObjectVersionTypeDef

BUCKET = "image-processor-test-images"
EXPLICIT_DENY = "with an explicit deny in a resource-based policy"
SSE_C = ["--sse-c", "AES256", "--sse-c-key", "0123456789abcdef0123456789abcdef"]  # 32 bytes
OTHER_KEY = ["--sse", "aws:kms", "--sse-kms-key-id", "{other_key}"]


@pytest.fixture(scope="module")
def stack(local_aws: LocalAWS, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    kms, s3 = local_aws.client("kms"), local_aws.client("s3")
    key = kms.create_key(Description="the stack's key")["KeyMetadata"]["Arn"]
    other_key = kms.create_key(Description="another key")["KeyMetadata"]["Arn"]
    role = local_aws.role("image-processor-test-function")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(
        Bucket=BUCKET,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": key,
                    }
                }
            ]
        },
    )
    s3.put_object(Bucket=BUCKET, Key="uploads/existing.png", Body=b"kept")
    batch = local_aws.role("image-processor-test-batch-operations")
    policy = rendered_policy(
        "images_bucket_denies.json",
        bucket_arn=f"arn:aws:s3:::{BUCKET}",
        key_arn=key,
        function_role_arn=role,
        batch_operations_role_arn=batch,
    )
    s3.put_bucket_policy(Bucket=BUCKET, Policy=policy)
    files = tmp_path_factory.mktemp("files")
    (files / "small.png").write_bytes(os.urandom(1000))
    (files / "large.png").write_bytes(os.urandom(9 * 1024 * 1024))  # multipart: over 8 MB
    return {"key": key, "other_key": other_key, "role": role, "batch": batch, "files": files}


def versions(local_aws: LocalAWS, key: str) -> list[ObjectVersionTypeDef]:
    listed = local_aws.client("s3").list_object_versions(Bucket=BUCKET, Prefix=key)
    return [v for v in listed.get("Versions", []) if v["Key"] == key]


def cp(
    local_aws: LocalAWS, source: Path, key: str, *options: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return local_aws.aws(
        "s3", "cp", str(source), f"s3://{BUCKET}/{key}", "--only-show-errors", *options, env=env
    )


def test_the_normal_upload_gets_the_stack_key(local_aws: LocalAWS, stack: dict[str, Any]) -> None:
    result = cp(local_aws, stack["files"] / "small.png", "uploads/normal.png")

    assert result.returncode == 0, result.stderr
    head = local_aws.client("s3").head_object(Bucket=BUCKET, Key="uploads/normal.png")
    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["SSEKMSKeyId"] == stack["key"]


def test_naming_the_stack_key_is_allowed(local_aws: LocalAWS, stack: dict[str, Any]) -> None:
    result = cp(
        local_aws, stack["files"] / "small.png", "uploads/own-key.png",
        "--sse", "aws:kms", "--sse-kms-key-id", stack["key"],
    )  # fmt: skip

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("case", "file", "key", "options"),
    [
        ("SSE-S3", "small.png", "uploads/sse-s3.png", ["--sse", "AES256"]),
        ("SSE-S3, multipart", "large.png", "uploads/sse-s3-large.png", ["--sse", "AES256"]),
        ("the AWS managed key", "small.png", "uploads/aws-managed.png", ["--sse", "aws:kms"]),
        ("another KMS key", "small.png", "uploads/other-key.png", OTHER_KEY),
        ("SSE-C", "small.png", "uploads/sse-c.png", SSE_C),
        ("SSE-C, multipart", "large.png", "uploads/sse-c-large.png", SSE_C),
        ("output prefix", "small.png", "processed/forged.png", []),
        ("output prefix, multipart", "large.png", "processed/forged-large.png", []),
    ],
)  # fmt: skip
def test_denied_uploads_fail_clearly_and_leave_nothing(
    local_aws: LocalAWS, stack: dict[str, Any], case: str, file: str, key: str, options: list[str]
) -> None:
    options = [o.format(**stack) for o in options]
    before = versions(local_aws, "uploads/existing.png")

    result = cp(local_aws, stack["files"] / file, key, *options)

    assert result.returncode != 0, case
    assert "AccessDenied" in result.stderr
    assert EXPLICIT_DENY in result.stderr
    assert f'"arn:aws:s3:::{BUCKET}/{key}"' in result.stderr
    assert versions(local_aws, key) == []
    assert local_aws.client("s3").list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []
    assert versions(local_aws, "uploads/existing.png") == before


def test_copying_into_the_output_prefix_is_denied(
    local_aws: LocalAWS, stack: dict[str, Any]
) -> None:
    result = local_aws.aws(
        "s3", "cp", f"s3://{BUCKET}/uploads/existing.png", f"s3://{BUCKET}/processed/copied.png"
    )

    assert result.returncode != 0
    assert EXPLICIT_DENY in result.stderr
    assert versions(local_aws, "processed/copied.png") == []


def test_the_function_role_writes_the_output_prefix(
    local_aws: LocalAWS, stack: dict[str, Any]
) -> None:
    role_env = local_aws.role_env(stack["role"], "image-processor-test")

    result = cp(local_aws, stack["files"] / "small.png", "processed/by-role.png", env=role_env)
    denied = cp(
        local_aws, stack["files"] / "small.png", "uploads/by-role.png", "--sse", "AES256",
        env=role_env,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert len(versions(local_aws, "processed/by-role.png")) == 1
    assert denied.returncode != 0  # the role is bound by the encryption denies too
    assert "assumed-role/image-processor-test-function/image-processor-test" in denied.stderr


def test_only_the_batch_operations_role_writes_sse_s3(
    local_aws: LocalAWS, stack: dict[str, Any]
) -> None:
    """Batch Operations writes its completion reports with SSE-S3 whatever the bucket's default
    (buckets.tf): its role is exempt from DenyOtherEncryption, and no one else is."""
    batch_env = local_aws.role_env(stack["batch"])
    key = "batch-operations/reports/job-1/report.csv"

    report = cp(local_aws, stack["files"] / "small.png", key, "--sse", "AES256", env=batch_env)
    other = cp(local_aws, stack["files"] / "small.png", f"{key}.other", "--sse", "AES256")

    assert report.returncode == 0, report.stderr
    assert local_aws.client("s3").head_object(Bucket=BUCKET, Key=key)["ServerSideEncryption"] == (
        "AES256"
    )
    assert other.returncode != 0
    assert EXPLICIT_DENY in other.stderr


def test_downloads_and_deletes_are_not_affected(
    local_aws: LocalAWS, stack: dict[str, Any], tmp_path: Path
) -> None:
    s3 = local_aws.client("s3")
    s3.put_object(Bucket=BUCKET, Key="uploads/to-delete.png", Body=b"x")

    download = local_aws.aws(
        "s3", "cp", f"s3://{BUCKET}/uploads/existing.png", str(tmp_path / "back.png")
    )
    delete = local_aws.aws("s3", "rm", f"s3://{BUCKET}/uploads/to-delete.png")

    assert download.returncode == 0, download.stderr
    assert (tmp_path / "back.png").read_bytes() == b"kept"
    assert delete.returncode == 0, delete.stderr


def test_a_batch_delete_under_the_output_prefix_is_a_delete_not_a_write(
    local_aws: LocalAWS, stack: dict[str, Any]
) -> None:
    """DeleteObjects is a POST; AWS authorizes each key as s3:DeleteObject (destroy.sh uses it)."""
    local_aws.s3_as(stack["role"]).put_object(Bucket=BUCKET, Key="processed/old.png", Body=b"x")
    [version] = versions(local_aws, "processed/old.png")
    s3 = local_aws.client("s3")  # an operator emptying the bucket, as destroy.sh does

    result = s3.delete_objects(
        Bucket=BUCKET,
        Delete={"Objects": [{"Key": "processed/old.png", "VersionId": version["VersionId"]}]},
    )

    assert result.get("Errors", []) == []
    assert versions(local_aws, "processed/old.png") == []


def bucket_denying_puts(local_aws: LocalAWS, bucket: str, condition: dict[str, Any]) -> str:
    """A new bucket whose policy denies s3:PutObject to everyone under the condition."""
    deny = {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
            "Resource": f"arn:aws:s3:::{bucket}/*", "Condition": condition}  # fmt: skip
    s3 = local_aws.client("s3")
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Statement": [deny]}))
    return bucket


def test_a_condition_the_local_aws_cannot_evaluate_fails_closed(
    local_aws: LocalAWS, stack: dict[str, Any]
) -> None:
    bucket = bucket_denying_puts(
        local_aws, "image-processor-test-unknown-condition",
        {"NotIpAddress": {"aws:SourceIp": "192.0.2.0/24"}},
    )  # fmt: skip

    result = local_aws.aws("s3", "cp", str(stack["files"] / "small.png"), f"s3://{bucket}/x.png")

    assert result.returncode != 0
    assert EXPLICIT_DENY in result.stderr


def test_a_negated_condition_on_a_missing_header_holds(
    local_aws: LocalAWS, stack: dict[str, Any]
) -> None:
    """Without the Null guard, StringNotEquals also denies uploads that send no header.

    A key missing from the request makes a negated operator true
    (IAM: reference_policies_elements_condition_operators): this is why the
    stack's denies pair each StringNotEquals with a Null check.
    """
    bucket = bucket_denying_puts(
        local_aws, "image-processor-test-unguarded",
        {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}},
    )  # fmt: skip
    source = str(stack["files"] / "small.png")

    without_header = local_aws.aws("s3", "cp", source, f"s3://{bucket}/a.png")
    with_kms = local_aws.aws("s3", "cp", source, f"s3://{bucket}/b.png", "--sse", "aws:kms")

    assert without_header.returncode != 0
    assert EXPLICIT_DENY in without_header.stderr
    assert with_kms.returncode == 0, with_kms.stderr

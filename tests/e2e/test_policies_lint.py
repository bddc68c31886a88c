"""parliament over every policy document of the stack deployed to the local AWS.

The documents are read back from the deployment (what the provider rendered
and AWS stored), not from the Terraform: IAM trust and inline policies,
bucket, key, topic and queue policies, and the function's resource policy.
Nothing above LOW may remain apart from the entries of
scripts/audit/audit_policies.py's KNOWN, each with its reason, and every entry of
KNOWN must still match a finding (a fixed one is removed).

Last, the stack is destroyed with --delete-audit-logs: the logs bucket goes
too, its locked versions deleted with the GOVERNANCE bypass (test_demo_loop.py
checks the default, which keeps them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from botocore.exceptions import ClientError

from e2e.local_deployment import LocalDeployment
from helpers import load_script

pytestmark = pytest.mark.slow

if TYPE_CHECKING:  # mypy reads scripts/audit/audit_policies.py as the module it is
    import audit_policies
    from audit_policies import Document
else:
    audit_policies = load_script("audit/audit_policies")


@pytest.fixture(scope="module")
def deployment(shared_stack: LocalDeployment) -> LocalDeployment:
    return shared_stack


@pytest.fixture(scope="module")
def documents(deployment: LocalDeployment) -> list[Document]:
    return audit_policies.collect(deployment.client)


def test_every_kind_of_policy_document_is_read(documents: list[Document]) -> None:
    kinds = {document.source.split(":")[0] for document in documents}

    assert kinds >= {
        "iam role trust policy", "iam role inline policy", "s3 bucket policy",
        "kms key policy", "sns topic policy", "sqs queue policy", "lambda resource policy",
    }  # fmt: skip


def test_parliament_finds_nothing_above_low_but_the_known_findings(
    documents: list[Document],
) -> None:
    findings = [finding for document in documents for finding in audit_policies.lint(document)]

    assert audit_policies.failing(findings) == []
    assert audit_policies.stale(findings) == [], "fixed: remove these entries from KNOWN"


def test_destroy_with_delete_audit_logs_removes_the_locked_logs_too(
    deployment: LocalDeployment, documents: list[Document]
) -> None:
    # Arrange: a trail file under the audit bucket's default GOVERNANCE
    # retention, which a plain delete cannot remove, and an access log.
    outputs = deployment.outputs()
    s3 = deployment.client("s3")
    key = "cloudtrail/AWSLogs/123456789012/CloudTrail/trail.json.gz"
    version = s3.put_object(Bucket=outputs["audit_bucket_name"], Key=key, Body=b"{}")["VersionId"]
    s3.put_object(Bucket=outputs["logs_bucket_name"], Key="s3-access-logs/log", Body=b"-")
    with pytest.raises(ClientError) as refused:
        s3.delete_object(Bucket=outputs["audit_bucket_name"], Key=key, VersionId=version)
    assert refused.value.response["Error"]["Code"] == "AccessDenied"

    # Act
    destroy = deployment.script("destroy.sh", "--local", "--yes", "--delete-audit-logs")

    # Assert: nothing of the stack remains, the audit logs included.
    assert destroy.returncode == 0, destroy.stdout[-3000:] + destroy.stderr[-3000:]
    assert "The audit logs were deleted" in destroy.stdout
    assert s3.list_buckets()["Buckets"] == []
    assert "Nothing to destroy" in deployment.script("destroy.sh", "--local", "--yes").stdout

"""parliament over every policy document of the stack deployed to the local AWS.

The documents are read back from the deployment (what the provider rendered
and AWS stored), not from the Terraform: IAM trust and inline policies,
bucket, key, topic and queue policies, and the function's resource policy.
Nothing above LOW may remain apart from the entries of
scripts/audit/audit_policies.py's KNOWN, each with its reason, and every entry of
KNOWN must still match a finding (a fixed one is removed).

parliament runs once per stack: these tests read the report that
`scripts/audit.sh --deployed` wrote (test_audit.py runs it first on the shared
stack), or, without it (this module run alone), the report that the audit's
own command writes (`audit_policies.py --out`).

Last, the stack is destroyed with --delete-audit-logs: the logs bucket goes
too, its locked versions deleted with the GOVERNANCE bypass (test_demo_loop.py
checks the default, which keeps them).
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

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
def report(deployment: LocalDeployment) -> dict[str, Any]:
    """reports/audit/policies.json of the deployment's repository: the audit's (scripts/audit.sh
    --deployed), else written here by the same command the audit runs."""
    path = deployment.repo / "reports" / "audit" / "policies.json"
    if not path.exists():
        # Exit 1 means a finding: the tests below say which.
        linted = deployment.run(
            sys.executable, "scripts/audit/audit_policies.py", "--out", path, env=deployment.aws_env
        )
        assert linted.returncode in (0, 1), linted.stderr[-3000:]
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


@pytest.fixture(scope="module")
def documents(report: dict[str, Any]) -> list[Document]:
    return [audit_policies.Document(**document) for document in report["documents"]]


def test_every_kind_of_policy_document_is_read(documents: list[Document]) -> None:
    kinds = {document.source.split(":")[0] for document in documents}

    assert kinds >= {
        "iam role trust policy", "iam role inline policy", "s3 bucket policy",
        "kms key policy", "sns topic policy", "sqs queue policy", "lambda resource policy",
    }  # fmt: skip


def test_parliament_finds_nothing_above_low_but_the_known_findings(
    report: dict[str, Any],
) -> None:
    findings = [audit_policies.Finding(**finding) for finding in report["findings"]]

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

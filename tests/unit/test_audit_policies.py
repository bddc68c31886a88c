"""parliament as the audit runs it: per statement, with the known findings as data."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import pytest

from helpers import load_script

if TYPE_CHECKING:
    from audit_policies import Finding

audit_policies = load_script("audit/audit_policies")
Document = audit_policies.Document

# The account statement of both keys (kms.tf): administration by name, no kms:*.
ACCOUNT_ADMINISTRATION = {
    "Sid": "AccountAdministration",
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
    "Action": ["kms:DescribeKey", "kms:PutKeyPolicy", "kms:RevokeGrant", "kms:TagResource"],
    "Resource": "*",
}
ADMIN = {"Sid": "Admin", "Effect": "Allow", "Action": "iam:*", "Resource": "*"}
TRUST = {
    "Effect": "Allow",
    "Principal": {"Service": "lambda.amazonaws.com"},
    "Action": "sts:AssumeRole",
}


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def test_a_permissions_management_grant_fails() -> None:
    findings = audit_policies.lint(
        Document("iam role inline policy: r/p", "identity", policy(ADMIN))
    )

    failing = audit_policies.failing(findings)
    assert failing
    assert {f.sid for f in failing} == {"Admin"}


def test_the_account_administration_statement_is_accepted_with_its_reason() -> None:
    findings = audit_policies.lint(
        Document("kms key policy: alias/x", "resource", policy(ACCOUNT_ADMINISTRATION))
    )

    assert [f.issue for f in findings if f.accepted] == ["PERMISSIONS_MANAGEMENT_ACTIONS"]
    assert "administration, not its use" in findings[0].accepted
    assert audit_policies.failing(findings) == []


@pytest.mark.parametrize("everything", ["kms:*", ["kms:DescribeKey", "kms:*"], "*"])
def test_kms_star_to_the_account_is_no_longer_accepted(everything: str | list[str]) -> None:
    # Issue 20: no kms:* to the root beyond what AWS requires, which is none.
    statement = ACCOUNT_ADMINISTRATION | {"Action": everything}

    findings = audit_policies.lint(
        Document("kms key policy: alias/x", "resource", policy(statement))
    )

    assert audit_policies.failing(findings)


@pytest.mark.parametrize("source", ["iam role inline policy: r/p", "sns topic policy: t"])
def test_the_same_grant_outside_a_key_policy_is_not_accepted(source: str) -> None:
    findings = audit_policies.lint(Document(source, "resource", policy(ACCOUNT_ADMINISTRATION)))

    assert audit_policies.failing(findings)


def test_grants_are_accepted_only_for_break_glass_and_for_the_services_own() -> None:
    break_glass = {
        "Sid": "BreakGlassOnly",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
        "Action": ["kms:CreateGrant", "kms:DisableKey", "kms:ScheduleKeyDeletion"],
        "Resource": "*",
        "Condition": {"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::123456789012:root"}},
    }
    services: dict[str, Any] = {
        "Sid": "DynamoDBAndLambdaCreateTheirGrants",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
        "Action": "kms:CreateGrant",
        "Resource": "*",
        "Condition": {
            "Bool": {"kms:GrantIsForAWSResource": "true"},
            "StringEquals": {"kms:ViaService": "dynamodb.us-east-1.amazonaws.com"},
        },
    }
    anyone = services | {"Condition": services["Condition"] | {"Bool": {}}}

    def failing(statement: dict[str, Any]) -> list[Finding]:
        document = Document("kms key policy: alias/x", "resource", policy(statement))
        return cast("list[Finding]", audit_policies.failing(audit_policies.lint(document)))

    assert failing(break_glass) == []
    assert failing(services) == []
    assert failing(break_glass | {"Condition": {}})  # for anyone in the account
    assert failing(anyone)  # a grant that is not for an AWS resource


def test_a_trust_policy_without_resource_is_a_known_false_positive_only_for_trust_policies() -> (
    None
):
    as_trust = audit_policies.lint(Document("iam role trust policy: r", "trust", policy(TRUST)))
    as_identity = audit_policies.lint(
        Document("iam role inline policy: r/p", "identity", policy(TRUST))
    )

    assert [f.issue for f in as_trust] == ["MALFORMED"]
    assert audit_policies.failing(as_trust) == []
    assert audit_policies.failing(as_identity)


def test_a_known_entry_that_matches_nothing_is_stale() -> None:
    findings = audit_policies.lint(
        Document("kms key policy: alias/x", "resource", policy(ACCOUNT_ADMINISTRATION))
    )

    stale = audit_policies.stale(findings)

    assert audit_policies.KNOWN[1] not in stale  # the account statement matched
    assert audit_policies.KNOWN[0] in stale  # no trust policy was linted


def test_every_known_entry_has_a_status_and_a_real_reason() -> None:
    for entry in audit_policies.KNOWN:
        assert entry.status in ("false positive", "open")
        assert len(entry.reason.split()) >= 12, entry.issue

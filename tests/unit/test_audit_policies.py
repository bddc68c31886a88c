"""parliament as the audit runs it: per statement, with the known findings as data."""

from __future__ import annotations

import pytest

from helpers import load_script

audit_policies = load_script("audit_policies")
Document = audit_policies.Document

DEFAULT_KEY_STATEMENT = {
    "Sid": "AccountAdministration",
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
    "Action": "kms:*",
    "Resource": "*",
}
ADMIN = {"Sid": "Admin", "Effect": "Allow", "Action": "iam:*", "Resource": "*"}
TRUST = {
    "Effect": "Allow",
    "Principal": {"Service": "lambda.amazonaws.com"},
    "Action": "sts:AssumeRole",
}


def policy(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def test_a_permissions_management_grant_fails():
    findings = audit_policies.lint(
        Document("iam role inline policy: r/p", "identity", policy(ADMIN))
    )

    failing = audit_policies.failing(findings)
    assert failing
    assert {f.sid for f in failing} == {"Admin"}


def test_the_default_key_policy_statement_is_accepted_with_its_reason():
    findings = audit_policies.lint(
        Document("kms key policy: alias/x", "resource", policy(DEFAULT_KEY_STATEMENT))
    )

    assert [f.issue for f in findings if f.accepted] == ["PERMISSIONS_MANAGEMENT_ACTIONS"]
    assert "default key-policy statement" in findings[0].accepted
    assert audit_policies.failing(findings) == []


@pytest.mark.parametrize("source", ["iam role inline policy: r/p", "sns topic policy: t"])
def test_the_same_grant_outside_a_key_policy_is_not_accepted(source):
    statement = DEFAULT_KEY_STATEMENT | {"Action": "kms:*"}

    findings = audit_policies.lint(Document(source, "resource", policy(statement)))

    assert audit_policies.failing(findings)


def test_a_trust_policy_without_resource_is_a_known_false_positive_only_for_trust_policies():
    as_trust = audit_policies.lint(Document("iam role trust policy: r", "trust", policy(TRUST)))
    as_identity = audit_policies.lint(
        Document("iam role inline policy: r/p", "identity", policy(TRUST))
    )

    assert [f.issue for f in as_trust] == ["MALFORMED"]
    assert audit_policies.failing(as_trust) == []
    assert audit_policies.failing(as_identity)


def test_a_known_entry_that_matches_nothing_is_stale():
    findings = audit_policies.lint(
        Document("kms key policy: alias/x", "resource", policy(DEFAULT_KEY_STATEMENT))
    )

    stale = audit_policies.stale(findings)

    assert audit_policies.KNOWN[1] not in stale  # the default key statement matched
    assert audit_policies.KNOWN[0] in stale  # no trust policy was linted


def test_every_known_entry_has_a_status_and_a_real_reason():
    for entry in audit_policies.KNOWN:
        assert entry.status in ("false positive", "open")
        assert len(entry.reason.split()) >= 12, entry.issue

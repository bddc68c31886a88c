"""make audit's bookkeeping: sorting Prowler's findings, and the register they are held to.

The sorting and the comparison run on fixture JSON trimmed from a real Prowler
5.46 run against the deployed stack (tests/fixtures/audit). The last real
audit (reports/audit/audit.json, written by `make audit`) is compared with
SECURITY.md's register when it is present.
"""

from __future__ import annotations

import json
import re

import pytest

from helpers import ROOT, load_script

FIXTURES = ROOT / "tests" / "fixtures" / "audit"
LAST_AUDIT = ROOT / "reports" / "audit" / "audit.json"
SECURITY = (ROOT / "SECURITY.md").read_text()
IMAGES = "image-processor-local-images-123456789012"


audit_report = load_script("audit_report")


@pytest.fixture
def findings():
    return audit_report.read_findings(json.loads((FIXTURES / "prowler.ocsf.json").read_text()))


@pytest.fixture
def index():
    return audit_report.state_index(json.loads((FIXTURES / "state.json").read_text()))


@pytest.fixture
def report(findings, index):
    return audit_report.classify(findings, index, audit_report.load_artefacts())


def stack_row(report, check):
    return next(row for row in report.stack if row["check"] == check)


# --------------------------------------------------------------------------
# Sorting
# --------------------------------------------------------------------------


def test_a_finding_on_a_stack_resource_is_reported_under_its_terraform_address(report):
    row = stack_row(report, "s3_bucket_no_mfa_delete")

    assert row["address"] == "aws_s3_bucket.this"
    assert row["status"] == "FAIL"


def test_the_resource_with_an_arn_wins_over_satellites_sharing_its_name(index):
    # aws_s3_bucket_versioning.this has the bucket name as id too.
    assert index[IMAGES] == "aws_s3_bucket.this"
    assert index[f"arn:aws:s3:::{IMAGES}"] == "aws_s3_bucket.this"


def test_resources_inside_modules_are_indexed_with_their_module_address():
    bucket = {"address": "module.images.aws_s3_bucket.this", "mode": "managed",
              "values": {"arn": "arn:aws:s3:::b", "id": "b"}}  # fmt: skip
    state = {"values": {"root_module": {"child_modules": [{"resources": [bucket]}]}}}

    assert audit_report.state_index(state)["arn:aws:s3:::b"] == "module.images.aws_s3_bucket.this"


def test_a_resource_owns_its_arn_even_where_another_names_it():
    # The event source mapping comes first and names the function by its ARN.
    fn = "arn:aws:lambda:eu-west-1:123456789012:function:f"
    mapping = {"address": "aws_lambda_event_source_mapping.uploads", "mode": "managed",
               "values": {"arn": "arn:aws:lambda:eu-west-1:123456789012:event-source-mapping:u",
                          "function_name": fn}}  # fmt: skip
    function = {"address": "aws_lambda_function.this", "mode": "managed",
                "values": {"arn": fn, "function_name": "f"}}  # fmt: skip
    state = {"values": {"root_module": {"resources": [mapping, function]}}}

    assert audit_report.state_index(state)[fn] == "aws_lambda_function.this"


def test_data_sources_are_not_stack_resources():
    state = {"values": {"root_module": {"resources": [
        {"address": "data.aws_iam_policy_document.x", "mode": "data", "values": {"id": "123"}},
    ]}}}  # fmt: skip

    assert audit_report.state_index(state) == {}


def test_prowler_built_uids_match_by_the_id_at_their_end(report):
    row = stack_row(report, "guardduty_rds_protection_enabled")

    assert row["address"] == "aws_guardduty_detector.this[0]"


def test_findings_outside_the_state_are_account_level(report):
    checks = {row["check"] for row in report.account}

    assert "iam_password_policy_lowercase" in checks
    assert all(row["check"] != "iam_password_policy_lowercase" for row in report.stack)


def test_a_known_local_artefact_is_set_apart_with_its_reason(report):
    artefacts = [a for a in report.artefacts if a["check"] == "kms_cmk_rotation_enabled"]

    assert len(artefacts) == 1
    assert artefacts[0]["status"] == "FAIL"
    assert "moto" in artefacts[0]["reason"]
    # The stack's own key, which passes, is still the stack's.
    assert stack_row(report, "kms_cmk_rotation_enabled")["address"] == "aws_kms_key.this"


def test_an_artefact_rule_with_a_resource_glob_matches_nothing_else(findings):
    rule = audit_report.Artefact(
        check="kms_cmk_rotation_enabled", reason="r", resource="alias/aws/*"
    )
    rotation = [f for f in findings if f.check == "kms_cmk_rotation_enabled"]

    assert [rule.matches(f) for f in rotation].count(True) == 1


def test_one_fail_among_passes_makes_the_check_fail_on_that_resource(findings, index):
    passing = next(f for f in findings if f.check == "s3_bucket_default_encryption")
    failing = audit_report.Finding(**(vars(passing) | {"status": "FAIL", "detail": "broken"}))

    report = audit_report.classify([passing, failing], index, [])

    assert report.stack == [stack_row(report, "s3_bucket_default_encryption")]
    assert report.stack[0]["status"] == "FAIL"
    assert report.stack[0]["detail"] == "broken"


def test_every_artefact_rule_says_why_the_local_aws_produces_it():
    for rule in audit_report.load_artefacts():
        assert len(rule.reason.split()) >= 10, rule.check


# --------------------------------------------------------------------------
# The register and the comparison
# --------------------------------------------------------------------------

REGISTER = """
<!-- prowler-exceptions:start -->
| Prowler check | Resource | checkov | Reason |
|---|---|---|---|
| `s3_bucket_no_mfa_delete` | `aws_s3_bucket.this` | — | AWS: only the root user can. |
| `guardduty_rds_protection_enabled` | `aws_guardduty_detector.this[0]` | — | Deliberate: no RDS. |
<!-- prowler-exceptions:end -->
"""


def test_the_register_is_read_from_its_markers():
    assert audit_report.read_register(REGISTER)[0] == {
        "check": "s3_bucket_no_mfa_delete", "address": "aws_s3_bucket.this", "checkov": "—",
        "reason": "AWS: only the root user can.",
    }  # fmt: skip


def test_fails_and_register_that_agree_pass(report):
    compared = audit_report.compare(report, audit_report.read_register(REGISTER))

    assert compared.agrees


def test_an_unregistered_fail_is_a_difference(report, findings, index):
    extra = audit_report.Finding(
        check="s3_bucket_object_lock", status="FAIL", severity="Low",
        resource=f"arn:aws:s3:::{IMAGES}", name=IMAGES, region="us-east-1", detail="no lock",
    )  # fmt: skip
    report = audit_report.classify([*findings, extra], index, audit_report.load_artefacts())

    compared = audit_report.compare(report, audit_report.read_register(REGISTER))

    assert not compared.agrees
    assert [(r["check"], r["address"]) for r in compared.unregistered] == [
        ("s3_bucket_object_lock", "aws_s3_bucket.this")
    ]


def test_a_register_row_without_its_fail_is_a_difference(findings, index):
    fixed = [f for f in findings if f.check != "s3_bucket_no_mfa_delete"]
    report = audit_report.classify(fixed, index, audit_report.load_artefacts())

    compared = audit_report.compare(report, audit_report.read_register(REGISTER))

    assert not compared.agrees
    assert [r["check"] for r in compared.stale] == ["s3_bucket_no_mfa_delete"]


def test_the_command_exits_1_on_a_difference_and_writes_both_reports(tmp_path):
    security = tmp_path / "SECURITY.md"
    security.write_text(REGISTER.replace("`s3_bucket_no_mfa_delete`", "`s3_bucket_object_lock`"))
    args = ["--findings", str(FIXTURES / "prowler.ocsf.json"),
            "--state", str(FIXTURES / "state.json"),
            "--out-dir", str(tmp_path), "--security", str(security)]  # fmt: skip

    assert audit_report.main(args) == 1
    written = json.loads((tmp_path / "audit.json").read_text())
    assert [r["check"] for r in written["unregistered"]] == ["s3_bucket_no_mfa_delete"]
    assert "s3_bucket_no_mfa_delete" in (tmp_path / "audit.md").read_text()

    security.write_text(REGISTER)
    assert audit_report.main([*args[:-1], str(security)]) == 0
    assert (
        audit_report.main(
            ["--compare-only", str(tmp_path / "audit.json"), "--security", str(security)]
        )
        == 0
    )


# --------------------------------------------------------------------------
# SECURITY.md's register itself
# --------------------------------------------------------------------------

ROWS = audit_report.read_register(SECURITY)
CLASSES = ("Deliberate", "AWS", "Open")


def test_every_register_row_has_a_class_and_a_real_reason():
    assert ROWS
    for row in ROWS:
        kind, _, reason = row["reason"].partition(": ")
        assert kind in CLASSES, row
        assert len(reason.split()) >= 8, row


def test_the_registers_baseline_sentence_counts_its_rows():
    counts = {kind: sum(r["reason"].startswith(kind + ":") for r in ROWS) for kind in CLASSES}
    sentence = re.sub(r"\s+", " ", SECURITY)

    assert (
        f"{len(ROWS)} FAILs: {counts['Deliberate']} Deliberate, {counts['AWS']} AWS, "
        f"{counts['Open']} Open." in sentence
    )


def test_a_checkov_id_in_the_register_is_a_checkov_skip_on_the_same_resource():
    checkov = SECURITY.split("<!-- checkov-skips:start -->")[1].split("<!-- checkov-skips:end -->")[
        0
    ]
    skips = set(re.findall(r"^\| (CKV[A-Z0-9_]+) \| `([^`]+)` \|", checkov, flags=re.MULTILINE))
    for row in ROWS:
        if row["checkov"] != "—":
            assert (row["checkov"], checkov_address(row["address"])) in skips, row


# The root's module calls, as checkov names the directories it scans.
MODULE_DIRS = {
    "module.pipeline.module.images_bucket": "modules/hardened-bucket",
    "module.pipeline.module.logs_bucket": "modules/hardened-bucket",
    "module.pipeline.module.audit_bucket": "modules/hardened-bucket",
    "module.pipeline": "modules/image-pipeline",
    "module.account_baseline": "modules/account-baseline",
}


def checkov_address(address: str) -> str:
    """A Terraform state address as checkov's skip list names it.

    ``module.pipeline.aws_lambda_function.this`` becomes
    ``modules/image-pipeline/aws_lambda_function.this``;
    the index of a counted resource (``[0]``) goes.
    """
    address = re.sub(r"\[[^\]]*\]", "", address)
    for call, directory in MODULE_DIRS.items():
        if address.startswith(call + "."):
            return f"{directory}/{address.removeprefix(call + '.')}"
    return address


@pytest.mark.skipif(not LAST_AUDIT.exists(), reason="no reports/audit/audit.json: run make audit")
def test_the_last_audit_agrees_with_the_register():
    report = audit_report.compare(audit_report.from_json(json.loads(LAST_AUDIT.read_text())), ROWS)

    assert not report.unregistered, "FAILs missing from SECURITY.md's register"
    assert not report.stale, "register rows whose FAIL is gone"


@pytest.mark.skipif(not LAST_AUDIT.exists(), reason="no reports/audit/audit.json: run make audit")
def test_the_prowler_checks_cited_for_met_controls_pass_in_the_last_audit():
    report = json.loads(LAST_AUDIT.read_text())
    failing = {row["check"] for row in report["stack"] if row["status"] == "FAIL"}
    for control, status, prowler in controls_with_prowler_checks():
        if status == "Met" or status.startswith("Met when"):
            assert not set(prowler) & failing, control


def controls_with_prowler_checks() -> list[tuple[str, str, list[str]]]:
    """(control, status, Prowler checks) for each row of the controls table."""
    table = SECURITY.split("## Controls mapped to standards")[1].split("\n## ")[0]
    rows = []
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 5 and cells[0] not in ("Control", "---"):
            rows.append((cells[0], cells[2], re.findall(r"`([a-z0-9_]+)`", cells[4])))
    return rows


def test_the_controls_table_names_a_prowler_check_or_says_why_not():
    rows = controls_with_prowler_checks()

    assert len(rows) >= 20
    for control, _, checks in rows:
        cell = next(line for line in SECURITY.splitlines() if line.startswith(f"| {control} |"))
        assert checks or "none (" in cell or "not scanned (" in cell, control


@pytest.mark.skipif(not LAST_AUDIT.exists(), reason="no reports/audit/audit.json: run make audit")
def test_the_cited_prowler_checks_ran_in_the_last_audit():
    report = json.loads(LAST_AUDIT.read_text())
    ran = {row["check"] for group in ("stack", "account", "artefacts") for row in report[group]}
    for control, _, checks in controls_with_prowler_checks():
        assert set(checks) <= ran, control


def test_the_register_draft_keeps_known_reasons_and_marks_new_rows(report):
    register = audit_report.read_register(REGISTER)[:1]  # guardduty_rds_... is new
    compared = audit_report.compare(report, register)

    draft = audit_report.register_draft(compared)

    assert draft[2:] == [
        "| `guardduty_rds_protection_enabled` | `aws_guardduty_detector.this[0]` | — | "
        "TODO (Deliberate/AWS/Open): GuardDuty detector does not have RDS Protection enabled. |",
        "| `s3_bucket_no_mfa_delete` | `aws_s3_bucket.this` | — | AWS: only the root user can. |",
    ]
    assert (
        audit_report.read_register(
            "\n".join([audit_report.REGISTER_START, *draft, audit_report.REGISTER_END])
        )[1]
        == register[0]
    )

"""make audit: Prowler's mutelist rendered from SECURITY.md's register, and the run held to it.

The fixtures (tests/fixtures/audit) are trimmed from a real Prowler 5.46 run
against the deployed stack; their statuses are those Prowler gives with the
mutelist rendered from REGISTER below (Suppressed: muted), which
test_prowlers_own_mutelist_code_mutes_what_the_fixture_says checks with
Prowler's own code where .venv-prowler is installed. The last real audit
(reports/audit/audit.json, written by `make audit`) is compared with
SECURITY.md's register when it is present.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, cast

import pytest

from helpers import ROOT, load_script

FIXTURES = ROOT / "tests" / "fixtures" / "audit"
LAST_AUDIT = ROOT / "reports" / "audit" / "audit.json"
PROWLER_PYTHON = ROOT / ".venv-prowler" / "bin" / "python"
# make's stamp, written when the install has ended (CI builds the virtualenv beside make test).
PROWLER_INSTALLED = ROOT / ".venv-prowler" / ".installed"
SECURITY = (ROOT / "SECURITY.md").read_text()
IMAGES = "image-processor-local-images-123456789012"
MOTO_KEY = "53d7688a-8464-4b8d-964b-961a5146ce84"  # moto's own default key, not the stack's
REGISTER = """
<!-- prowler-exceptions:start -->
| Prowler check | Resource | checkov | Reason |
|---|---|---|---|
| `s3_bucket_no_mfa_delete` | `aws_s3_bucket.this` | — | AWS: only the root user can. |
| `guardduty_rds_protection_enabled` | `aws_guardduty_detector.this[0]` | — | Deliberate: no RDS. |
<!-- prowler-exceptions:end -->
"""

if TYPE_CHECKING:  # mypy reads scripts/audit/audit_report.py as the module it is
    import audit_report
    from audit_report import Artefact, JSONObject, RegisterRow, Row
else:
    audit_report = load_script("audit/audit_report")
ROWS = audit_report.read_register(REGISTER)
ARTEFACTS = audit_report.load_artefacts()


@pytest.fixture
def index() -> dict[str, str]:
    return audit_report.state_index(json.loads((FIXTURES / "state.json").read_text()))


@pytest.fixture
def findings(index: dict[str, str]) -> list[Row]:
    return audit_report.read_findings(
        json.loads((FIXTURES / "prowler.ocsf.json").read_text()), index
    )


def entries(
    register: list[RegisterRow], index: dict[str, str], artefacts: Iterable[Artefact] = ()
) -> JSONObject:
    rendered = audit_report.mutelist(register, list(artefacts), index)
    return cast("JSONObject", rendered["Mutelist"]["Accounts"]["*"]["Checks"])


def mutes(entry: JSONObject, resource_id: str) -> bool:
    """Prowler's documented matching: each Resources item is a regex searched in the id."""
    return any(re.search(pattern, resource_id) for pattern in entry["Resources"])


# --------------------------------------------------------------------------
# The state: Terraform address <-> the identifiers Prowler reports
# --------------------------------------------------------------------------


def test_a_resource_is_indexed_under_its_module_address_and_wins_over_its_satellites(
    index: dict[str, str],
) -> None:
    bucket = {"address": "module.images.aws_s3_bucket.this", "mode": "managed",
              "values": {"arn": "arn:aws:s3:::b", "id": "b"}}  # fmt: skip
    state = {"values": {"root_module": {"child_modules": [{"resources": [bucket]}]}}}

    assert audit_report.state_index(state)["arn:aws:s3:::b"] == "module.images.aws_s3_bucket.this"
    # aws_s3_bucket_versioning.this has the bucket name as id too.
    assert index[IMAGES] == index[f"arn:aws:s3:::{IMAGES}"] == "aws_s3_bucket.this"


def test_a_resource_owns_its_arn_even_where_another_names_it() -> None:
    fn = "arn:aws:lambda:eu-west-1:123456789012:function:f"
    mapping = {"address": "aws_lambda_event_source_mapping.uploads", "mode": "managed",
               "values": {"arn": "arn:aws:lambda:eu-west-1:123456789012:event-source-mapping:u",
                          "function_name": fn}}  # fmt: skip
    function = {"address": "aws_lambda_function.this", "mode": "managed",
                "values": {"arn": fn, "function_name": "f"}}  # fmt: skip
    data = {"address": "data.aws_iam_policy_document.x", "mode": "data", "values": {"id": "1"}}
    state = {"values": {"root_module": {"resources": [mapping, function, data]}}}
    index = audit_report.state_index(state)

    assert index[fn] == "aws_lambda_function.this"
    assert "1" not in index


# --------------------------------------------------------------------------
# The mutelist
# --------------------------------------------------------------------------


def test_a_register_row_mutes_its_check_on_its_resource_and_says_why(index: dict[str, str]) -> None:
    entry = entries(ROWS, index)["^s3_bucket_no_mfa_delete$"]

    assert mutes(entry, IMAGES)
    assert not mutes(entry, f"{IMAGES}-replica")
    assert not mutes(entry, f"old-{IMAGES}")
    assert "aws_s3_bucket.this: AWS: only the root user can." in entry["Description"]
    assert entry["Regions"] == ["*"]


def test_a_check_key_matches_that_check_only(index: dict[str, str]) -> None:
    key = next(iter(entries(ROWS, index)))

    assert re.search(key, "guardduty_rds_protection_enabled")
    assert not re.search(key, "guardduty_rds_protection_enabled_everywhere")


def test_a_resource_pattern_covers_the_ids_prowler_builds_around_a_name() -> None:
    queue, role = audit_report.resource_pattern("q.1"), audit_report.resource_pattern("role")

    assert re.search(queue, "http://localhost:5055/123456789012/q.1")  # an SQS queue's URL
    assert re.search(role, "role/inline-policy")  # an IAM inline policy
    assert not re.search(queue, "qx1")
    assert not re.search(role, "roles/p")


def test_rows_of_one_check_share_its_entry_and_an_undeployed_row_mutes_nothing(
    index: dict[str, str],
) -> None:
    register: list[RegisterRow] = [*ROWS, {**ROWS[0], "address": "aws_kms_key.this"},
                {**ROWS[0], "address": "aws_s3_bucket.gone"}]  # fmt: skip

    entry = entries(register, index)["^s3_bucket_no_mfa_delete$"]

    assert mutes(entry, IMAGES)
    assert mutes(entry, "d8b38690-6823-4c3a-babf-2cc05ad80f2c")
    assert "aws_s3_bucket.gone" not in entry["Description"]


def test_an_artefact_outside_the_stack_is_muted_everywhere_but_on_the_stacks_resources(
    index: dict[str, str],
) -> None:
    entry = entries([], index, ARTEFACTS)["^kms_cmk_rotation_enabled$"]

    assert entry["Resources"] == ["*"]
    assert "moto" in entry["Description"]
    stack_key = "d8b38690-6823-4c3a-babf-2cc05ad80f2c"
    assert [e for e in entry["Exceptions"]["Resources"] if re.search(e, stack_key)]
    assert not [e for e in entry["Exceptions"]["Resources"] if re.search(e, MOTO_KEY)]


def test_an_artefact_rule_names_resources_as_prowler_does_and_nothing_else(
    tmp_path: Path, index: dict[str, str]
) -> None:
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"artefacts": [{"check": "c", "reason": "r", "resource": "a*"}]}))
    narrow: Artefact = {"check": "c", "reason": "r", "resources": ["^default$"]}

    with pytest.raises(ValueError, match=r"unknown \['resource'\]"):
        audit_report.load_artefacts(rules)
    assert entries([], index, [narrow])["^c$"]["Resources"] == ["^default$"]


def test_an_artefact_on_a_registered_check_is_refused(index: dict[str, str]) -> None:
    clash: list[Artefact] = [{"check": "s3_bucket_no_mfa_delete", "reason": "r"}]

    with pytest.raises(ValueError, match="one entry per check"):
        audit_report.mutelist(ROWS, clash, index)


def test_the_register_and_the_artefacts_render_together(index: dict[str, str]) -> None:
    rendered = entries(audit_report.read_register(SECURITY), index, ARTEFACTS)

    assert {f"^{rule['check']}$" for rule in ARTEFACTS} <= rendered.keys()
    for rule in ARTEFACTS:
        assert len(rule["reason"].split()) >= 10, rule  # why the local AWS, not the stack


@pytest.mark.skipif(not PROWLER_INSTALLED.exists(), reason="no .venv-prowler: run make audit")
def test_prowlers_own_mutelist_code_mutes_what_the_fixture_says(
    tmp_path: Path, index: dict[str, str]
) -> None:
    mutelist = tmp_path / "mutelist.yaml"
    mutelist.write_text(json.dumps(audit_report.mutelist(ROWS, ARTEFACTS, index)))
    ocsf = json.loads((FIXTURES / "prowler.ocsf.json").read_text())
    judge = (
        "import json, sys\n"
        "from prowler.providers.aws.lib.mutelist.mutelist import AWSMutelist\n"
        "mutelist = AWSMutelist(mutelist_path=sys.argv[1])\n"
        "assert mutelist.mutelist, 'Prowler rejected the mutelist'\n"
        "for check, resource in json.load(sys.stdin):\n"
        "    print(mutelist.is_muted('123456789012', check, 'us-east-1', resource, ''))\n"
    )
    # An AWS finding's OCSF resource name is its resource_id, which the mutelist matches.
    pairs = [[f["metadata"]["event_code"], f["resources"][0]["name"]] for f in ocsf]

    out = subprocess.run([PROWLER_PYTHON, "-c", judge, mutelist], input=json.dumps(pairs),
                         capture_output=True, text=True, check=True).stdout  # fmt: skip

    assert out.split() == [str(f["status"] == "Suppressed") for f in ocsf]


# --------------------------------------------------------------------------
# The report: Prowler's muted findings against the register
# --------------------------------------------------------------------------


def test_findings_are_sorted_into_the_stack_the_artefacts_and_the_account(
    findings: list[Row],
) -> None:
    report = audit_report.sort(findings, ROWS, ARTEFACTS)

    assert [(r["check"], r["resource"]) for r in report.artefacts] == [
        ("kms_cmk_rotation_enabled", f"arn:aws:kms:us-east-1:123456789012:key/{MOTO_KEY}")
    ]
    assert "moto" in report.artefacts[0]["reason"]
    assert [r["check"] for r in report.account] == ["iam_password_policy_lowercase"]
    assert ("kms_cmk_rotation_enabled", "aws_kms_key.this", "PASS") in {
        (r["check"], r["address"], r["status"]) for r in report.stack
    }


def test_muted_fails_and_their_rows_agree(findings: list[Row]) -> None:
    assert audit_report.sort(findings, ROWS, ARTEFACTS).agrees


def test_a_fail_its_row_did_not_mute_is_unregistered(findings: list[Row]) -> None:
    unmuted = [r | {"muted": False} if r["check"] == "s3_bucket_no_mfa_delete" else r
               for r in findings]  # fmt: skip
    elsewhere = [r | {"address": "aws_s3_bucket.other"} if r["check"] == "s3_bucket_no_mfa_delete"
                 else r for r in findings]  # fmt: skip

    for rows in (unmuted, elsewhere):
        report = audit_report.sort(rows, ROWS, ARTEFACTS)
        assert not report.agrees
        assert [r["check"] for r in report.unregistered] == ["s3_bucket_no_mfa_delete"]


def test_a_register_row_without_its_muted_fail_is_stale(findings: list[Row]) -> None:
    fixed = [r for r in findings if r["check"] != "s3_bucket_no_mfa_delete"]

    report = audit_report.sort(fixed, ROWS, ARTEFACTS)

    assert not report.agrees
    assert [r["check"] for r in report.stale] == ["s3_bucket_no_mfa_delete"]
    assert "STALE REGISTER    s3_bucket_no_mfa_delete on aws_s3_bucket.this" in (
        audit_report.summary(report)
    )


def test_the_command_renders_the_mutelist_reports_and_exits_1_on_a_difference(
    tmp_path: Path,
) -> None:
    security = tmp_path / "SECURITY.md"
    security.write_text(REGISTER.replace("`s3_bucket_no_mfa_delete`", "`s3_bucket_object_lock`"))
    state = ["--state", str(FIXTURES / "state.json"), "--security", str(security)]

    assert audit_report.main([*state, "--mutelist", str(tmp_path / "m.yaml")]) == 0
    assert "^s3_bucket_object_lock$" in (tmp_path / "m.yaml").read_text()
    findings = ["--findings", str(FIXTURES / "prowler.ocsf.json"), "--out-dir", str(tmp_path)]
    assert audit_report.main([*state, *findings]) == 1
    written = json.loads((tmp_path / "audit.json").read_text())
    assert [r["check"] for r in written["stale"]] == ["s3_bucket_object_lock"]
    assert "TODO (Deliberate/AWS/Open)" in (tmp_path / "audit.md").read_text()

    security.write_text(REGISTER)  # the row fixed: compared again without a run
    compare_only = ["--compare-only", str(tmp_path / "audit.json"), "--security", str(security)]
    assert audit_report.main(compare_only) == 0


def test_the_register_draft_keeps_known_reasons_and_marks_new_rows(findings: list[Row]) -> None:
    report = audit_report.sort(findings, ROWS[:1], ARTEFACTS)  # guardduty_rds_... is new

    draft = audit_report.register_draft(report)

    assert draft[2:] == [
        "| `guardduty_rds_protection_enabled` | `aws_guardduty_detector.this[0]` | — | "
        "TODO (Deliberate/AWS/Open): GuardDuty detector does not have RDS Protection enabled. |",
        "| `s3_bucket_no_mfa_delete` | `aws_s3_bucket.this` | — | AWS: only the root user can. |",
    ]
    markers = [audit_report.REGISTER_START, *draft, audit_report.REGISTER_END]
    assert audit_report.read_register("\n".join(markers))[1] == ROWS[0]


# --------------------------------------------------------------------------
# SECURITY.md's register itself
# --------------------------------------------------------------------------

REGISTERED = audit_report.read_register(SECURITY)
CLASSES = ("Deliberate", "AWS", "Open")


def test_every_register_row_has_a_class_and_a_real_reason() -> None:
    assert REGISTERED
    for row in REGISTERED:
        kind, _, reason = row["reason"].partition(": ")
        assert kind in CLASSES, row
        assert len(reason.split()) >= 8, row


def test_the_registers_baseline_sentence_counts_its_rows() -> None:
    counts = {kind: sum(r["reason"].startswith(kind + ":") for r in REGISTERED) for kind in CLASSES}
    sentence = re.sub(r"\s+", " ", SECURITY)

    assert (
        f"{len(REGISTERED)} FAILs: {counts['Deliberate']} Deliberate, {counts['AWS']} AWS, "
        f"{counts['Open']} Open." in sentence
    )


def test_a_checkov_id_in_the_register_is_a_checkov_skip_on_the_same_resource() -> None:
    checkov = SECURITY.split("<!-- checkov-skips:start -->")[1].split("<!-- checkov-skips:end -->")[
        0
    ]
    skips = set(re.findall(r"^\| (CKV[A-Z0-9_]+) \| `([^`]+)` \|", checkov, flags=re.MULTILINE))
    for row in REGISTERED:
        if row["checkov"] != "—":
            assert (row["checkov"], checkov_address(row["address"])) in skips, row


# The root's module calls, as checkov names the directories it scans.
MODULE_DIRS = {
    "module.pipeline.module.images_bucket": "modules/hardened-bucket",
    "module.account_baseline.module.logs_bucket": "modules/hardened-bucket",
    "module.account_baseline.module.audit_bucket": "modules/hardened-bucket",
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
def test_the_last_audit_agrees_with_the_register() -> None:
    report = audit_report.recompare(json.loads(LAST_AUDIT.read_text()), REGISTERED)

    assert not report.unregistered, "FAILs missing from SECURITY.md's register"
    assert not report.stale, "register rows whose FAIL is gone"


@pytest.mark.skipif(not LAST_AUDIT.exists(), reason="no reports/audit/audit.json: run make audit")
def test_the_prowler_checks_cited_for_met_controls_pass_in_the_last_audit() -> None:
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


def test_the_controls_table_names_a_prowler_check_or_says_why_not() -> None:
    rows = controls_with_prowler_checks()

    assert len(rows) >= 20
    for control, _, checks in rows:
        cell = next(line for line in SECURITY.splitlines() if line.startswith(f"| {control} |"))
        assert checks or "none (" in cell or "not scanned (" in cell, control


@pytest.mark.skipif(not LAST_AUDIT.exists(), reason="no reports/audit/audit.json: run make audit")
def test_the_cited_prowler_checks_ran_in_the_last_audit() -> None:
    report = json.loads(LAST_AUDIT.read_text())
    ran = {row["check"] for group in ("stack", "account", "artefacts") for row in report[group]}
    for control, _, checks in controls_with_prowler_checks():
        assert set(checks) <= ran, control

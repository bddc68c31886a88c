#!/usr/bin/env python3
"""Prowler's mutelist from SECURITY.md's register, and Prowler's run held to the register.

`make audit` (scripts/audit.sh) deploys the stack to the local AWS, then runs:

    audit_report.py --state state.json --mutelist mutelist.yaml
    prowler aws ... --mutelist-file mutelist.yaml --output-formats json-ocsf
    audit_report.py --state state.json --findings prowler.ocsf.json --out-dir reports/audit
    audit_report.py --compare-only reports/audit/audit.json   # after editing the register

--mutelist renders Prowler's mutelist (JSON, which YAML reads): one entry per
register check, naming each row's resource by its identifiers in the state
(`terraform show -json`: ARN, name, id), with the rows' reasons; and one entry
per local-AWS artefact of audit_rules.json, with its reason. Prowler marks the
findings the list covers Suppressed (muted). --findings sorts the findings: the
stack's own resources (in the state, under their Terraform address), local-AWS
artefacts (muted by an artefact entry) and the account (the rest); then a FAIL
on the stack that its register row did not mute is unregistered, and a register
row without a muted FAIL is stale. Exit status 1 on either, else 0.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypedDict

ROOT = Path(__file__).resolve().parents[2]
RULES = Path(__file__).with_name("audit_rules.json")
SECURITY = ROOT / "SECURITY.md"
REGISTER_START, REGISTER_END = (
    "<!-- prowler-exceptions:start -->",
    "<!-- prowler-exceptions:end -->",
)
REGISTER_ROW = re.compile(r"^\| `([a-z0-9_]+)` \| `([^`]+)` \| ([^|]*) \| (.*) \|$", re.MULTILINE)
#: Attributes that identify a resource, to Prowler (its resource id) and in the state.
IDENTIFIERS = ("arn", "id", "name", "bucket", "function_name", "key_id", "url")
#: Resources whose identifiers name another resource (an EventBridge target's arn).
POINTER_TYPES = frozenset({"aws_cloudwatch_event_target"})
SUPPRESSED = "Suppressed"  # OCSF status of a finding Prowler's mutelist covers

#: A JSON object: a Prowler finding, Terraform's state, a mutelist entry.
JSONObject = dict[str, Any]


class RegisterRow(TypedDict):
    """A row of SECURITY.md's Prowler exceptions register."""

    check: str
    address: str  # the Terraform address
    checkov: str
    reason: str


class Row(TypedDict):
    """One Prowler finding as the report keeps it."""

    check: str
    status: str  # PASS, FAIL or MANUAL
    muted: bool  # Prowler's mutelist covered it
    severity: str
    address: str  # the Terraform address; "" when the resource is not the stack's
    resource: str  # Prowler's resource uid (an ARN where there is one), else its id
    detail: str
    reason: str  # an artefact's reason, else ""


class Artefact(TypedDict, total=False):
    """A local-AWS artefact (audit_rules.json): a check muted with its reason."""

    check: str
    reason: str
    resources: list[str]  # Prowler's resource patterns (regexes on its resource id); ["*"]
    outside_stack: bool  # muted on every resource but the stack's own


@dataclass
class Report:
    stack: list[Row] = field(default_factory=list)
    artefacts: list[Row] = field(default_factory=list)
    account: list[Row] = field(default_factory=list)
    register: list[RegisterRow] = field(default_factory=list)
    unregistered: list[Row] = field(default_factory=list)  # a stack FAIL its row did not mute
    stale: list[RegisterRow] = field(default_factory=list)  # a row without its muted FAIL
    meta: JSONObject = field(default_factory=dict)

    @property
    def agrees(self) -> bool:
        return not (self.unregistered or self.stale)


def read_register(text: str) -> list[RegisterRow]:
    """The Prowler exceptions register: | `check` | `address` | checkov | reason |."""
    if REGISTER_START not in text:
        return []
    section = text.split(REGISTER_START, 1)[1].split(REGISTER_END, 1)[0]
    return [
        RegisterRow(check=check, address=address, checkov=checkov.strip(), reason=reason.strip())
        for check, address, checkov, reason in REGISTER_ROW.findall(section)
    ]


def load_artefacts(path: Path = RULES) -> list[Artefact]:
    artefacts: list[Artefact] = json.loads(path.read_text())["artefacts"]
    for rule in artefacts:
        if unknown := rule.keys() - Artefact.__optional_keys__:
            raise ValueError(f"{path.name}: {rule.get('check')}: unknown {sorted(unknown)}")
    return artefacts


def _resources(module: JSONObject) -> Iterator[JSONObject]:
    yield from module.get("resources", [])
    for child in module.get("child_modules", []):
        yield from _resources(child)


def state_index(state: JSONObject) -> dict[str, str]:
    """Identifier (ARN, name, id) -> Terraform address, from `terraform show -json`.

    A name or id is shared by a resource and its satellites (aws_s3_bucket.this
    and aws_s3_bucket_versioning.this both have the bucket name as id), and a
    resource may hold another's ARN (an event source mapping's function_name):
    a resource's own ARN first, then the identifiers of resources with an ARN.
    """
    managed = [
        r
        for r in _resources(state.get("values", {}).get("root_module", {}))
        if r.get("mode") == "managed" and r.get("type") not in POINTER_TYPES
    ]
    index: dict[str, str] = {}
    for resource in managed:
        arn = resource.get("values", {}).get("arn")
        if isinstance(arn, str) and arn:
            index.setdefault(arn, resource["address"])
    for resource in sorted(managed, key=lambda r: not r.get("values", {}).get("arn")):
        for attribute in IDENTIFIERS:
            value = resource.get("values", {}).get(attribute)
            if isinstance(value, str) and value:
                index.setdefault(value, resource["address"])
    return index


def resource_pattern(identifier: str) -> str:
    """What Prowler searches its resource id with: the identifier, whole or as a `/` segment.

    A segment covers the ids Prowler builds around a name: an SQS queue's URL,
    an IAM inline policy's `role/policy`.
    """
    return f"(^|/){re.escape(identifier)}(/|$)"


def mutelist(
    register: list[RegisterRow], artefacts: list[Artefact], index: dict[str, str]
) -> JSONObject:
    """Prowler's mutelist (its documented YAML schema, written as JSON)."""
    checks: dict[str, JSONObject] = {}
    for row in register:
        names = sorted(name for name, address in index.items() if address == row["address"])
        if not names:  # not deployed: nothing to mute, and its row comes out stale
            continue
        entry = checks.setdefault(
            row["check"], {"Regions": ["*"], "Resources": [], "Description": "SECURITY.md:"}
        )
        entry["Resources"] += [resource_pattern(name) for name in names]
        entry["Description"] += f" {row['address']}: {row['reason']}"
    for rule in artefacts:
        if rule["check"] in checks:
            raise ValueError(f"{rule['check']}: in the register and an artefact rule; Prowler's "
                             "mutelist holds one entry per check")  # fmt: skip
        entry = checks[rule["check"]] = {
            "Regions": ["*"],
            "Resources": rule.get("resources", ["*"]),
        }
        entry["Description"] = rule["reason"]
        if rule.get("outside_stack"):
            entry["Exceptions"] = {"Resources": [resource_pattern(name) for name in index]}
    # Prowler searches the check with its key: anchored, a key matches that check only.
    anchored = {f"^{check}$": entry for check, entry in sorted(checks.items())}
    return {"Mutelist": {"Accounts": {"*": {"Checks": anchored}}}}


def read_findings(ocsf: list[JSONObject], index: dict[str, str]) -> list[Row]:
    """Prowler's json-ocsf output, one Row per finding, on its Terraform address if any."""
    rows = []
    for item in ocsf:
        resource = (item.get("resources") or [{}])[0]
        uid, name = resource.get("uid", ""), resource.get("name", "")
        rows.append(
            Row(
                check=item["metadata"]["event_code"],
                status=item["status_code"],
                muted=item.get("status") == SUPPRESSED,
                severity=item.get("severity", ""),
                address=index.get(uid) or index.get(name) or "",
                resource=uid or name,
                detail=item.get("status_detail", ""),
                reason="",
            )
        )
    return rows


def sort(rows: list[Row], register: list[RegisterRow], artefacts: list[Artefact]) -> Report:
    reasons = {rule["check"]: rule["reason"] for rule in artefacts}
    report = Report(register=register)
    for row in rows:
        if row["muted"] and row["check"] in reasons:
            report.artefacts.append(row | {"reason": reasons[row["check"]]})
        elif row["address"]:
            report.stack.append(row)
        else:
            report.account.append(row)
    report.stack.sort(key=lambda r: (r["check"], r["address"]))
    report.account.sort(key=lambda r: (r["status"], r["check"]))
    return compare(report)


def compare(report: Report) -> Report:
    """Unregistered: a stack FAIL its register row did not mute. Stale: a row without one."""
    registered = {(row["check"], row["address"]) for row in report.register}
    fails = [row for row in report.stack if row["status"] == "FAIL"]
    muted = {(row["check"], row["address"]) for row in fails if row["muted"]}
    report.unregistered = [
        row for row in fails if not (row["muted"] and (row["check"], row["address"]) in registered)
    ]
    report.stale = [row for row in report.register if (row["check"], row["address"]) not in muted]
    return report


def recompare(data: JSONObject, register: list[RegisterRow]) -> Report:
    """An earlier audit.json against an edited register, as if its mutelist were rendered anew."""
    report = Report(**{k: data.get(k, {} if k == "meta" else []) for k in ("stack", "meta")})
    report.register = register
    registered = {(row["check"], row["address"]) for row in register}
    for row in report.stack:
        row["muted"] = (row["check"], row["address"]) in registered
    report.artefacts, report.account = data.get("artefacts", []), data.get("account", [])
    return compare(report)


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    cells = [[c.replace("|", "\\|").replace("\n", " ") for c in row] for row in rows]
    return [f"| {' | '.join(header)} |", "|" + "---|" * len(header),
            *(f"| {' | '.join(row)} |" for row in cells), ""]  # fmt: skip


def status(row: Row) -> str:
    return f"{row['status']} (muted)" if row["muted"] else row["status"]


def markdown(report: Report) -> str:
    """reports/audit/audit.md: the summary, a register draft if needed, then every finding."""
    lines = [
        "# Prowler audit of the deployed stack (local AWS)",
        "",
        f"Prowler {report.meta.get('prowler_version', '?')}, services: "
        f"{report.meta.get('services', '')}, with the mutelist rendered from SECURITY.md's "
        "register and scripts/audit/audit_rules.json (reports/audit/mutelist.yaml).",
        "",
        "```",
        summary(report),
        "```",
        "",
    ]
    if not report.agrees:
        lines += ["Register draft for SECURITY.md (new rows need their class and reason):", ""]
        lines += ["```markdown", *register_draft(report), "```", ""]
    return "\n".join([
        *lines,
        "## The stack's own resources",
        "",
        *_table(["Status", "Check", "Resource", "Severity", "Detail"],
                [[status(r), r["check"], r["address"], r["severity"], r["detail"]]
                 for r in report.stack]),
        "## Local-AWS artefacts (muted: not verdicts on the stack)",
        "",
        *_table(["Status", "Check", "Resource", "Reason"],
                [[r["status"], r["check"], r["address"] or r["resource"], r["reason"]]
                 for r in report.artefacts]),
        "## Account-level findings (the account, not this stack)",
        "",
        *_table(["Status", "Check", "Resource", "Severity"],
                [[status(r), r["check"], r["resource"], r["severity"]] for r in report.account]),
    ])  # fmt: skip


def register_draft(report: Report) -> list[str]:
    """The register's rows for this audit's FAILs, to paste between the markers."""
    known = {(row["check"], row["address"]): row for row in report.register}
    fails = {(r["check"], r["address"]): r for r in report.stack if r["status"] == "FAIL"}
    rows = ["| Prowler check | Resource | checkov | Reason |", "|---|---|---|---|"]
    for (check, address), row in sorted(fails.items()):
        old = known.get((check, address))
        checkov = old["checkov"] if old else "—"
        reason = old["reason"] if old else f"TODO (Deliberate/AWS/Open): {row['detail']}"
        rows.append(f"| `{check}` | `{address}` | {checkov} | {reason} |")
    return rows


def summary(report: Report) -> str:
    """What the terminal shows: the stack's FAILs per check, the groups, the differences."""
    fails = [r for r in report.stack if r["status"] == "FAIL"]
    by_check: dict[str, list[Row]] = {}
    for row in fails:
        by_check.setdefault(row["check"], []).append(row)
    width = max((len(c) for c in by_check), default=10)
    account_fails = sum(r["status"] == "FAIL" for r in report.account)
    return "\n".join([
        f"  {'FAIL on the stack':<{width}}  muted  resources",
        *(f"  {check:<{width}}  {sum(r['muted'] for r in rows):>2}/{len(rows):<2}  "
          + ", ".join(r["address"] for r in rows) for check, rows in sorted(by_check.items())),
        "",
        f"  stack resources   {len(report.stack)} findings, {len(fails)} FAIL, "
        f"{sum(r['muted'] for r in fails)} muted by the register ({len(report.register)} rows)",
        f"  account-level     {len(report.account)} findings, {account_fails} FAIL (not the stack)",
        f"  local artefacts   {len(report.artefacts)} findings, muted:",
        *sorted({f"    {r['check']}: {r['reason']}" for r in report.artefacts}),
        *(f"  NOT REGISTERED    {r['check']} on {r['address']}" for r in report.unregistered),
        *(f"  STALE REGISTER    {r['check']} on {r['address']} (no FAIL)" for r in report.stale),
    ])  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--state", type=Path, help="`terraform show -json` of the deployment")
    parser.add_argument("--mutelist", type=Path, metavar="OUT", help="render the mutelist to OUT")
    parser.add_argument("--findings", type=Path, help="Prowler's json-ocsf output, to report on")
    parser.add_argument("--out-dir", type=Path, default=ROOT / "reports" / "audit")
    parser.add_argument("--meta", default="{}", help="JSON object recorded in the report")
    parser.add_argument("--security", type=Path, default=SECURITY, help="the register's document")
    parser.add_argument("--compare-only", type=Path, metavar="AUDIT_JSON",
                        help="compare an earlier audit.json with the register again")  # fmt: skip
    args = parser.parse_args(argv)

    def read(path: Path) -> str:
        try:
            return path.read_text()
        except OSError as e:
            parser.error(f"cannot read {path}: {e.strerror}")

    def read_json(path: Path) -> Any:  # any JSON value
        try:
            return json.loads(read(path))
        except json.JSONDecodeError as e:
            parser.error(f"{path} is not JSON: {e}")

    register = read_register(read(args.security))
    try:
        if args.compare_only:
            report = recompare(read_json(args.compare_only), register)
        elif args.state and args.mutelist:
            rendered = mutelist(register, load_artefacts(), state_index(read_json(args.state)))
            args.mutelist.write_text(json.dumps(rendered, indent=2) + "\n")
            return 0
        elif args.state and args.findings:
            index = state_index(read_json(args.state))
            report = sort(
                read_findings(read_json(args.findings), index), register, load_artefacts()
            )
            report.meta = json.loads(args.meta)
            args.out_dir.mkdir(parents=True, exist_ok=True)
            # audit.json whole or not at all: make test reads the last one
            # (tests/unit/test_audit.py), and CI runs make test beside the audit.
            partial = args.out_dir / ".audit.json.partial"
            partial.write_text(json.dumps(asdict(report), indent=2) + "\n")
            partial.replace(args.out_dir / "audit.json")
            (args.out_dir / "audit.md").write_text(markdown(report))
        else:
            parser.error("--state with --mutelist or --findings is required (or --compare-only)")
    except ValueError as e:  # an artefact rule or --meta
        parser.error(str(e))
    print(summary(report))
    return 0 if report.agrees else 1


if __name__ == "__main__":
    sys.exit(main())

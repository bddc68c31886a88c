#!/usr/bin/env python3
"""Sort a Prowler run over the deployed stack and compare it with SECURITY.md's register.

`make audit` (scripts/audit.sh) runs Prowler against the stack deployed to the
local AWS and then this script, which:

1. sorts every finding into one of three groups, from data, not greps:
   - local-AWS artefacts: the check (and resource) is in scripts/audit_rules.json,
     with the reason the local AWS, not the stack, produces the verdict;
   - the stack's own resources: the finding's resource is in the Terraform
     state (matched by ARN or name), reported under its Terraform address;
   - the account: everything else (root MFA, password policy, moto's defaults);
2. compares the stack's FAILs with the Prowler exceptions register in
   SECURITY.md (check, Terraform address) and reports both differences;
3. writes reports/audit/audit.json and audit.md and prints a short summary.

Exit status: 0 when the stack's FAILs and the register agree, 1 when they differ.

    audit_report.py --findings prowler.ocsf.json --state state.json --out-dir reports/audit
    audit_report.py --compare-only reports/audit/audit.json   # re-check after editing the register
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypedDict

ROOT = Path(__file__).resolve().parent.parent
RULES = Path(__file__).with_name("audit_rules.json")
SECURITY = ROOT / "SECURITY.md"
REGISTER_START, REGISTER_END = (
    "<!-- prowler-exceptions:start -->",
    "<!-- prowler-exceptions:end -->",
)
REGISTER_ROW = re.compile(r"^\| `([a-z0-9_]+)` \| `([^`]+)` \| ([^|]*) \| (.*) \|$", re.MULTILINE)
# Attributes that identify a resource to Prowler (uid = ARN, or a name/id).
#: Resources whose identifiers name another resource.
POINTER_TYPES = frozenset({"aws_cloudwatch_event_target"})
IDENTIFIERS = ("arn", "id", "name", "bucket", "function_name", "key_id", "url")


@dataclass(frozen=True)
class Finding:
    check: str
    status: str  # PASS, FAIL or MANUAL
    severity: str
    resource: str  # Prowler's resource uid (an ARN where there is one)
    name: str
    region: str
    detail: str
    aliases: tuple[str, ...] = ()  # KMS aliases Prowler reports with a key


@dataclass(frozen=True)
class Artefact:
    check: str
    reason: str
    resource: str = "*"  # a glob on the resource uid, name or one of its aliases

    def matches(self, finding: Finding) -> bool:
        names = (finding.resource, finding.name, *finding.aliases)
        return finding.check == self.check and any(
            fnmatch.fnmatchcase(value, self.resource) for value in names
        )


#: A JSON object: a finding as audit.json holds it (asdict), Terraform's state.
JSONObject = dict[str, Any]


class StackRow(TypedDict):
    """One check on one resource of the stack: its worst status over the findings."""

    check: str
    address: str  # the Terraform address
    status: str
    severity: str
    resource: str
    detail: str


class RegisterRow(TypedDict):
    """A row of SECURITY.md's Prowler exceptions register."""

    check: str
    address: str
    checkov: str
    reason: str


@dataclass
class Report:
    stack: list[StackRow] = field(default_factory=list)
    account: list[JSONObject] = field(default_factory=list)  # findings, asdict
    artefacts: list[JSONObject] = field(default_factory=list)  # findings, address and reason
    register: list[RegisterRow] = field(default_factory=list)
    unregistered: list[StackRow] = field(default_factory=list)  # a stack FAIL not registered
    stale: list[RegisterRow] = field(default_factory=list)  # a register row without its FAIL
    meta: JSONObject = field(default_factory=dict)

    @property
    def agrees(self) -> bool:
        return not (self.unregistered or self.stale)


# --------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------


def read_findings(ocsf: list[JSONObject]) -> list[Finding]:
    """Prowler's json-ocsf output: one Detection Finding per check and resource."""
    findings = []
    for item in ocsf:
        resource = (item.get("resources") or [{}])[0]
        findings.append(
            Finding(
                check=item["metadata"]["event_code"],
                status=item["status_code"],
                severity=item.get("severity", ""),
                resource=resource.get("uid", ""),
                name=resource.get("name", ""),
                region=resource.get("region", item.get("cloud", {}).get("region", "")),
                detail=item.get("status_detail", ""),
                aliases=tuple(resource.get("data", {}).get("metadata", {}).get("aliases") or ()),
            )
        )
    return findings


def _resources(module: JSONObject) -> Iterator[JSONObject]:
    yield from module.get("resources", [])
    for child in module.get("child_modules", []):
        yield from _resources(child)


def state_index(state: JSONObject) -> dict[str, str]:
    """Identifier (ARN, name, id) -> Terraform address, from `terraform show -json`.

    ARNs are unique. A name or id is shared by a resource and its satellites
    (aws_s3_bucket.this and aws_s3_bucket_versioning.this both have the bucket
    name as id): the resource that has an ARN of its own wins.
    """
    index: dict[str, str] = {}
    managed = [r for r in _resources(state.get("values", {}).get("root_module", {}))]
    managed = [r for r in managed if r.get("mode") == "managed"]
    # An EventBridge target's `arn` is its target's (the function's), not its own.
    managed = [r for r in managed if r.get("type") not in POINTER_TYPES]
    # A resource's own ARN first: another resource may hold it in a name field
    # (an event source mapping's `function_name` is the function's ARN).
    for resource in managed:
        arn = resource.get("values", {}).get("arn")
        if isinstance(arn, str) and arn:
            index.setdefault(arn, resource["address"])
    for resource in sorted(managed, key=lambda r: not r.get("values", {}).get("arn")):
        values = resource.get("values", {})
        for attribute in IDENTIFIERS:
            value = values.get(attribute)
            if isinstance(value, str) and value:
                index.setdefault(value, resource["address"])
    return index


def stack_address(finding: Finding, index: dict[str, str]) -> str | None:
    for value in (finding.resource, finding.name):
        if value in index:
            return index[value]
    # Prowler builds some uids itself (arn:...:detector/<id>): match the id at the end.
    tail = re.split(r"[/:]", finding.resource)[-1] if finding.resource else ""
    if len(tail) >= 8 and tail in index:
        return index[tail]
    return None


def load_artefacts(path: Path = RULES) -> list[Artefact]:
    return [
        Artefact(**{k: v for k, v in rule.items() if not k.startswith("_")})
        for rule in json.loads(path.read_text())["artefacts"]
    ]


def read_register(text: str) -> list[RegisterRow]:
    """The Prowler exceptions register: | `check` | `address` | checkov | reason |."""
    if REGISTER_START not in text:
        return []
    section = text.split(REGISTER_START, 1)[1].split(REGISTER_END, 1)[0]
    return [
        RegisterRow(check=check, address=address, checkov=checkov.strip(), reason=reason.strip())
        for check, address, checkov, reason in REGISTER_ROW.findall(section)
    ]


# --------------------------------------------------------------------------
# Sorting and comparing
# --------------------------------------------------------------------------


def _worst(statuses: Iterable[str]) -> str:
    present = set(statuses)
    return next((s for s in ("FAIL", "MANUAL") if s in present), "PASS")


def classify(findings: list[Finding], index: dict[str, str], artefacts: list[Artefact]) -> Report:
    report = Report()
    stack: dict[tuple[str, str], list[Finding]] = {}
    for finding in findings:
        artefact = next((a for a in artefacts if a.matches(finding)), None)
        address = stack_address(finding, index)
        if artefact:
            report.artefacts.append(
                asdict(finding) | {"address": address, "reason": artefact.reason}
            )
        elif address:
            stack.setdefault((finding.check, address), []).append(finding)
        else:
            report.account.append(asdict(finding))
    for (check, address), group in sorted(stack.items()):
        status = _worst(f.status for f in group)
        first = next(f for f in group if f.status == status)
        report.stack.append(
            StackRow(check=check, address=address, status=status, severity=first.severity,
                     resource=first.resource, detail=first.detail)
        )  # fmt: skip
    return report


def compare(report: Report, register: list[RegisterRow]) -> Report:
    failing = {
        (row["check"], row["address"]): row for row in report.stack if row["status"] == "FAIL"
    }
    registered = {(row["check"], row["address"]): row for row in register}
    report.register = register
    report.unregistered = [failing[k] for k in sorted(failing.keys() - registered.keys())]
    report.stale = [registered[k] for k in sorted(registered.keys() - failing.keys())]
    return report


# --------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    def escape(cell: object) -> str:
        return str(cell).replace("|", "\\|").replace("\n", " ")

    return [
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *("| " + " | ".join(escape(c) for c in row) + " |" for row in rows),
    ]


def markdown(report: Report) -> str:
    fails = [r for r in report.stack if r["status"] == "FAIL"]
    lines = [
        "# Prowler audit of the deployed stack (local AWS)",
        "",
        f"Prowler {report.meta.get('prowler_version', '?')}, services: "
        f"{report.meta.get('services', '')}. "
        f"Stack resources: {len(report.stack)} check/resource pairs, {len(fails)} FAIL; "
        f"account-level findings: {len(report.account)}; "
        f"local-AWS artefacts: {len(report.artefacts)}.",
        "",
        "## The stack's own resources",
        "",
        *_table(
            ["Status", "Check", "Resource", "Severity", "Detail"],
            [
                [r["status"], r["check"], r["address"], r["severity"], r["detail"]]
                for r in report.stack
            ],
        ),
        "",
        "## Register comparison (SECURITY.md, Prowler exceptions)",
        "",
        "The stack's FAILs and the register agree."
        if report.agrees
        else "The stack's FAILs and the register DIFFER.",
        "",
    ]
    if report.unregistered:
        lines += ["FAILs not in the register (fix them or register them with a reason):", ""]
        lines += [
            f"- `{r['check']}` on `{r['address']}`: {r['detail']}" for r in report.unregistered
        ]
        lines.append("")
    if report.stale:
        lines += ["Register rows without a FAIL (fixed? remove the row):", ""]
        lines += [f"- `{r['check']}` on `{r['address']}`" for r in report.stale]
        lines.append("")
    if not report.agrees:
        lines += [
            "Register draft for SECURITY.md (the rows this audit needs; existing reasons kept,",
            "new rows need their class and reason):",
            "",
            "```markdown",
            *register_draft(report),
            "```",
            "",
        ]
    lines += [
        "## Local-AWS artefacts (not verdicts on the stack)",
        "",
        *_table(
            ["Status", "Check", "Resource", "Reason"],
            [
                [a["status"], a["check"], a["address"] or a["resource"], a["reason"]]
                for a in report.artefacts
            ],
        ),
        "",
        "## Account-level findings (the account, not this stack)",
        "",
        *_table(
            ["Status", "Check", "Resource", "Severity"],
            [
                [a["status"], a["check"], a["resource"] or a["name"], a["severity"]]
                for a in sorted(report.account, key=lambda a: (a["status"], a["check"]))
            ],
        ),
        "",
    ]
    return "\n".join(lines)


def register_draft(report: Report) -> list[str]:
    """The register's rows for this audit's FAILs, to paste between the markers."""
    known = {(row["check"], row["address"]): row for row in report.register}
    rows = ["| Prowler check | Resource | checkov | Reason |", "|---|---|---|---|"]
    for row in report.stack:
        if row["status"] != "FAIL":
            continue
        old = known.get((row["check"], row["address"]))
        checkov = old["checkov"] if old else "—"
        reason = old["reason"] if old else f"TODO (Deliberate/AWS/Open): {row['detail']}"
        rows.append(f"| `{row['check']}` | `{row['address']}` | {checkov} | {reason} |")
    return rows


def summary(report: Report) -> str:
    """What the terminal shows: one row per check on the stack, then the groups in counts."""
    by_check: dict[str, dict[str, list[str]]] = {}
    for row in report.stack:
        by_check.setdefault(row["check"], {}).setdefault(row["status"], []).append(row["address"])
    width = max((len(c) for c in by_check), default=10)
    lines = [f"  {'check':<{width}}  pass  fail  failing resources"]
    for check, statuses in sorted(by_check.items(), key=lambda kv: ("FAIL" not in kv[1], kv[0])):
        failing = ", ".join(statuses.get("FAIL", []))
        lines.append(
            f"  {check:<{width}}  {len(statuses.get('PASS', [])):>4}  "
            f"{len(statuses.get('FAIL', [])):>4}  {failing}"
        )
    fails = sum(1 for r in report.stack if r["status"] == "FAIL")
    account_fails = sum(1 for a in report.account if a["status"] == "FAIL")
    lines += [
        "",
        f"  stack resources   {len(report.stack)} check/resource pairs, {fails} FAIL "
        f"({len(report.register)} registered exceptions)",
        f"  account-level     {len(report.account)} findings, {account_fails} FAIL "
        "(not this stack)",
        f"  local artefacts   {len(report.artefacts)} findings:",
    ]
    seen = set()
    for artefact in report.artefacts:
        if artefact["check"] not in seen:
            seen.add(artefact["check"])
            lines.append(f"    {artefact['check']}: {artefact['reason']}")
    for row in report.unregistered:
        lines.append(f"  NOT REGISTERED    {row['check']} on {row['address']}")
    for stale in report.stale:
        lines.append(f"  STALE REGISTER    {stale['check']} on {stale['address']} (no FAIL)")
    return "\n".join(lines)


def from_json(data: JSONObject) -> Report:
    return Report(
        **{k: data.get(k, [] if k != "meta" else {}) for k in Report.__dataclass_fields__}
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--findings", type=Path, help="Prowler's json-ocsf output")
    parser.add_argument("--state", type=Path, help="`terraform show -json` of the deployed state")
    parser.add_argument("--out-dir", type=Path, default=ROOT / "reports" / "audit")
    parser.add_argument("--meta", default="{}", help="JSON object recorded in the report")
    parser.add_argument("--security", type=Path, default=SECURITY, help="the register's document")
    parser.add_argument("--compare-only", type=Path, metavar="AUDIT_JSON",
                        help="re-compare an earlier audit.json with the register")  # fmt: skip
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
    if args.compare_only:
        report = compare(from_json(read_json(args.compare_only)), register)
    else:
        if not (args.findings and args.state):
            parser.error("--findings and --state are required (or --compare-only)")
        report = classify(
            read_findings(read_json(args.findings)),
            state_index(read_json(args.state)),
            load_artefacts(),
        )
        try:
            report.meta = json.loads(args.meta)
        except json.JSONDecodeError as e:
            parser.error(f"--meta is not a JSON object: {e}")
        report = compare(report, register)
        args.out_dir.mkdir(parents=True, exist_ok=True)
        (args.out_dir / "audit.json").write_text(json.dumps(asdict(report), indent=2) + "\n")
        (args.out_dir / "audit.md").write_text(markdown(report))
    print(summary(report))
    return 0 if report.agrees else 1


if __name__ == "__main__":
    sys.exit(main())

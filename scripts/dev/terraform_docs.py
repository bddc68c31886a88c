#!/usr/bin/env python3
"""Write the Inputs and Outputs tables of each Terraform module's README.md.

What terraform-docs does (it is not on the package registries this project
installs from), from the module's HCL read with python-hcl2: between the
markers <!-- BEGIN_TF_DOCS --> and <!-- END_TF_DOCS --> of
terraform/modules/<module>/README.md, a Requirements table (versions.tf),
an Inputs table (every variable: name, description, type, default, required)
and an Outputs table (every output: name, description), each sorted by name
as terraform-docs sorts them. What is above and below the markers (the
module's introduction and usage example) is written by hand and kept.

    scripts/dev/terraform_docs.py            rewrite every module's README (make docs)
    scripts/dev/terraform_docs.py --check    exit 1 and name each README that differs
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2

ROOT = Path(__file__).resolve().parents[2]
MODULES = ROOT / "terraform" / "modules"
BEGIN = "<!-- BEGIN_TF_DOCS -->"
END = "<!-- END_TF_DOCS -->"
# Variables and outputs as python-hcl2 reads them: one dict per block, string
# values without their quotes, expressions as "${...}".
HCL = hcl2.SerializationOptions(
    with_comments=False, explicit_blocks=False, strip_string_quotes=True
)


class DocsError(Exception):
    """A README that cannot be generated (no markers, an undescribed variable)."""


@dataclass(frozen=True)
class Variable:
    name: str
    description: str
    type: str
    has_default: bool
    default: Any


@dataclass(frozen=True)
class Output:
    name: str
    description: str


def _load(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    with path.open(encoding="utf-8") as f:
        document: dict[str, Any] = hcl2.load(f, serialization_options=HCL)
    return document


def _blocks(directory: Path, kind: str) -> Iterable[tuple[str, dict[str, Any]]]:
    """(name, body) of every `kind` block in the directory's .tf files."""
    for path in sorted(directory.glob("*.tf")):
        for block in _load(path).get(kind, []):
            yield from block.items()


def expression(value: str) -> str:
    """An expression as Terraform writes it: `${map(string)}` -> `map(string)`."""
    if value.startswith("${") and value.endswith("}"):
        return value[2:-1]
    return value


def variables(directory: Path) -> list[Variable]:
    """The variables the module declares, sorted by name."""
    found = []
    for name, body in _blocks(directory, "variable"):
        if "description" not in body:
            raise DocsError(f"{directory.name}: variable {name} has no description")
        found.append(
            Variable(
                name=name,
                description=str(body["description"]),
                type=expression(str(body.get("type", "any"))),
                has_default="default" in body,
                default=body.get("default"),
            )
        )
    return sorted(found, key=lambda v: v.name)


def outputs(directory: Path) -> list[Output]:
    """The outputs the module declares, sorted by name."""
    found = []
    for name, body in _blocks(directory, "output"):
        if "description" not in body:
            raise DocsError(f"{directory.name}: output {name} has no description")
        found.append(Output(name=name, description=str(body["description"])))
    return sorted(found, key=lambda o: o.name)


def render_default(value: Any) -> str:
    """A default as HCL writes it: null, true, 1024, "arm64", [], {"a" = "b"}."""
    if isinstance(value, str):
        return json.dumps(expression(value) if value.startswith("${") else value)
    return json.dumps(value, separators=(", ", ": "))


def _cell(text: str) -> str:
    """Text that stays inside one Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", "<br>")


def _code(text: str) -> str:
    return f"`{_cell(text)}`"


def requirements(directory: Path) -> list[tuple[str, str]]:
    """(name, version constraint) of Terraform and each provider, from versions.tf."""
    rows = []
    for block in _load(directory / "versions.tf").get("terraform", []):
        if "required_version" in block:
            rows.append(("terraform", str(block["required_version"])))
        for providers in block.get("required_providers", []):
            for name, spec in sorted(providers.items()):
                rows.append((name, str(spec.get("version", "n/a"))))
    return rows


def render(directory: Path) -> str:
    """The text between the markers: Requirements, Inputs and Outputs."""
    lines = ["## Requirements", "", "| Name | Version |", "|------|---------|"]
    lines += [f"| {name} | {_cell(version)} |" for name, version in requirements(directory)]

    lines += ["", "## Inputs", ""]
    declared = variables(directory)
    if declared:
        lines += [
            "| Name | Description | Type | Default | Required |",
            "|------|-------------|------|---------|:--------:|",
        ]
        for v in declared:
            default = _code(render_default(v.default)) if v.has_default else "n/a"
            required = "no" if v.has_default else "yes"
            lines.append(
                f"| {_code(v.name)} | {_cell(v.description)} | {_code(v.type)} "
                f"| {default} | {required} |"
            )
    else:
        lines.append("No inputs.")

    lines += ["", "## Outputs", ""]
    declared_outputs = outputs(directory)
    if declared_outputs:
        lines += ["| Name | Description |", "|------|-------------|"]
        lines += [f"| {_code(o.name)} | {_cell(o.description)} |" for o in declared_outputs]
    else:
        lines.append("No outputs.")
    return "\n".join(lines)


def generated_readme(directory: Path) -> str:
    """The module's README.md with the text between its markers generated anew."""
    readme = directory / "README.md"
    if not readme.exists():
        raise DocsError(f"{readme.relative_to(ROOT)} does not exist: write its introduction first")
    text = readme.read_text(encoding="utf-8")
    if text.count(BEGIN) != 1 or text.count(END) != 1 or text.index(BEGIN) > text.index(END):
        raise DocsError(f"{readme.relative_to(ROOT)} needs one {BEGIN} ... {END} pair")
    head, rest = text.split(BEGIN)
    _, tail = rest.split(END)
    return f"{head}{BEGIN}\n{render(directory)}\n{END}{tail}"


def module_directories() -> list[Path]:
    return sorted(p for p in MODULES.iterdir() if (p / "variables.tf").exists())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Write the Inputs and Outputs tables of terraform/modules/*/README.md "
        "from the modules' HCL (between <!-- BEGIN_TF_DOCS --> and <!-- END_TF_DOCS -->)."
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="change nothing; exit 1 and name each README that differs from what would be written",
    )
    args = parser.parse_args(argv)

    stale = []
    try:
        for directory in module_directories():
            readme = directory / "README.md"
            wanted = generated_readme(directory)
            if readme.read_text(encoding="utf-8") == wanted:
                continue
            stale.append(readme.relative_to(ROOT))
            if not args.check:
                readme.write_text(wanted, encoding="utf-8")
    except DocsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    for path in stale:
        verb = "differs from its HCL" if args.check else "rewritten"
        print(f"{path}: {verb}", file=sys.stderr if args.check else sys.stdout)
    if args.check and stale:
        print("error: run make docs and commit the result", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

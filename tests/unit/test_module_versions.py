"""Modules state minimum versions only; the callers pin what they test.

A reusable module that caps the AWS provider (``< 7.0``) blocks every
caller's upgrade, as terraform-aws-modules' modules avoid: each module under
terraform/modules/ says ``>= X`` and nothing more. The root and the examples
are callers: they pin a tested range, whose floor is the highest module floor
(a caller that accepted an older provider would promise what a module
refuses at init).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import hcl2
import pytest

from helpers import ROOT

TERRAFORM = ROOT / "terraform"
MODULES = sorted(p for p in (TERRAFORM / "modules").iterdir() if p.is_dir())
CALLERS = [TERRAFORM / "providers.tf", *sorted(TERRAFORM.glob("examples/*/main.tf"))]
_HCL = hcl2.SerializationOptions(
    with_comments=False, explicit_blocks=False, strip_string_quotes=True
)


def terraform_block(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as f:
        document: dict[str, list[dict[str, Any]]] = hcl2.load(f, serialization_options=_HCL)
    (block,) = document["terraform"]
    return block


def aws_constraint(block: dict[str, Any]) -> str:
    (providers,) = block["required_providers"]
    return str(providers["aws"]["version"])


def version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def floor(constraint: str) -> tuple[int, ...]:
    (minimum,) = re.findall(r">=\s*([0-9.]+)", constraint)
    return version(minimum)


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.name)
def test_a_module_states_minimum_versions_only(module: Path) -> None:
    block = terraform_block(module / "versions.tf")

    assert re.fullmatch(r">= [0-9.]+", aws_constraint(block)), module.name
    assert re.fullmatch(r">= [0-9.]+", str(block["required_version"])), module.name


@pytest.mark.parametrize("caller", CALLERS, ids=lambda p: p.parent.name)
def test_a_caller_pins_a_range_from_the_highest_module_floor(caller: Path) -> None:
    constraint = aws_constraint(terraform_block(caller))
    highest = max(floor(aws_constraint(terraform_block(m / "versions.tf"))) for m in MODULES)

    assert re.fullmatch(r">= [0-9.]+, < [0-9.]+", constraint), caller
    assert floor(constraint) == highest, f"{caller}: {constraint}"


def cross_variable_validations(directory: Path) -> list[str]:
    """Variables of the configuration whose validation refers to another variable."""
    found = []
    for path in sorted(directory.glob("*.tf")):
        with path.open(encoding="utf-8") as f:
            document: dict[str, Any] = hcl2.load(f, serialization_options=_HCL)
        for block in document.get("variable", []):
            for name, body in block.items():
                conditions = [str(v.get("condition", "")) for v in body.get("validation", [])]
                others = {
                    ref
                    for condition in conditions
                    for ref in re.findall(r"var\.([a-z0-9_]+)", condition)
                } - {name}
                if others:
                    found.append(name)
    return found


@pytest.mark.parametrize(
    "directory",
    [
        TERRAFORM,
        *MODULES,
        *sorted(p for p in TERRAFORM.glob("examples/*") if (p / "main.tf").exists()),
    ],
    ids=lambda p: p.relative_to(TERRAFORM).as_posix(),
)
def test_a_validation_that_refers_to_another_variable_requires_terraform_1_9(
    directory: Path,
) -> None:
    """Terraform 1.9.0 lets a validation refer to other variables; before, it is
    an error (https://github.com/hashicorp/terraform/pull/34955)."""
    version_file = directory / ("providers.tf" if directory == TERRAFORM else "versions.tf")
    if not version_file.exists():
        version_file = directory / "main.tf"
    required = str(terraform_block(version_file)["required_version"])

    if cross_variable_validations(directory):
        assert floor(required) >= (1, 9), f"{directory.name}: {required}"

"""Each module's README says what its HCL says.

The Inputs and Outputs tables of terraform/modules/*/README.md are written by
scripts/dev/terraform_docs.py (make docs) from the module's variables and
outputs; a README that differs from what the generator would write (a
description, type or default changed in the HCL and not regenerated, or a
table edited by hand) fails here. The hand-written usage example above the
tables is checked against the same HCL: every argument it passes is an input
of the module, and every required input is passed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import hcl2
import pytest

from helpers import ROOT, load_script

terraform_docs = load_script("dev/terraform_docs")
MODULES = terraform_docs.module_directories()
# Arguments of a module block that are not the module's inputs.
META_ARGUMENTS = {"source", "version", "providers", "count", "for_each", "depends_on"}


def test_every_module_is_documented() -> None:
    assert {m.name for m in MODULES} == {
        p.name for p in (ROOT / "terraform" / "modules").iterdir() if p.is_dir()
    }


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.name)
def test_the_readme_tables_are_what_the_generator_writes(module: Path) -> None:
    readme = (module / "README.md").read_text()

    assert readme == terraform_docs.generated_readme(module), (
        f"{module.name}/README.md differs from its HCL: run make docs"
    )


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.name)
def test_the_readme_opens_with_an_introduction_and_a_usage_example(module: Path) -> None:
    intro = (module / "README.md").read_text().split(terraform_docs.BEGIN)[0]

    assert intro.startswith(f"# {module.name}\n")
    assert "## Usage" in intro
    assert usage_module_calls(module), f"{module.name}/README.md has no module block in its usage"


def usage_module_calls(module: Path) -> list[dict[str, Any]]:
    """The module blocks of the README's ```hcl examples, as python-hcl2 reads them."""
    intro = (module / "README.md").read_text().split(terraform_docs.BEGIN)[0]
    calls = []
    for example in re.findall(r"```hcl\n(.*?)```", intro, flags=re.DOTALL):
        document = hcl2.loads(example, serialization_options=terraform_docs.HCL)
        for block in document.get("module", []):
            calls.extend(block.values())
    return calls


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.name)
def test_the_usage_example_passes_inputs_the_module_has_and_every_required_one(
    module: Path,
) -> None:
    declared = {v.name for v in terraform_docs.variables(module)}
    required = {v.name for v in terraform_docs.variables(module) if not v.has_default}

    for call in usage_module_calls(module):
        passed = set(call) - META_ARGUMENTS
        assert passed <= declared, f"not inputs of {module.name}: {sorted(passed - declared)}"
        assert required <= passed, f"required by {module.name}: {sorted(required - passed)}"


def test_the_check_mode_names_a_readme_that_differs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = tmp_path / "modules" / "example"
    module.mkdir(parents=True)
    (module / "variables.tf").write_text(
        'variable "name" {\n  description = "Prefix of every name."\n  type = string\n}\n'
    )
    (module / "README.md").write_text(
        f"# example\n\n{terraform_docs.BEGIN}\nstale\n{terraform_docs.END}\n"
    )
    monkeypatch.setattr(terraform_docs, "MODULES", tmp_path / "modules")
    monkeypatch.setattr(terraform_docs, "ROOT", tmp_path)

    assert terraform_docs.main(["--check"]) == 1
    assert "stale" in (module / "README.md").read_text()  # --check writes nothing
    assert terraform_docs.main([]) == 0
    assert (
        "| `name` | Prefix of every name. | `string` | n/a | yes |"
        in (module / "README.md").read_text()
    )
    assert terraform_docs.main(["--check"]) == 0


@pytest.mark.parametrize(
    ("value", "rendered"),
    [
        (None, "null"),
        (True, "true"),
        (1024, "1024"),
        ("arm64", '"arm64"'),
        ([], "[]"),
        ({}, "{}"),
        (["AWS::S3::Bucket", "AWS::KMS::Key"], '["AWS::S3::Bucket", "AWS::KMS::Key"]'),
    ],
)
def test_defaults_are_written_as_hcl_writes_them(value: object, rendered: str) -> None:
    assert terraform_docs.render_default(value) == rendered

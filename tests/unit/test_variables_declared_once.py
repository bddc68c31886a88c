"""One source of truth per variable: no name declared both in a root
configuration (terraform/, terraform/examples/*) and in a module it calls,
directly or through another module, read with python-hcl2.

The root sets module inputs literally in its module blocks (terraform/main.tf);
a root variable of the same name as a module input would be a second
declaration of it (a second description, default and validation that can
drift), forwarded one by one. Modules may share a name among themselves only
where it is each module's own setting, listed below with the reason.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import hcl2
import pytest

ROOT = Path(__file__).resolve().parents[2]
TERRAFORM = ROOT / "terraform"
# Names and strings without their quotes (as scripts/dev/terraform_docs.py reads them).
HCL = hcl2.SerializationOptions(
    with_comments=False, explicit_blocks=False, strip_string_quotes=True
)
ROOTS = [TERRAFORM, *sorted(p for p in (TERRAFORM / "examples").iterdir() if list(p.glob("*.tf")))]

#: Names a root declares although a module it calls declares them too.
ROOT_EXCEPTIONS = {
    "lambda_package_path": "the package is built outside Terraform and its path is relative to "
    "the directory Terraform runs in, which only the caller knows; deploy.sh builds it, destroy.sh "
    "and terraform test pass a placeholder. The root declares it without a validation: the "
    "module's checks that the file exists.",
}

#: Names more than one module declares, each as its own setting (not a copy of
#: another module's variable): what terraform-aws-modules' modules all take, and
#: the settings of the shared bucket skeleton and of the replica that the caller
#: gives each module on its own.
SHARED_BETWEEN_MODULES = {
    "name": "every module's name prefix (terraform-aws-modules convention)",
    "tags": "every module's tags (terraform-aws-modules convention)",
    "force_destroy": "each module's own buckets (image-pipeline, account-baseline, "
    "audit-replica, hardened-bucket)",
    "kms_deletion_window_days": "each module's own keys (image-pipeline's two, account-baseline's "
    "audit key, audit-replica's one)",
    "object_lock": "hardened-bucket's and audit-replica's retention, each of its own bucket",
    "break_glass_principal_arn": "who may bypass each module's key and bucket protections",
    "kms_key_administrators": "who administers each module's own keys (image-pipeline's two, "
    "account-baseline's audit key)",
    "kms_key_users": "who may read what each module's own keys protect (image-pipeline's queues, "
    "account-baseline's trail files)",
    "access_log_retention_days": "how long each module's own logs bucket keeps its logs "
    "(account-baseline's, and image-pipeline's when it has one)",
    "access_log_target": "where each bucket logs its access: the hardened-bucket skeleton's, and "
    "image-pipeline's for its buckets (the account baseline's logs bucket, or its own)",
}


@functools.cache
def blocks(directory: Path, kind: str) -> dict[str, dict[str, Any]]:
    """The blocks of one kind (variable, module) of a configuration directory."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(directory.glob("*.tf")):
        with path.open(encoding="utf-8") as f:
            document = hcl2.load(f, serialization_options=HCL)
        for block in document.get(kind, []):
            found.update(block)
    return found


def called_modules(directory: Path) -> list[Path]:
    """Every local module a configuration calls, directly or through another."""
    called: list[Path] = []
    for body in blocks(directory, "module").values():
        source = body["source"]
        if source.startswith("."):
            module = (directory / source).resolve()
            called += [module, *called_modules(module)]
    return list(dict.fromkeys(called))


def test_the_modules_are_found() -> None:
    called = {p.name for p in called_modules(TERRAFORM)}
    assert called == {"image-pipeline", "account-baseline", "audit-replica", "hardened-bucket"}


@pytest.mark.parametrize("root", ROOTS, ids=lambda p: p.relative_to(TERRAFORM).as_posix())
def test_no_root_variable_is_a_module_input_too(root: Path) -> None:
    declared = set(blocks(root, "variable"))
    for module in called_modules(root):
        twice = declared & set(blocks(module, "variable")) - set(ROOT_EXCEPTIONS)
        assert not twice, (
            f"{root.relative_to(ROOT)} declares {sorted(twice)}, which "
            f"{module.relative_to(ROOT)} declares too: set the module input in the module "
            "block instead (one source of truth per variable)"
        )


def test_modules_share_only_the_names_listed_with_a_reason() -> None:
    seen: dict[str, list[str]] = {}
    for module in called_modules(TERRAFORM):
        for name in blocks(module, "variable"):
            seen.setdefault(name, []).append(module.name)
    shared = {name for name, modules in seen.items() if len(modules) > 1}
    assert shared <= set(SHARED_BETWEEN_MODULES), {n: seen[n] for n in shared}


def test_every_exception_is_still_needed() -> None:
    root_variables = set(blocks(TERRAFORM, "variable"))
    module_variables = {n for m in called_modules(TERRAFORM) for n in blocks(m, "variable")}
    assert set(ROOT_EXCEPTIONS) <= root_variables & module_variables
    for name in SHARED_BETWEEN_MODULES:
        assert sum(name in blocks(m, "variable") for m in called_modules(TERRAFORM)) > 1, name


def test_the_root_declares_only_its_own_concerns() -> None:
    # Where and under which name the stack is deployed, the package, and the
    # local profile: README's Configuration table lists them.
    assert set(blocks(TERRAFORM, "variable")) == {
        "aws_region",
        "audit_replica_region",
        "project_name",
        "environment",
        "lambda_package_path",
        "local_aws",
    }


#: Where a reader of the root's outputs may be: the scripts, the documents'
#: commands, the Makefile and the tests that run the deployed stack.
READERS = [
    *ROOT.glob("scripts/**/*.sh"),
    *ROOT.glob("scripts/**/*.py"),
    *(ROOT / name for name in ("README.md", "SECURITY.md", "INCIDENT_RESPONSE.md", "Makefile")),
    *ROOT.glob("tests/e2e/*.py"),
    *ROOT.glob("tests/scripts/*.bats"),
    *ROOT.glob("tests/integration/*.py"),
    *ROOT.glob("bench/*.py"),
]


def test_every_root_output_has_a_reader_outside_terraform() -> None:
    # The root's outputs are the stack's interface to its users, not a copy of
    # the modules' outputs one by one: each is read by name somewhere.
    text = "\n".join(path.read_text(encoding="utf-8") for path in READERS)
    unread = [name for name in blocks(TERRAFORM, "output") if not re.search(rf"\b{name}\b", text)]
    assert not unread, f"terraform/outputs.tf outputs what nothing reads: {unread}"


#: A read of one of the root's outputs by name: the scripts' helpers and the documents' commands.
OUTPUT_READ = re.compile(
    r"""(?:terraform_output "?|terraform (?:-chdir=\S+ )?output -raw |output\(")([a-z0-9_]+)"""
)


def test_every_output_a_script_or_document_reads_is_an_output_of_the_root() -> None:
    outputs = set(blocks(TERRAFORM, "output"))
    read = {
        (path.relative_to(ROOT).as_posix(), name)
        for path in READERS
        if not path.is_relative_to(ROOT / "tests")
        for name in OUTPUT_READ.findall(path.read_text(encoding="utf-8"))
    }

    assert len(read) >= 15, read  # the regex still finds the reads
    assert sorted(r for r in read if r[1] not in outputs) == []

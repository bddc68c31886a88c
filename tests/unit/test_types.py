"""`make lint` type-checks what README says it does, with the stubs of every client called."""

from __future__ import annotations

import re
import subprocess
import tomllib

from helpers import ROOT

MYPY = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]


def test_make_lint_runs_mypy_strict_over_the_folders_readme_names() -> None:
    readme = (ROOT / "README.md").read_text()
    named = re.search(r"^make lint +# ruff, mypy --strict over (.+?), shellcheck", readme, re.M)

    assert named, "README's make lint line names no folders"
    folders = [folder.strip().rstrip("/") for folder in named[1].split(",")]
    assert MYPY["strict"] is True
    assert set(folders) <= set(MYPY["files"]), (
        f"README names {folders}, mypy checks {MYPY['files']}"
    )


def test_every_boto3_client_the_checked_code_makes_has_its_stubs_pinned() -> None:
    # boto3's stubs type a client per service name; without that service's
    # package, mypy would type its calls as Any and check nothing.
    sources = [
        path
        for entry in MYPY["files"]
        for path in ([ROOT / entry] if entry.endswith(".py") else (ROOT / entry).rglob("*.py"))
    ]
    called = {
        service
        for path in sources
        for service in re.findall(r"""\.client\(\s*["']([a-z0-9-]+)["']""", path.read_text())
    }
    pinned = re.search(
        r"^types-boto3\[([a-z0-9,-]+)\]==", (ROOT / "requirements-dev.in").read_text(), re.M
    )

    assert pinned, "requirements-dev.in pins no types-boto3"
    assert called <= set(pinned[1].split(",")), called - set(pinned[1].split(","))
    for service in pinned[1].split(","):
        assert re.search(
            rf"^types-boto3-{service}==", (ROOT / "requirements-dev.txt").read_text(), re.M
        ), f"types-boto3-{service} is not pinned in requirements-dev.txt"


def test_mypy_checks_every_python_file_of_the_repository_and_ignores_none_of_them() -> None:
    tracked = subprocess.run(
        ["git", "ls-files", "*.py", "*.pyi"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    checked = [entry.rstrip("/") for entry in MYPY["files"]]
    unchecked = [p for p in tracked if not any(p == c or p.startswith(c + "/") for c in checked)]

    assert tracked
    assert not unchecked, f"mypy's files leave out {unchecked}"
    assert "exclude" not in MYPY
    assert "disable_error_code" not in MYPY
    for override in MYPY.get("overrides", []):
        assert not override.get("ignore_errors"), override["module"]
        assert "disable_error_code" not in override, override["module"]

"""scripts/README.md's table is scripts/' layout: every file listed, every listed file there."""

from __future__ import annotations

import re
import subprocess
import tomllib

from helpers import ROOT

TABLE_ROW = re.compile(r"^\| `(scripts/[\w/]*)` \| [^|]+ \| (.+) \|$", re.MULTILINE)


def _table() -> dict[str, str]:
    """Path -> folder (as the table names it) for each file scripts/README.md lists."""
    listed: dict[str, str] = {}
    for folder, files in TABLE_ROW.findall((ROOT / "scripts" / "README.md").read_text()):
        for name in re.findall(r"`([^`]+)`", files):
            assert f"{folder}{name}" not in listed, f"{folder}{name} is listed twice"
            listed[f"{folder}{name}"] = folder
    assert listed, "scripts/README.md has no table of folders and files"
    return listed


def _tracked() -> set[str]:
    listed = subprocess.run(
        ["git", "ls-files", "scripts"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return set(listed.splitlines())


def test_every_file_under_scripts_is_in_the_table_of_its_folder() -> None:
    listed = _table()
    unlisted = sorted(_tracked() - set(listed))
    assert not unlisted, f"not in scripts/README.md's table: {unlisted}"
    for path, folder in listed.items():
        assert path.startswith(folder)


def test_every_file_the_table_lists_exists() -> None:
    missing = sorted(path for path in _table() if not (ROOT / path).is_file())
    assert not missing, f"scripts/README.md lists files that do not exist: {missing}"


def test_the_top_level_holds_only_the_commands_the_readme_names() -> None:
    readme = (ROOT / "README.md").read_text()
    top = [p for p in _tracked() if p.count("/") == 1 and p != "scripts/README.md"]
    assert top
    unnamed = sorted(p for p in top if p not in readme)
    assert not unnamed, f"not a command README.md names, so not at scripts/'s top level: {unnamed}"


def test_each_folder_with_python_is_a_base_of_mypy_module_names() -> None:
    # Its modules import their neighbours by file name, as when a script runs.
    mypy_path = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]["mypy_path"]
    folders = {path.rsplit("/", 1)[0] for path in _table() if path.endswith(".py")}
    folders = {f for f in folders if f.count("/") <= 1}  # not prowler_site/: PYTHONPATH of Prowler
    assert folders <= set(mypy_path), sorted(folders - set(mypy_path))


def test_the_maintainers_tools_are_run_by_make() -> None:
    makefile = (ROOT / "Makefile").read_text()
    for path in (p for p in _table() if p.startswith("scripts/dev/")):
        assert f"$(BIN)/python {path}" in makefile, f"no make target runs {path}"


def test_every_shell_file_under_scripts_is_shellchecked_by_make_lint_and_the_scan() -> None:
    # The globs of `make lint`'s and security_scan.sh's shellcheck over scripts/: a
    # shell file moved to a folder they do not name would be checked by neither.
    shell = {p for p in _tracked() if p.endswith(".sh")}
    for source in ("Makefile", "scripts/security_scan.sh"):
        text = (ROOT / source).read_text()
        globs = re.findall(r"shellcheck(?: -f json)?((?: scripts/\S+\.sh)+)", text)
        assert globs, f"{source} runs no shellcheck over scripts/"
        checked = {
            str(path.relative_to(ROOT))
            for line in globs
            for pattern in line.split()
            for path in ROOT.glob(pattern)
        }
        assert shell <= checked, f"{source} does not shellcheck {sorted(shell - checked)}"


def test_the_size_tables_last_row_is_the_count_its_command_prints() -> None:
    readme = (ROOT / "scripts" / "README.md").read_text()
    command = re.findall(r"^    (git ls-files .*)$", readme, re.MULTILINE)[0]
    rows = re.findall(r"^\| [^|]+ \| ([\d,]+) \| [^|]+ \|$", readme, re.MULTILINE)

    counted = subprocess.run(
        ["bash", "-c", command], cwd=ROOT, capture_output=True, text=True, timeout=60
    )

    assert counted.returncode == 0, counted.stderr
    assert counted.stdout.split() == [rows[-1].replace(",", ""), "total"]

"""make mutation's score (scripts/dev/mutation.py): Stryker's, per file, from mutmut 3's results.

Stryker: detected = killed + timeout, valid = detected + survived + no coverage, score =
detected / valid (https://stryker-mutator.io/docs/mutation-testing-elements/mutant-states-and-metrics).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from helpers import load_script

mutation = load_script("dev/mutation")

# `mutmut results --all True` as mutmut 3.8.1 printed it in reports/mutation (a method's mutant
# is named <module>.xǁ<class>ǁ<method>__mutmut_<n>).
RESULTS = """\
    config.x__required__mutmut_1: killed
    config.x__required__mutmut_2: killed
    config.x__required__mutmut_3: timeout
    config.x__required__mutmut_4: survived
    config.x_load_settings__mutmut_1: no tests
    config.x_load_settings__mutmut_2: suspicious
    config.x_load_settings__mutmut_3: segfault
    storage.xǁRecordStoreǁclaim__mutmut_1: killed
    storage.xǁRecordStoreǁclaim__mutmut_2: survived
    events.x_event_kind__mutmut_1: survived
"""


def test_the_score_is_detected_over_valid_per_file_and_in_total() -> None:
    summary = mutation.scores(RESULTS, ["config", "storage", "errors"])

    # (2 killed + 1 timeout) / (3 + 1 survived + 1 no tests); suspicious and segfault (Stryker's
    # runtime errors) are neither detected nor valid.
    assert summary["config"]["score"] == 60.0
    assert summary["config"]["suspicious"] == 1
    assert summary["storage"]["score"] == 50.0  # a method's mutant counts for its module
    assert summary["errors"]["score"] is None  # no mutants: no score, rather than 0 or 100
    assert summary["total"]["score"] == 57.1  # 4 / 7: events was not asked for
    assert summary["total"]["killed"] == 3


def test_mutmut_runs_where_src_is_lambda_and_the_tests_import_the_mutants(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A repository of four files; mutmut 3 names a mutant after its path less `src/`, and the
    # tests import lambda/'s modules by file name (pytest's pythonpath) through mutants/lambda,
    # which must be mutmut's mutated copies (mutants/src), never lambda/ itself.
    repo, work = tmp_path / "repo", tmp_path / "repo" / "reports" / "mutation"
    for name in ("lambda/config.py", "README.md", "pyproject.toml"):
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(name)
    (repo / ".gitignore").write_text("/reports/\n")  # as the repository's
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(["git", "add", "--all"], cwd=repo, check=True)
    monkeypatch.setattr(mutation, "ROOT", repo)
    monkeypatch.setattr(mutation, "WORK", work)
    # As in a git hook: the repository named by the environment, which must stay as it is.
    monkeypatch.setenv("GIT_DIR", str(repo / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(repo))
    index = (repo / ".git" / "index").read_bytes()

    mutation.prepare()

    assert (repo / ".git" / "index").read_bytes() == index

    assert (work / "src").resolve() == repo / "lambda"
    assert (work / "pyproject.toml").read_text() == "pyproject.toml"  # [tool.mutmut]
    assert (work / "mutants" / "lambda").readlink() == Path("src")
    assert (work / "mutants" / "README.md").read_text() == "README.md"  # what the tests read
    assert not (work / "mutants" / "src").exists()  # mutmut's own copy, made by `mutmut run`
    # The tests that list the repository's files (git ls-files) list the copy's as the
    # repository's, not the repository around it (reports/ is ignored there: none).
    monkeypatch.delenv("GIT_DIR")
    monkeypatch.delenv("GIT_WORK_TREE")
    listed = subprocess.run(
        ["git", "ls-files"], cwd=work / "mutants", check=True, capture_output=True, text=True
    )
    assert listed.stdout.split() == [
        ".gitignore",
        "README.md",
        "lambda/config.py",
        "pyproject.toml",
    ]

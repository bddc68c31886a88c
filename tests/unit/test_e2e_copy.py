"""The end-to-end tests' copy of the repository (tests/e2e/local_deployment.py, copy_repo)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from e2e.local_deployment import copy_repo

from helpers import ROOT


@pytest.mark.skipif(
    not (ROOT / ".venv" / ".installed").exists() or shutil.which("make") is None,
    reason="needs make and the virtualenv of make setup",
)
def test_make_finds_the_shared_virtualenvs_up_to_date_in_the_copy(tmp_path: Path) -> None:
    """make local-deploy and local-process in a copy must not reinstall into the shared .venv
    (the copy keeps each file's modification time, older than the virtualenvs' stamps)."""
    repo = copy_repo(tmp_path)

    # -q: exit 0 when the targets are up to date, 1 when make would run their recipes.
    stale = subprocess.run(
        ["make", "-q", ".venv/.installed"], cwd=repo, capture_output=True, text=True
    )

    assert stale.returncode == 0, stale.stdout + stale.stderr

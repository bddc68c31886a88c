"""One deployed stack for the end-to-end tests that can share it, the destructive ones last.

`make test-e2e` runs three pytest processes side by side: the demo loop,
which deploys a stack of its own with demo.sh (that is what it tests); the
recovery paths, which deploy, break and destroy a stack of their own; and
every other module on ONE stack deployed once with deploy.sh --local. On the
shared stack the modules run in SHARED's order: the audit (`make audit`'s
Prowler and parliament, on the stack as deployed) first, then those that
only read it, and a test whose name starts with ``test_destroy`` after all of
them. A test that changes the stack restores it (the runbook's blocks undo
what they do; the disabled data key is enabled again) unless it destroys it,
and then it runs last.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from e2e.local_deployment import LocalDeployment, deployed_stack
from helpers import ROOT

# The modules on the shared stack, in the order they run.
SHARED = (
    "test_audit.py",
    "test_policies_lint.py",
    "test_runbook.py",
    "test_disabled_data_key.py",
    "test_readme_local.py",
)
# demo.sh deploys, and destroys, a stack of its own: that is what it tests; the
# recovery paths deploy, break and destroy theirs (a failed apply, destroy then
# deploy twice); the account baseline is applied alone to a local AWS of its own
# (it runs in the shared stack's process, before that stack is deployed).
OWN_STACK = ("test_demo_loop.py", "test_recovery.py", "test_baseline_alone.py")
DESTRUCTIVE_PREFIX = "test_destroy"
E2E = Path(__file__).parent


@pytest.fixture(scope="session")
def prowler_venv(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[subprocess.Popen[bytes] | None]:
    """make's .venv-prowler (Prowler's pinned packages; uv took 55 s on a busy 2-core machine),
    begun in the background when test_audit.py is to run, before the shared stack is deployed,
    so that the two overlap; None when the audit is not among the tests."""
    if not any(Path(str(item.path)).name == "test_audit.py" for item in request.session.items):
        yield None
        return
    log = tmp_path_factory.mktemp("prowler") / "make.log"
    # Not the jobserver of a make that runs these tests (make test-e2e).
    env = {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL"}}
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["make", "--no-print-directory", ".venv-prowler/.installed"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    yield process
    process.wait()  # never left running after the session


@pytest.fixture(scope="session")
def shared_stack(
    tmp_path_factory: pytest.TempPathFactory, prowler_venv: subprocess.Popen[bytes] | None
) -> Iterator[LocalDeployment]:
    """The stack the SHARED modules use: deployed once per session (deploy.sh --local),
    while Prowler's virtualenv is built for the audit (prowler_venv)."""
    with deployed_stack(tmp_path_factory.mktemp("shared")) as deployment:
        yield deployment


def _rank(item: pytest.Item) -> tuple[int, int, int]:
    path = Path(str(item.path))
    if path.parent != E2E or path.name not in SHARED + OWN_STACK:
        return (0, 0, 0)  # not an end-to-end module of this list: its place is kept
    if path.name in OWN_STACK:
        return (1, OWN_STACK.index(path.name), 0)
    last = item.name.startswith(DESTRUCTIVE_PREFIX)
    return (2, int(last), SHARED.index(path.name))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    unknown = sorted(
        {
            Path(str(item.path)).name
            for item in items
            if Path(str(item.path)).parent == E2E
            and Path(str(item.path)).name not in SHARED + OWN_STACK
        }
    )
    if unknown:
        raise pytest.UsageError(f"tests/e2e/conftest.py: add {unknown} to SHARED or OWN_STACK")
    items.sort(key=_rank)  # stable: the order within a module is kept

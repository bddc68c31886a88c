"""One deployed stack for the end-to-end tests that can share it, the destructive ones last.

`make test-e2e` runs two pytest processes side by side: the demo loop, which
deploys a stack of its own with demo.sh (that is what it tests), and every
other module on ONE stack deployed once with deploy.sh --local. On the
shared stack the modules run in SHARED's order, those that only read it
first, and a test whose name starts with ``test_destroy`` after all of them.
A test that changes the stack restores it (the runbook's blocks undo what
they do; the disabled data key is enabled again) unless it destroys it, and
then it runs last.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from e2e.local_deployment import LocalDeployment, deployed_stack

# The modules on the shared stack, in the order they run.
SHARED = ("test_policies_lint.py", "test_runbook.py", "test_disabled_data_key.py")
# demo.sh deploys, and destroys, a stack of its own: that is what it tests; the
# recovery paths deploy, break and destroy theirs (a failed apply, destroy then
# deploy twice).
OWN_STACK = ("test_demo_loop.py", "test_recovery.py")
DESTRUCTIVE_PREFIX = "test_destroy"
E2E = Path(__file__).parent


@pytest.fixture(scope="session")
def shared_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalDeployment]:
    """The stack the SHARED modules use: deployed once per session (deploy.sh --local)."""
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

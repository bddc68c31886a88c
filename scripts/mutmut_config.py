"""mutmut 2 hooks for `make mutation`: each mutant runs only the tests that reach its line.

scripts/mutation.py copies this file into its scratch copy of the repository as
``mutmut_config.py``, the name mutmut imports (see "Selecting tests to run" in mutmut 2's
README, https://github.com/boxed/mutmut/blob/2.5.1/README.rst). The baseline run records, with
pytest-cov's ``--cov-context=test``, which test executed each line of lambda/; for each mutant
``pre_mutation`` then runs the tests that executed the mutated statement:

- tests that executed the statement: those tests, unit tests first;
- statements executed only while importing (module constants, ``def`` lines, decorators):
  every test that executed any line of the file, and every test file that imports the module
  (tests such as tests/unit/test_docs.py read its constants without running any of its lines);
- statements no test executed: none; the mutant is recorded as surviving without a run.

Run as a script, this file is the per-mutant test command: pytest with ``-x -q``, and a verdict
mutmut 2 understands (it counts every exit code but 1 as "tests passed").
"""

from __future__ import annotations

import ast
import os
import re
import shlex
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Protocol

COVERAGE_FILE = ".coverage"
BASELINE_TESTS = ("tests/unit", "tests/integration")
PYTEST = (sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider")
BASELINE_COMMAND = shlex.join(
    [*PYTEST, "--cov=lambda", "--cov-context=test", "--cov-report=", *BASELINE_TESTS]
)
RUNNER_ERRORS = Path("runner-errors.log")
STARTUP_SECONDS = 15.0  # interpreter, boto3, moto and Pillow imports on a loaded machine


@cache
def _tests_by_line(filename: str) -> dict[int, frozenset[str]]:
    """Line -> node ids of the tests that executed it ('' is import time, outside any test)."""
    from coverage import CoverageData

    data = CoverageData(COVERAGE_FILE)
    data.read()
    by_line = data.contexts_by_lineno(os.path.abspath(filename))
    # pytest-cov names a context "<node id>|setup", "|run" or "|teardown".
    return {
        line: frozenset(context.rpartition("|")[0] for context in contexts if context)
        for line, contexts in by_line.items()
    }


@cache
def _statements(filename: str) -> tuple[tuple[int, int], ...]:
    tree = ast.parse(Path(filename).read_text(encoding="utf-8"))
    return tuple(
        (node.lineno, node.end_lineno or node.lineno)
        for node in ast.walk(tree)
        if isinstance(node, ast.stmt)
    )


def _statement_line(filename: str, line: int) -> int:
    """First line of the innermost statement holding ``line`` (coverage counts statements)."""
    holding = [start for start, end in _statements(filename) if start <= line <= end]
    return max(holding, default=line)


@cache
def _test_count() -> int:
    from coverage import CoverageData

    data = CoverageData(COVERAGE_FILE)
    data.read()
    return len({context.rpartition("|")[0] for context in data.measured_contexts() if context})


@cache
def _test_files_importing(module: str) -> frozenset[str]:
    """Test files that import ``module`` (``import m``, ``from m import ...``)."""
    imports = re.compile(rf"^\s*(?:from|import)\s+{re.escape(module)}\b", re.MULTILINE)
    return frozenset(
        str(path)
        for path in Path("tests").rglob("test_*.py")
        if imports.search(path.read_text(encoding="utf-8"))
    )


def tests_for(filename: str, line: int) -> list[str]:
    """Node ids that can kill a mutant of ``filename`` at 1-based ``line``, unit tests first."""
    by_line = _tests_by_line(filename)
    lines = {line, _statement_line(filename, line)}
    tests = set().union(*(by_line.get(n, frozenset()) for n in lines))
    if not tests and lines & by_line.keys():  # executed, but only at import time
        ran = set().union(*by_line.values())
        files = _test_files_importing(Path(filename).stem)
        # A whole file covers its node ids: list it once instead.
        tests = {node for node in ran if node.partition("::")[0] not in files} | files
    return sorted(tests, key=lambda node: (not node.startswith("tests/unit/"), node))


class MutmutConfig(Protocol):
    """What pre_mutation changes of mutmut 2's Config (a copy for each mutant)."""

    test_command: str
    baseline_time_elapsed: float


class MutmutContext(Protocol):
    """What pre_mutation reads of mutmut 2's Context."""

    filename: str
    current_line_index: int  # 0-based
    config: MutmutConfig


def pre_mutation(context: MutmutContext) -> None:
    """mutmut hook: replace the full suite with the tests that reach the mutated line."""
    tests = tests_for(context.filename, context.current_line_index + 1)
    if not tests:
        context.config.test_command = "true"  # no test executes this line: it survives
        return
    config = context.config  # mutmut's copy for this mutant
    config.test_command = shlex.join([sys.executable, "mutmut_config.py", *tests])
    # mutmut stops a run after 10 x baseline_time_elapsed (the whole suite's): scale that to the
    # share of the suite selected, so a mutant that hangs costs minutes, not half an hour.
    per_test = config.baseline_time_elapsed / max(_test_count(), 1)
    config.baseline_time_elapsed = STARTUP_SECONDS + len(tests) * per_test


def _pytest(args: list[str]) -> int:
    command = [*PYTEST, "--no-header", *args]
    return subprocess.run(command, check=False).returncode  # noqa: S603 (our own interpreter)


def main(node_ids: list[str]) -> int:
    """Run the selected tests: exit 1 = killed, 0 = survived (or a run that could not start)."""
    code = _pytest(node_ids)
    if code == 4:
        # "not found" / "found no collectors": the node ids come from the baseline run of this
        # very code, so the mutant renamed a parametrised test or broke a test module's import.
        # Run the whole test files those tests live in instead.
        code = _pytest(list(dict.fromkeys(node.partition("::")[0] for node in node_ids)))
        # Those files were collected by the baseline run of the unmutated code, so a usage
        # error now is the mutant's: pytest exits 4 when a conftest.py cannot be imported
        # (it imports lambda/), which means the mutant broke an import. Detected.
        if code == 4:
            return 1
    # pytest's exit codes (https://docs.pytest.org/en/stable/reference/exit-codes.html):
    # 1 tests failed; 2 interrupted, which is how a collection error (a mutant that breaks an
    # import) ends with -x. Both mean the mutant was detected.
    if code in (1, 2):
        return 1
    if code != 0:  # 3 internal error, 5 no tests collected
        with RUNNER_ERRORS.open("a", encoding="utf-8") as log:
            log.write(f"pytest exited {code}: {shlex.join(node_ids)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

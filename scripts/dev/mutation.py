#!/usr/bin/env python3
"""Mutation testing of lambda/ with mutmut 3: a score per file, and the mutants that survive.

Usage: mutation.py [--files lambda/storage.py,lambda/config.py]   (default: every lambda/*.py)
       mutation.py --score-only                                   (the last run's table again)

mutmut 3 names a mutant after its file's path (lambda/config.py: `lambda.config`) and matches
that name with the module the tests import (`config`: lambda/ is on pytest's pythonpath, not a
package, since `lambda` is a keyword). The one prefix it drops is `src/`, so the run happens in
reports/mutation/, where `src` is a link to lambda/: mutmut copies it to mutants/src, mutates
the copies there (lambda/ is only read) and runs pytest in mutants/, which holds a copy of the
repository's other files (the tests read README.md, terraform/, scripts/), and `lambda`, a link
to the mutated src/ (pytest's pythonpath). Its configuration is [tool.mutmut] in pyproject.toml.

mutmut keeps its results in reports/mutation/mutants/: a second run tests only what changed.
`cd reports/mutation && ../../.venv/bin/mutmut results` lists the mutants not killed,
`mutmut show NAME` shows one, `mutmut browse` browses and retests them.

The score is Stryker's, detected / valid = (killed + timeout) / (killed + timeout + survived +
no coverage) (https://stryker-mutator.io/docs/mutation-testing-elements/mutant-states-and-metrics);
mutmut's "no tests" is Stryker's "no coverage". Written to reports/mutation/summary.json.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / "reports" / "mutation"
MUTMUT = Path(sys.executable).with_name("mutmut")
DETECTED, UNDETECTED = ("killed", "timeout"), ("survived", "no tests")


def prepare() -> None:
    """reports/mutation/ as mutmut 3 expects it; mutants/ (its results) is kept between runs."""
    mutants = WORK / "mutants"
    mutants.mkdir(parents=True, exist_ok=True)
    for link, target in ((WORK / "src", ROOT / "lambda"), (mutants / "lambda", Path("src")),
                         (WORK / "pyproject.toml", ROOT / "pyproject.toml"),
                         (mutants / ".venv", ROOT / ".venv")):  # fmt: skip
        link.unlink(missing_ok=True)
        link.symlink_to(target)
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],  # noqa: S607
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout.split("\0")  # fmt: skip
    for name in (n for n in listed if n and not n.startswith("lambda/") and (ROOT / n).is_file()):
        (mutants / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, mutants / name)
    # The tests that list the repository's files (git ls-files) list the copy's: a git work
    # tree of its own (else git finds the repository around it, where reports/ is ignored),
    # whose index is the repository's, lambda/ included (its files are mutmut's copies there).
    # Only the copy's .git is written, whatever GIT_DIR or GIT_INDEX_FILE the caller set.
    staged = subprocess.run(["git", "ls-files", "--stage", "-z"], cwd=ROOT,  # noqa: S607
                            check=True, capture_output=True).stdout  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    subprocess.run(["git", "init", "-q", str(mutants)], env=env, check=True, capture_output=True)  # noqa: S603, S607
    git = ["git", f"--git-dir={mutants / '.git'}", f"--work-tree={mutants}"]
    subprocess.run([*git, "read-tree", "--empty"], env=env, check=True)  # noqa: S603
    subprocess.run([*git, "update-index", "-z", "--index-info"], input=staged, env=env, check=True)  # noqa: S603


def scores(results: str, modules: list[str]) -> dict[str, dict[str, float | int | None]]:
    """Counts per status and Stryker's score per module, from `mutmut results --all True`."""
    counts: dict[str, Counter[str]] = {module: Counter() for module in modules}
    for line in results.splitlines():
        name, _, status = line.strip().partition(": ")
        module = name.partition(".x")[0]  # a mutant is <module>.x_<function>__mutmut_<n>
        if module in counts:
            counts[module][status] += 1
    summary: dict[str, dict[str, float | int | None]] = {}
    for module, count in [*counts.items(), ("total", sum(counts.values(), Counter()))]:
        detected = sum(count[status] for status in DETECTED)
        valid = detected + sum(count[status] for status in UNDETECTED)
        score = round(100 * detected / valid, 1) if valid else None
        summary[module] = {**dict(sorted(count.items())), "score": score}
    return summary


def has_functions(path: Path) -> bool:
    """mutmut 3 mutates the code inside functions only: a file without one has no mutants."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return any(isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) for node in ast.walk(tree))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--files", default="", help="comma-separated lambda/ files (default: all)")
    parser.add_argument("--score-only", action="store_true", help="the last run's scores again")
    args = parser.parse_args(argv)
    files = [f.strip() for f in args.files.split(",") if f.strip()] or sorted(
        str(p.relative_to(ROOT)) for p in (ROOT / "lambda").glob("*.py")
    )
    for name in files:
        if not (name.startswith("lambda/") and name.endswith(".py") and (ROOT / name).is_file()):
            parser.error(f"not a Python file under lambda/: {name}")
    modules = [Path(name).stem for name in files]
    if not args.score_only:
        # mutmut's own selection: the mutants of these modules (a name is <module>.x...).
        chosen = [f"{Path(f).stem}.*" for f in files if has_functions(ROOT / f)]
        if args.files and not chosen:
            print("mutation: no function in those files, so nothing for mutmut 3 to mutate")
            return 0
        prepare()
        process = subprocess.Popen([MUTMUT, "run", *(chosen if args.files else [])], cwd=WORK)  # noqa: S603
        try:
            code = process.wait()
        except KeyboardInterrupt:  # mutmut stops on the same Ctrl-C, keeping what it tested
            code = process.wait()
        if code != 0:
            print("mutation: mutmut run failed (its output is above)", file=sys.stderr)
            return 1
    results = subprocess.run(  # noqa: S603 (our own virtualenv's mutmut)
        [MUTMUT, "results", "--all", "True"], cwd=WORK, check=True, capture_output=True, text=True
    ).stdout
    summary = scores(results, modules)
    (WORK / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    columns = DETECTED + UNDETECTED
    print("\n  " + f"{'file':<20}" + "".join(f"{c:>10}" for c in (*columns, "score")))
    for module, row in summary.items():
        score = "-" if row["score"] is None else f"{row['score']}%"
        print(f"  {module:<20}" + "".join(f"{row.get(c, 0):>10}" for c in columns) + f"{score:>10}")
    print("mutation: the mutants not killed: cd reports/mutation && ../../.venv/bin/mutmut results")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Mutation testing of lambda/ with mutmut 2: a score per file and the mutants that survive.

Usage: mutation.py [--files lambda/storage.py,lambda/config.py]   (default: every lambda/*.py)

mutmut edits the files it mutates, so it runs in a scratch copy of the repository
(reports/mutation/work); the worktree is never touched, even when the run is interrupted.
The fast suites that exercise lambda/ (tests/unit, tests/integration) run once with coverage,
then each mutant runs only the tests that executed its line (scripts/mutmut_config.py).

Writes to reports/mutation/: summary.json (counts per file), survivors.md (the diff of every
surviving and timed-out mutant), mutmut.log (mutmut's own output). The score follows Stryker's
definition, detected / valid = (killed + timeout) / (killed + timeout + survived)
(https://www.stryker-mutator.io/docs/General/faq/); mutmut's "suspicious" (killed, but slowly)
counts as killed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import defusedxml.ElementTree as ET

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "scripts"), str(ROOT / "tests")]

import mutmut_config  # noqa: E402 (the hooks, and the baseline command they expect)
from e2e.local_deployment import copy_repo  # noqa: E402

REPORTS = ROOT / "reports" / "mutation"
WORK = REPORTS / "work"
LOG = REPORTS / "mutmut.log"
SURVIVORS = REPORTS / "survivors.md"
MUTMUT = Path(sys.executable).with_name("mutmut")
PROGRESS_EVERY = 10  # percent
KILLED = ("ok_killed", "ok_suspicious")
FIRST = (
    "lambda/image_processor.py",
    "lambda/storage.py",
)  # the files with a target: measured first


def step(started: float, message: str) -> None:
    print(f"mutation: {message} ({elapsed(started)})", flush=True)


def elapsed(started: float) -> str:
    seconds = int(time.monotonic() - started)
    return (
        f"{seconds // 3600}h{seconds // 60 % 60:02d}m"
        if seconds >= 3600
        else f"{seconds // 60}m{seconds % 60:02d}s"
    )


def counts_by_file(cache: Path) -> dict[str, dict[str, int]]:
    """{file: {status: n}} from mutmut's cache (an SQLite database)."""
    if not cache.exists():
        return {}
    with sqlite3.connect(f"file:{cache}?mode=ro", uri=True) as db:
        rows = db.execute(
            "SELECT f.filename, m.status, COUNT(*) FROM Mutant m"
            " JOIN Line l ON m.line = l.id JOIN SourceFile f ON l.sourcefile = f.id"
            " GROUP BY f.filename, m.status"
        ).fetchall()
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for filename, status, n in rows:
        counts[filename][status] += n
    return counts


def score(statuses: dict[str, int]) -> dict[str, float | int | None]:
    killed = sum(statuses.get(s, 0) for s in KILLED)
    timeout, survived = statuses.get("bad_timeout", 0), statuses.get("bad_survived", 0)
    valid = killed + timeout + survived
    return {
        "killed": killed,
        "survived": survived,
        "timeout": timeout,
        "untested": statuses.get("untested", 0),
        "skipped": statuses.get("skipped", 0),
        "score": round(100 * (killed + timeout) / valid, 1) if valid else None,
    }


def run_mutmut(files: list[str], started: float) -> int:
    """Run mutmut in the scratch copy, printing a line every PROGRESS_EVERY percent."""
    command = [
        str(MUTMUT), "run", "--paths-to-mutate", ",".join(files), "--tests-dir", "tests/",
        "--runner", mutmut_config.BASELINE_COMMAND, "--no-progress", "--simple-output", "--CI",
    ]  # fmt: skip
    with LOG.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(  # noqa: S603 (our own virtualenv's mutmut)
            command, cwd=WORK, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            reported = -1
            while process.poll() is None:
                time.sleep(5)
                statuses = list(counts_by_file(WORK / ".mutmut-cache").values())
                total = sum(sum(c.values()) for c in statuses)
                done = total - sum(c.get("untested", 0) for c in statuses)
                if total and done * 100 // total // PROGRESS_EVERY > reported:
                    reported = done * 100 // total // PROGRESS_EVERY
                    if reported == 0:
                        step(started, f"baseline passed; testing {total} mutants")
                    else:
                        step(started, f"{done}/{total} mutants tested")
        except KeyboardInterrupt:
            os.killpg(process.pid, signal.SIGTERM)  # mutmut and the test run it started
            process.wait()
            for backup in WORK.glob("lambda/*.py.bak"):  # the mutant it was testing
                backup.replace(backup.with_suffix(""))
            raise
    return process.returncode


def write_survivors() -> dict[str, list[dict]]:
    """The diff of every surviving or timed-out mutant, from `mutmut junitxml`."""
    xml = subprocess.run(  # noqa: S603
        [str(MUTMUT), "junitxml", "--suspicious-policy=ignore", "--untested-policy=ignore"],
        cwd=WORK, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    survivors: dict[str, list[dict]] = defaultdict(list)
    for case in ET.fromstring(xml).iter("testcase"):
        for verdict in (*case.iter("failure"), *case.iter("error")):
            survivors[case.get("file")].append(
                {
                    "id": int(case.get("name").removeprefix("Mutant #")),
                    "line": int(case.get("line")),
                    "status": verdict.get("message"),
                    "diff": (verdict.text or "").strip(),
                }
            )
    with SURVIVORS.open("w", encoding="utf-8") as out:
        out.write("# Surviving mutants\n\n")
        out.write("Show one: `cd reports/mutation/work && ../../../.venv/bin/mutmut show <id>`\n")
        for filename in sorted(survivors):
            out.write(f"\n## {filename} ({len(survivors[filename])})\n")
            for mutant in sorted(survivors[filename], key=lambda m: (m["line"], m["id"])):
                out.write(f"\n### #{mutant['id']} line {mutant['line']} ({mutant['status']})\n")
                out.write(f"\n```diff\n{mutant['diff']}\n```\n")
    return survivors


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value}%"


def report(files: list[str], started: float) -> None:
    """Print the table and write summary.json and survivors.md from mutmut's cache."""
    counts = counts_by_file(WORK / ".mutmut-cache")
    survivors = write_survivors()
    summary = {name: score(counts.get(name, {})) for name in files}
    statuses = {status for per_file in counts.values() for status in per_file}
    total = score({s: sum(c.get(s, 0) for c in counts.values()) for s in statuses})
    errors_log = WORK / mutmut_config.RUNNER_ERRORS
    errors = errors_log.read_text(encoding="utf-8").splitlines() if errors_log.exists() else []
    seconds = round(time.monotonic() - started)
    result = {"files": summary, "total": total, "runner_errors": errors, "seconds": seconds}
    (REPORTS / "summary.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")

    columns = ("killed", "survived", "timeout", "untested", "score")
    print("\n  " + f"{'file':<28}" + "".join(f"{c:>10}" for c in columns))
    for name, row in [*summary.items(), ("total", total)]:
        print(
            f"  {name:<28}"
            + "".join(f"{row[c]:>10}" for c in columns[:-1])
            + f"{_percent(row['score']):>10}"
        )
    if errors:
        print(f"mutation: {len(errors)} test run(s) failed to start (counted as survived)")
    survived = sum(map(len, survivors.values()))
    step(started, f"{survived} survivors in {SURVIVORS.relative_to(ROOT)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", default="", help="comma-separated lambda/ files (default: all)")
    parser.add_argument("--report-only", action="store_true", help="report the last run again")
    args = parser.parse_args(argv)
    files = [f.strip() for f in args.files.split(",") if f.strip()] or sorted(
        (str(p.relative_to(ROOT)) for p in (ROOT / "lambda").glob("*.py")),
        key=lambda name: (name not in FIRST, name),
    )
    for name in files:
        if not (name.startswith("lambda/") and name.endswith(".py") and (ROOT / name).is_file()):
            parser.error(f"not a Python file under lambda/: {name}")

    started = time.monotonic()
    if args.report_only:
        if not (WORK / ".mutmut-cache").exists():
            parser.error("no earlier run in reports/mutation/work")
        report(files, started)
        return 0

    signal.signal(signal.SIGTERM, signal.default_int_handler)  # stop like Ctrl-C: report
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    copy_repo(WORK)
    shutil.copy2(ROOT / "scripts" / "mutmut_config.py", WORK / "mutmut_config.py")
    suites = " and ".join(mutmut_config.BASELINE_TESTS)
    step(started, f"baseline run of {suites} with coverage in {WORK.relative_to(ROOT)}")
    try:
        code = run_mutmut(files, started)
    except KeyboardInterrupt:
        print("mutation: interrupted; the counts are partial (see 'untested')", file=sys.stderr)
        code = 0
    if code != 0:
        print(
            f"mutation: mutmut failed (exit {code}); see {LOG.relative_to(ROOT)}", file=sys.stderr
        )
        return 1
    report(files, started)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Mutation testing of lambda/ with mutmut 2: a score per file and the mutants that survive.

Usage: mutation.py [--files lambda/storage.py,lambda/config.py] [--sample N [--seed S]]
       (default: every mutant of every lambda/*.py)

--retest-survivors tests the survivors of the last run again, against the tests as they are now
(after adding tests for them), without drawing or testing anything else.

--sample N tests N mutants per file, drawn at random (seeded, so a run can be repeated), instead of
every mutant: a full run of lambda/ takes hours on a 2-core machine. The score is then an estimate,
printed with its 95 % confidence interval (Wilson).

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
import math
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import TypedDict

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


class Score(TypedDict):
    """A file's (or the total's) line of summary.json."""

    killed: int
    survived: int
    timeout: int
    untested: int
    skipped: int
    score: float | None  # per cent of the mutants tested
    interval_95: tuple[float, float] | None


class Survivor(TypedDict):
    """A mutant that survived or timed out, as survivors.md shows it."""

    id: int
    line: int
    status: str | None
    diff: str


def score(statuses: dict[str, int]) -> Score:
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
        "interval_95": wilson(killed + timeout, valid),
    }


def _mutmut_run(files: list[str], *mutant: str) -> list[str]:
    return [
        str(MUTMUT), "run", *mutant, "--paths-to-mutate", ",".join(files), "--tests-dir", "tests/",
        "--runner", mutmut_config.BASELINE_COMMAND, "--no-progress", "--simple-output", "--CI",
    ]  # fmt: skip


def _put_back_the_mutant_under_test() -> None:
    for backup in WORK.glob("lambda/*.py.bak"):
        backup.replace(backup.with_suffix(""))


def run_mutmut(files: list[str], started: float, *, list_only: bool = False) -> int:
    """Run mutmut in the scratch copy, printing a line every PROGRESS_EVERY percent.

    With list_only, stop as soon as the baseline has passed and mutmut has listed its mutants.
    """
    command = _mutmut_run(files)
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
                if total and list_only:
                    step(started, f"baseline passed; {total} mutants listed")
                    os.killpg(process.pid, signal.SIGTERM)
                    process.wait()
                    _put_back_the_mutant_under_test()
                    return 0
                if total and done * 100 // total // PROGRESS_EVERY > reported:
                    reported = done * 100 // total // PROGRESS_EVERY
                    if reported == 0:
                        step(started, f"baseline passed; testing {total} mutants")
                    else:
                        step(started, f"{done}/{total} mutants tested")
        except KeyboardInterrupt:
            os.killpg(process.pid, signal.SIGTERM)  # mutmut and the test run it started
            process.wait()
            _put_back_the_mutant_under_test()
            raise
    return process.returncode


def sample_ids(files: list[str], per_file: int, seed: int) -> list[int]:
    """Mutant ids of mutmut's cache: up to per_file drawn at random a file, in random order."""
    with sqlite3.connect(f"file:{WORK / '.mutmut-cache'}?mode=ro", uri=True) as db:
        rows = db.execute(
            "SELECT f.filename, m.id FROM Mutant m JOIN Line l ON m.line = l.id"
            " JOIN SourceFile f ON l.sourcefile = f.id ORDER BY m.id"
        ).fetchall()
    by_file: dict[str, list[int]] = defaultdict(list)
    for filename, mutant in rows:
        by_file[filename].append(mutant)
    rng = random.Random(seed)  # noqa: S311 (a reproducible draw, not a secret)
    chosen = [
        m for name in files for m in rng.sample(by_file[name], min(per_file, len(by_file[name])))
    ]
    rng.shuffle(chosen)  # files interleaved: an interrupted run is still a random sample of each
    return chosen


def run_sample(files: list[str], ids: list[int], started: float) -> int:
    """Test the given mutants one by one (`mutmut run ID`), with the cached baseline."""
    with LOG.open("a", encoding="utf-8") as log:
        reported = 0
        for done, mutant in enumerate(ids, start=1):
            process = subprocess.Popen(  # noqa: S603 (our own virtualenv's mutmut)
                _mutmut_run(files, str(mutant)), cwd=WORK, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
            try:
                code = process.wait()
            except KeyboardInterrupt:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait()
                _put_back_the_mutant_under_test()
                raise
            if code & 1:  # mutmut's exit code: bit 0 is a fatal error (the others are verdicts)
                return code
            if done * 100 // len(ids) // PROGRESS_EVERY > reported:
                reported = done * 100 // len(ids) // PROGRESS_EVERY
                step(started, f"{done}/{len(ids)} sampled mutants tested")
    return 0


def retest_survivors(files: list[str], started: float) -> int:
    """Copy the current tests into the scratch copy and test the last run's survivors again."""
    shutil.rmtree(WORK / "tests")
    shutil.copytree(ROOT / "tests", WORK / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "scripts" / "mutmut_config.py", WORK / "mutmut_config.py")
    (WORK / mutmut_config.RUNNER_ERRORS).unlink(missing_ok=True)  # count this run's only
    with sqlite3.connect(f"file:{WORK / '.mutmut-cache'}?mode=ro", uri=True) as db:
        ids = [row[0] for row in db.execute("SELECT id FROM Mutant WHERE status = 'bad_survived'")]
    step(started, f"testing the {len(ids)} survivors again with the current tests")
    try:
        code = run_sample(files, ids, started)
    except KeyboardInterrupt:
        code = 0
    if code:
        print(
            f"mutation: mutmut failed (exit {code}); see {LOG.relative_to(ROOT)}", file=sys.stderr
        )
        return 1
    report(files, started)
    return 0


def wilson(detected: int, valid: int) -> tuple[float, float] | None:
    """95 % Wilson score interval of a proportion, in percent."""
    if not valid:
        return None
    z, p = 1.96, detected / valid
    centre = (p + z * z / (2 * valid)) / (1 + z * z / valid)
    half = z * math.sqrt(p * (1 - p) / valid + z * z / (4 * valid * valid)) / (1 + z * z / valid)
    return round(100 * (centre - half), 1), round(100 * (centre + half), 1)


def write_survivors() -> dict[str, list[Survivor]]:
    """The diff of every surviving or timed-out mutant, from `mutmut junitxml`."""
    xml = subprocess.run(  # noqa: S603
        [str(MUTMUT), "junitxml", "--suspicious-policy=ignore", "--untested-policy=ignore"],
        cwd=WORK, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    survivors: dict[str, list[Survivor]] = defaultdict(list)
    for case in ET.fromstring(xml).iter("testcase"):
        for verdict in (*case.iter("failure"), *case.iter("error")):
            # mutmut names every case's file, name ("Mutant #<id>") and line.
            survivors[case.attrib["file"]].append(
                {
                    "id": int(case.attrib["name"].removeprefix("Mutant #")),
                    "line": int(case.attrib["line"]),
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
    print("\n  " + f"{'file':<28}" + "".join(f"{c:>10}" for c in columns) + "  95 % interval")
    for name, row in [*summary.items(), ("total", total)]:
        interval = row["interval_95"]
        print(
            f"  {name:<28}"
            + "".join(f"{n:>10}" for n in (row["killed"], row["survived"], row["timeout"]))
            + f"{row['untested']:>10}"
            + f"{_percent(row['score']):>10}"
            + (f"  {interval[0]}-{interval[1]}%" if interval else "")
        )
    if errors:
        print(f"mutation: {len(errors)} test run(s) failed to start (counted as survived)")
    survived = sum(map(len, survivors.values()))
    step(started, f"{survived} survivors in {SURVIVORS.relative_to(ROOT)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", default="", help="comma-separated lambda/ files (default: all)")
    parser.add_argument("--report-only", action="store_true", help="report the last run again")
    parser.add_argument(
        "--sample", type=int, metavar="N", help="test N mutants per file, drawn at random"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of --sample's draw (default 1)")
    parser.add_argument(
        "--retest-survivors",
        action="store_true",
        help="test the last run's survivors again with the current tests",
    )
    args = parser.parse_args(argv)
    if args.sample is not None and args.sample < 1:
        parser.error("--sample must be at least 1")
    files = [f.strip() for f in args.files.split(",") if f.strip()] or sorted(
        (str(p.relative_to(ROOT)) for p in (ROOT / "lambda").glob("*.py")),
        key=lambda name: (name not in FIRST, name),
    )
    for name in files:
        if not (name.startswith("lambda/") and name.endswith(".py") and (ROOT / name).is_file()):
            parser.error(f"not a Python file under lambda/: {name}")

    started = time.monotonic()
    if args.retest_survivors:
        if not (WORK / ".mutmut-cache").exists():
            parser.error("no earlier run in reports/mutation/work")
        return retest_survivors(files, started)
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
        if args.sample:
            code = run_mutmut(files, started, list_only=True)
            ids = sample_ids(files, args.sample, args.seed) if code == 0 else []
            if ids:
                step(started, f"testing {len(ids)} mutants drawn at random (seed {args.seed})")
                code = run_sample(files, ids, started)
        else:
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

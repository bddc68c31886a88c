#!/usr/bin/env python3
"""A calm view of a long Terraform command, and the counts that tell the truth.

    terraform_progress.py run --label apply --total 56 --log FILE -- terraform apply ...
    terraform state pull | terraform_progress.py count-state

`run` runs the command with its full output (without colour codes) appended
to FILE, and shows one progress line instead: updated in place on a terminal,
one line every 10 s otherwise (a CI log). It ends with Terraform's own summary
line ("Apply complete! Resources: ..."), or with the error and the log's path,
and exits with the command's exit code.

An interrupt (Ctrl-C, or SIGTERM) does not stop the command at once: a
stopped Terraform cancels the calls it has in flight, and a create cancelled
on the client may still complete on AWS's side, leaving a resource its state
does not know and no destroy removes (seen with a Config recorder). The
command runs in a process group of its own; the first interrupt lets it
finish, so that its state describes everything it created, and a second one
stops it (SIGINT, Terraform's graceful stop) and names the resources that
were in flight. Its output is read to the end either way, into the log.
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
DONE = re.compile(r": (Creation|Modifications|Destruction) complete after ")
STARTED = re.compile(r"^(\S+): (Creating|Modifying|Destroying|Importing)\.\.\.")
FINISHED = re.compile(r"^(\S+): (Creation|Modifications|Destruction|Import) complete")
SUMMARY = re.compile(r"^(Apply|Destroy) complete! Resources: ")
LOG_INTERVAL_S = 10


def elapsed(seconds: float) -> str:
    s = int(seconds)
    return f"{s}s" if s < 60 else f"{s // 60}m{s % 60:02d}s"


class Progress:
    """The one line the user sees while the command runs."""

    def __init__(self, label: str, total: int, tty: bool) -> None:
        self.label, self.total, self.tty = label, total, tty
        self.done = 0
        self.started = time.monotonic()
        self._last_logged = self.started
        self._lock = threading.Lock()

    def text(self) -> str:
        counted = f"{self.done}/{self.total}" if self.total else str(self.done)
        return f"    {self.label}: {counted} resources ({elapsed(time.monotonic() - self.started)})"

    def show(self, final: bool = False) -> None:
        with self._lock:
            now = time.monotonic()
            if self.tty:
                sys.stdout.write("\r\033[K" + self.text() + ("\n" if final else ""))
            elif final or now - self._last_logged >= LOG_INTERVAL_S:
                sys.stdout.write(self.text() + "\n")
                self._last_logged = now
            sys.stdout.flush()


def run(label: str, total: int, log: Path, command: list[str]) -> int:
    progress = Progress(label, total, sys.stdout.isatty())
    lines: list[str] = []
    stop = threading.Event()

    in_flight: set[str] = set()
    stopped_in_flight: list[str] = []
    interrupts = 0
    process: subprocess.Popen[str] | None = None

    def tick() -> None:
        while not stop.wait(1):
            progress.show()

    def interrupted(*_: object) -> None:
        nonlocal interrupts
        interrupts += 1
        if interrupts == 1:
            print(
                f"\n    interrupted: letting {label} finish, so that the state describes all it "
                "creates (interrupt again to stop it now; what is in flight may then exist "
                "outside the state)",
                file=sys.stderr,
                flush=True,
            )
        elif process is not None and process.poll() is None:
            stopped_in_flight.extend(sorted(in_flight))
            process.send_signal(signal.SIGINT)

    ticker = threading.Thread(target=tick, daemon=True)
    with log.open("a", encoding="utf-8") as out:
        try:
            process = subprocess.Popen(  # noqa: S603 - the caller's own command line
                command,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                text=True,
                errors="replace",
                start_new_session=True,  # Ctrl-C reaches us, not Terraform (see above)
            )
        except OSError as e:
            print(f"error: cannot run {command[0]}: {e.strerror}", file=sys.stderr)
            return 127
        signal.signal(signal.SIGINT, interrupted)
        signal.signal(signal.SIGTERM, interrupted)
        ticker.start()
        assert process.stdout is not None
        for raw in process.stdout:
            line = ANSI.sub("", raw.rstrip("\n"))
            out.write(line + "\n")
            lines.append(line)
            if DONE.search(line):
                progress.done += 1
            if started := STARTED.match(line):
                in_flight.add(started[1])
            elif finished := FINISHED.match(line):
                in_flight.discard(finished[1])
        rc = process.wait()
    stop.set()
    ticker.join()
    progress.show(final=True)
    if rc == 0:
        for line in lines:
            if SUMMARY.match(line):
                print(f"    {line}")
    else:
        errors = [i for i, line in enumerate(lines) if "Error:" in line]
        shown = lines[errors[0] :][:40] if errors else lines[-20:]
        print("\n".join(shown), file=sys.stderr)
        print(f"{label} failed (exit {rc}); full output in {log}", file=sys.stderr)
        if stopped_in_flight:
            print(
                "in flight when it was stopped (each may exist outside the state): "
                + ", ".join(stopped_in_flight),
                file=sys.stderr,
            )
    return rc


def count_state(text: str) -> int:
    state = json.loads(text) if text.strip() else {}
    return sum(
        len(resource.get("instances", []))
        for resource in state.get("resources", [])
        if resource.get("mode") == "managed"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="run a Terraform command behind a progress line")
    run_parser.add_argument("--label", required=True, help="what the line says, e.g. apply")
    run_parser.add_argument("--total", type=int, default=0, help="resources the command will touch")
    run_parser.add_argument("--log", type=Path, required=True, help="file for the full output")
    run_parser.add_argument("cmd", nargs=argparse.REMAINDER, help="-- then the command")
    commands.add_parser("count-state", help="managed resource instances in a state on stdin")
    args = parser.parse_args(argv)

    if args.command == "count-state":
        try:
            print(count_state(sys.stdin.read()))
        except (json.JSONDecodeError, AttributeError) as e:
            parser.error(f"stdin is not a Terraform state: {e}")
        return 0
    command = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not command:
        parser.error("give the command to run after --")
    try:
        args.log.open("a").close()
    except OSError as e:
        parser.error(f"cannot write the log {args.log}: {e.strerror}")
    return run(args.label, args.total, args.log, command)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""A calm view of a long Terraform command, and the counts that tell the truth.

    terraform_progress.py run --label apply --total 56 --log FILE -- terraform apply -json ...
    terraform plan -json ... | terraform_progress.py text [--errors]
    terraform plan -json ... | terraform_progress.py summary
    terraform state pull | terraform_progress.py count-state

All but count-state read Terraform's machine-readable UI (-json: a JSON
message a line; https://developer.hashicorp.com/terraform/internals/v1.11.x/machine-readable-ui),
never its human text, whose wording is no interface, and write for people
each message's @message (a diagnostic's with where it arose and its detail).

`run` appends that text to FILE and shows one progress line instead: updated
in place on a terminal, one line every 10 s otherwise (a CI log), counting
apply_complete messages. It ends with the change_summary ("Apply complete!
Resources: ..."), or with the error diagnostics and the log's path, and exits
with the command's exit code. `text` prints the text (--errors: the error
diagnostics, else the last lines); `summary` a plan's change_summary as
"TOTAL [N to import, ]A to add, C to change, D to destroy", or fails.

An interrupt (Ctrl-C, or SIGTERM) does not stop the command at once: a
stopped Terraform cancels the calls it has in flight, and a create cancelled
on the client may still complete on AWS's side, leaving a resource its state
does not know and no destroy removes (seen with a Config recorder). The
command runs in a process group of its own; the first interrupt lets it
finish, so that its state describes everything it created, and a second one
stops it (SIGINT, Terraform's graceful stop) and names the resources that
were in flight (an apply_start without its apply_complete or apply_errored).
Its output is read to the end either way, into the log.
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

# The hook actions a plan's add, change and remove count (a replacement is a
# create and a delete; a data source's read is not counted).
COUNTED = {"create", "update", "delete"}
UI_MAJOR = "1"  # the format's major version this reads (the version message's ui)
LOG_INTERVAL_S = 10
SHOWN_LINES = 40


def elapsed(seconds: float) -> str:
    s = int(seconds)
    return f"{s}s" if s < 60 else f"{s // 60}m{s % 60:02d}s"


class Ui:
    """What a stream of Terraform's JSON UI messages says, read a line at a time."""

    def __init__(self) -> None:
        self.done = 0
        self.in_flight: set[str] = set()
        self.summary: dict[str, Any] = {}
        self.errors: list[str] = []
        self.text: list[str] = []
        self.unsupported = ""  # the UI's version, when its major one is not UI_MAJOR

    def read(self, raw: str) -> str:
        """The human text of one line (kept in self.text); counts what it reports."""
        line = raw.rstrip("\n")
        try:
            message = json.loads(line)
        except json.JSONDecodeError:
            message = None
        if not isinstance(message, dict) or "type" not in message:
            self.text.append(line)  # not a UI message (a crash, a wrapper's own line)
            return line
        kind, text = message["type"], str(message.get("@message", ""))
        hook = message.get("hook") or {}
        address = (hook.get("resource") or {}).get("addr", "")
        if kind == "version" and str(message.get("ui", "")).split(".")[0] != UI_MAJOR:
            self.unsupported = (
                f"Terraform's machine-readable UI is {message.get('ui')}; this reads {UI_MAJOR}.x"
            )
        elif kind == "apply_start":
            self.in_flight.add(address)
        elif kind in ("apply_complete", "apply_errored"):
            self.in_flight.discard(address)
            if kind == "apply_complete" and hook.get("action") in COUNTED:
                self.done += 1
        elif kind == "change_summary":
            self.summary = message
        elif kind == "diagnostic":
            text = diagnostic(message)
            if message.get("@level") == "error":
                self.errors.append(text)
        elif kind == "outputs":  # an apply's carry their values; a plan's do not
            for name, output in (message.get("outputs") or {}).items():
                if "value" in output:
                    shown = "(sensitive value)" if output.get("sensitive") else output["value"]
                    text += f"\n  {name} = {json.dumps(shown)}"
        self.text.append(text)
        return text

    def shown_on_error(self) -> str:
        lines = "\n\n".join(self.errors).splitlines() if self.errors else self.text[-20:]
        return "\n".join(lines[:SHOWN_LINES])

    def plan_summary(self) -> str:
        """'TOTAL SUMMARY' of a plan's change_summary, in Terraform's words."""
        changes = self.summary.get("changes") or {}
        if self.unsupported:
            raise ValueError(self.unsupported)
        if changes.get("operation") != "plan":
            raise ValueError("the plan's output has no change_summary")
        add, change, remove = (int(changes.get(k, 0)) for k in ("add", "change", "remove"))
        imported = int(changes.get("import", 0))
        text = f"{imported} to import, " if imported else ""
        return (
            f"{add + change + remove} {text}{add} to add, {change} to change, {remove} to destroy"
        )


def diagnostic(message: dict[str, Any]) -> str:
    """A diagnostic as Terraform's human UI words it: summary, where, detail."""
    diag = message.get("diagnostic") or {}
    lines = [str(message.get("@message", ""))]
    if diag.get("address"):
        lines.append(f"  with {diag['address']},")
    if where := diag.get("range"):
        lines.append(f"  on {where.get('filename')} line {(where.get('start') or {}).get('line')}:")
    if diag.get("detail"):
        lines += ["", *(f"  {line}".rstrip() for line in str(diag["detail"]).splitlines())]
    return "\n".join(lines)


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
    ui = Ui()
    stop = threading.Event()

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
            stopped_in_flight.extend(sorted(ui.in_flight))
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
            out.write(ui.read(raw) + "\n")
            progress.done = ui.done
        rc = process.wait()
    stop.set()
    ticker.join()
    progress.show(final=True)
    if ui.unsupported:
        print(f"warning: {ui.unsupported}: the counts may be wrong", file=sys.stderr)
    if rc == 0:
        if (ui.summary.get("changes") or {}).get("operation") in ("apply", "destroy"):
            print(f"    {ui.summary.get('@message')}")
    else:
        print(ui.shown_on_error(), file=sys.stderr)
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
    text_parser = commands.add_parser("text", help="the human text of -json output on stdin")
    text_parser.add_argument("--errors", action="store_true", help="only its error diagnostics")
    commands.add_parser("summary", help="'TOTAL SUMMARY' of plan -json output on stdin")
    commands.add_parser("count-state", help="managed resource instances in a state on stdin")
    args = parser.parse_args(argv)

    if args.command == "count-state":
        try:
            print(count_state(sys.stdin.read()))
        except (json.JSONDecodeError, AttributeError) as e:
            parser.error(f"stdin is not a Terraform state: {e}")
        return 0
    if args.command in ("text", "summary"):
        ui = Ui()
        text = "\n".join(ui.read(line) for line in sys.stdin)
        try:
            if args.command == "summary":
                text = ui.plan_summary()
            elif args.errors:
                text = ui.shown_on_error()
            print(text)
        except ValueError as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
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

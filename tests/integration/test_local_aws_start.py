"""The local AWS fixture starts its server even when the free port it picked is taken.

A free port (bind to port 0) can be taken before the server binds it: on a busy
machine (CI beside the deployments) any connection's local port may be it. The
server then exits, and a fixture that only waited for the port answered with a
dead endpoint: "Connection refused" at a test's set-up (CI on 2e72b80).
"""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import local_aws
import pytest
from e2e.local_deployment import free_port


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port something else listens on and never answers."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def test_a_taken_port_is_left_for_another(
    taken_port: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ports = iter([taken_port, free_port()])
    monkeypatch.setattr(local_aws, "free_port", lambda: next(ports))

    server, endpoint = local_aws.start_server(tmp_path / "moto.log")
    try:
        assert endpoint != f"http://127.0.0.1:{taken_port}"
        assert local_aws.answers(int(endpoint.rsplit(":", 1)[1]))
    finally:
        local_aws.stop_server(server)
    assert "Address already in use" in (tmp_path / "moto.log").read_text()


def test_a_port_another_local_aws_answers_on_is_left_for_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other, taken = local_aws.start_server(tmp_path / "other.log")
    try:
        ports = iter([int(taken.rsplit(":", 1)[1]), free_port()])
        monkeypatch.setattr(local_aws, "free_port", lambda: next(ports))
        server, endpoint = local_aws.start_server(tmp_path / "moto.log")
        local_aws.stop_server(server)
    finally:
        local_aws.stop_server(other)
    assert endpoint != taken


def test_a_server_that_cannot_start_fails_with_its_log(
    taken_port: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(local_aws, "free_port", lambda: taken_port)

    with pytest.raises(RuntimeError, match=r"(?s)did not start.*Address already in use"):
        local_aws.start_server(tmp_path / "moto.log", attempts=2)


def test_a_server_that_never_answers_is_stopped_and_fails_with_its_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[int] = []

    def never_answers(port: int) -> bool:
        asked.append(port)
        return False

    monkeypatch.setattr(local_aws, "answers", never_answers)
    stopped: list[subprocess.Popen[bytes]] = []
    stop = local_aws.stop_server

    def recording_stop(server: subprocess.Popen[bytes]) -> None:
        stopped.append(server)
        stop(server)

    monkeypatch.setattr(local_aws, "stop_server", recording_stop)

    with pytest.raises(RuntimeError, match=r"(?s)did not start; the end of its log.*Running on"):
        local_aws.start_server(tmp_path / "moto.log", attempts=3, wait=10)

    assert asked  # it ran (its log said so) and was asked
    assert len(stopped) == 1  # (a server that runs is not started again elsewhere)
    assert stopped[0].poll() is not None

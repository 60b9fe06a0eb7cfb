"""`forge ui` as a subprocess for the web tests (imported by conftest.py and the tests)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class UiServer:
    """`forge ui` as a subprocess on a free port; stops it and waits for the workers it started."""

    def __init__(self, trained: Any, host: str = "127.0.0.1"):
        self.trained, self.port = trained, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "forge.cli", "ui", "--host", host, "--port", str(self.port)]
        self.proc = subprocess.Popen(command, env=trained.env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                assert self.proc.poll() is None, self.proc.stderr.read().decode()
                assert time.monotonic() < deadline, "forge ui did not start"
                time.sleep(0.3)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)
        wait_for_workers_to_exit(self.trained.forge)


def wait_for_workers_to_exit(forge: Any, timeout_s: float = 90) -> None:
    """A worker the server started must not outlive the tests (it exits 10 s after going idle)."""
    from forge.jobs import presence

    deadline = time.monotonic() + timeout_s
    while presence.live(forge.engine, within_seconds=10) and time.monotonic() < deadline:
        time.sleep(1)
    assert not presence.live(forge.engine, within_seconds=10), "a forge worker is still running"

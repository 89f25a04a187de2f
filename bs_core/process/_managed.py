"""Start-or-reuse one background server process per state directory.

The app, the CLI and the tests may all ask for the same server at once.  A file lock
serialises them: the first starts the process and records ``{pid, port}``; the others
find it running and reuse it.  A record whose process died (or whose pid now belongs to
another program) is stale and is replaced.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from ..errors import ProcessStartError


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def pid_alive(pid: int, marker: str = "") -> bool:
    """True if ``pid`` runs and (when ``marker`` is given) its command line contains it."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    cmdline = Path(f"/proc/{pid}/cmdline")
    if marker and cmdline.exists():
        try:
            return marker in cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            return False
    try:  # a zombie child still answers kill(0)
        return Path(f"/proc/{pid}/status").read_text().find("State:\tZ") < 0
    except OSError:
        return True


class ManagedProcess:
    """One named server process whose pid and port live in ``state_dir/NAME.json``."""

    def __init__(
        self,
        name: str,
        state_dir: Path,
        command: Callable[[int], list[str]],
        is_ready: Callable[[int], bool],
        *,
        marker: str = "",
        start_timeout: float = 60.0,
    ):
        self.name = name
        self.state_dir = Path(state_dir)
        self.command = command
        self.is_ready = is_ready
        self.marker = marker
        self.start_timeout = start_timeout

    @property
    def state_file(self) -> Path:
        return self.state_dir / f"{self.name}.json"

    @property
    def log_file(self) -> Path:
        return self.state_dir / f"{self.name}.log"

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with open(self.state_dir / f"{self.name}.lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def read_state(self) -> dict | None:
        try:
            return json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return None

    def running(self) -> dict | None:
        """The recorded process if it is alive and answering, else None."""
        state = self.read_state()
        if state and pid_alive(int(state["pid"]), self.marker) and self.is_ready(int(state["port"])):
            return state
        return None

    def ensure_running(self) -> int:
        """Return the port of the running server, starting it if needed."""
        with self._locked():
            state = self.read_state()
            owner = (state or {}).get("host")
            if owner and owner != socket.gethostname():
                # its pid means nothing here: a second server on the same files would corrupt them
                raise ProcessStartError(
                    f"{self.state_dir} belongs to the {self.name} server of host {owner}: one data directory has "
                    f"one owner. Several app servers share one database through MONGODB_URI (see the README, "
                    f"'Run it for a team'); or give this one its own BS_DATA_DIR")
            if state and pid_alive(int(state["pid"]), self.marker):
                if self._wait_ready(int(state["port"]), None, timeout=self.start_timeout):
                    return int(state["port"])
                self._terminate(int(state["pid"]))
            self.state_file.unlink(missing_ok=True)  # stale or absent
            return self._start()

    def _start(self) -> int:
        port = free_port()
        with open(self.log_file, "ab") as log:
            proc = subprocess.Popen(
                self.command(port),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # outlives the process that started it
            )
        if not self._wait_ready(port, proc, timeout=self.start_timeout):
            proc.kill()
            tail = self.log_file.read_text(errors="replace")[-800:] if self.log_file.exists() else ""
            raise ProcessStartError(f"{self.name} did not start on port {port}: {tail.strip()}")
        self.state_file.write_text(json.dumps({"pid": proc.pid, "port": port, "started_at": time.time(),
                                               "host": socket.gethostname()}))
        return port

    def _wait_ready(self, port: int, proc: subprocess.Popen | None, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                return False
            if self.is_ready(port):
                return True
            time.sleep(0.1)
        return False

    def stop(self, timeout: float = 15.0) -> bool:
        """Stop the recorded process; True if one was running."""
        with self._locked():
            state = self.read_state()
            self.state_file.unlink(missing_ok=True)
            if not state or not pid_alive(int(state["pid"]), self.marker):
                return False
            self._terminate(int(state["pid"]), timeout)
            return True

    @staticmethod
    def _terminate(pid: int, timeout: float = 15.0) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)  # reap it if it is our child
            if not pid_alive(pid):
                return
            time.sleep(0.1)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def tcp_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0

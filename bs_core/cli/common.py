"""What every command shares: exit codes, one-line errors, JSON output, a progress bar."""

from __future__ import annotations

import signal
import sys
from typing import Any

from ..export import jsonout

EXIT = {"success": 0, "failed": 1, "cancelled": 1, "partial": 2, "locked": 3, "usage": 64}
SIGNAL_EXIT = {signal.SIGINT: 130, signal.SIGTERM: 143}


def print_json(obj: Any) -> None:
    print(jsonout.dumps(obj))


def fail_usage(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT["usage"]


class ProgressBar:
    """A one-line progress display on a terminal (stderr)."""

    def __init__(self, enabled: bool):
        self.enabled = enabled

    def __call__(self, phase: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        width = 30
        filled = int(width * done / total) if total else width
        sys.stderr.write(f"\r{phase:<15} [{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,}   ")
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")



"""A full disk under the embedded database is said as such (issue 26, item 7): a first sync
on a 3 MB tmpfs fails naming the disk, leaves no empty pending file, and once there is room
the wedged server is restarted by the next command and the next sync heals the mirror."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def small_disk(tmp_path):
    where = tmp_path / "disk"
    where.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(where)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        yield where
    finally:
        cli(where, "db", "stop")
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def cli(data: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BS_", "BROADSTREET_", "MONGODB_"))}
    env |= {"BS_DATA_DIR": str(data), "BS_STATS_DAYS": "3"}  # a few days of reporting fill 3 MB as well
    return subprocess.run([sys.executable, "-m", "bs_core", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_a_full_disk_is_named_and_the_mirror_recovers_once_there_is_room(small_disk):
    first = cli(small_disk, "sync", "--scope", "full", "--demo")
    assert first.returncode == 1 and "Traceback" not in first.stderr
    assert "disk" in first.stderr and "full" in first.stderr
    assert not [p for p in (small_disk / "pending-runs").glob("*") if p.stat().st_size == 0]
    status = cli(small_disk, "status")
    assert status.returncode == 1 and "is full" in status.stderr

    subprocess.run(["mount", "-o", "remount,size=80m", str(small_disk)], check=True)
    status = cli(small_disk, "status")  # the wedged server is restarted, not left failing every query
    assert status.returncode == 0, status.stderr
    healed = cli(small_disk, "sync", "--scope", "full", "--demo")
    assert healed.returncode == 0 and "success" in healed.stdout, healed.stderr
    assert cli(small_disk, "verify").returncode == 0
    history = cli(small_disk, "history", "--json").stdout
    assert '"running"' not in history  # the dead run says it failed, not that it still runs

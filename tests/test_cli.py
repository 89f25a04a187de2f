"""``python -m bs_core``: JSON output, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.test_sync import cli_env


def run_cli(env, *args, timeout=120):
    return subprocess.run([sys.executable, "-m", "bs_core", *args], env=env, capture_output=True,
                          text=True, timeout=timeout)


def test_sync_status_and_history_as_json(db, fast_tiny_server, tmp_path):
    env = cli_env(fast_tiny_server, db, BS_DATA_DIR=str(tmp_path))
    out = run_cli(env, "sync", "--scope", "full", "--json")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert {"run_id", "status", "duration_s", "requests", "counts"} <= set(result)
    assert result["status"] == "success" and result["requests"] == fast_tiny_server.sim.stats()["total"]
    assert set(result["counts"]["campaigns"]) == {"inserted", "updated", "unchanged", "deleted", "skipped"}
    assert result["counts"]["campaigns"]["inserted"] == 8

    status = json.loads(run_cli(env, "status", "--json").stdout)
    assert status["running"] is None and status["last_success"]["run_id"] == result["run_id"]
    assert status["counts"]["campaigns"] == 8

    run_cli(env, "sync", "--json")  # a quick sync
    history = json.loads(run_cli(env, "history", "--limit", "1", "--json").stdout)
    assert len(history) == 1 and history[0]["scope"] == "quick" and history[0]["trigger"] == "cli"

    human = run_cli(env, "sync", "--scope", "stats")
    assert human.returncode == 0 and "success" in human.stdout and "stats_daily" in human.stdout


def test_partial_and_failed_runs_have_their_exit_codes(db, fast_tiny_server, tmp_path):
    env = cli_env(fast_tiny_server, db, BS_DATA_DIR=str(tmp_path), BS_MAX_ATTEMPTS="1")
    one_campaign = min(fast_tiny_server.sim.dataset.campaigns)
    fast_tiny_server.sim.faults.add(path="/placements", query={"campaign_id": one_campaign}, status=500)
    out = run_cli(env, "sync", "--scope", "full", "--json")
    assert out.returncode == 2 and json.loads(out.stdout)["status"] == "partial"  # some placements came
    fast_tiny_server.sim.faults.clear()
    fast_tiny_server.sim.faults.add(path="/zones", status=500)  # the only network's zones: a whole phase
    out = run_cli(env, "sync", "--scope", "full", "--json")
    assert out.returncode == 1 and json.loads(out.stdout)["status"] == "failed"
    fast_tiny_server.sim.faults.clear()
    bad = run_cli(env | {"BROADSTREET_API_TOKEN": "not-the-token"}, "sync", "--json")
    assert bad.returncode == 1 and json.loads(bad.stdout)["status"] == "failed"
    assert "not-the-token" not in bad.stdout + bad.stderr
    said = run_cli(env | {"BROADSTREET_API_TOKEN": "not-the-token"}, "sync")  # without --json: errors on stderr
    assert said.returncode == 1 and "failed" in said.stdout and "error:" not in said.stdout
    assert said.stderr.startswith("error: ") and "not-the-token" not in said.stdout + said.stderr


def test_usage_errors_are_one_line_with_exit_64(db, fast_tiny_server, tmp_path):
    env = cli_env(fast_tiny_server, db, BS_DATA_DIR=str(tmp_path))
    cases = [
        (env, ["sync", "--scope", "everything"], "unknown scope"),
        (env, ["sync", "--scope", "campaign:abc"], "positive integer"),
        (env, ["sync", "--scope", "campaign:99999999"], "not in the mirror"),
        (env | {"BROADSTREET_API_TOKEN": ""}, ["sync"], "BROADSTREET_API_TOKEN is not set"),
        (env | {"BS_SYNC_CONCURRENCY": "lots"}, ["sync"], "BS_SYNC_CONCURRENCY"),
        (env | {"BS_SYNC_CONCURRENCY": "100000"}, ["sync"], "between 1 and 64"),
        (env | {"MONGODB_URI": "mongodb://"}, ["status"], "MONGODB_URI is not a valid"),
        (env | {"MONGODB_URI": "mongodb://[bad"}, ["status"], "MONGODB_URI is not a valid"),
        (env | {"MONGODB_URI": "mongodb://user:hunter2@[bad"}, ["status"], "MONGODB_URI is not a valid"),
        (env | {"MONGODB_DATABASE": "bad/name"}, ["status"], "MONGODB_DATABASE"),
        (env | {"BS_LEASE_SECONDS": "nan"}, ["sync"], "BS_LEASE_SECONDS"),
        (env | {"BS_LEASE_SECONDS": "1e12"}, ["sync"], "BS_LEASE_SECONDS"),
        (env | {"BS_READ_TIMEOUT": "inf"}, ["sync"], "BS_READ_TIMEOUT"),
        (env, ["sync", "--no-such-flag"], "unrecognized arguments"),
        (env, ["history", "--limit", "abc"], "expected a whole number"),
        (env, ["history", "--limit", "0"], "from 1 to 10,000"),
        (env, ["frobnicate"], "invalid choice"),
        # absurd values: one line and 64, never "unexpected failure" or a traceback
        (env, ["sync", "--scope", "campaign:99999999999999999999999"], "positive integer up to"),
        (env, ["sync", "--scope", "campaign:\u00b2"], "positive integer up to"),
        (env, ["sync", "--scope", ""], "unknown scope ''"),
        (env, ["history", "--limit", "99999999999999999999"], "from 1 to 10,000"),
        (env, ["schedule", "--interval", "1" * 31], "from 1 to 525,600"),
        (env | {"BROADSTREET_API_BASE_URL": "http://[::1"}, ["sync"], "BROADSTREET_API_BASE_URL is not a valid URL"),
        (env | {"BS_DATA_DIR": "/etc/passwd"}, ["status"], "BS_DATA_DIR must be a directory"),
        (env, ["backup", "--out", "/proc/nope/x"], "cannot write a backup to /proc/nope/x"),
    ]
    for case_env, args, words in cases:
        out = run_cli(case_env, *args)
        assert out.returncode == 64, (args, out.stderr)
        assert words in out.stderr and len(out.stderr.strip().splitlines()) == 1, (args, out.stderr)
        assert "Traceback" not in out.stderr and "hunter2" not in out.stderr
    assert db.sync_runs.count_documents({"scope": "campaign:99999999"}) == 0

"""Backup, restore, verify and the webhook, end to end against real servers."""

from __future__ import annotations

import gzip
import http.server
import json
import subprocess
import sys
import threading

import pytest

from bs_core.client import BroadStreetClient
from bs_core.read.verify import verify
from bs_core.store.backup import BACKED_UP, BackupError, backup, rotate
from bs_core.store.restore import restore
from bs_core.sync import run_sync
from tests.conftest import dispose, fresh_database, mirror_settings
from tests.test_sync import cli_env


def contents(db) -> dict:
    return {name: sorted(db[name].find(), key=lambda d: str(d["_id"])) for name in BACKED_UP}


def indexes(db) -> dict:
    return {name: db[name].index_information() for name in BACKED_UP}


@pytest.fixture
def synced(db, demo_server):
    settings = mirror_settings(demo_server, db, stats_days=5)
    assert run_sync(settings, db, "full")["status"] == "success"
    return settings


def test_a_backup_restored_into_a_fresh_database_is_identical(synced, db, mongo_uri, tmp_path):
    report = backup(db, tmp_path / "b1")
    assert report.total == sum(db[name].count_documents({}) for name in BACKED_UP)
    assert (tmp_path / "b1" / db.name / "placements.bson").exists()
    meta = json.loads((tmp_path / "b1" / db.name / "placements.metadata.json").read_text())
    assert {ix["name"] for ix in meta["indexes"]} >= {"campaign_id", "zone_id"}
    client, fresh = fresh_database(mongo_uri)
    try:
        restore(fresh, tmp_path / "b1")
        assert contents(fresh) == contents(db)
        assert indexes(fresh) == indexes(db)
        assert verify(fresh).sound
    finally:
        dispose(client, fresh.name)
        client.close()


def test_the_cli_backs_up_gzipped_and_restores_with_drop(synced, db, demo_server, mongo_uri, tmp_path):
    env = cli_env(demo_server, db, BS_DATA_DIR=str(tmp_path / "data"))
    out = subprocess.run([sys.executable, "-m", "bs_core", "backup", "--out", str(tmp_path / "b2"), "--gzip",
                          "--json"], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert summary["documents"] == sum(db[name].count_documents({}) for name in BACKED_UP)
    assert summary["directory"] == str(tmp_path / "b2")
    with gzip.open(tmp_path / "b2" / db.name / "campaigns.bson.gz") as fh:
        assert fh.read(4)  # real gzip
    client, fresh = fresh_database(mongo_uri)
    try:
        target = env | {"MONGODB_DATABASE": fresh.name}
        run = subprocess.run([sys.executable, "-m", "bs_core", "restore", str(tmp_path / "b2"), "--json"],
                             env=target, capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
        assert json.loads(run.stdout)["documents"] == summary["documents"]
        again = subprocess.run([sys.executable, "-m", "bs_core", "restore", str(tmp_path / "b2")],
                               env=target, capture_output=True, text=True, timeout=120)
        assert again.returncode == 64 and "--drop" in again.stderr  # a non-empty mirror is not overwritten
        dropped = subprocess.run([sys.executable, "-m", "bs_core", "restore", str(tmp_path / "b2"), "--drop"],
                                 env=target, capture_output=True, text=True, timeout=120)
        assert dropped.returncode == 0 and contents(fresh) == contents(db)
        ok = subprocess.run([sys.executable, "-m", "bs_core", "verify", "--json"], env=target,
                            capture_output=True, text=True, timeout=120)
        assert ok.returncode == 0 and json.loads(ok.stdout)["sound"]
    finally:
        dispose(client, fresh.name)
        client.close()


def test_bad_input_is_one_line_exit_64_and_writes_nothing(synced, db, demo_server, mongo_uri, tmp_path):
    env = cli_env(demo_server, db, BS_DATA_DIR=str(tmp_path / "data"))
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "something").write_text("x")
    backup(db, tmp_path / "good")
    broken = tmp_path / "broken" / db.name
    broken.mkdir(parents=True)
    for path in (tmp_path / "good" / db.name).iterdir():
        data = path.read_bytes()
        (broken / path.name).write_bytes(data[: len(data) - 7] if path.name == "placements.bson" else data)
    client, fresh = fresh_database(mongo_uri)
    try:
        target = env | {"MONGODB_DATABASE": fresh.name}
        cases = [
            (env, ["backup", "--out", str(tmp_path / "full")], "not an empty directory"),
            (target, ["restore", str(tmp_path / "full")], "is not a backup"),
            (target, ["restore", str(tmp_path / "broken")], "truncated or corrupt"),
            (env | {"BS_WEBHOOK_URL": "ftp://hooks.example/x"}, ["status"], "BS_WEBHOOK_URL"),
        ]
        for case_env, args, words in cases:
            out = subprocess.run([sys.executable, "-m", "bs_core", *args], env=case_env, capture_output=True,
                                 text=True, timeout=120)
            assert out.returncode == 64, (args, out.stderr)
            assert words in out.stderr and len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
        assert all(fresh[name].count_documents({}) == 0 for name in BACKED_UP)  # nothing was written
    finally:
        dispose(client, fresh.name)
        client.close()


def test_rotation_keeps_the_newest(tmp_path):
    for name in ("20260101T000000Z", "20260102T000000Z", "20260103T000000Z"):
        (tmp_path / name).mkdir()
    assert [p.name for p in rotate(tmp_path, 2)] == ["20260101T000000Z"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["20260102T000000Z", "20260103T000000Z"]


def test_verify_is_clean_on_a_fresh_mirror_and_names_an_injected_orphan(synced, db, demo_server):
    client = BroadStreetClient(synced)
    report = verify(db, client=client)
    assert report.sound, report.problems
    assert report.checked["placements"] == demo_server.sim.dataset.counts()["placements"]
    db.placements.insert_one({"_id": "999:1:2", "campaign_id": 999, "zone_id": 1, "advertisement_id": 2,
                              "network_id": 1})
    db.campaigns.update_one({}, {"$set": {"name": "edited behind the sync's back"}})
    report = verify(db)
    checks = {f.check for f in report.problems}
    assert {"orphans", "hashes", "summaries"} <= checks
    orphan = next(f for f in report.problems if f.check == "orphans" and "campaign" in f.text)
    assert "999:1:2" in orphan.sample


def test_restore_refuses_what_is_not_a_backup(db, tmp_path):
    with pytest.raises(BackupError, match="not a backup"):
        restore(db, tmp_path)
    with pytest.raises(BackupError, match="not a directory"):
        restore(db, tmp_path / "missing")


class Receiver(http.server.BaseHTTPRequestHandler):
    received: list[dict] = []
    status = 200

    def do_POST(self):  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.received.append(json.loads(body))
        self.send_response(Receiver.status)
        self.end_headers()

    def log_message(self, *args):  # noqa: A002 - quiet
        pass


@pytest.fixture
def receiver():
    Receiver.received, Receiver.status = [], 200
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook/secret-path"
    server.shutdown()


def test_the_webhook_hears_of_a_failed_run_and_never_fails_a_sync(db, demo_server, receiver):
    settings = mirror_settings(demo_server, db, stats_days=3, webhook_url=receiver, max_attempts=1)
    assert run_sync(settings, db, "full")["status"] == "success"
    assert Receiver.received == []  # BS_WEBHOOK_ON=problems: a success is not announced
    bad = run_sync(settings.replace(broadstreet_api_token="wrong-token-999"), db, "quick")
    assert bad["status"] == "failed" and bad["webhook"]["sent"]
    message = Receiver.received[-1]
    assert message["status"] == "failed" and message["run_id"] == bad["_id"] and "failed" in message["text"]
    assert "wrong-token-999" not in json.dumps(message) and demo_server.sim.token not in json.dumps(message)
    assert db.sync_runs.find_one({"_id": bad["_id"]})["webhook"]["status"] == 200

    Receiver.status = 500
    everything = settings.replace(webhook_on="all")
    run = run_sync(everything, db, "quick")
    assert run["status"] == "success" and run["webhook"] == {"sent": False, "error": "HTTP 500", "attempts": 3}
    unreachable = run_sync(everything.replace(webhook_url="http://127.0.0.1:9/hook"), db, "quick")
    assert unreachable["status"] == "success" and not unreachable["webhook"]["sent"]


def _variant(tmp_path, good, name: str, change) -> object:
    """A copy of the backup ``good`` (its database folder) with ``change(folder)`` applied."""
    import shutil

    folder = tmp_path / name / good.name
    shutil.copytree(good, folder)
    change(folder)
    return tmp_path / name


def _flip(path) -> None:
    data = bytearray(path.read_bytes())
    for i in range(len(data) // 2, len(data) // 2 + 16):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))


def _refused_index(folder) -> None:
    """Valid JSON holding an index the server cannot build (unique on a repeated field)."""
    from bson.json_util import dumps, loads

    meta = folder / "zones.metadata.json"
    data = loads(meta.read_text())
    data["indexes"].append({"v": 2, "key": {"network_id": 1}, "name": "bogus_unique", "unique": True})
    meta.write_text(dumps(data))


def test_a_restore_that_fails_anywhere_leaves_the_mirror_exactly_as_it_was(synced, db, tmp_path, monkeypatch):
    import shutil

    import bs_core.store.restore as backup_module

    backup(db, tmp_path / "plain")
    backup(db, tmp_path / "zipped", compress=True)
    plain, zipped = tmp_path / "plain" / db.name, tmp_path / "zipped" / db.name
    before, before_indexes = contents(db), indexes(db)
    bad = {
        "metadata is not JSON": (_variant(tmp_path, plain, "m", lambda f: (f / "zones.metadata.json").write_text("{nope")),
                                 "zones.metadata.json"),
        "flipped gzip bytes": (_variant(tmp_path, zipped, "g", lambda f: _flip(f / "placements.bson.gz")),
                               "placements.bson.gz"),
        "no placements": (_variant(tmp_path, plain, "p", lambda f: (f / "placements.bson").unlink()),
                          "lacks placements"),
        "an index the database refuses": (_variant(tmp_path, plain, "i", _refused_index), "zones.metadata.json"),
        "a stray folder beside the mirror's": (_variant(tmp_path, plain, "s", lambda f: shutil.copytree(
            f, f.parent / "stray")), "--db NAME"),
    }
    for case, (path, words) in bad.items():
        with pytest.raises(BackupError, match=words.replace(".", r"\.")):
            restore(db, path, drop=True)
        assert contents(db) == before and indexes(db) == before_indexes, case

    real, calls = backup_module._create_indexes, []

    def dies_half_way(database, name, path):  # as if killed after some collections were loaded
        calls.append(name)
        if len(calls) == 5:
            raise RuntimeError("killed")
        real(database, name, path)

    monkeypatch.setattr(backup_module, "_create_indexes", dies_half_way)
    with pytest.raises(RuntimeError):
        restore(db, tmp_path / "plain", drop=True)
    monkeypatch.undo()
    assert contents(db) == before and indexes(db) == before_indexes
    assert not [n for n in db.list_collection_names() if n.startswith(backup_module.STAGING)]

    restore(db, tmp_path / "s", drop=True, database=db.name)  # the mirror's folder, named
    assert contents(db) == before and verify(db).sound

    db[backup_module.STAGING + "zones"].insert_one({"_id": 1})  # what a SIGKILL mid-restore leaves
    run_sync(synced, db, "stats")  # the next sync, holding the lease every restore holds, cleans it up
    assert not [n for n in db.list_collection_names() if n.startswith(backup_module.STAGING)]

"""Indexes, the change-detecting writer, and the embedded server's lifecycle."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from pymongo import MongoClient

from bs_core.process._managed import pid_alive
from bs_core.process.embedded import embedded_server, uri_for
from bs_core.store import INDEXES, MirrorWriter, ensure_indexes


def test_index_creation_is_idempotent_and_changes_nothing_else(db):
    db.campaigns.insert_one({"_id": 1, "name_key": "a", "status": "running"})
    ensure_indexes(db)
    first = {name: db[name].index_information() for name in INDEXES}
    ensure_indexes(db)
    assert {name: db[name].index_information() for name in INDEXES} == first
    assert list(db.campaigns.find()) == [{"_id": 1, "name_key": "a", "status": "running"}]
    assert {"advertiser_id", "network_status", "status_ends_on", "name_key_id"} <= set(first["campaigns"])
    assert {"campaign_id", "zone_id"} <= set(first["placements"])


def test_writer_writes_only_new_and_changed_documents(db):
    ensure_indexes(db)
    w1 = MirrorWriter(db, "run-1")
    docs = [{"_id": i, "name": f"z{i}", "network_id": 1} for i in range(1, 2501)]
    ids, changed = w1.stage("zones", [dict(d) for d in docs], w1.existing("zones"))
    w1.flush()
    assert len(ids) == len(changed) == 2500 and db.zones.count_documents({}) == 2500
    assert w1.counts["zones"].inserted == 2500 and w1.documents_written == 2500

    w2 = MirrorWriter(db, "run-2")
    docs[0]["name"] = "renamed"
    ids, changed = w2.stage("zones", [dict(d) for d in docs], w2.existing("zones"))
    w2.stage_deletes("zones", [2500])
    w2.flush()
    assert changed == {1}
    assert w2.counts["zones"].as_dict() == {"inserted": 0, "updated": 1, "unchanged": 2499, "deleted": 1, "skipped": 0}
    assert w2.documents_written == 2
    one = db.zones.find_one({"_id": 1})
    assert one["name"] == "renamed" and one["_sync"]["changed_run"] == "run-2"
    assert one["_sync"]["first_seen_run"] == "run-1"  # history survives the rewrite
    assert db.zones.count_documents({}) == 2499


def test_embedded_server_start_reuse_stale_pid_and_restart_keeps_data(tmp_path):
    server = embedded_server(tmp_path)
    port = server.ensure_running()
    pid = server.read_state()["pid"]
    try:
        assert embedded_server(tmp_path).ensure_running() == port  # reused, not a second server
        client = MongoClient(uri_for(port))
        client.app.things.insert_one({"_id": 1, "kept": True})
        client.close()
        assert server.stop() and not pid_alive(pid)

        # a stale record (dead pid) is replaced by a fresh server on the same files
        server.state_file.write_text('{"pid": 999999, "port": 1}')
        port2 = server.ensure_running()
        client = MongoClient(uri_for(port2))
        assert client.app.things.find_one({"_id": 1}) == {"_id": 1, "kept": True}
        client.close()
    finally:
        server.stop()


def test_two_concurrent_starters_end_with_one_server(tmp_path):
    script = textwrap.dedent(f"""
        from bs_core.process.embedded import embedded_server
        print(embedded_server({str(tmp_path)!r}).ensure_running())
    """)
    procs = [subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
             for _ in range(2)]
    ports = {p.communicate(timeout=90)[0].strip() for p in procs}
    server = embedded_server(tmp_path)
    try:
        assert all(p.returncode == 0 for p in procs)
        assert len(ports) == 1 and ports == {str(server.read_state()["port"])}
        out = subprocess.run(["pgrep", "-f", f"secantusd-py.*{tmp_path}"], capture_output=True, text=True)
        assert len(out.stdout.split()) == 1
    finally:
        server.stop()

"""A first start is useful early: the first sync fetches what the Overview and Campaigns
need first (networks, advertisers, campaigns, the latest reporting), records that point,
and the pages read the mirror from then on, saying what is still coming."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time
from unittest import mock

import pytest

from bs_core import read as rm
from bs_core.dates import midnight
from bs_core.store.lease import Lease
from bs_core.sync import _pipeline as pipeline
from bs_core.sync._pipeline import Task, run_tasks
from bs_core.sync.first_start import initialise_if_needed
from tests.conftest import mirror_settings
from tests.test_app import app, clean_streamlit_state, no_exceptions, visit  # noqa: F401 - a fixture

pytestmark = pytest.mark.usefixtures("clean_streamlit_state")


def wait_for(find, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = find()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"not seen within {timeout} s")


def recent_rows(db, since: dt.date) -> int:
    return db.stats_daily.count_documents({"date": {"$gte": midnight(since)}})


def test_a_first_start_reads_the_mirror_once_its_first_look_is_in(db, demo_server):
    sim = demo_server.sim
    sim.faults.add(kind="latency", path="/placements", latency_ms=800)  # what comes last comes slowly
    settings = mirror_settings(demo_server, db)
    ended: dict = {}
    first_sync = threading.Thread(target=lambda: ended.update(run=initialise_if_needed(settings, db)))
    first_sync.start()
    try:
        run = wait_for(lambda: db.sync_runs.find_one({"first_look": {"$exists": True}}), 60)
        assert run["status"] == "running" and run["trigger"] == "init"
        point = run["first_look"]
        assert point["still_coming"] == ["zones", "advertisements", "placements"]
        # what the first look names is in the mirror, whole
        assert db.networks.count_documents({}) == len(sim.dataset.networks)
        assert db.advertisers.count_documents({}) == len(sim.dataset.advertisers)
        assert db.campaigns.count_documents({}) == len(sim.dataset.campaigns)
        placed = sum(len(p) for p in sim.dataset.placements.values())
        assert db.placements.count_documents({}) < placed
        since = dt.date.fromisoformat(point["reporting_from"])
        at_first_look = recent_rows(db, since)
        assert at_first_look > 0
        assert rm.mirror_version(db) == f"{run['_id']}:first-look"

        at = app(settings).run()
        no_exceptions(at)
        banner = " ".join(i.value for i in at.info)
        assert "still running" in banner
        assert f"zones, advertisements, placements and reporting before {since.isoformat()} are still coming" in banner
        assert "come from the first sync, which has not finished yet" in " ".join(c.value for c in at.caption)
        kpis = {m.label: m.value for m in at.metric}
        assert kpis["Networks"] == str(len(sim.dataset.networks))
        assert kpis["Advertisers"] == str(len(sim.dataset.advertisers))
        running = db.campaigns.count_documents({"status": "running"})
        assert kpis["Running campaigns"] == f"{running:,}"
        visit(at, "pages/1_Campaigns.py")
        no_exceptions(at)
        assert not any("live BroadStreet data" in w.value for w in at.warning)  # the mirror, not the API
        assert any("still coming" in i.value for i in at.info)
    finally:
        sim.faults.clear()
        first_sync.join(120)

    run = ended["run"]
    assert run["status"] == "success"
    assert run["first_look"]["at"] <= run["finished_at"]
    assert recent_rows(db, since) == at_first_look  # those days were complete at the first look
    at.switch_page("streamlit_app.py")
    at = visit(at, "streamlit_app.py")
    no_exceptions(at)
    assert not any("still" in i.value for i in at.info)
    assert {m.label: m.value for m in at.metric}["Zones"] == f"{len(sim.dataset.zones):,}"


def test_a_later_full_sync_records_no_first_look(db, demo_server):
    settings = mirror_settings(demo_server, db)
    assert initialise_if_needed(settings, db)["status"] == "success"
    from bs_core.sync import run_sync

    again = run_sync(settings, db, "full")
    assert "first_look" not in again
    assert rm.mirror_version(db) == again["_id"]


@dataclasses.dataclass
class _Recorder:
    """What run_tasks asks of a RunRecorder, kept in memory."""

    errors: list = dataclasses.field(default_factory=list)

    def grow(self, phase: str) -> None:
        pass

    def advance(self, phase: str) -> None:
        pass

    def error(self, exc, label, phase=None) -> None:
        self.errors.append(label)


def test_first_look_fetches_go_first_and_the_point_comes_once_after_the_last_of_them():
    fetched: list[str] = []
    seen: list[list[str]] = []

    def task(name: str, first: bool, then: tuple[Task, ...] = (), fail: bool = False) -> Task:
        def fetch():
            fetched.append(name)
            if fail:
                from bs_core.errors import TransportError

                raise TransportError(f"{name} failed")
            return name
        return Task("networks", fetch, lambda _: list(then), name, first=first)

    # a first-look fetch that arrives late (a follow-up) still goes before the queued rest,
    # and a failed one counts as handled
    tasks = [task("root", True, (task("child", True, (task("grandchild", True),)), task("late-rest", False))),
             *[task(f"rest{i}", False) for i in range(4)], task("broken", True, fail=True)]
    with mock.patch.object(pipeline, "IN_FLIGHT", 1):
        run_tasks(tasks, concurrency=1, recorder=_Recorder(), should_stop=lambda: None,
                  on_first_look=lambda: seen.append(list(fetched)))
    assert fetched == ["root", "broken", "child", "grandchild", "rest0", "rest1", "rest2", "rest3", "late-rest"]
    assert seen == [["root", "broken", "child", "grandchild"]]


def test_a_first_sync_that_fails_after_its_first_look_says_so_and_starts_again(db, demo_server):
    demo_server.sim.faults.add(path="/placements", status=500)  # every placement list fails
    settings = mirror_settings(demo_server, db, max_attempts=1)
    run = initialise_if_needed(settings, db)
    assert run["status"] == "failed" and "first_look" in run  # its first look was in before it failed
    assert rm.needs_initialisation(db)
    assert rm.mirror_version(db) == run["_id"]
    demo_server.sim.faults.clear()
    held = Lease(db, 60)  # another process holds the lease: the page cannot start the retry yet
    held.acquire("backup-elsewhere")
    try:
        at = app(settings).run()
    finally:
        held.release()
    no_exceptions(at)
    said = " ".join(w.value for w in at.warning)
    assert "The first full sync stopped before zones, advertisements, placements and reporting before" in said
    assert "It starts again on its own" in said
    assert {m.label: m.value for m in at.metric}["Networks"] == str(len(demo_server.sim.dataset.networks))
    again = initialise_if_needed(settings, db)  # what the app does on its next page view
    assert again["status"] == "success" and not rm.needs_initialisation(db)

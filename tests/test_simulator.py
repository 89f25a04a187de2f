"""The simulator: determinism, preset shapes, the quirks in docs/broadstreet-api.md, throttle, faults, mutations."""

from __future__ import annotations

import datetime as dt
import re
import statistics
import time

import pytest
import requests

from bs_core.simulator import Dataset, Simulator, SimulatorServer
from bs_core.simulator.dataset import public

TODAY = dt.date.today()


@pytest.fixture(scope="module")
def demo():
    return Dataset("demo", seed=1)


def test_same_seed_same_data_other_seed_other_data():
    a, b, c = Dataset("tiny", 5), Dataset("tiny", 5), Dataset("tiny", 6)
    assert a.campaigns == b.campaigns and a.placements == b.placements and a.zones == b.zones
    assert a.campaigns != c.campaigns


def test_demo_preset_is_shaped_like_the_real_account(demo):
    counts = demo.counts()
    assert counts["networks"] == 2 and counts["advertisers"] == 48 and counts["zones"] == 649
    assert counts["campaigns"] == 122 and counts["advertisements"] == 102
    assert 3800 <= counts["placements"] <= 5000
    per_campaign = [len(v) for v in demo.placements.values()]
    assert max(per_campaign) > 1000
    assert statistics.median(per_campaign) <= 8
    active = sum(c["active"] for c in demo.campaigns.values()) / counts["campaigns"]
    assert 0.15 <= active <= 0.35
    open_ended = sum(c["end_date"] is None for c in demo.campaigns.values()) / counts["campaigns"]
    assert 0.25 <= open_ended <= 0.55
    per_advertiser = [len(v) for v in demo.campaigns_by_advertiser.values()]
    assert statistics.median(per_advertiser) <= 2 and max(per_advertiser) <= 51


def test_large_preset_shape():
    counts = Dataset("large", seed=1).counts()
    assert counts["networks"] == 10 and counts["advertisers"] == 2000 and counts["zones"] == 2500
    assert counts["campaigns"] == 10_000 and counts["advertisements"] == 12_000
    assert 130_000 <= counts["placements"] <= 170_000


def test_active_ads_are_placed_in_active_campaigns(demo):
    placed = {p["advertisement_id"] for cid, rows in demo.placements.items()
              if demo.campaigns[cid]["active"] for p in rows}
    flagged = {a for a, rec in demo.advertisements.items() if rec["active_placement"]}
    assert flagged and flagged <= placed


def test_quirks_of_facts_md_are_present(demo):
    zones = [z["name"] for z in demo.zones.values()]
    assert any(n != n.strip() for n in zones)
    assert any("\n" in n for n in zones) and any("\u00a0" in n for n in zones)
    assert len(set(zones)) < len(zones)  # duplicate names
    campaigns = list(demo.campaigns.values())
    assert {c["weight"] for c in campaigns} == {"default", "remnant", "low", "high", "sponsorship"}
    assert any(c["start_date"] is None for c in campaigns)
    assert len({c["name"] for c in campaigns}) < len(campaigns)
    ads = list(demo.advertisements.values())
    names = {a["name"] for a in demo.advertisers.values()}
    assert all(a["advertiser"] in names and "advertiser_id" not in public(a) for a in ads)
    offsets = {a["updated_at"][-6:] for a in ads}
    assert offsets == {"-07:00", "-08:00"}
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000-0[78]:00", a["updated_at"]) for a in ads)
    urls = [a["web_home_url"] for a in demo.advertisers.values()]
    assert None in urls and "" in urls
    assert any(u and (u != u.strip() or "@" in u or "://" not in u) for u in urls)


def test_reports_are_consistent(demo):
    sim = Simulator("demo", seed=1)
    nid = sorted(sim.dataset.networks)[0]
    start, end = TODAY - dt.timedelta(days=29), TODAY
    hourly = sim.reports.report("network", nid, start, end)
    assert 15_000 <= len(hourly["records"]) <= 45_000
    assert hourly["totals"]["views"] == sum(r["view_count"] for r in hourly["records"])
    daily = sim.reports.report("network", nid, start, end, summary=True)
    assert daily["totals"] == hourly["totals"] and len(daily["records"]) < len(hourly["records"])
    cid = hourly["records"][0]["campaign_id"]
    one = sim.reports.report("campaign", cid, start, end)
    assert one["totals"]["views"] == sum(r["view_count"] for r in hourly["records"] if r["campaign_id"] == cid)
    by_zone = sim.reports.custom(nid, ["count(view)", "count(click)"], ["zone"], start, end)
    expected: dict[int, int] = {}
    for r in hourly["records"]:
        expected[r["zone_id"]] = expected.get(r["zone_id"], 0) + r["view_count"]
    assert {r["zone_id"]: r["count(view)"] for r in by_zone} == expected
    # end_date is inclusive; nothing is reported for the future
    today_rows = sim.reports.report("network", nid, TODAY, TODAY)["records"]
    assert today_rows and all(r["dated"].startswith(TODAY.isoformat()) for r in today_rows)
    assert sim.reports.report("network", nid, TODAY + dt.timedelta(days=1), TODAY + dt.timedelta(days=3))["records"] == []


def _get(server, path, token=None, **params):
    if token is not None:
        params["access_token"] = token
    return requests.get(server.root_url + path, params=params, timeout=10)


def test_http_api_token_envelopes_and_bare_placements(tiny_server):
    assert _get(tiny_server, "/api/1/networks").status_code == 401
    assert _get(tiny_server, "/api/1/networks", token="nope").status_code == 401
    token = tiny_server.sim.token
    nets = _get(tiny_server, "/api/1/networks", token=token).json()["networks"]
    cid = next(iter(tiny_server.sim.dataset.campaigns))
    body = _get(tiny_server, "/api/1/placements", token=token, campaign_id=cid).json()
    assert isinstance(body, list) and all("campaign_id" not in p for p in body)
    both = _get(tiny_server, "/api/1/campaigns", token=token, advertiser_id=1, zone_id=2)
    assert both.status_code == 422 and "errors" in both.json()
    assert _get(tiny_server, "/api/1/networks/1", token=token).json() == {"message": "Not Found"}
    assert nets and _get(tiny_server, "/_sim/dataset").json()["networks"] == 1


def test_records_throttle_is_two_per_five_seconds(tiny_server):
    token = tiny_server.sim.token
    nid = next(iter(tiny_server.sim.dataset.networks))
    args = dict(type="network", id=nid, start_date=TODAY, end_date=TODAY, summary=1)
    statuses = [_get(tiny_server, "/api/1/records", token=token, **args) for _ in range(3)]
    assert [r.status_code for r in statuses] == [200, 200, 429]
    assert 1 <= int(statuses[2].headers["Retry-After"]) <= 5
    assert _get(tiny_server, "/api/1/networks", token=token).status_code == 200  # others unaffected


def test_stats_faults_and_latency_over_the_admin_api(tiny_server):
    root, token = tiny_server.root_url, tiny_server.sim.token
    requests.post(root + "/_sim/stats/reset", timeout=5)
    for _ in range(3):
        _get(tiny_server, "/api/1/networks", token=token)
    stats = requests.get(root + "/_sim/stats", timeout=5).json()
    assert stats == {"total": 3, "by_endpoint": {"/networks": 3}}

    nid = next(iter(tiny_server.sim.dataset.networks))
    fault = {"path": "/zones", "query": {"network_id": nid}, "status": 503, "html": True, "times": 2}
    assert requests.post(root + "/_sim/faults", json=fault, timeout=5).status_code == 201
    codes = [_get(tiny_server, "/api/1/zones", token=token, network_id=nid) for _ in range(3)]
    assert [r.status_code for r in codes] == [503, 503, 200]
    assert codes[0].headers["Content-Type"].startswith("text/html")

    requests.post(root + "/_sim/faults", json={"path": "/networks", "status": 500, "fraction": 0.5}, timeout=5)
    results = [_get(tiny_server, "/api/1/networks", token=token).status_code for _ in range(40)]
    assert 5 <= results.count(500) <= 35
    requests.delete(root + "/_sim/faults", timeout=5)

    requests.post(root + "/_sim/latency", json={"latency_ms": 200, "jitter_ms": 20}, timeout=5)
    started = time.monotonic()
    _get(tiny_server, "/api/1/networks", token=token)
    assert time.monotonic() - started >= 0.17
    assert requests.post(root + "/_sim/faults", json={"kind": "bogus"}, timeout=5).status_code == 400


def test_mutations_add_rename_and_cascade_delete(tiny_server):
    root, token = tiny_server.root_url, tiny_server.sim.token
    ds = tiny_server.sim.dataset
    nid = next(iter(ds.networks))
    aid = next(iter(ds.advertisers))

    def mutate(**body):
        resp = requests.post(root + "/_sim/mutate", json=body, timeout=5)
        assert resp.status_code == 200, resp.text
        return resp.json()["result"]

    added = mutate(op="add", kind="advertisers", fields={"network_id": nid, "name": "Brand New Co"})
    listed = _get(tiny_server, "/api/1/advertisers", token=token, network_id=nid).json()["advertisers"]
    assert any(a["id"] == added["id"] and a["name"] == "Brand New Co" for a in listed)

    mutate(op="update", kind="advertisers", id=aid, fields={"name": "Renamed Advertiser"})
    ads = _get(tiny_server, "/api/1/advertisements", token=token, network_id=nid).json()["advertisements"]
    owned = [a for a in ads if a["advertiser"] == "Renamed Advertiser"]
    assert owned  # ads name their advertiser, so the rename shows there too

    campaigns = list(ds.campaigns_by_advertiser[aid])
    before = ds.counts()
    removed = mutate(op="delete", kind="advertisers", id=aid)["removed"]
    after = ds.counts()
    assert after["advertisers"] == before["advertisers"] - 1
    assert after["campaigns"] == before["campaigns"] - len(campaigns)
    assert removed == sum(before[k] - after[k] for k in before)
    for cid in campaigns:
        assert _get(tiny_server, "/api/1/placements", token=token, campaign_id=cid).status_code == 404
    bad = requests.post(root + "/_sim/mutate", json={"op": "explode", "kind": "zones"}, timeout=5)
    assert bad.status_code == 400


def test_command_line_server_serves_the_demo_dataset():
    import socket
    import subprocess
    import sys

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    proc = subprocess.Popen([sys.executable, "-m", "bs_core.simulator", "--port", str(port),
                             "--size", "demo", "--seed", "2"], stdout=subprocess.PIPE, text=True)
    try:
        assert "simulator" in proc.stdout.readline()
        counts = requests.get(f"http://127.0.0.1:{port}/_sim/dataset", timeout=10).json()
        assert counts["campaigns"] == 122
    finally:
        proc.terminate()
        proc.wait(10)


def test_in_process_server_context_manager():
    with SimulatorServer(Simulator("tiny", seed=9)) as server:
        assert requests.get(server.api_url + "/networks", params={"access_token": "demo-token"},
                            timeout=5).status_code == 200

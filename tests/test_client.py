"""The BroadStreet client against the simulator (a real HTTP server)."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time

import pytest

from bs_core import errors
from bs_core.client import BroadStreetClient
from tests.conftest import settings_for

TODAY = dt.date.today()


def test_every_read_endpoint_has_the_real_shape(tiny_server):
    client = BroadStreetClient(settings_for(tiny_server))
    networks = client.networks()
    assert len(networks) == 1 and {"id", "name", "path", "logo"} <= set(networks[0])
    nid = networks[0]["id"]
    network = client.network(nid)
    assert network["advertiser_count"] == 5 and network["zone_count"] == 8

    advertisers = client.advertisers(nid)
    assert len(advertisers) == 5 and all("network_id" not in a for a in advertisers)
    zones = client.zones(nid)
    assert len(zones) == 8 and all(z["network_id"] == nid for z in zones)
    ads = client.advertisements(nid)
    assert ads and all(isinstance(a["advertiser"], str) and "advertiser_id" not in a for a in ads)

    campaigns = [c for a in advertisers for c in client.campaigns(advertiser_id=a["id"])]
    assert len(campaigns) == 8
    assert all(isinstance(c["weight"], str) for c in campaigns)
    by_zone = client.campaigns(zone_id=zones[0]["id"])
    assert isinstance(by_zone, list)

    placements = [p for c in campaigns for p in client.placements(c["id"])]
    assert len(placements) == tiny_server.sim.dataset.counts()["placements"]
    assert all(set(p) == {"advertisement_id", "zone_id", "restrictions"} for p in placements)

    report = client.records("network", nid, TODAY - dt.timedelta(days=6), TODAY)
    assert report["object"]["id"] == nid
    rows = report["records"]
    assert rows and {"dated", "advertisement_id", "campaign_id", "zone_id", "view_count",
                     "hover_count", "click_count", "conversion_count", "advertiser_id"} == set(rows[0])
    assert report["totals"]["views"] == sum(r["view_count"] for r in rows)

    custom = client.custom_records(nid, group=["zone"], start_date=TODAY - dt.timedelta(days=6),
                                   end_date=TODAY)
    assert sum(r["count(view)"] for r in custom) == report["totals"]["views"]
    assert client.highlights(nid)["advertisers_created"] == 5


def test_campaigns_needs_exactly_one_filter(tiny_server):
    client = BroadStreetClient(settings_for(tiny_server))
    with pytest.raises(ValueError):
        client.campaigns()
    with pytest.raises(ValueError):
        client.campaigns(advertiser_id=1, zone_id=2)


def test_placements_tolerates_the_specs_object_form(tiny_server):
    client = BroadStreetClient(settings_for(tiny_server))
    one = {"advertisement_id": 5, "zone_id": 6, "restrictions": []}
    tiny_server.sim.faults.add(path="/placements", status=200, body={"placement": one}, times=1)
    assert client.placements(1) == [one]
    tiny_server.sim.faults.add(path="/placements", status=200, body={"placements": [one, one]}, times=1)
    assert client.placements(1) == [one, one]


def test_retry_after_is_honoured_then_the_call_succeeds(tiny_server):
    client = BroadStreetClient(settings_for(tiny_server, max_attempts=3))
    tiny_server.sim.faults.add(path="/networks", status=429, retry_after="1", times=2)
    started = time.monotonic()
    assert len(client.networks()) == 1
    assert time.monotonic() - started >= 1.9  # two waits of Retry-After: 1
    assert client.request_stats()["/networks"] == {"requests": 3, "retries": 2, "errors": 0}


def test_retries_stop_after_the_configured_attempts(tiny_server):
    client = BroadStreetClient(settings_for(tiny_server, max_attempts=3))
    tiny_server.sim.faults.add(path="/networks", status=429, retry_after="0")
    with pytest.raises(errors.RateLimitedError) as info:
        client.networks()
    assert info.value.status == 429 and "/networks" in str(info.value)
    assert tiny_server.sim.stats()["by_endpoint"]["/networks"] == 3

    tiny_server.sim.faults.clear()
    tiny_server.sim.faults.add(path="/zones", status=503, html=True)
    with pytest.raises(errors.UpstreamServerError, match="HTTP 503: HTML error page"):
        client.zones(1)
    assert tiny_server.sim.stats()["by_endpoint"]["/zones"] == 3


def test_a_hanging_response_ends_in_a_timeout_error(tiny_server):
    client = BroadStreetClient(settings_for(tiny_server, read_timeout=0.3, max_attempts=2))
    tiny_server.sim.faults.add(kind="hang", path="/networks", hang_seconds=3)
    started = time.monotonic()
    with pytest.raises(errors.RequestTimeoutError, match="/networks"):
        client.networks()
    assert time.monotonic() - started < 2.5


def test_a_dropped_connection_is_retried_then_reported(tiny_server):
    client = BroadStreetClient(settings_for(tiny_server, max_attempts=2))
    tiny_server.sim.faults.add(kind="drop", path="/networks", times=1)
    assert len(client.networks()) == 1  # second attempt succeeds
    tiny_server.sim.faults.add(kind="drop", path="/zones")
    with pytest.raises(errors.TransportError):
        client.zones(1)


def test_401_is_not_retried(tiny_server):
    settings = settings_for(tiny_server, broadstreet_api_token="wrong-token-value", max_attempts=5)
    with pytest.raises(errors.AuthError) as info:
        BroadStreetClient(settings).networks()
    assert info.value.status == 401 and info.value.plain == "BroadStreet rejected the token"
    assert tiny_server.sim.stats()["total"] == 1


def test_malformed_json_and_html_bodies_are_protocol_errors(tiny_server):
    client = BroadStreetClient(settings_for(tiny_server))
    tiny_server.sim.faults.add(kind="malformed", path="/networks", times=1)
    with pytest.raises(errors.ProtocolError, match="not JSON"):
        client.networks()
    tiny_server.sim.faults.add(path="/networks", status=200, html=True, times=1)
    with pytest.raises(errors.ProtocolError, match="text/html"):
        client.networks()
    tiny_server.sim.faults.add(path="/networks", status=200, body={"nets": []}, times=1)
    with pytest.raises(errors.ProtocolError, match="expected"):
        client.networks()


def test_a_burst_of_six_report_calls_draws_no_429(tiny_server):
    """The /records limit (2 per 5 s) is enforced on our side, across threads."""
    client = BroadStreetClient(settings_for(tiny_server, max_attempts=1))
    nid = client.networks()[0]["id"]
    failures: list[Exception] = []

    def call() -> None:
        try:
            client.records("network", nid, TODAY, TODAY, summary=True)
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            failures.append(exc)

    threads = [threading.Thread(target=call) for _ in range(6)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert tiny_server.sim.stats()["by_endpoint"]["/records"] == 6
    assert client.request_stats()["/records"]["retries"] == 0
    assert time.monotonic() - started >= 9.5  # 6 calls at 2 per 5 s need two waits


def test_the_token_never_reaches_errors_logs_or_reprs(tiny_server, caplog):
    token = tiny_server.sim.token
    settings = settings_for(tiny_server, max_attempts=2, read_timeout=0.3)
    client = BroadStreetClient(settings)
    tiny_server.sim.faults.add(path="/networks", status=503, html=True)
    tiny_server.sim.faults.add(kind="hang", path="/zones", hang_seconds=2)
    tiny_server.sim.faults.add(kind="drop", path="/advertisers")
    caught: list[Exception] = []
    with caplog.at_level(logging.DEBUG):
        for call in (client.networks, lambda: client.zones(1), lambda: client.advertisers(1)):
            with pytest.raises(errors.BroadStreetError) as info:
                call()
            caught.append(info.value)
        wrong = settings_for(tiny_server, broadstreet_api_token=token + "x")
        with pytest.raises(errors.AuthError) as info:
            BroadStreetClient(wrong).networks()
        caught.append(info.value)
    assert caplog.records, "urllib3 debug logging was captured"
    for record in caplog.records:
        assert token not in record.getMessage()
    for exc in caught:
        chained: BaseException | None = exc
        while chained is not None:  # what a traceback would print
            assert token not in str(chained) and token not in repr(chained)
            chained = chained.__cause__ or (None if chained.__suppress_context__ else chained.__context__)
    assert token not in repr(client) and token not in repr(settings)

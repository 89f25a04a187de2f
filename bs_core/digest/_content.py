"""What a digest says, from the mirror's read models: yesterday's figures against the day
before and the same weekday a week earlier, the campaigns that need attention (the
catalogue's behind pace, not delivering and ending soon), unsold zones, and how fresh the
mirror is, with any failed or partial sync since the last digest.

"Yesterday" is each network's own last complete day (``read/days.py``): at 05:41 UTC a
UTC-08:00 network's yesterday is Nov 30 while a UTC-05:00 one's is Dec 1, and the
figures sum each network's own day.

An advertiser's digest (``advertiser_id``) holds that advertiser's figures and campaigns
and nothing else: no other advertiser's name or figure, no unsold zones, no sync
problems (the report a publisher forwards).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from urllib.parse import quote

from pymongo.database import Database

from ..read import figures as catalogue
from ..read import money, reporting, revenue
from ..read.days import NetworkDays, days_for
from ..read.delivery import ENDING_WITHIN_DAYS
from ..read.figures import BEHIND_PACE, ENDING_SOON, NOT_DELIVERING, UNSOLD_ZONES
from ..read.reporting import StatsFilter
from ..store.history import last_success, problem_runs

SHOWN_ROWS = 20  #: rows of each list in the message; the attachments hold every row


@dataclasses.dataclass
class Section:
    key: str  #: file and sheet name ("behind-pace")
    title: str
    empty: str  #: what the message says when the list is empty
    rows: list[dict]  #: column -> value, in the order shown; "link" is the row's dashboard link

    def table(self) -> list[dict]:
        return [{k: v for k, v in r.items() if k != "link"} for r in self.rows]


@dataclasses.dataclass
class Digest:
    day: dt.date  #: the day reported: the newest of the networks' own yesterdays
    scope: str  #: "the whole account" or "Harbor Dental (104137)"
    clock: str  #: the clocks of the networks in scope: "account time, UTC-05:00"
    days_note: str  #: "through 2026-12-01 for UTC-05:00, through 2026-11-30 for UTC-08:00" ("" when one day)
    figures: dict[str, dict]  #: "yesterday", "day before", "week before" -> {views, clicks, ctr, day}
    lists: list[Section]
    freshness: str
    problems: list[str]
    dashboard: str  #: the dashboard's address, "" when BS_PUBLIC_URL is not set
    #: priced campaigns only (None when no rate is set): {earned, at_risk, priced, currency}
    money: dict | None = None

    @property
    def subject(self) -> str:
        return f"BroadStreet digest for {self.day:%A %Y-%m-%d}, {self.scope}"


def link(public_url: str, page: str, kind: str, ident: int, day: dt.date | None = None) -> str:
    """A shareable ``open=`` link into the dashboard, on the digest's day when given ("" without
    a public URL)."""
    if not public_url:
        return ""
    period = f"&from={day}&to={day}" if day is not None else ""
    return f"{public_url.rstrip('/')}/{page}?open={quote(f'{kind}:{ident}')}{period}"


def _networks(db: Database, advertiser_id: int | None) -> list[int]:
    """The networks a digest covers: every one, or the advertiser's."""
    query = {} if advertiser_id is None else {"_id": {"$in": db.advertisers.distinct(
        "network_id", {"_id": advertiser_id})}}
    return sorted(db.networks.distinct("_id", query))


def _figures(db: Database, yesterdays: dict[int, dt.date], back: int, advertiser_id: int | None,
             coverage: dict[int, reporting.Coverage]) -> dict | None:
    """Views, clicks and CTR summed over each network's own day, ``back`` days before its
    yesterday; None unless the mirror holds every one of those days."""
    sums = {"views": 0, "clicks": 0}
    for nid, yesterday in yesterdays.items():
        day = yesterday - dt.timedelta(days=back)
        if not coverage[nid].covers(day, day):
            return None
        total = reporting.totals(db, day, day, StatsFilter(network_id=nid, advertiser_id=advertiser_id))
        sums = {f: sums[f] + total[f] for f in sums}
    return {**sums, "ctr": sums["clicks"] / sums["views"] if sums["views"] else 0.0,
            "day": max(yesterdays.values()) - dt.timedelta(days=back)}


def build(db: Database, today: dt.date, public_url: str = "", advertiser_id: int | None = None,
          since: dt.datetime | None = None, currency: str = "USD") -> Digest:
    """The digest of the day before ``today`` (each network's own; ``today`` is UTC's);
    ``since``: the last digest sent (sync problems after it are listed)."""
    days = days_for(db, today)
    networks = _networks(db, advertiser_id)
    yesterdays = {nid: days.yesterday(nid) for nid in networks}
    day = max(yesterdays.values(), default=today - dt.timedelta(days=1))
    coverage = {nid: reporting.stats_coverage(db, nid) for nid in networks}
    figures = {name: _figures(db, yesterdays, back, advertiser_id, coverage) if networks else None
               for name, back in (("yesterday", 0), ("day before", 1), ("week before", 7))}
    owner = db.advertisers.find_one({"_id": advertiser_id}, {"name_clean": 1}) if advertiser_id is not None else None
    scope = "the whole account" if advertiser_id is None else \
        f"{(owner or {}).get('name_clean') or 'advertiser'} ({advertiser_id})"
    lists = [_behind(db, days, public_url, advertiser_id), _silent(db, days, public_url, advertiser_id),
                _ending(db, days, public_url, advertiser_id)]
    problems: list[str] = []
    if advertiser_id is None:
        lists.append(_unsold(db, days, public_url))
        problems = _problems(db, since)
    clocks = dict(days.clocks)
    note = days.describe(networks)
    return Digest(day, scope, reporting.clock_label(clocks[n] for n in networks if n in clocks),
                  note if note.count("through") > 1 else "", {k: v for k, v in figures.items() if v is not None},
                  lists, _freshness(db, today), problems, public_url.rstrip("/"),
                  _money(db, days, networks, advertiser_id, currency))


def _money(db: Database, days: NetworkDays, networks: list[int], advertiser_id: int | None,
           currency: str) -> dict | None:
    """What priced campaigns earned on each network's own yesterday, and the money at risk
    of behind-pace ones (None when no campaign has a rate: unpriced is never 0)."""
    if not money.anything_priced(db):
        return None
    earned, priced = 0.0, 0
    ids = money.priced_campaigns(db)
    for day, group in money.by_yesterday(days, networks).items():
        for m in revenue.campaign_money(db, days, day, day, advertiser_id=advertiser_id, ids=ids):
            if m.network_id in group and m.priced and m.earned is not None:
                earned, priced = earned + m.earned, priced + 1
    if not priced:
        return None
    risks = catalogue.risks(db, days)
    if advertiser_id is not None:  # only its own campaigns' risk
        mine = set(db.campaigns.distinct("_id", {"advertiser_id": advertiser_id}))
        risks = {cid: v for cid, v in risks.items() if cid in mine}
    at_risk = sum(risks.values())
    return {"earned": earned, "at_risk": at_risk, "priced": priced, "currency": currency}


def _mine(advertiser_id: int | None, owner: int | None) -> bool:
    return advertiser_id is None or owner == advertiser_id


def _behind(db: Database, days: NetworkDays, url: str, advertiser_id: int | None) -> Section:
    rows = [p for p in BEHIND_PACE.of(db, days, None) if _mine(advertiser_id, p.advertiser_id)]
    return Section("behind-pace", BEHIND_PACE.name, "No running campaign is behind pace.", [{
        "Campaign": p.name, "Pace": p.status, "Pacing": p.pacing, "Delivered": p.delivered, "Goal": p.goal,
        "Needed per day": p.needed_per_day, "End": p.ends_on, "ID": p.campaign_id,
        "link": link(url, "Campaigns", "campaign", p.campaign_id, days.yesterday(p.network_id))} for p in rows])


def _silent(db: Database, days: NetworkDays, url: str, advertiser_id: int | None) -> Section:
    rows = [c for c in NOT_DELIVERING.of(db, days, None) if _mine(advertiser_id, c.get("advertiser_id"))]
    return Section("not-delivering", f"{NOT_DELIVERING.name}: running, no views today or yesterday",
                   "Every running campaign had views.", [{
                       "Campaign": c.get("name_clean", ""), "Last views on": _day(c.get("last_views_on")),
                       "Placements": c.get("placement_count", 0), "ID": c["_id"],
                       "link": link(url, "Campaigns", "campaign", c["_id"], days.yesterday(c.get("network_id")))}
                       for c in rows])


def _ending(db: Database, days: NetworkDays, url: str, advertiser_id: int | None) -> Section:
    rows = [c for c in ENDING_SOON.of(db, days, None) if _mine(advertiser_id, c.get("advertiser_id"))]
    return Section("ending-soon", f"{ENDING_SOON.name}: ending within {ENDING_WITHIN_DAYS} days",
                   f"No running campaign ends within {ENDING_WITHIN_DAYS} days.", [{
                       "Campaign": c.get("name_clean", ""), "End": _day(c.get("ends_on")),
                       "ID": c["_id"], "link": link(url, "Campaigns", "campaign", c["_id"],
                                                    days.yesterday(c.get("network_id")))} for c in rows])


def _unsold(db: Database, days: NetworkDays, url: str) -> Section:
    rows = UNSOLD_ZONES.of(db, days, None)
    return Section("unsold-zones", f"{UNSOLD_ZONES.name} (no running campaign)", "Every zone has a running campaign.", [{
        "Zone": z.get("name_clean", ""), "Network": z.get("network_name", ""), "ID": z["_id"],
        "link": link(url, "Zones", "zone", z["_id"])} for z in rows])


def _day(value: object) -> dt.date | None:
    return value.date() if isinstance(value, dt.datetime) else None


def _freshness(db: Database, today: dt.date) -> str:
    last = last_success(db)
    if last is None or last.get("finished_at") is None:
        return "The mirror has no successful sync yet."
    return f"Last successful sync: {last['finished_at']:%Y-%m-%d %H:%M} UTC ({last.get('scope')})."


def _problems(db: Database, since: dt.datetime | None) -> list[str]:
    runs = problem_runs(db, since)
    out = []
    for run in runs:
        first = (run.get("errors") or [{}])[0]
        cause = first.get("plain") or first.get("message") or ""
        out.append(f"{run.get('scope')} sync {run.get('status')} at {run['finished_at']:%Y-%m-%d %H:%M} UTC"
                   + (f": {cause}" if cause else ""))
    return out

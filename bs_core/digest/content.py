"""What a digest says, from the mirror's read models: yesterday's figures against the day
before and the same weekday a week earlier, the campaigns that need attention (behind
pace or at risk, not delivering, ending within 7 days), unsold zones, and how fresh the
mirror is, with any failed or partial sync since the last digest.

An advertiser's digest (``advertiser_id``) holds that advertiser's figures and campaigns
and nothing else: no other advertiser's name or figure, no unsold zones, no sync
problems (the report a publisher forwards).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from urllib.parse import quote

from pymongo.database import Database

from ..read import delivery, reporting
from ..read.days import days_for
from ..read.figures import BEHIND_PACE
from ..read.reporting import StatsFilter
from ..store.history import last_success

ENDING_DAYS = 7
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
    day: dt.date  #: the day reported: yesterday, in account time
    scope: str  #: "the whole account" or "Harbor Dental (104137)"
    clock: str
    figures: dict[str, dict]  #: "yesterday", "day before", "week before" -> {views, clicks, ctr, day}
    sections: list[Section]
    freshness: str
    problems: list[str]
    dashboard: str  #: the dashboard's address, "" when BS_PUBLIC_URL is not set

    @property
    def subject(self) -> str:
        return f"BroadStreet digest for {self.day:%A %Y-%m-%d}, {self.scope}"


def link(public_url: str, page: str, kind: str, ident: int) -> str:
    """A shareable ``open=`` link into the dashboard ("" without a public URL)."""
    if not public_url:
        return ""
    return f"{public_url.rstrip('/')}/{page}?open={quote(f'{kind}:{ident}')}"


def _figures(db: Database, day: dt.date, flt: StatsFilter, coverage: reporting.Coverage) -> dict | None:
    if not coverage.covers(day, day):
        return None
    total = reporting.totals(db, day, day, flt)
    return {"day": day, "views": total["views"], "clicks": total["clicks"], "ctr": total["ctr"]}


def build(db: Database, today: dt.date, public_url: str = "", advertiser_id: int | None = None,
          since: dt.datetime | None = None) -> Digest:
    """The digest of the day before ``today``; ``since``: the last digest sent (sync
    problems after it are listed)."""
    day = today - dt.timedelta(days=1)
    coverage = reporting.stats_coverage(db)
    flt = StatsFilter(advertiser_id=advertiser_id)
    figures = {name: _figures(db, d, flt, coverage) for name, d in (
        ("yesterday", day), ("day before", day - dt.timedelta(days=1)), ("week before", day - dt.timedelta(days=7)))}
    owner = db.advertisers.find_one({"_id": advertiser_id}, {"name_clean": 1}) if advertiser_id is not None else None
    scope = "the whole account" if advertiser_id is None else \
        f"{(owner or {}).get('name_clean') or 'advertiser'} ({advertiser_id})"
    sections = [_behind(db, today, public_url, advertiser_id), _silent(db, today, public_url, advertiser_id),
                _ending(db, today, public_url, advertiser_id)]
    problems: list[str] = []
    if advertiser_id is None:
        sections.append(_unsold(db, public_url))
        problems = _problems(db, since)
    return Digest(day, scope, coverage.clock, {k: v for k, v in figures.items() if v is not None}, sections,
                  _freshness(db, today), problems, public_url.rstrip("/"))


def _behind(db: Database, today: dt.date, url: str, advertiser_id: int | None) -> Section:
    rows = [p for p in BEHIND_PACE.of(db, days_for(db, today), None)  # the catalogue's, one definition
            if advertiser_id in (None, p.advertiser_id)]
    return Section("behind-pace", "Behind pace or at risk", "No running campaign is behind pace.", [{
        "Campaign": p.name, "Pace": p.status, "Pacing": p.pacing, "Delivered": p.delivered, "Goal": p.goal,
        "Needed per day": p.needed_per_day, "End": p.ends_on, "ID": p.campaign_id,
        "link": link(url, "Campaigns", "campaign", p.campaign_id)} for p in rows])


def _silent(db: Database, today: dt.date, url: str, advertiser_id: int | None) -> Section:
    rows = [c for c in delivery.silent_campaigns(db, today)
            if advertiser_id is None or c.get("advertiser_id") == advertiser_id]
    return Section("not-delivering", f"Running, no views in the last {delivery.QUIET_DAYS} days",
                   "Every running campaign had views.", [{
                       "Campaign": c.get("name_clean", ""), "Last views on": _day(c.get("last_views_on")),
                       "Placements": c.get("placement_count", 0), "ID": c["_id"],
                       "link": link(url, "Campaigns", "campaign", c["_id"])} for c in rows])


def _ending(db: Database, today: dt.date, url: str, advertiser_id: int | None) -> Section:
    rows = delivery.ending_soon(db, today, days=ENDING_DAYS)
    rows = [c for c in rows if advertiser_id is None or c.get("advertiser_id") == advertiser_id]
    return Section("ending-soon", f"Ending within {ENDING_DAYS} days", f"No running campaign ends within "
                   f"{ENDING_DAYS} days.", [{
                       "Campaign": c.get("name_clean", ""), "End": _day(c.get("ends_on")),
                       "ID": c["_id"], "link": link(url, "Campaigns", "campaign", c["_id"])} for c in rows])


def _unsold(db: Database, url: str) -> Section:
    rows = delivery.unsold_zones(db)
    return Section("unsold-zones", "Unsold zones (no running campaign)", "Every zone has a running campaign.", [{
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
    query: dict = {"status": {"$in": ["failed", "partial"]}}
    if since is not None:
        query["finished_at"] = {"$gt": since}
    runs = db.sync_runs.find(query, {"scope": 1, "status": 1, "finished_at": 1, "errors": {"$slice": 1}}) \
        .sort([("finished_at", -1)]).limit(10)
    out = []
    for run in runs:
        first = (run.get("errors") or [{}])[0]
        cause = first.get("plain") or first.get("message") or ""
        out.append(f"{run.get('scope')} sync {run.get('status')} at {run['finished_at']:%Y-%m-%d %H:%M} UTC"
                   + (f": {cause}" if cause else ""))
    return out

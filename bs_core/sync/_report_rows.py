"""Hourly ``/records`` rows -> the mirror's reporting grains, all from the one answer.

* ``stats_daily``: per (day, campaign, advertisement), with the advertiser;
* ``stats_zone_daily``: per (day, zone);
* ``stats_campaign_zone_daily``: per (day, campaign, zone): a campaign's delivery in a zone;
* ``stats_hours``: per (day, campaign), each figure as 24 hourly counts (hour-of-day
  charts without a document per hour).

Days are the account's days: a row is bucketed by the date written in its ``dated``
(the network's local hour, ``2026-11-29T22:00:00.000-05:00``), never converted to UTC,
so a late-evening row stays on its own day.  The offset the rows carry is kept so
pages can say which clock the days follow; rows dated the old way
(``2026-11-29 22:00:00``) carry none.  Offsets move with daylight saving, so each day
keeps its own.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable

from ..dates import midnight
from ..errors import ProtocolError
from ..store.stats_days import CAMPAIGN_ZONE_DAILY, DAILY, HOURS, ZONE_DAILY

SUMS = (("views", "view_count"), ("clicks", "click_count"), ("hovers", "hover_count"),
        ("conversions", "conversion_count"))


@dataclasses.dataclass
class Grains:
    """The documents one report answer makes, per collection, and the offset its rows had."""

    documents: dict[str, list[dict]]
    #: per day, the UTC offset its rows carried ("-05:00"; a daylight-saving change day keeps
    #: its later one); a day whose rows said none is absent
    offsets: dict[dt.date, str] = dataclasses.field(default_factory=dict)

    def rows_per_day(self, collection: str) -> dict[dt.date, int]:
        out: dict[dt.date, int] = {}
        for doc in self.documents[collection]:
            out[doc["date"].date()] = out.get(doc["date"].date(), 0) + 1
        return out


def parse_dated(value: object) -> tuple[dt.date, int, str | None]:
    """``"2026-11-29T22:00:00.000-05:00"`` -> (2026-11-29, 22, "-05:00"): the local date and
    hour as written, and the offset.  ValueError when it is not such a timestamp (a date
    alone has no hour: refused)."""
    text = str(value).strip()
    if len(text) < 13 or text[10] not in "T ":
        raise ValueError(value)
    moment = dt.datetime.fromisoformat(text)  # 3.11 reads every form BroadStreet writes
    offset = moment.utcoffset()
    if offset is None:
        return moment.date(), moment.hour, None
    minutes = int(offset.total_seconds()) // 60
    return moment.date(), moment.hour, f"{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _add(acc: dict, key: tuple, new: dict, row: dict, hour: int | None = None) -> None:
    doc = acc.get(key)
    if doc is None:
        zero = (lambda: [0] * 24) if hour is not None else (lambda: 0)
        doc = acc[key] = {**new, **{name: zero() for name, _ in SUMS}}
    for name, field in SUMS:
        if hour is None:
            doc[name] += int(row.get(field) or 0)
        else:
            doc[name][hour] += int(row.get(field) or 0)


def grains(network_id: int, rows: Iterable[dict]) -> Grains:
    """Sum an answer's hourly rows into every grain.  A malformed row fails the whole
    answer (:class:`~bs_core.errors.ProtocolError`): its days are then fetched again."""
    by_ad: dict[tuple, dict] = {}
    by_zone: dict[tuple, dict] = {}
    by_campaign_zone: dict[tuple, dict] = {}
    by_hour: dict[tuple, dict] = {}
    offsets: dict[dt.date, tuple[int, str]] = {}
    for r in rows:
        day, hour, offset = _row_time(r)
        if offset is not None and offsets.get(day, (-1, ""))[0] <= hour:
            offsets[day] = (hour, offset)
        date, nid = midnight(day), network_id
        cid, ad, zone, adv = r.get("campaign_id"), r.get("advertisement_id"), r.get("zone_id"), r.get("advertiser_id")
        _add(by_ad, (day, cid, ad), {"_id": f"{nid}:{day}:{cid}:{ad}", "date": date, "network_id": nid,
                                     "campaign_id": cid, "advertisement_id": ad, "advertiser_id": adv}, r)
        _add(by_hour, (day, cid), {"_id": f"{nid}:{day}:{cid}", "date": date, "network_id": nid,
                                   "campaign_id": cid, "advertiser_id": adv}, r, hour)
        if zone is not None:
            _add(by_zone, (day, zone), {"_id": f"{nid}:{day}:{zone}", "date": date, "network_id": nid,
                                        "zone_id": zone}, r)
            _add(by_campaign_zone, (day, cid, zone), {
                "_id": f"{nid}:{day}:{cid}:{zone}", "date": date, "network_id": nid, "campaign_id": cid,
                "zone_id": zone, "advertiser_id": adv}, r)
    return Grains({DAILY: list(by_ad.values()), ZONE_DAILY: list(by_zone.values()),
                   CAMPAIGN_ZONE_DAILY: list(by_campaign_zone.values()), HOURS: list(by_hour.values())},
                  {day: offset for day, (_, offset) in offsets.items()})


def _row_time(row: object) -> tuple[dt.date, int, str | None]:
    try:
        return parse_dated(row.get("dated", ""))  # type: ignore[union-attr]
    except (AttributeError, ValueError):
        raise ProtocolError(f"GET /records: a malformed row ({str(row)[:80]!r}); the days of this "
                            f"answer are fetched again on the next run", endpoint="/records") from None

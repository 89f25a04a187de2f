"""A file of rates (CSV or xlsx rows, header ``campaign_id,model,amount,capped`` or
``zone_id,cpm``), imported all or nothing, and the rates written back out the same way."""

from __future__ import annotations

import dataclasses
from typing import Any

from pymongo.database import Database

from ..dates import utcnow
from ..errors import MirrorError
from .rates import (
    _CARD_FIELDS,
    _RATE_FIELDS,
    RATE_CARDS,
    RATE_HISTORY,
    RATES,
    RateError,
    _plain,
    _snapshot,
    campaign_rates,
    checked_amount,
    checked_model,
    id_match,
    rate_cards,
    save_many,
)

CAMPAIGN_HEADER = ("campaign_id", "model", "amount", "capped")
CARD_HEADER = ("zone_id", "cpm")
_YES, _NO = ("true", "yes", "y", "1", "capped"), ("false", "no", "n", "0", "")


class RateImportError(MirrorError, ValueError):
    """A file of rates with bad rows: one line per row; nothing was written."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(f"{len(problems)} bad row(s); nothing was written:\n" + "\n".join(problems))


@dataclasses.dataclass
class ImportResult:
    kind: str  #: "campaign" or "zone"
    saved: int  #: rates set or changed
    unchanged: int


def _whole(value: Any) -> int:
    text = str(value).strip()
    if text.endswith(".0"):  # a spreadsheet's number cell
        text = text[:-2]
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise ValueError
    return int(text)


def _capped(value: Any) -> bool:
    text = str(value if value is not None else "").strip().lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise ValueError


def check_rows(db: Database, header: list[str], rows: list[list[Any]]) -> tuple[str, list[dict]]:
    """The rows of a rates file, checked: ``("campaign" | "zone", [{ref, fields}])``, or
    :class:`RateImportError` naming every bad row (row numbers count the header as row 1)."""
    names = tuple(str(h).strip().lower() for h in header)
    if names[:len(CAMPAIGN_HEADER)] == CAMPAIGN_HEADER or names == CAMPAIGN_HEADER[:3]:
        kind, collection, id_field = "campaign", "campaigns", "campaign_id"
    elif names[:len(CARD_HEADER)] == CARD_HEADER:
        kind, collection, id_field = "zone", "zones", "zone_id"
    else:
        raise RateImportError([f"row 1: the header must be {','.join(CAMPAIGN_HEADER)} (campaign rates) or "
                               f"{','.join(CARD_HEADER)} (zone rate cards), not {','.join(names)[:120]!r}"])
    problems: list[str] = []
    checked: list[dict] = []
    seen: dict[int, int] = {}
    refs = []
    for number, row in enumerate(rows, start=2):
        cells = dict(zip(names, list(row) + [None] * (len(names) - len(row)), strict=False))
        if all(v in (None, "") for v in cells.values()):
            continue  # a blank line
        try:
            ref = _whole(cells[id_field])
        except ValueError:
            problems.append(f"row {number}, {id_field}: {str(cells[id_field])[:40]!r} is not an id")
            continue
        if ref in seen:
            problems.append(f"row {number}, {id_field}: {ref} is also on row {seen[ref]} (one row per {kind})")
            continue
        seen[ref] = number
        try:
            if kind == "campaign":
                fields = {"model": checked_model(cells.get("model")), "amount": checked_amount(cells.get("amount"))}
                try:
                    fields["capped"] = _capped(cells.get("capped"))
                except ValueError:
                    raise RateError(f"capped {str(cells.get('capped'))[:40]!r} is not yes or no") from None
            else:
                fields = {"cpm": checked_amount(cells.get("cpm"), "cpm")}
        except RateError as exc:
            column = str(exc).split(" ", 1)[0]
            problems.append(f"row {number}, {column}: {str(exc).split(' ', 1)[1]}")
            continue
        checked.append({"ref": ref, "row": number, **fields})
        refs.append(ref)
    known = set(db[collection].distinct("_id", id_match("_id", refs))) & set(refs) if refs else set()
    if kind == "campaign" and len(known) < len(set(refs)):  # a deleted campaign keeps its reporting: known too
        known |= set(db.stats_daily.distinct("campaign_id", id_match("campaign_id", [r for r in refs if r not in known])))
    for item in checked:
        if item["ref"] not in known:
            problems.append(f"row {item['row']}, {id_field}: {item['ref']} is not a {kind} in the mirror")
    if problems:
        raise RateImportError(sorted(problems, key=lambda p: int(p.split(",")[0].split()[1])))
    return kind, checked


def import_rows(db: Database, header: list[str], rows: list[list[Any]], *, by: str) -> ImportResult:
    """Check every row, then write them; a bad row writes nothing (:class:`RateImportError`),
    and a write that fails half way puts back the rates it had changed."""
    kind, checked = check_rows(db, header, rows)
    collection, fields = (RATES, _RATE_FIELDS) if kind == "campaign" else (RATE_CARDS, _CARD_FIELDS)
    refs = {c["ref"] for c in checked}
    before = {d["_id"]: d for d in db[collection].find(id_match("_id", refs)) if d["_id"] in refs}
    changes = {item["ref"]: {f: item[f] for f in fields} for item in checked}
    changes = {ref: new for ref, new in changes.items()
               if before.get(ref) is None or _plain(before[ref], fields) != new}
    unchanged = len(checked) - len(changes)
    written = list(changes)  # put back on a failure: each is undone only if it was written
    try:
        save_many(db, collection, kind, changes, before, fields, by=by, source="import")
        if kind == "campaign":
            _snapshot(db, written)
    except BaseException:
        _put_back(db, collection, kind, fields, written, before, by)
        raise
    return ImportResult(kind, len(written), unchanged)


def _put_back(db: Database, collection: str, kind: str, fields: tuple[str, ...], refs: list[int],
              before: dict[int, dict], by: str) -> None:
    """Undo a failed import's writes (each undo is a history line too: history is never rewritten)."""
    for ref in refs:
        now = db[collection].find_one({"_id": ref})
        old = before.get(ref)
        if now is None or now.get("version") != (old or {}).get("version", 0) + 1 or now.get("updated_by") != by:
            continue  # not written by this import (someone else's save, or not reached): left as it is
        if old is None:
            db[collection].delete_one({"_id": ref})
        else:
            db[collection].replace_one({"_id": ref}, old, upsert=True)
        db[RATE_HISTORY].insert_one({"kind": kind, "ref": ref, "old": _plain(now, fields), "new": _plain(old, fields),
                                     "by": by, "at": utcnow(), "source": "import undone"})


def export_rows(db: Database, kind: str) -> tuple[list[str], list[list[Any]]]:
    """The rates as a file holds them: the header and a row per rate, by id."""
    if kind == "campaign":
        return list(CAMPAIGN_HEADER), [[r.campaign_id, r.model, r.amount, "yes" if r.capped else "no"]
                                       for _, r in sorted(campaign_rates(db).items())]
    return list(CARD_HEADER), [[c.zone_id, c.cpm] for _, c in sorted(rate_cards(db).items())]

"""A kind's page from its declaration alone (``entities.EntityType``): the listing (network,
name search, sorts by its stored fields), its table (Name, its ``facts``, its parent, ID),
and the detail a row opens (its facts and a link to its parent).  A page file is then

    from bs_core.ui.declared import entity_page
    entity_page("NAME")  # the kind's name, as ENTITIES names it

Kinds with figures or panels of their own (Campaigns, Zones, ...) keep their own pages."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from ..entities import DETAIL_PAGES, ENTITIES, EntityType
from . import format as fmt
from . import reads
from .detail_panels import _heading, _link
from .frames import day, header
from .layout import PageContext, render
from .listing import Listing, listing_page
from .metrics import wrapping_row


def entity_page(kind: str) -> None:
    """The whole page of ``kind`` (its name, as ``ENTITIES`` names it)."""
    entity = ENTITIES[kind]
    spec = declared_listing(entity)
    render(entity.label, lambda ctx: listing_page(ctx, spec), fresh=entity.name, live=entity.name,
           detail=entity.singular if entity.has_detail else None,
           target_keys={"network": spec.key("network")} if entity.parent == "networks" else None)


def declared_listing(entity: EntityType) -> Listing:
    sorts = {"Name": "name_key", **{header(f): f for f in entity.sortable if f not in ("name_key", "_id")},
             "ID": "_id"}
    return Listing(entity.singular, entity.name, sorts,
                   lambda view, *args: reads.listing_named(view, entity.name, *args),
                   lambda rows: declared_frame(entity, rows), declared_panel(entity), figures=False)


def _value(value) -> object:
    """A fact as a table cell or a line shows it: days as YYYY-MM-DD, names as plain text."""
    if hasattr(value, "strftime"):
        return day(value)
    return "" if value is None else value


def declared_frame(entity: EntityType, rows: list[dict]) -> pd.DataFrame:
    parent = ENTITIES[entity.parent].singular.capitalize() if entity.parent else None
    columns = ["Name", *(f.label for f in entity.facts), *([parent] if parent else []), "ID"]
    return pd.DataFrame([{
        "Name": r.get("name_clean", ""), **{f.label: _value(r.get(f.field)) for f in entity.facts},
        **({parent: r.get("parent_name", "")} if parent else {}), "ID": r["_id"],
    } for r in rows], columns=columns)


def declared_panel(entity: EntityType) -> Callable:
    """The detail of one document: its name, its facts and its parent (a link when the
    parent's page opens details)."""

    def panel(ctx: PageContext, ident: int, period, on_close: Callable[[], None]) -> None:
        doc = reads.document_detail(ctx.mirror, entity.name, ident)
        if doc is None:
            st.warning(f"{entity.singular.capitalize()} {ident} is not in the mirror.", icon=":material/search_off:")
            return
        _heading(entity.singular, fmt.short(doc.get("name_clean") or str(ident), 120), on_close)
        facts = [(f.label, _value(doc.get(f.field))) for f in entity.facts]
        boxes = wrapping_row(*([180] * (len(facts) + 2)), gap="medium")
        for box, (label, value) in zip(boxes, [*facts, ("ID", ident)], strict=False):
            box.caption(label)
            box.text(str(value))  # data, never Markdown
        if entity.parent is not None:
            parent, where = ENTITIES[entity.parent].singular, boxes[-1]
            where.caption(parent.capitalize())
            named = doc.get("parent_name") or ""
            if parent in DETAIL_PAGES:  # its page opens details: a link, as the other panels' are
                _link(parent, doc.get(entity.parent_field), named, where)
            else:
                where.text(named or str(doc.get(entity.parent_field)))

    return panel

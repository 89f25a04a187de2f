"""Built figures kept for the next view that asks for the same one.

Building a plotly figure (``px.bar``, ``make_subplots``, ``update_layout``) costs 15 to
100 ms; the Overview builds seven, 0.2 to 0.3 s of each run, for figures whose rows had
not changed since the last view (issue 32: with them kept, its warm run on ``large`` went
from 0.29 to 0.06 s).  The chart
builders are pure (rows in, figure out), so a figure is kept under a digest of its
arguments, for every session of this server: the pages' warm run after a sync
(``prewarm``) builds them, and an analyst's first view only serialises them.

A kept figure is shared, never copied: ``st.plotly_chart`` reads it (``to_dict`` copies)
and no page changes a figure after building it.
"""

from __future__ import annotations

import functools
import hashlib
import pickle
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

#: figures kept: the default views of every page, and some filtered ones; a figure holds
#: ~130 KiB of Python objects (the Overview's seven, measured: 904 KiB), so at most ~8 MiB
KEPT = 64

F = TypeVar("F", bound=Callable)
_kept: OrderedDict[bytes, object] = OrderedDict()
_lock = threading.Lock()
_counts = {"built": 0, "reused": 0}


def remembered(builder: F) -> F:
    """``builder`` with its figures kept by argument digest (least recently used go first)."""
    name = f"{builder.__module__}.{builder.__qualname__}"

    @functools.wraps(builder)
    def build(*args, **kwargs):
        try:
            key = hashlib.blake2b(pickle.dumps((name, args, sorted(kwargs.items())),
                                               protocol=pickle.HIGHEST_PROTOCOL), digest_size=16).digest()
        except (pickle.PicklingError, TypeError, AttributeError):  # arguments with no stable digest
            return builder(*args, **kwargs)
        with _lock:
            if key in _kept:
                _kept.move_to_end(key)
                _counts["reused"] += 1
                return _kept[key]
        figure = builder(*args, **kwargs)  # built outside the lock: two sessions may both build it once
        with _lock:
            _kept[key] = figure
            _counts["built"] += 1
            while len(_kept) > KEPT:
                _kept.popitem(last=False)
        return figure

    return build  # type: ignore[return-value]


def counts() -> dict:
    """Figures built and reused since this server started (and how many are kept)."""
    with _lock:
        return {**_counts, "kept": len(_kept)}

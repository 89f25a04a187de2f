"""The fetch pipeline: run fetches on bounded worker pools and hand each result, as it
arrives, to its task's handler in the calling thread; a handler may yield follow-up
fetches, which start at once (no barrier between phases).

Reports (``/records``) run in a lane of their own, so BroadStreet's report throttle
never holds up entity fetches.  In each lane the *first-look* fetches (what the Overview
and Campaigns need: ``Task.first``) go before the rest; once every one of them is handled,
``on_first_look`` is called, once (a first start records that point, and the pages read
the mirror from then on).
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from ..errors import AuthError, BroadStreetError, SyncAbortedError
from .runs import RunRecorder

REPORT_PHASE = "stats"
STOP_CHECK_SECONDS = 0.25  # how soon a cancel or a lost lease is noticed while fetches are in flight
#: fetches submitted per worker: enough that no worker waits for the next, while ``wait``
#: watches a handful of futures, not every fetch of the run (20,000 placement lists on
#: `large`: watching them all cost each of the run's ~20,000 turns a pass over them)
IN_FLIGHT = 2


@dataclasses.dataclass
class Task:
    """One fetch, and what to do with its result (which may start more fetches)."""

    phase: str
    fetch: Callable[[], Any]
    handle: Callable[[Any], list[Task]]
    label: str  #: how errors name it, e.g. "campaigns of advertiser 123"
    on_error: Callable[[], list[Task]] | None = None
    #: a failure stops the run (the network list: nothing else can be known without it)
    fatal: bool = False
    #: part of the first look: fetched before the lane's other tasks
    first: bool = False


def run_tasks(tasks: list[Task], *, concurrency: int, recorder: RunRecorder,
              should_stop: Callable[[], None], on_first_look: Callable[[], None] | None = None) -> None:
    """Run ``tasks`` and every follow-up to completion.

    ``should_stop`` raises :class:`SyncAbortedError` when the run must stop (cancelled,
    lease lost); it is checked before each fetch and after each result.  A failed fetch
    is recorded against its task and the rest go on, except an auth failure or a fatal
    task, which stop the run.  ``on_first_look`` is called in this thread once no
    first-look task is left (handled or failed), if there was one.
    """
    if not tasks:
        return
    api = ThreadPoolExecutor(concurrency, thread_name_prefix="sync-api")
    reports = ThreadPoolExecutor(1, thread_name_prefix="sync-reports")
    lanes = {"api": _Lane(api, concurrency * IN_FLIGHT), "reports": _Lane(reports, IN_FLIGHT)}
    pending: dict[Future, tuple[Task, _Lane]] = {}
    first_open = 0  # first-look tasks enqueued and not yet handled

    def guarded(fetch: Callable[[], Any]) -> Any:
        should_stop()
        return fetch()

    def enqueue(task: Task) -> None:
        nonlocal first_open
        recorder.grow(task.phase)
        lanes["reports" if task.phase == REPORT_PHASE else "api"].push(task)
        first_open += task.first

    def fill() -> None:
        """Keep each pool a few fetches ahead of its workers; the rest wait in order."""
        for lane in lanes.values():
            while lane.queue and lane.in_flight < lane.limit:
                task = lane.pop()
                try:
                    pending[lane.pool.submit(guarded, task.fetch)] = (task, lane)
                except RuntimeError:  # "cannot schedule new futures after interpreter shutdown"
                    raise SyncAbortedError("cancelled", "the sync was cancelled: the process is stopping") from None
                lane.in_flight += 1

    finished = False
    try:
        for task in tasks:
            enqueue(task)
        fill()
        while pending:
            done, _ = wait(list(pending), timeout=STOP_CHECK_SECONDS, return_when=FIRST_COMPLETED)
            should_stop()
            for future in done:
                task, lane = pending.pop(future)
                lane.in_flight -= 1
                for follow in _outcome(task, future, recorder):
                    enqueue(follow)
                recorder.advance(task.phase)
                first_open -= task.first
                if task.first and first_open == 0 and on_first_look is not None:
                    on_first_look()
                    on_first_look = None  # once
            fill()
        finished = True
    finally:
        # Stopping early: queued fetches are dropped and in-flight ones abandoned (their
        # answers are no longer wanted), so a cancel takes effect at once.
        api.shutdown(wait=finished, cancel_futures=True)
        reports.shutdown(wait=finished, cancel_futures=True)


@dataclasses.dataclass
class _Lane:
    """A pool, the fetches waiting for it (first-look ones first, else in order) and how
    many it holds now."""

    pool: ThreadPoolExecutor
    limit: int
    queue: list = dataclasses.field(default_factory=list)
    in_flight: int = 0
    _order: itertools.count = dataclasses.field(default_factory=itertools.count)

    def push(self, task: Task) -> None:
        heapq.heappush(self.queue, (not task.first, next(self._order), task))

    def pop(self) -> Task:
        return heapq.heappop(self.queue)[2]


def _outcome(task: Task, future: Future, recorder: RunRecorder) -> list[Task]:
    """The follow-up tasks of a finished fetch (its handler's, or its on_error's)."""
    try:
        data = future.result()
    except AuthError as exc:
        raise SyncAbortedError("failed", str(exc), exc) from None
    except BroadStreetError as exc:
        if task.fatal:
            raise SyncAbortedError("failed", f"could not list {task.label}: {exc}", exc) from None
        recorder.error(exc, task.label, task.phase)
        return task.on_error() if task.on_error else []
    return task.handle(data)

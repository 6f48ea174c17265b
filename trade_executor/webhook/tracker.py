"""StatusTracker: a LiveObserver that turns the trader's callbacks into snapshots the HTTP thread reads.

Every write happens on the trader's thread and ends by swapping one reference; the HTTP thread
only reads the current reference, so it never sees half an update and never touches the State.
"""

from __future__ import annotations

import gzip
import logging
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import replace
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version

from trade_executor.runner.observers import LiveObserver
from trade_executor.secrets import mask, mask_bytes
from trade_executor.webhook.config import ExecutorMetadata
from trade_executor.webhook.control import command_row, pause_of, recent_rows, record_row, with_row
from trade_executor.webhook.gzip_parts import GZIP_LEVEL
from trade_executor.webhook.snapshot import PriceSeries, Snapshot, portfolio_view
from trade_executor.webhook.state_body import Body, StateBody

logger = logging.getLogger(__name__)


def executor_version() -> str:
    try:
        return package_version("trade-executor")
    except PackageNotFoundError:
        return "unknown"


class StateDocument:
    """The whole state as of one save, built, masked and gzip-compressed at most once, on first request.

    ``source`` is the document's bytes, what builds them (SavedState.document: it reads the
    state files), or a StateBody following the files of a live store (state_body.py: it keeps the
    encoding of what never changes, so the build costs what changed). Either way a save costs the
    trader nothing here whatever the history, and the HTTP thread never touches the live State.
    """

    def __init__(self, source: bytes | Callable[[], bytes] | StateBody, saved_at: float, *, mask_secrets: bool = True):
        self._source = source
        self.saved_at = saved_at
        self.mask_secrets = mask_secrets
        self._lock = threading.Lock()
        self._data: bytes | None = source if isinstance(source, bytes) else None
        self._body: bytes | None = None
        self._gzipped: bytes | None = None
        self._built: Body | None = None

    def _build(self) -> Body:
        """A StateBody's parts (masked) and gzip member, built once."""
        if self._built is None:
            with self._lock:
                if self._built is None:
                    self._built = self._source.build()
        return self._built

    @property
    def ready(self) -> bool:
        return self._gzipped is not None

    @property
    def data(self) -> bytes:
        """The document (masked already when built by a StateBody)."""
        if self._data is None and isinstance(self._source, StateBody):
            return self.body()
        if self._data is None:
            with self._lock:
                if self._data is None:
                    self._data = self._source()
        return self._data

    def body(self) -> bytes:
        if self._body is None and isinstance(self._source, StateBody):
            built = self._build()
            with self._lock:
                if self._body is None:
                    self._body = built.plain()
        if self._body is None:
            data = self.data
            with self._lock:
                if self._body is None and not self.mask_secrets:
                    self._body = data
                elif self._body is None:
                    self._body = mask_bytes(data)
        return self._body

    def gzipped(self) -> bytes:
        if self._gzipped is None and isinstance(self._source, StateBody):
            self._gzipped = self._build().gzipped
        if self._gzipped is None:
            body = self.body()
            with self._lock:
                if self._gzipped is None:
                    self._gzipped = gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)
        return self._gzipped


def describe_exception(error: BaseException) -> dict:
    """Type, message and traceback of a crash, with every registered secret masked."""
    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    return {"type": type(error).__name__, "message": mask(str(error)), "traceback": mask(text)}


class StatusTracker(LiveObserver):
    """Keeps the latest Snapshot and StateDocument for the webhook.

    Snapshots are replaced under a lock: the trader's thread makes most of them, the HTTP thread one
    kind (a control command queued). ``price_source`` is called on the trader's thread after each cycle and returns recent
    closes (PriceSeries) for /visualisation and the data age; the CLI wires it to the universe.
    """

    def __init__(
        self,
        metadata: ExecutorMetadata | None = None,
        *,
        version: str | None = None,
        price_source: Callable[[], Iterable[PriceSeries]] | None = None,
        clock: Callable[[], float] = time.time,
        control_enabled: bool = False,
    ):
        """``control_enabled``: the webhook's /control endpoints are on (the dashboard shows their buttons)."""
        self.clock = clock
        self.price_source = price_source
        self._lock = threading.Lock()
        self._snapshot = Snapshot(refreshed_at=clock(), version=version or executor_version(), metadata=metadata or ExecutorMetadata(), control_enabled=control_enabled)
        self._document: StateDocument | None = None
        self._state_body: StateBody | None = None  # the live store's files, followed between saves

    @property
    def snapshot(self) -> Snapshot:
        return self._snapshot

    @property
    def state_document(self) -> StateDocument | None:
        return self._document

    @property
    def state_body(self) -> StateBody | None:
        """What builds /state from the live store's files (its counters show the work per build)."""
        return self._state_body

    def _update(self, now: float | None = None, *, rows: Callable[[tuple[dict, ...]], tuple[dict, ...]] | None = None, **changes) -> None:
        """Replace the snapshot; ``rows`` makes the new control rows from the current ones (both threads add rows)."""
        with self._lock:
            if rows is not None:
                changes["control_commands"] = rows(self._snapshot.control_commands)
            self._snapshot = replace(self._snapshot, refreshed_at=self.clock() if now is None else now, **changes)

    def control_queued(self, command) -> None:
        """A control command was queued (called on the HTTP thread): /status lists it as queued until the trader runs it."""
        row = command_row(command)
        self._update(rows=lambda current: with_row(current, row))

    # --- LiveObserver ------------------------------------------------------------------------------

    def started(self, state) -> None:
        now = self.clock()
        done = recent_rows(state)  # after a restart: what earlier runs did; commands queued while this one started stay
        self._update(
            now, started_at=now, executor_running=True, portfolio=portfolio_view(state), paused=pause_of(state),
            rows=lambda current: tuple(row for row in current if row["status"] == "queued") + done,
        )

    def gas_checked(self, balance) -> None:
        self._update(hot_wallet_gas=balance)

    def cycle_finished(self, report, state) -> None:
        prices, latest = self._read_prices()
        self._update(cycles=self._snapshot.cycles + 1, last_cycle_seconds=report.seconds, portfolio=portfolio_view(state), prices=prices, latest_data_at=latest)

    def triggers_checked(self, timestamp, trades, state) -> None:
        changes = {"portfolio": portfolio_view(state)} if trades else {}
        self._update(position_trigger_checks=self._snapshot.position_trigger_checks + 1, **changes)

    def trades_executed(self, trades, state) -> None:
        self._update(portfolio=portfolio_view(state))

    def state_saved(self, saved) -> None:
        """``saved``: a SavedState (state/store.py), or a document's bytes."""
        path = None if isinstance(saved, bytes) else getattr(saved, "path", None)
        if path is None:
            self._document = StateDocument(saved if isinstance(saved, bytes) else saved.document, self.clock())
            return
        if self._state_body is None or self._state_body.path != path:
            self._state_body = StateBody(path)
        self._document = StateDocument(self._state_body, self.clock())

    def control_executed(self, record, state) -> None:
        row = record_row(record)
        self._update(rows=lambda current: with_row(current, row), paused=pause_of(state), portfolio=portfolio_view(state))

    def node_unreachable(self, error) -> None:
        now = self.clock()
        self._update(now, node_outage={"since": now, "error": mask(f"{type(error).__name__}: {error}")[:500]})

    def node_back(self, seconds) -> None:
        self._update(node_outage=None)

    def crashed(self, error, state) -> None:
        changes = {}
        if state is not None:
            try:
                changes["portfolio"] = portfolio_view(state)
            except Exception:  # a state caught mid-change still gets its crash reported
                logger.warning("Could not read the state after the crash; /status keeps the last good portfolio", exc_info=True)
        now = self.clock()
        self._update(now, executor_running=False, exception=describe_exception(error), crashed_at=now, **changes)

    def stopped(self, cycles) -> None:
        self._update(executor_running=False)

    def _read_prices(self) -> tuple[tuple[PriceSeries, ...], float | None]:
        if self.price_source is None:
            return self._snapshot.prices, self._snapshot.latest_data_at
        try:
            prices = tuple(self.price_source())
        except Exception:
            logger.warning("Could not read recent prices for /visualisation", exc_info=True)
            return self._snapshot.prices, self._snapshot.latest_data_at
        closed = [p.closed_at for p in prices if p.closed_at is not None]
        return prices, max(closed) if closed else None

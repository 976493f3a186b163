"""How far the run's requests have got: planned, in flight, done, retried, per model.

``RequestCounts`` is the exchange runner's observer (``conformance.exchange.ExchangeObserver``):
the runner tells it what happens, on its own thread, and a display reads consistent snapshots
from another. It prints nothing; ``conformance.report.live`` shows it. A run that shows no
progress (plain ``pytest``) leaves it out and the runner counts nothing.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from conformance.records import Exchange

counts_key = pytest.StashKey["RequestCounts"]()  # set by the live terminal, read by the suite


@dataclass(frozen=True)
class ModelCounts:
    """One model's requests: ``planned`` counts those queued and not dropped."""

    planned: int = 0
    started: int = 0
    done: int = 0

    @property
    def in_flight(self) -> int:
        return self.started - self.done


@dataclass(frozen=True)
class Snapshot:
    """The counts at one moment; ``retries`` by reason ("429", "503", "resent")."""

    models: dict[str, ModelCounts] = field(default_factory=dict)
    retries: dict[str, int] = field(default_factory=dict)
    throttled: int = 0  # requests that still got 429/503 after every retry
    first_request_at: float | None = None  # time.monotonic() of the first request queued

    def _total(self, name: str) -> int:
        return sum(getattr(counts, name) for counts in self.models.values())

    @property
    def planned(self) -> int:
        return self._total("planned")

    @property
    def done(self) -> int:
        return self._total("done")

    @property
    def in_flight(self) -> int:
        return sum(counts.in_flight for counts in self.models.values())

    @property
    def pending(self) -> int:
        """Queued and not finished yet: while this is above 0, the run is sending."""
        return self.planned - self.done


class RequestCounts:
    """The runner's observer: counts under a lock, ``on_change`` called after each change (on
    the runner's thread: it must not block)."""

    def __init__(self, on_change: Callable[[], None] | None = None) -> None:
        self._lock = threading.Lock()
        self._models: dict[str, list[int]] = {}  # model: [planned, started, done]
        self._retries: Counter[str] = Counter()
        self._throttled = 0
        self._first: float | None = None
        self.on_change = on_change

    def _count(self, model: str | None, column: int, step: int = 1) -> None:
        with self._lock:
            if self._first is None:
                self._first = time.monotonic()
            self._models.setdefault(model or "", [0, 0, 0])[column] += step
        self._changed()

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    def queued(self, model: str | None) -> None:
        self._count(model, 0)

    def dropped(self, model: str | None) -> None:
        self._count(model, 0, -1)

    def started(self, model: str | None) -> None:
        self._count(model, 1)

    def retrying(self, model: str | None, reason: str) -> None:
        with self._lock:
            self._retries[reason] += 1
        self._changed()

    def finished(self, model: str | None, exchange: Exchange) -> None:
        with self._lock:
            self._throttled += exchange.throttled
        self._count(model, 2)

    def snapshot(self) -> Snapshot:
        with self._lock:
            return Snapshot(
                models={m: ModelCounts(*values) for m, values in self._models.items()},
                retries=dict(self._retries),
                throttled=self._throttled,
                first_request_at=self._first,
            )


def observer_of(config: pytest.Config) -> RequestCounts | None:
    """The counts a live display registered for this run, if any."""
    return config.stash.get(counts_key, None)

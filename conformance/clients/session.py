"""The run's side: start the replay worker when the run starts, feed it each exchange as it
ends, and at the end write the effects into the report.

Three calls from the suite: ``start`` once the tests are collected (the child imports the SDK
while the run sends), ``on_exchange`` as the exchange runner's callback, and ``attach`` once the
report is built, before it is written. The effects go beside each failed exchange's evidence
(``client``) and into the report's ``clients`` summary. Without the SDK installed, ``clients``
says how to install it.
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from conformance.clients.effects import Effect
from conformance.clients.recording import Recording, exchange_key, recording_of
from conformance.clients.render import summary_record, unavailable_record
from conformance.clients.worker import Replayed, ReplayWorker
from conformance.records import Exchange


class Replays:
    """The run's worker and the recordings it was sent, by key."""

    def __init__(self, worker: ReplayWorker) -> None:
        self.worker = worker
        self.sent: dict[str, Recording] = {}
        self.keys_by_name: dict[str, list[str]] = {}
        # The same bytes give the same effect: a third of a default run's responses repeat
        # another's (error bodies), and are replayed once.
        self.same_as: dict[str, str] = {}  # key -> the key of the recording replayed for it
        self._first_of: dict[tuple, str] = {}

    def send(self, exchange: Exchange) -> None:
        """Queue one exchange for replay (called on the runner's event loop: only queues)."""
        try:
            recording = recording_of(exchange)
        except Exception:  # never let the replay break the run: this exchange goes unreplayed
            return
        if recording is None or recording.key in self.sent:
            return
        self.sent[recording.key] = recording
        self.keys_by_name.setdefault(exchange.name, []).append(recording.key)
        first = self._first_of.setdefault(recording.response_identity(), recording.key)
        self.same_as[recording.key] = first
        if first == recording.key:
            self.worker.send(recording)

    def effect(self, replayed: Replayed, key: str) -> Effect | None:
        return replayed.effects.get(self.same_as.get(key, key))


replays_key = pytest.StashKey[Replays | None]()


def sdk_installed() -> bool:
    """Whether ``openai`` can be imported, without importing it (that is the worker's job)."""
    return importlib.util.find_spec("openai") is not None


def start(config: pytest.Config) -> None:
    """Start the worker now, so the SDK's import overlaps the run; killed at exit if unused."""
    replays = Replays(ReplayWorker()) if sdk_installed() else None
    config.stash[replays_key] = replays
    if replays is not None:
        config.add_cleanup(replays.worker.close)


def on_exchange(config: pytest.Config) -> Callable[[Exchange], None] | None:
    """The exchange runner's callback: each finished exchange goes to the worker at once."""
    replays = config.stash.get(replays_key, None)
    return replays.send if replays is not None else None


def attach(config: pytest.Config, report: dict[str, Any], exchanges: Iterable[Exchange]) -> None:
    """Replay what is left; put each failed exchange's effect and the run's summary in."""
    replays = config.stash.get(replays_key, None)
    if replays is None:
        report["clients"] = unavailable_record("the openai SDK is not installed")
        return
    for exchange in exchanges:  # the preflight, and anything the callback did not see
        replays.send(exchange)
    replayed = replays.worker.finish()
    if replayed.client is None:
        report["clients"] = unavailable_record(replayed.unavailable or "")
        return
    for test in _failed_tests(report):
        for record in test["evidence"].get("exchanges", []):
            name = record.get("name", "")
            key = exchange_key(name, test.get("model"))
            if key not in replays.sent and len(replays.keys_by_name.get(name, [])) == 1:
                key = replays.keys_by_name[name][0]  # a test without a model
            effect = replays.effect(replayed, key)
            if effect is not None:
                record["client"] = effect.to_json()
    effects = [e for e in map(functools.partial(replays.effect, replayed), replays.sent) if e]
    report["clients"] = summary_record(replayed.client, effects)


def _failed_tests(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        test
        for requirement in report.get("requirements", [])
        for test in requirement.get("tests", [])
        if test.get("outcome") == "failed" and test.get("evidence")
    ]

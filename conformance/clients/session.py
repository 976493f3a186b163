"""The run's side: start the replay worker, feed it each exchange as it ends, and at the end
write the effects into the report.

When the worker starts is the design's one trade-off. Against a target at a URL it starts with
the run: the SDK's import (0.65 s of CPU in the child) and the replays overlap a run that mostly
waits on the network, so the run takes no longer, and a passing run can say "the openai SDK
parsed all N recorded responses". Against the embedded reference server a run waits on nothing:
on two busy cores the child's CPU time made the default run 18 to 23 % slower. There it starts
at the first failed test, and a run without failures replays nothing (the reference server's
responses are the contract's own; the summary says so).

Four calls from the suite: ``start`` once the tests are collected, ``replaying`` for the
exchange runner's observer, ``on_failure`` when a test fails, and ``attach`` once the report is
built, before it is written. The effects go beside each failed exchange's evidence (``client``)
and into the report's ``clients`` summary, which also lists the exchanges the client broke on
that no failure shows (``beyond_failures``, ``clients/beyond.py``). Without the SDK installed,
``clients`` says how to install it; with ``--no-client-replay`` no worker starts at all.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable
from typing import Any

import pytest

from conformance.clients.beyond import beyond_failures
from conformance.clients.effects import Effect
from conformance.clients.recording import Recording, exchange_key, recording_of
from conformance.clients.render import (
    not_needed_record,
    summary_record,
    turned_off_record,
    unavailable_record,
)
from conformance.clients.worker import Replayed, ReplayWorker
from conformance.records import Exchange


class Replays:
    """The run's worker (once started) and the recordings it was sent, by key."""

    def __init__(self) -> None:
        self.worker: ReplayWorker | None = None
        self.sent: dict[str, Recording] = {}
        self.exchanges: dict[str, Exchange] = {}  # key -> the exchange it was recorded from
        self.keys_by_name: dict[str, list[str]] = {}
        # The same bytes give the same effect: a third of a default run's responses repeat
        # another's (error bodies), and are replayed once.
        self.same_as: dict[str, str] = {}  # key -> the key of the recording replayed for it
        self._first_of: dict[tuple, str] = {}

    def start(self) -> None:
        if self.worker is None:
            self.worker = ReplayWorker()

    def close(self) -> None:
        if self.worker is not None:
            self.worker.close()

    def send(self, exchange: Exchange) -> None:
        """Queue one exchange for replay (called on the runner's event loop: only queues).
        Before the worker starts, nothing: ``attach`` sends every exchange at the end."""
        if self.worker is None:
            return
        try:
            recording = recording_of(exchange)
        except Exception:  # never let the replay break the run: this exchange goes unreplayed
            return
        if recording is None or recording.key in self.sent:
            return
        self.sent[recording.key] = recording
        self.exchanges[recording.key] = exchange
        self.keys_by_name.setdefault(exchange.name, []).append(recording.key)
        first = self._first_of.setdefault(recording.response_identity(), recording.key)
        self.same_as[recording.key] = first
        if first == recording.key:
            self.worker.send(recording)

    def effect(self, replayed: Replayed, key: str) -> Effect | None:
        return replayed.effects.get(self.same_as.get(key, key))


replays_key = pytest.StashKey[Replays | None]()
turned_off_key = pytest.StashKey[bool]()  # --no-client-replay


def sdk_installed() -> bool:
    """Whether ``openai`` can be imported, without importing it (that is the worker's job)."""
    return importlib.util.find_spec("openai") is not None


def start(config: pytest.Config) -> None:
    """Start the worker with the run against a URL; against the embedded server, wait for a
    failure (``on_failure``); with ``--no-client-replay``, never. The worker is killed at exit
    if it is still running."""
    from conformance.options import pytest_value
    from conformance.settings import settings_from_pytest

    turned_off = not pytest_value(config, "client_replay")
    config.stash[turned_off_key] = turned_off
    replays = Replays() if not turned_off and sdk_installed() else None
    config.stash[replays_key] = replays
    if replays is None:
        return
    config.add_cleanup(replays.close)
    if not settings_from_pytest(config).embedded:
        replays.start()


def on_failure(config: pytest.Config) -> None:
    """A test failed: its exchanges will be replayed, so the worker starts now if it has not."""
    replays = config.stash.get(replays_key, None)
    if replays is not None:
        replays.start()


def replaying(config: pytest.Config, observer: Any) -> Any:
    """The exchange runner's observer (``exchange.ExchangeObserver``): ``observer`` (a progress
    display, or None) wrapped so that each finished exchange also goes to the worker at once."""
    replays = config.stash.get(replays_key, None)
    return _Replaying(replays, observer) if replays is not None else observer


class _Replaying:
    """Passes every call on to the observer it wraps; a finished exchange is also queued for
    replay. Called on the runner's event loop: it only queues."""

    def __init__(self, replays: Replays, inner: Any) -> None:
        self.replays, self.inner = replays, inner

    def finished(self, model: str | None, exchange: Exchange) -> None:
        if self.inner is not None:
            self.inner.finished(model, exchange)
        self.replays.send(exchange)

    def __getattr__(self, name: str) -> Any:
        """queued, started, retrying, dropped: the wrapped observer's, or nothing."""
        return getattr(self.inner, name) if self.inner is not None else _ignore


def _ignore(*arguments: Any) -> None:
    pass


def attach(config: pytest.Config, report: dict[str, Any], exchanges: Iterable[Exchange]) -> None:
    """Replay what is left; put each failed exchange's effect and the run's summary in."""
    replays = config.stash.get(replays_key, None)
    if replays is None and config.stash.get(turned_off_key, False):
        report["clients"] = turned_off_record()
        return
    if replays is None:
        report["clients"] = unavailable_record("the openai SDK is not installed")
        return
    if replays.worker is None:
        report["clients"] = not_needed_record()
        return
    for exchange in exchanges:  # the preflight, and anything the callback did not see
        replays.send(exchange)
    replayed = replays.worker.finish()
    if replayed.client is None:
        report["clients"] = unavailable_record(replayed.unavailable or "")
        return
    shown: set[str] = set()  # the keys whose effect a failure shows
    for test in _failed_tests(report):
        for record in test["evidence"].get("exchanges", []):
            name = record.get("name", "")
            key = exchange_key(name, test.get("model"))
            if key not in replays.sent and len(replays.keys_by_name.get(name, [])) == 1:
                key = replays.keys_by_name[name][0]  # a test without a model
            effect = replays.effect(replayed, key)
            if effect is not None:
                record["client"] = effect.to_json()
                shown.add(key)
    by_key = {k: e for k in replays.sent if (e := replays.effect(replayed, k)) is not None}
    report["clients"] = summary_record(replayed.client, list(by_key.values()))
    secrets = _secrets(config)
    beyond, alike = beyond_failures(by_key, replays.exchanges, shown, secrets)
    if beyond:
        report["clients"]["beyond_failures"] = beyond
    if alike:
        report["clients"]["alike_failures"] = alike
    _redact_effects(report, secrets)


def _secrets(config: pytest.Config) -> tuple[str, ...]:
    from conformance.redaction import url_secrets
    from conformance.settings import settings_from_pytest

    settings = settings_from_pytest(config)
    return tuple(s for s in (settings.api_key, *url_secrets(settings.base_url or "")) if s)


def _redact_effects(report: dict[str, Any], secrets: tuple[str, ...]) -> None:
    """An exception's message quotes the response, which the exchange already redacted: the
    second lock on the same door, as for all evidence."""
    from conformance.report.evidence import redact_all

    for test in _failed_tests(report):
        for record in test["evidence"].get("exchanges", []):
            if "client" in record:
                record["client"] = redact_all(record["client"], secrets)


def _failed_tests(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        test
        for requirement in report.get("requirements", [])
        for test in requirement.get("tests", [])
        if test.get("outcome") == "failed" and test.get("evidence")
    ]

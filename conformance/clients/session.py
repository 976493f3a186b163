"""The run's side: start the replay worker when the run starts, and at its end replay every
answered chat-completions exchange and write the effects into the report.

Two calls from the plugin: ``start`` once the tests are collected (so that the child imports
the SDK while the run sends), ``attach`` once the report is built, before it is written. The
effects go beside each failed exchange's evidence (``client``) and into the report's
``clients`` summary. Without the SDK installed, ``clients`` says how to install it.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest

from conformance.clients.recording import Recording, exchange_key, recording_of
from conformance.clients.render import summary_record, unavailable_record
from conformance.clients.worker import ReplayWorker

worker_key = pytest.StashKey[ReplayWorker | None]()


def sdk_installed() -> bool:
    """Whether ``openai`` can be imported, without importing it (that is the worker's job)."""
    return importlib.util.find_spec("openai") is not None


def start(config: pytest.Config) -> None:
    """Start the worker now, so the SDK's import overlaps the run; killed at exit if unused."""
    worker = ReplayWorker() if sdk_installed() else None
    config.stash[worker_key] = worker
    if worker is not None:
        config.add_cleanup(worker.close)


def attach(config: pytest.Config, report: dict[str, Any], exchanges: list[Any]) -> None:
    """Replay the run's exchanges; put each failed exchange's effect and the summary in."""
    worker = config.stash.get(worker_key, None)
    if worker is None:
        report["clients"] = unavailable_record("the openai SDK is not installed")
        return
    recordings: dict[str, Recording] = {}
    keys_by_name: dict[str, list[str]] = {}
    for exchange in exchanges:
        recording = recording_of(exchange)
        if recording is not None:
            recordings[recording.key] = recording
            keys_by_name.setdefault(exchange.name, []).append(recording.key)
    replayed = worker.replay_all(recordings.values())
    if replayed.client is None:
        report["clients"] = unavailable_record(replayed.unavailable or "")
        return
    for test in _failed_tests(report):
        for record in test["evidence"].get("exchanges", []):
            name = record.get("name", "")
            key = exchange_key(name, test.get("model"))
            if key not in recordings and len(keys_by_name.get(name, [])) == 1:
                key = keys_by_name[name][0]  # a test without a model, one exchange of that name
            effect = replayed.effects.get(key)
            if effect is not None:
                record["client"] = effect.to_json()
    report["clients"] = summary_record(replayed.client, list(replayed.effects.values()))


def _failed_tests(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        test
        for requirement in report.get("requirements", [])
        for test in requirement.get("tests", [])
        if test.get("outcome") == "failed" and test.get("evidence")
    ]


__all__ = ["Recording", "attach", "sdk_installed", "start"]

"""``--latency-samples N``: N more streamed requests per model, sent one at a time after the run.

The run's own requests overlap (``--concurrency``), and a server answers a request more slowly
while it serves others, so figures taken from them mix the target's speed with its load. These
samples are sent when every other request has ended, each alone, so the latency figures
(``report.latency``) can be taken from them instead. They are the ``stream`` probe, named
``latency_sample_N``; they count as requests sent and appear in the request log.
"""

from __future__ import annotations

from collections.abc import Sequence

from conformance.exchange import Exchange, ExchangeRunner
from conformance.probes import PROBES
from conformance.report.latency import SAMPLE_PREFIX

SAMPLE_PROBE = "stream"


def send_samples(runner: ExchangeRunner, models: Sequence[str], count: int) -> list[Exchange]:
    """Send ``count`` samples per model, each after the previous one has ended."""
    probe = PROBES[SAMPLE_PROBE]
    return [
        runner.run(f"{SAMPLE_PREFIX}_{number}", probe.build(model))
        for model in models
        for number in range(1, count + 1)
    ]

"""The speed benchmark still runs: its quick mode, as a smoke test. No time is asserted here;
the figures are for people to read (README, Performance)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # the benchmark script's quick mode

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"

ROWS = (
    "chat-conformance --help, wall",
    "import conformance.cli",
    "default run, wall",
    "default run, requests sent",
    "default run, peak RSS",
    "overhead, no latency: suite / bare httpx",
    "ms latency: suite / bare httpx",
    "ms latency: wall / (requests x latency / concurrency)",
    "per generated case, ours",
)


def test_quick_benchmark_prints_its_table():
    completed = subprocess.run(
        [sys.executable, str(BENCHMARKS / "speed.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    table = completed.stdout
    assert "machine:" in table and "cores" in table and "hypothesis" in table
    for row in ROWS:
        assert row in table, f"no row {row!r} in\n{table}"
    assert "not measured" in table  # --quick leaves schemathesis out

"""The latency figures of a whole run measure the target: against ``chat-conformance serve
--latency 300ms --token-interval 30ms`` the report reads 300 ms to first byte and 30 ms between
stream events, from the run's overlapping requests and from ``--latency-samples``."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator

import pytest

from tests.cli_runs import CLI, clean_environment

pytestmark = pytest.mark.slow

KEY = "sk-latency-run-key-0000000000"
MODEL = "conformance-echo"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def slow_server() -> Iterator[str]:
    port = _free_port()
    command = [*CLI, "serve", "--port", str(port), "--api-key", KEY]
    server = subprocess.Popen(
        [*command, "--latency", "300ms", "--token-interval", "30ms"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=clean_environment(),
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("chat-conformance serve did not start listening")
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.parametrize("samples", [0, 5])
def test_the_report_measures_the_servers_latency_and_token_interval(run_cli, slow_server, samples):
    run = run_cli(
        "run",
        "--base-url",
        slow_server,
        "--model",
        MODEL,
        "--profile",
        "quick",
        "--only",
        "STREAM",
        "--latency-samples",
        str(samples),
        env=clean_environment(CHAT_CONFORMANCE_API_KEY=KEY),
        timeout=180,
    )
    assert run.exit_code == 0, run.tail()
    latency = run.report["latency"]
    figures = latency["models"][MODEL]
    assert latency["taken_from"] == ("samples" if samples else "run")
    if samples:
        assert figures["exchanges"] == samples
    first_byte, gap = figures["time_to_first_byte_ms"]["p50"], figures["event_gap_ms"]["p50"]
    assert 240 <= first_byte <= 360, latency  # 300 ms +-20%
    assert 21 <= gap <= 39, latency  # 30 ms +-30%
    assert f"{MODEL}: first byte" in run.stdout
    assert KEY not in run.stdout + run.stderr

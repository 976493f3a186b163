"""429 and 503 are retried politely; a target that never lets up gets no verdict, and says so."""

from __future__ import annotations

import pytest

from conformance.exchange import retry_delay
from conformance.reference.config import ServerConfig
from conformance.reference.runner import running_server
from tests.raw_server import raw_server

pytestmark = pytest.mark.slow  # CLI runs that wait out retries


def test_retry_delay_prefers_retry_after_and_caps_it():
    assert retry_delay("2", 1, cap=30) == 2
    assert retry_delay("120", 1, cap=30) == 30
    assert retry_delay(None, 1, cap=30) == 0.5
    assert retry_delay(None, 3, cap=30) == 2
    assert retry_delay("Wed, 21 Oct 2015 07:28:00 GMT", 1, cap=30) == 0  # a date in the past
    assert retry_delay("soon", 2, cap=30) == 1  # unparsable: the backoff


def test_a_rate_limited_target_that_recovers_is_judged_normally(tmp_path, run_cli):
    config = ServerConfig(api_key="sk-rate-limited-key", variations=("rate-limited",))
    with running_server(config) as server:
        completed = run_cli(
            "run", "--base-url", server.base_url,
            "--api-key", "sk-rate-limited-key", "--model", "m",
            "--reports-dir", str(tmp_path), "--strict",
        )  # fmt: skip
    assert completed.exit_code == 0, completed.stdout[-2000:]


def test_a_target_that_always_throttles_gets_exit_2_and_no_verdict(tmp_path, run_cli):
    def always_429(connection):
        body = b'{"error": {"message": "slow down", "type": "requests"}}'
        connection.sendall(
            b"HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/json\r\n"
            b"retry-after: 0\r\nconnection: close\r\n"
            + f"content-length: {len(body)}\r\n\r\n".encode()
            + body
        )

    with raw_server(always_429) as url:
        completed = run_cli(
            "run", "--base-url", url,
            "--model", "m", "--reports-dir", str(tmp_path), "--retries", "2",
        )  # fmt: skip
    assert completed.exit_code == 2
    assert "throttled" in completed.stderr and "not a conformance verdict" in completed.stderr
    report = completed.report
    assert report["complete"] is False and report["throttled"]
    assert not any(r["status"] == "failed" for r in report["requirements"])
    assert completed.seconds < 60

"""Every exchange ends within its bounds and keeps no secret, whatever the server does."""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conformance.exchange import (
    REDACTED,
    ExchangeRunner,
    Limits,
    RequestSpec,
    Target,
    strict_json,
)
from conformance.reference.config import ServerConfig
from conformance.reference.runner import running_server
from tests.raw_server import raw_server

HELLO = [{"role": "user", "content": "hi"}]
STREAM = RequestSpec({"model": "m", "messages": HELLO, "stream": True})
KEY = "sk-test-secret-0123456789"


def run_once(base_url: str, limits: Limits, spec: RequestSpec = STREAM):
    runner = ExchangeRunner(Target(base_url, KEY, limits), concurrency=1)
    try:
        started = time.monotonic()
        exchange = runner.run("probe", spec)
        return exchange, time.monotonic() - started
    finally:
        runner.close()


def test_headers_never_sent_hit_the_read_timeout():
    with raw_server(lambda connection: time.sleep(3)) as url:
        exchange, took = run_once(url, Limits(read_timeout=0.5, deadline=5))
    assert exchange.status is None and "timed out" in exchange.error
    assert took < 2


def test_endless_stream_hits_the_deadline():
    with running_server(ServerConfig(api_key=KEY, faults=("stream-forever",))) as server:
        exchange, took = run_once(server.base_url, Limits(read_timeout=1, deadline=1.5))
    assert exchange.deadline_hit and exchange.status == 200 and exchange.events
    assert took < 3


def test_stalled_stream_hits_the_read_timeout():
    with running_server(ServerConfig(api_key=KEY, faults=("stream-stall",))) as server:
        exchange, took = run_once(server.base_url, Limits(read_timeout=0.5, deadline=10))
    assert "timed out" in exchange.error and took < 3


def test_oversized_response_is_cut_at_the_byte_limit():
    with running_server(ServerConfig(api_key=KEY, faults=("stream-forever",))) as server:
        exchange, _ = run_once(server.base_url, Limits(max_bytes=20_000, deadline=10))
    assert "byte limit" in exchange.error
    assert len(exchange.body) <= 20_000 + 65_536


def test_a_key_echoed_by_the_server_is_redacted():
    def echo(connection: socket.socket) -> None:
        body = f'{{"error": {{"message": "bad key Bearer {KEY}"}}}}'.encode()
        connection.sendall(
            b"HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\n"
            + f"x-echo: {KEY}\r\ncontent-length: {len(body)}\r\n\r\n".encode()
            + body
        )

    with raw_server(echo) as url:
        exchange, _ = run_once(url, Limits(), RequestSpec({"model": "m", "messages": []}))
    assert exchange.status == 401
    record = repr(exchange.body) + repr(exchange.headers) + repr(exchange.request_headers)
    assert KEY not in record and REDACTED in record


def test_events_after_done_are_recorded_then_listening_stops():
    def linger(connection: socket.socket) -> None:
        connection.sendall(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\r\n"
            b"data: [DONE]\n\ndata: {}\n\n"
        )
        time.sleep(5)  # keeps the connection open, as a sloppy server might

    with raw_server(linger) as url:
        exchange, took = run_once(url, Limits(done_grace=0.5, read_timeout=10, deadline=10))
    assert [e.data for e in exchange.events] == ["[DONE]", "{}"]
    assert exchange.error is None and took < 2


@pytest.mark.parametrize("text", ['{"a": NaN}', '{"a": Infinity}', "[-Infinity]"])
def test_strict_json_refuses_what_javascript_refuses(text):
    with pytest.raises(ValueError, match="not a JSON value"):
        strict_json(text)


def test_strict_json_reads_ordinary_numbers():
    assert strict_json('{"a": 1e308, "b": -0.5, "c": "NaN"}') == {"a": 1e308, "b": -0.5, "c": "NaN"}


def test_retries_stay_inside_the_concurrency_cap():
    """Every first attempt gets 429: the retries (after Retry-After: 0) share the same slots, so
    the server never sees more than ``concurrency`` requests at once, and it does see that many."""
    state = {"now": 0, "most": 0, "seen": set()}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with lock:
                state["now"] += 1
                state["most"] = max(state["most"], state["now"])
                first = body not in state["seen"]
                state["seen"].add(body)
            time.sleep(0.05)
            with lock:
                state["now"] -= 1
            status, payload = (
                (429, b'{"error": {"message": "slow down"}}') if first else (200, b"{}")
            )
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            if first:
                self.send_header("Retry-After", "0")
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *arguments: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    runner = ExchangeRunner(Target(f"http://127.0.0.1:{server.server_port}/v1", KEY), 3)
    try:
        requests = [
            (f"r{n}", RequestSpec({"model": "m", "messages": HELLO, "n": n})) for n in range(12)
        ]
        exchanges = runner.run_all(requests)
    finally:
        runner.close()
        server.shutdown()
    assert [e.status for e in exchanges] == [200] * 12
    assert all(e.attempts == 2 for e in exchanges)
    assert 2 <= state["most"] <= 3


def test_a_connection_closed_before_any_answer_is_sent_again_once():
    """A kept-alive connection the server closed as it was reused: the request never reached
    the server, so it goes again on a new connection, once (RFC 9112 section 9.3.1)."""
    seen = []
    body = b'{"id": "x"}'
    answer = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\n\r\n"

    def first_closes(connection):
        seen.append(1)
        if len(seen) > 1:
            connection.sendall(answer + body)

    plain = RequestSpec({"model": "m", "messages": HELLO})
    with raw_server(first_closes) as url:
        exchange, _ = run_once(url, Limits(read_timeout=2, deadline=5), plain)
    assert exchange.status == 200 and exchange.attempts == 2 and len(seen) == 2
    assert exchange.resent_after  # the first failure is kept on the record


def test_a_server_that_never_answers_is_sent_the_request_twice_at_most():
    seen = []
    plain = RequestSpec({"model": "m", "messages": HELLO})
    with raw_server(lambda connection: seen.append(1)) as url:
        exchange, _ = run_once(url, Limits(read_timeout=2, deadline=5), plain)
    assert exchange.status is None and exchange.error_type in ("RemoteProtocolError", "ReadError")
    assert len(seen) == 2

"""The record apart from the I/O (issue 13): checks import no HTTP client, records are frozen
finished data, derived caches leave them alone, and redaction keeps each event's timing."""

from __future__ import annotations

import ast
import dataclasses
import itertools
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conformance.checks import sse as sse_checks
from conformance.checks import stream as stream_checks
from conformance.exchange import ExchangeRunner, Limits, Target
from conformance.records import Exchange, RequestSpec, SseTranscript
from conformance.redaction import REDACTED, redact_exchange
from conformance.sse import SseParser, parse_all
from tests.raw_server import raw_server

PACKAGE = Path(__file__).resolve().parent.parent / "conformance"
KEY = "sk-echoed-SECRET-0123456789"
STREAM = RequestSpec(
    {"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": True}
)

CHECK_MODULES = sorted(
    "conformance.checks" + ("" if path.stem == "__init__" else f".{path.stem}")
    for path in (PACKAGE / "checks").glob("*.py")
)
PURE_MODULES = [
    *CHECK_MODULES,
    "conformance.probes",
    "conformance.strategies",
    "conformance.preflight",
    "conformance.records",
    "conformance.redaction",
    "conformance.sse",
    "conformance.report.evidence",
    "conformance.report.request_log",
]


@pytest.mark.parametrize("module", PURE_MODULES)
def test_pure_modules_import_no_http_client(module: str) -> None:
    """Each in a fresh interpreter: importing it must not bring httpx (nor, for the records and
    the checks, the event loop machinery of the runner)."""
    code = (
        f"import sys, {module}\n"
        "loaded = [name for name in ('httpx', 'httpcore') if name in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr[-2000:]


def test_the_check_modules_are_all_covered() -> None:
    assert "conformance.checks.stream" in CHECK_MODULES and len(CHECK_MODULES) >= 9


NETWORK_CLIENTS = ("httpx", "httpcore", "http.client", "urllib.request", "aiohttp", "requests")


def test_only_the_exchange_module_sends() -> None:
    """Every request goes through the runner (``conformance/exchange.py``): no other module of
    the package imports an HTTP client, the CLI and the preflight included. (The reference
    server listens; it sends nothing. The client replay gives the openai SDK an httpx client
    whose transport is a mock serving a recording: it sends nothing either, see
    ``tests/test_clients.py``.)"""
    offline = {PACKAGE / "exchange.py", PACKAGE / "clients" / "replay.py"}
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path in offline:
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                if any(name == c or name.startswith(c + ".") for c in NETWORK_CLIENTS):
                    offenders.append(f"{path.relative_to(PACKAGE.parent)}: {name}")
    assert offenders == []


def _stream_exchange(body: bytes, **fields) -> Exchange:
    parser = SseParser()
    parser.feed(body, 0.25)
    return Exchange(
        name="stream",
        url="http://127.0.0.1:1/v1/chat/completions",
        request=STREAM,
        request_headers={"authorization": "Bearer $API_KEY"},
        status=200,
        headers={"content-type": "text/event-stream"},
        body=body,
        sse=parser.finish(0.5),
        **fields,
    )


CHUNK = (
    b'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":'
    b'[{"index":0,"delta":{"role":"assistant","content":"hi"},"finish_reason":"stop"}]}\n\n'
    b"data: [DONE]\n\n"
)


def test_the_record_is_frozen_and_holds_finished_data() -> None:
    exchange = _stream_exchange(CHUNK)
    with pytest.raises(dataclasses.FrozenInstanceError):
        exchange.status = 500  # type: ignore[misc]
    with pytest.raises(TypeError):
        exchange.headers["content-type"] = "text/plain"  # type: ignore[index]
    assert isinstance(exchange.sse, SseTranscript)
    assert isinstance(exchange.events, tuple) and [e.data for e in exchange.events][-1] == "[DONE]"
    assert [e.received_at for e in exchange.events] == [0.25, 0.25]
    assert not any(isinstance(v, SseParser) for v in vars(exchange).values())
    with pytest.raises(dataclasses.FrozenInstanceError):
        exchange.sse.discarded_tail = "x"  # type: ignore[misc, union-attr]


def test_the_headers_a_caller_passed_are_copied() -> None:
    headers = {"content-type": "application/json"}
    exchange = Exchange("x", "http://h/v1", RequestSpec(), {}, 200, headers)
    headers["content-type"] = "text/plain"
    assert exchange.content_type == "application/json"


def test_the_transcript_is_what_the_parser_saw() -> None:
    stream = b": hi\r\ndata: a\r\n\r\ndata: b\n\ndata: tail"
    parser = parse_all(stream)
    transcript = SseParser()
    transcript.feed(stream)
    finished = transcript.finish()
    assert finished.events == tuple(parser.events)
    assert finished.comments == (" hi",)
    assert finished.line_ending_kinds == frozenset({"CRLF", "LF"})
    assert finished.discarded_tail == parser.discarded_tail == "data: tail"
    assert finished.bytes_received == len(stream) and not finished.invalid_utf8


def test_stream_summary_is_computed_once_and_leaves_the_record_alone() -> None:
    exchange = _stream_exchange(CHUNK)
    before = repr(exchange), dict(vars(exchange))
    first = stream_checks.stream_summary(exchange)
    for check in (stream_checks.one_id, stream_checks.one_finish_reason, sse_checks.ends_with_done):
        assert check(exchange) == []
    assert stream_checks.stream_summary(exchange) is first
    assert (repr(exchange), dict(vars(exchange))) == before
    assert first.contents == {0: "hi"} and first.done_index == 1


def test_redaction_keeps_each_event_where_and_when_it_came() -> None:
    body = (
        f'data: {{"echo": "{KEY}"}}\n\n: {KEY}\nid: {KEY}\ndata: two\n\ndata: [DONE]\n\n'
    ).encode()
    parser = SseParser()
    for number, line in enumerate(body.splitlines(keepends=True), start=1):
        parser.feed(line, number / 10)
    exchange = Exchange(
        "stream", "http://h/v1", STREAM, {}, 200, {"x-echo": KEY}, body, parser.finish(1.0)
    )
    redacted = redact_exchange(exchange, (KEY,))
    assert KEY not in repr(redacted) and REDACTED in redacted.body.decode()
    assert [e.data for e in redacted.events] == [f'{{"echo": "{REDACTED}"}}', "two", "[DONE]"]
    assert redacted.events[1].id == REDACTED and redacted.sse.comments == (f" {REDACTED}",)
    kept = ("index", "offset", "received_at")
    for old, new in zip(exchange.events, redacted.events, strict=True):
        assert [getattr(new, name) for name in kept] == [getattr(old, name) for name in kept]
    assert exchange.events[0].data == f'{{"echo": "{KEY}"}}'  # the original record is untouched


def test_a_key_echoed_in_stream_chunks_keeps_the_events_timing() -> None:
    """A server that echoes the key in every chunk, one chunk every 50 ms: the recorded events
    are redacted, and their received_at still rise from a non-zero start (it used to be 0 for
    every event, as redaction parsed the stream again)."""

    def echo(connection: socket.socket) -> None:
        connection.sendall(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n"
        )
        for number in range(4):
            time.sleep(0.05)
            chunk = f'data: {{"n": {number}, "echo": "Bearer {KEY}"}}\n\n'
            connection.sendall(chunk.encode())
        connection.sendall(b"data: [DONE]\n\n")
        time.sleep(1)  # closing with the request unread would reset the connection

    with raw_server(echo) as url:
        limits = Limits(read_timeout=5, deadline=10, done_grace=0.2)
        runner = ExchangeRunner(Target(url, KEY, limits), concurrency=1)
        try:
            exchange = runner.run("stream", STREAM)
        finally:
            runner.close()
    assert exchange.error is None and len(exchange.events) == 5
    assert KEY not in repr(exchange) and REDACTED in exchange.events[0].data
    times = [event.received_at for event in exchange.events[:4]]
    assert times[0] > 0 and all(b > a for a, b in itertools.pairwise(times))

"""The evidence of a failure, kept for the reports: what was sent, what came back, and where.

A failing test's exchanges become plain data (JSON-ready) so that the JSON report carries them
and every later rendering (the HTML report, a merged report, a comparison) can show them without
the live run: the request as ``curl``, the status, the headers, the body cut to a readable size
and, for streams, the event transcript with the events the violations point at marked.

Every string passes through ``redact`` once more on the way out: the exchange record is already
redacted, this is the second lock on the same door.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable
from typing import Any

from conformance.records import Exchange
from conformance.redaction import redact
from conformance.report.curl import curl_command
from conformance.report.shape import EventRecord, Evidence, ExchangeRecord, StreamRecord
from conformance.report.stream_end import ending
from conformance.report.text import shortened

BODY_HEAD = 3000  # characters kept from the start of a long body
BODY_TAIL = 600  # ... and from its end (a truncated JSON body still shows its usage)
RAW_EVENT_LIMIT = 1500
EVENTS_HEAD = 20  # a transcript keeps its first events,
EVENTS_TAIL = 5  # its last ones,
EVENT_CONTEXT = 2  # and this many either side of each marked event
MAX_EXCHANGES = 4  # per failure, when the violations do not say which ones


def shown_body(body: bytes) -> tuple[str, bool]:
    """The body as text for people (pretty JSON when it is JSON), and whether it was UTF-8."""
    try:
        text = body.decode("utf-8")
        valid = True
    except UnicodeDecodeError:
        text, valid = body.decode("utf-8", errors="replace"), False
    if valid and text.strip()[:1] in ("{", "[") and len(text) < 64_000:
        with contextlib.suppress(ValueError):  # not JSON after all: shown as it came
            text = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    return shortened(text, BODY_HEAD + BODY_TAIL, tail=BODY_TAIL), valid


def transcript_window(count: int, marked: set[int]) -> list[int | None]:
    """Which event indexes to show, in order; None stands for a run of left-out events."""
    keep = set(range(min(count, EVENTS_HEAD))) | set(range(max(0, count - EVENTS_TAIL), count))
    for index in marked:
        keep |= set(range(max(0, index - EVENT_CONTEXT), min(count, index + EVENT_CONTEXT + 1)))
    shown: list[int | None] = []
    previous = -1
    for index in sorted(keep):
        if index > previous + 1:
            shown.append(None)
        shown.append(index)
        previous = index
    return shown


def exchange_record(exchange: Exchange, marked: Iterable[int] = ()) -> ExchangeRecord:
    """One exchange as report data; ``marked`` are the stream events a violation points at."""
    marked = {i for i in marked if i is not None}
    request = exchange.request
    sends_body = request.body is not None or request.raw_body is not None
    body = request.encoded_body().decode("utf-8", errors="replace") if sends_body else None
    record: ExchangeRecord = {
        "name": exchange.name,
        "method": request.method,
        "url": exchange.url,
        "request_headers": dict(exchange.request_headers),
        "request_body": shortened(body, BODY_HEAD + BODY_TAIL, tail=BODY_TAIL)
        if body is not None
        else None,
        "curl": curl_command(exchange),
        "status": exchange.status,
        "headers": dict(exchange.headers),
        "error": exchange.error,
        "elapsed_seconds": round(exchange.elapsed, 3),
        "attempts": getattr(exchange, "attempts", 1),
        "body_bytes": len(exchange.body),
        "body": None,
        "body_utf8": True,
        "stream": None,
    }
    if exchange.sse is not None and (exchange.events or exchange.content_type.endswith("stream")):
        record["stream"] = _transcript(exchange, marked)
    else:
        record["body"], record["body_utf8"] = shown_body(exchange.body)
    return record


def _transcript(exchange: Exchange, marked: set[int]) -> StreamRecord:
    events = exchange.events
    shown: list[EventRecord] = []
    for index in transcript_window(len(events), marked):
        if index is None:
            shown.append({"left_out": True})
            continue
        event = events[index]
        shown.append(
            {
                "index": event.index,
                "at": round(event.received_at, 3),
                "raw": shortened(event.raw, RAW_EVENT_LIMIT + 200, tail=200),
                "marked": event.index in marked,
            }
        )
    sse = exchange.sse
    return {
        "event_count": len(events),
        "events": shown,
        "marked": sorted(marked),
        "discarded_tail": shortened(sse.discarded_tail, 800, tail=200) if sse is not None else "",
        "comments": len(sse.comments) if sse is not None else 0,
        "invalid_utf8": bool(sse.invalid_utf8) if sse is not None else False,
        "line_endings": sorted(sse.line_ending_kinds) if sse is not None else [],
        "ended": ending(exchange),
    }


def exchanges_in(values: Iterable[Any]) -> dict[str, Exchange]:
    """The exchanges among a test's fixture values (also inside tuples and lists), by name."""
    found: dict[str, Exchange] = {}
    for value in values:
        candidates = value if isinstance(value, tuple | list) else (value,)
        for candidate in candidates:
            if isinstance(candidate, Exchange):
                found.setdefault(candidate.name, candidate)
    return found


def failure_evidence(
    violations: list[Any] | None, exchanges: dict[str, Exchange], secrets: Iterable[str]
) -> Evidence:
    """The evidence of one failed test: its violations and the exchanges they point at."""
    violations = violations or []
    marks: dict[str, set[int]] = {}
    for violation in violations:
        if violation.exchange in exchanges:
            marks.setdefault(violation.exchange, set())
            if violation.event_index is not None:
                marks[violation.exchange].add(violation.event_index)
    if not marks:  # no violation names its exchange: show what the test looked at
        marks = {name: set() for name in list(exchanges)[:MAX_EXCHANGES]}
    evidence: Evidence = {
        "violations": [
            {
                "message": v.message,
                "expected": v.expected,
                "actual": v.actual,
                "exchange": v.exchange,
                "event_index": v.event_index,
            }
            for v in violations
        ],
        "exchanges": [exchange_record(exchanges[name], marked) for name, marked in marks.items()],
    }
    return redact_all(evidence, tuple(secrets))


def redact_all(value: Any, secrets: tuple[str, ...]) -> Any:
    """The same structure with every secret removed from every string in it."""
    if not secrets:
        return value
    if isinstance(value, str):
        return redact(value, *secrets)
    if isinstance(value, dict):
        return {redact_all(k, secrets): redact_all(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_all(v, secrets) for v in value]
    return value

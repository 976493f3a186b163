"""SSE: the event-stream framing, judged by the WHATWG rules a browser or SDK client applies.

The events were parsed by ``conformance.sse`` exactly as a client would; these checks look at
what that parse saw (the exchange's ``SseTranscript``): undecodable bytes, events that are not
JSON, a missing or misplaced [DONE]. SSE-004 reads the raw bytes instead: it judges the blocks
WHATWG drops and the openai SDKs dispatch (``conformance.sse_sdk``).
"""

from __future__ import annotations

from conformance.checks import NotApplicable, Violation, require_status_200, short
from conformance.checks.registry import check, streamed
from conformance.probes import STREAMS
from conformance.records import DONE, Exchange, SseTranscript, strict_json
from conformance.sse_sdk import empty_events


def _parsed(exchange: Exchange) -> SseTranscript:
    require_status_200(exchange, "AUTH-003 and STREAM-001")
    if exchange.sse is None:
        raise NotApplicable(f"{exchange.name}: not a streaming request")
    return exchange.sse


@check("SSE-001", probes=STREAMS, applies=streamed)
def events_are_well_framed(exchange: Exchange) -> list[Violation]:
    transcript = _parsed(exchange)
    violations = []
    if transcript.invalid_utf8:
        violations.append(
            Violation(
                "the stream is not valid UTF-8",
                "UTF-8 text (WHATWG event streams are UTF-8)",
                "undecodable bytes, replaced by U+FFFD",
                exchange.name,
            )
        )
    for event in exchange.events:
        if event.data == DONE:
            continue
        try:
            strict_json(event.data)
        except ValueError:
            hint = " (two events without a blank line between them?)" if "\n" in event.data else ""
            violations.append(
                Violation(
                    f"an event does not carry one JSON document{hint}",
                    "data: <one JSON object>, then a blank line",
                    short(event.raw, 200),
                    exchange.name,
                    event.index,
                )
            )
    tail = transcript.discarded_tail.strip()
    # When our own bound cut the stream, an unfinished last event is ours, not the server's.
    if tail and not exchange.error and any(line.startswith("data") for line in tail.splitlines()):
        violations.append(
            Violation(
                "the stream ended inside an event (no blank line after it), so clients drop it",
                "every event ends with a blank line",
                short(tail, 160),
                exchange.name,
            )
        )
    return violations


@check("SSE-002", probes=STREAMS, applies=streamed)
def ends_with_done(exchange: Exchange) -> list[Violation]:
    transcript = _parsed(exchange)
    if any(event.data == DONE for event in exchange.events):
        return []
    if DONE in transcript.discarded_tail:
        actual = "data: [DONE] without a blank line after it: clients never dispatch it"
    elif exchange.error:
        actual = f"no [DONE]: {exchange.error}"
    else:
        last = exchange.events[-1].data if exchange.events else "(no events)"
        actual = (
            f"the stream closed after {len(exchange.events)} events; the last: {short(last, 120)}"
        )
    return [
        Violation(
            "the stream did not end with data: [DONE]",
            "data: [DONE] as the last event",
            actual,
            exchange.name,
        )
    ]


@check("SSE-003", probes=STREAMS, applies=streamed)
def nothing_after_done(exchange: Exchange) -> list[Violation]:
    _parsed(exchange)
    done = next((e.index for e in exchange.events if e.data == DONE), None)
    if done is None:
        raise NotApplicable(f"{exchange.name}: no [DONE]; see SSE-002")
    after = [e for e in exchange.events if e.index > done]
    if not after:
        return []
    return [
        Violation(
            f"{len(after)} event(s) follow data: [DONE]",
            "nothing after [DONE]",
            short(after[0].raw, 160),
            exchange.name,
            after[0].index,
        )
    ]


@check("SSE-004", probes=STREAMS, applies=streamed)
def no_block_without_data(exchange: Exchange) -> list[Violation]:
    """Blocks after [DONE] are left to SSE-003: both SDKs stop reading at [DONE]."""
    transcript = _parsed(exchange)
    blocks = empty_events(exchange.body)
    first = next(blocks, None)
    if first is None:
        return []
    count = 1 + sum(1 for _ in blocks)
    clients = (
        "openai-python and openai-node dispatch" if first.node_too else "openai-python dispatches"
    )
    before = sum(1 for event in transcript.events if event.offset < first.offset)
    where = f"after event #{before - 1}" if before else "before the first event"
    return [
        Violation(
            f"{count} block(s) without a data: field before [DONE], which {clients} as events "
            "with empty data (then parsing them as JSON raises)",
            "a data: field in every block; comment-only blocks only before the first id:",
            f"{where}, at byte {first.offset}: {short(repr(first.raw), 120)}, dispatched "
            f"because of {first.because}",
            exchange.name,
        )
    ]

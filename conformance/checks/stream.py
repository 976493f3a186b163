"""STREAM: the chunks of a streamed completion, read as an OpenAI-compatible client reads them.

``stream_summary`` turns the parsed events into what a client builds (chunks up to ``[DONE]``,
content and finish reason per choice); the checks below each judge one rule over it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from conformance import schemas
from conformance.checks import NotApplicable, Violation, is_int, require_status_200, short
from conformance.checks.registry import check, streamed
from conformance.checks.response import FINISH_REASONS, created_violations
from conformance.probes import STREAMS
from conformance.records import DONE, Exchange, SseEvent, strict_json

_MISSING = object()  # a finish_reason key that is absent (no string a server sends can match)


@dataclass
class StreamSummary:
    chunks: list[tuple[int, Any]] = field(default_factory=list)  # (event index, parsed JSON)
    unparsable: list[tuple[int, str]] = field(default_factory=list)  # (event index, data)
    done_index: int | None = None
    contents: dict[int, str] = field(default_factory=dict)  # choice index -> text
    finish_reasons: dict[int, Any] = field(default_factory=dict)  # choice index -> first reason

    def choice_deltas(self):
        """(event index, choice index, choice object) for every well-formed choice, in order."""
        for event_index, chunk in self.chunks:
            if not isinstance(chunk, dict) or not isinstance(chunk.get("choices"), list):
                continue
            for choice in chunk["choices"]:
                if isinstance(choice, dict) and is_int(choice.get("index")):
                    yield event_index, choice["index"], choice


def stream_summary(exchange: Exchange) -> StreamSummary:
    """What a client makes of a stream; NotApplicable when there is no served stream.

    Computed once per stream (every stream check reads it) and cached on the frozen events it
    is made of, so the record itself is never written to. Read it, do not change it."""
    require_status_200(exchange, "AUTH-003 and STREAM-001")
    return _summarize(exchange.events)


@functools.lru_cache(maxsize=256)  # a run's streams are judged test by test, soon after sending
def _summarize(events: tuple[SseEvent, ...]) -> StreamSummary:
    summary = StreamSummary()
    for event in events:
        if event.data == DONE:
            summary.done_index = event.index
            break
        try:
            summary.chunks.append((event.index, strict_json(event.data)))
        except ValueError:
            summary.unparsable.append((event.index, event.data))
    for _, index, choice in summary.choice_deltas():
        delta = choice.get("delta")
        content = delta.get("content") if isinstance(delta, dict) else None
        if isinstance(content, str) and index not in summary.finish_reasons:
            summary.contents[index] = summary.contents.get(index, "") + content
        else:
            summary.contents.setdefault(index, "")
        # Clients test finish_reason for truth, so "" does not end a choice for them either.
        if choice.get("finish_reason") and index not in summary.finish_reasons:
            summary.finish_reasons[index] = choice["finish_reason"]
    return summary


def _objects(exchange: Exchange) -> list[tuple[int, dict]]:
    return [(i, c) for i, c in stream_summary(exchange).chunks if isinstance(c, dict)]


@check("STREAM-001", probes=STREAMS, applies=streamed)
def is_event_stream(exchange: Exchange) -> list[Violation]:
    if exchange.status != 200:
        return [
            Violation(
                "the streaming request was not served",
                "status 200",
                f"status {exchange.status} ({exchange.error or exchange.text(200)})",
                exchange.name,
            )
        ]
    if exchange.content_type == "text/event-stream":
        return []
    return [
        Violation(
            "the stream is not labelled as an event stream",
            "Content-Type: text/event-stream",
            f"Content-Type: {exchange.content_type or '(none)'}",
            exchange.name,
        )
    ]


@check("STREAM-002", probes=STREAMS, applies=streamed)
def chunks_match_schema(exchange: Exchange) -> list[Violation]:
    summary = stream_summary(exchange)
    violations = []
    if not summary.chunks and not summary.unparsable and not exchange.error:
        violations.append(
            Violation(
                "the stream carried no chunk before [DONE]",
                "at least one chunk",
                f"{len(exchange.events)} events; body starts {short(exchange.text(120))}",
                exchange.name,
            )
        )
    for index, data in summary.unparsable:
        violations.append(
            Violation(
                "an event's data is not JSON",
                "a JSON object",
                short(data, 160),
                exchange.name,
                index,
            )
        )
    for index, chunk in summary.chunks:
        for problem in schemas.schema_errors(schemas.CHUNK, chunk):
            violations.append(
                Violation(
                    "a chunk does not match the chunk schema",
                    "schemas/chat-completion.chunk.json",
                    problem,
                    exchange.name,
                    index,
                )
            )
    return violations


@check("STREAM-003", probes=STREAMS, applies=streamed)
def object_is_chunk(exchange: Exchange) -> list[Violation]:
    return [
        Violation(
            "wrong chunk object",
            '"chat.completion.chunk"',
            short(chunk.get("object")),
            exchange.name,
            index,
        )
        for index, chunk in _objects(exchange)
        if chunk.get("object") != "chat.completion.chunk"
    ]


@check("STREAM-004", probes=STREAMS, applies=streamed)
def one_id(exchange: Exchange) -> list[Violation]:
    chunks = _objects(exchange)
    if not chunks:
        raise NotApplicable(f"{exchange.name}: no JSON chunk; see STREAM-002")
    first = chunks[0][1].get("id")
    violations = []
    if not isinstance(first, str) or not first:
        violations.append(
            Violation(
                "the first chunk has no non-empty id",
                "a non-empty string",
                short(first),
                exchange.name,
                chunks[0][0],
            )
        )
    for index, chunk in chunks[1:]:
        if chunk.get("id") != first:
            violations.append(
                Violation(
                    "the id changed within the stream",
                    repr(first),
                    short(chunk.get("id")),
                    exchange.name,
                    index,
                )
            )
            break
    return violations


@check("STREAM-005", probes=STREAMS, applies=streamed)
def first_delta_has_role(exchange: Exchange) -> list[Violation]:
    summary = stream_summary(exchange)
    seen: set[int] = set()
    violations = []
    for event_index, index, choice in summary.choice_deltas():
        delta = choice.get("delta") if isinstance(choice.get("delta"), dict) else {}
        role = delta.get("role")
        if index not in seen and role != "assistant":
            violations.append(
                Violation(
                    f"the first delta of choice {index} has no assistant role",
                    'delta.role == "assistant"',
                    short(delta),
                    exchange.name,
                    event_index,
                )
            )
        elif index in seen and role not in (None, "assistant"):
            violations.append(
                Violation(
                    f"a delta of choice {index} carries another role",
                    'no role, or "assistant"',
                    short(role),
                    exchange.name,
                    event_index,
                )
            )
        seen.add(index)
    if not seen:
        raise NotApplicable(f"{exchange.name}: no choice in any chunk; see STREAM-002")
    return violations


@check("STREAM-006", probes=STREAMS, applies=streamed)
def one_finish_reason(exchange: Exchange) -> list[Violation]:
    summary = stream_summary(exchange)
    if not summary.contents:
        raise NotApplicable(f"{exchange.name}: no choice in any chunk; see STREAM-002")
    finished: dict[int, int] = {}  # choice index -> event index of its finish_reason
    reported: set[int] = set()  # choices whose malformed finish_reason was already reported
    violations = []
    for event_index, index, choice in summary.choice_deltas():
        reason = choice.get("finish_reason", _MISSING)
        delta = choice.get("delta") if isinstance(choice.get("delta"), dict) else {}
        if index in finished:
            if delta.get("content") or reason is not None:
                violations.append(
                    Violation(
                        f"choice {index} goes on after its finish_reason (#{finished[index]})",
                        "nothing more for this choice",
                        short(choice),
                        exchange.name,
                        event_index,
                    )
                )
            continue
        if reason is None:
            continue
        if reason in FINISH_REASONS:
            finished[index] = event_index
            continue
        if index not in reported:
            reported.add(index)
            shown = "the key is missing" if reason is _MISSING else short(reason)
            violations.append(
                Violation(
                    f"finish_reason of choice {index} is neither null nor documented",
                    "null until the last chunk, then stop | length | content_filter",
                    shown,
                    exchange.name,
                    event_index,
                )
            )
        if reason not in (_MISSING, ""):
            finished[index] = event_index  # an undocumented final reason still ends the choice
    for index in summary.contents:
        if index not in finished:
            violations.append(
                Violation(
                    f"choice {index} never got a finish_reason",
                    "exactly one non-null finish_reason",
                    "none before the stream ended",
                    exchange.name,
                )
            )
    return violations


@check("STREAM-007", probes=STREAMS, applies=streamed)
def ends_in_time(exchange: Exchange) -> list[Violation]:
    if exchange.error:
        return [
            Violation(
                "the stream did not end properly",
                "a stream that ends within the configured bounds",
                f"{exchange.error} after {exchange.elapsed:.1f} s, {len(exchange.events)} events",
                exchange.name,
            )
        ]
    return []


@check("STREAM-008", probes=STREAMS, applies=streamed)
def chunks_carry_created_and_model(exchange: Exchange) -> list[Violation]:
    violations = []
    for index, chunk in _objects(exchange):
        if not isinstance(chunk.get("model"), str):
            violations.append(
                Violation(
                    "a chunk has no string model",
                    "a string",
                    short(chunk.get("model")),
                    exchange.name,
                    index,
                )
            )
        violations += created_violations(
            chunk.get("created"), exchange.started_at, exchange.name, index
        )
        if violations:
            break  # one chunk shows the pattern; the rest would repeat it
    return violations


@check("STREAM-009", probes=("stream",))
def deltas_carry_text(exchange: Exchange) -> list[Violation]:
    summary = stream_summary(exchange)
    violations = []
    for event_index, index, choice in summary.choice_deltas():
        delta = choice.get("delta")
        if isinstance(delta, dict) and "content" in delta:
            content = delta["content"]
            if content is not None and not isinstance(content, str):
                violations.append(
                    Violation(
                        f"delta.content of choice {index} is not a string",
                        "a string or null",
                        short(content),
                        exchange.name,
                        event_index,
                    )
                )
    # Only a natural end promises text: a thinking model may spend a small budget ("length") on
    # reasoning, and content_filter may leave nothing.
    ended_naturally = any(r == "stop" for r in summary.finish_reasons.values())
    if summary.contents and not any(summary.contents.values()) and ended_naturally:
        violations.append(
            Violation(
                "the stream carried no text in delta.content",
                "the completion text, delta by delta",
                f"{len(summary.chunks)} chunks, all without content",
                exchange.name,
            )
        )
    return violations

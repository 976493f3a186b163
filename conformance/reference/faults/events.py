"""SSE faults: the event stream's framing is wrong, whatever the chunks say."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ..behaviour import DONE, Behaviour
from ._registry import fault

# The first text chunk: event 0 carries the role.
BROKEN_EVENT = 1


@fault(
    "chunk-broken-json",
    "STREAM-002",
    "SSE-001",
    "GEN-001",  # in a reply with no text, the broken chunk is the finishing one
    description="One chunk's JSON is cut off half way.",
)
class ChunkBrokenJson(Behaviour):
    def payloads(self, chunks: Iterable[dict]) -> Iterator[str]:
        for number, payload in enumerate(super().payloads(chunks)):
            yield payload[: len(payload) // 2] if number == BROKEN_EVENT else payload


@fault(
    "chunk-nan",
    "STREAM-002",
    "SSE-001",
    "GEN-001",  # as chunk-broken-json
    description="One chunk carries `Infinity` in an extra field: not JSON, though Python reads it.",
)
class ChunkNan(Behaviour):
    def payloads(self, chunks: Iterable[dict]) -> Iterator[str]:
        for number, payload in enumerate(super().payloads(chunks)):
            broken = number == BROKEN_EVENT and payload.endswith("}")
            yield payload[:-1] + ',"x_score":Infinity}' if broken else payload


@fault(
    "invalid-utf8",
    "SSE-001",
    description="A raw 0xFF byte inside one text chunk: the stream is not UTF-8.",
)
class InvalidUtf8(Behaviour):
    def event_bytes(self, number: int, payload: str) -> bytes:
        event = super().event_bytes(number, payload)
        if number != BROKEN_EVENT:
            return event
        marker = b'"content":"'
        if marker in event:
            return event.replace(marker, marker + b"\xff", 1)
        return b": \xff" + self.newline.encode() + event


@fault(
    "single-newline",
    "SSE-001",
    "SSE-002",
    "STREAM-002",
    description="Events are separated by one newline, not two.",
)
class SingleNewline(Behaviour):
    def event_end(self, payload: str) -> str:
        return ""


@fault("no-done", "SSE-002", description="The stream closes without `data: [DONE]`.")
class NoDone(Behaviour):
    def payloads(self, chunks: Iterable[dict]) -> Iterator[str]:
        return (payload for payload in super().payloads(chunks) if payload != DONE)


@fault(
    "done-no-blank-line",
    "SSE-002",
    "SSE-001",
    description="`data: [DONE]` is not followed by a blank line before the close.",
)
class DoneNoBlankLine(Behaviour):
    def event_end(self, payload: str) -> str:
        return "" if payload == DONE else super().event_end(payload)


@fault("chunk-after-done", "SSE-003", description="The last chunk is sent again after [DONE].")
class ChunkAfterDone(Behaviour):
    def payloads(self, chunks: Iterable[dict]) -> Iterator[str]:
        last = None
        for payload in super().payloads(chunks):
            yield payload
            if payload != DONE:
                last = payload
        if last is not None:
            yield last


@fault(
    "sse-id-keepalive",
    "SSE-004",
    description="An `id:` on every event and a `: keep-alive` comment block between events: "
    "legal WHATWG, but after an id the openai SDKs dispatch each keep-alive as an empty event.",
)
class SseIdKeepAlive(Behaviour):
    def event_bytes(self, number: int, payload: str) -> bytes:
        event = super().event_bytes(number, payload)
        if number == 0:  # a keep-alive before the first id is harmless: keep the fault to SSE-004
            return event
        return f": keep-alive{self.newline}{self.newline}".encode() + event

    def event_lines(self, number: int, payload: str) -> list[str]:
        return [f"id: {number}", *super().event_lines(number, payload)]

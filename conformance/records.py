"""The records the suite keeps: what was sent, what came back. Plain data, no network code.

Like httpx's ``_models.py`` (``Request``/``Response``, the I/O in its transports), this module
holds the records and nothing that sends: ``conformance.exchange`` fills them in and every other
part of the suite (checks, reports, the request log) only reads them. So a check imports neither
httpx nor asyncio nor threading, and judges a live run, a stored transcript and a self-test alike.

Every record is frozen. An ``Exchange`` is finished when it is built: a streamed response carries
an ``SseTranscript`` (the events as a client dispatched them, with their ``received_at`` times,
and the framing facts the SSE checks judge), never a live parser. What checks derive from a record
(``checks.stream.stream_summary``) is cached beside it, keyed on it, never written into it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

__all__ = [
    "DONE",
    "RETRY_STATUSES",
    "Auth",
    "Exchange",
    "RequestSpec",
    "SseEvent",
    "SseTranscript",
    "strict_json",
]

Auth = Literal["valid", "none", "invalid"]

DONE = "[DONE]"  # the data of the event that ends a chat-completions stream
RETRY_STATUSES = (429, 503)  # answers the exchange retries: capacity, not a verdict


def strict_json(text: str) -> Any:
    """JSON as RFC 8259 defines it. Python's parser also takes NaN, Infinity and -Infinity,
    which a JavaScript client's JSON.parse rejects: here they are errors too."""
    return json.loads(text, parse_constant=_not_json)


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not a JSON value (RFC 8259 has no NaN or Infinity)")


@dataclass(frozen=True)
class RequestSpec:
    """What to send. ``body`` is JSON-encoded; ``raw_body`` is sent as is (malformed JSON)."""

    body: Any = None
    raw_body: bytes | None = None
    auth: Auth = "valid"
    method: str = "POST"
    path: str = "/chat/completions"
    # The reply of the earlier request this one was derived from (``probes.Probe.after``): what
    # the checks compare against. Never sent.
    reference_reply: str | None = None

    @property
    def wants_stream(self) -> bool:
        return isinstance(self.body, dict) and self.body.get("stream") is True

    def encoded_body(self) -> bytes:
        if self.raw_body is not None:
            return self.raw_body
        return json.dumps(self.body, ensure_ascii=False).encode("utf-8")


@dataclass(frozen=True)
class SseEvent:
    """One dispatched event, with enough context to cite it in a transcript."""

    data: str
    event: str | None
    id: str | None
    retry: int | None
    raw: str
    index: int
    offset: int  # byte offset in the stream as received
    received_at: float  # seconds after the request was sent


@dataclass(frozen=True)
class SseTranscript:
    """A finished event stream as a WHATWG client parsed it (``conformance.sse``): the events it
    dispatched, and what the framing showed on the way."""

    events: tuple[SseEvent, ...] = ()
    comments: tuple[str, ...] = ()
    invalid_utf8: bool = False
    line_ending_kinds: frozenset[str] = frozenset()  # "LF", "CR", "CRLF"
    discarded_tail: str = ""  # text left undispatched at the end (no blank line after it)
    bytes_received: int = 0


def _read_only(headers: Mapping[str, str]) -> Mapping[str, str]:
    return headers if isinstance(headers, MappingProxyType) else MappingProxyType(dict(headers))


@dataclass(frozen=True)
class Exchange:
    """The record of one request and its response, safe to show: the key is redacted."""

    name: str
    url: str
    request: RequestSpec
    request_headers: Mapping[str, str]
    status: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""
    sse: SseTranscript | None = None  # for a streaming request: its parsed event stream
    error: str | None = None  # transport failure or a bound that was hit
    error_type: str | None = None  # what ended it: ConnectError, ReadTimeout, deadline, bound
    deadline_hit: bool = False
    attempts: int = 1
    resent_after: str | None = None  # sent again once: the first try's connection closed unanswered
    started_at: float = 0.0  # wall clock (time.time) when the request was sent
    elapsed: float = 0.0
    # Seconds after the request was sent when the response's status line and headers arrived
    # (its first bytes); None when no response came. The latency figures' time to first byte.
    first_byte_at: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "request_headers", _read_only(self.request_headers))
        object.__setattr__(self, "headers", _read_only(self.headers))

    @property
    def events(self) -> tuple[SseEvent, ...]:
        """The dispatched events of a streamed response; none for any other."""
        return self.sse.events if self.sse is not None else ()

    @property
    def throttled(self) -> bool:
        """Still 429/503 after every retry: the target's capacity, not a conformance verdict."""
        return self.status in RETRY_STATUSES and self.attempts > 1

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def json(self) -> Any:
        """The body parsed as JSON; raises ValueError when it is not."""
        return strict_json(self.body.decode("utf-8"))

    def text(self, limit: int = 2000) -> str:
        text = self.body.decode("utf-8", errors="replace")
        return text if len(text) <= limit else text[:limit] + f"... [{len(text) - limit} more]"

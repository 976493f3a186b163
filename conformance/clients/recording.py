"""What a client is fed when a recorded exchange is replayed: plain, JSON-ready data.

Built from an ``Exchange`` (whose body holds the response bytes as received, streams included,
after content decoding and within the run's byte bound), so a replay needs neither the live
connection nor the suite's records: it crosses a process boundary as one JSON line.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from conformance.records import Exchange

CHAT_PATH = "/chat/completions"
# The body is already decoded and complete: these would describe the wire, not the bytes replayed.
_STAMPS = frozenset({"date", "x-request-id", "request-id", "openai-processing-ms"})
_WIRE_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding", "connection"})


@dataclass(frozen=True)
class Recording:
    """One answered chat-completions request: the request body and the response as received."""

    key: str  # names the exchange within a run: probe and model
    request_body: dict[str, Any]
    stream: bool
    status: int
    headers: dict[str, str]
    body: bytes
    # What ended the response early on the wire (ReadError, RemoteProtocolError, ReadTimeout,
    # "deadline"); None when it ended normally or at the suite's own size bound, which a client
    # without that bound would read past.
    transport_error: str | None = None

    def response_identity(self) -> tuple[Any, ...]:
        """What the client's behaviour depends on: equal identities, equal effects. The date
        and request ids a server stamps on each response are left out."""
        headers = tuple(sorted((k, v) for k, v in self.headers.items() if k not in _STAMPS))
        return (self.stream, self.status, headers, self.body, self.transport_error)

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "request_body": self.request_body,
            "stream": self.stream,
            "status": self.status,
            "headers": self.headers,
            "body": base64.b64encode(self.body).decode("ascii"),
            "transport_error": self.transport_error,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Recording:
        return cls(
            key=data["key"],
            request_body=data["request_body"],
            stream=data["stream"],
            status=data["status"],
            headers=data["headers"],
            body=base64.b64decode(data["body"]),
            transport_error=data.get("transport_error"),
        )


def exchange_key(name: str, model: str | None) -> str:
    return f"{name} [{model}]" if model else name


def recording_of(exchange: Exchange) -> Recording | None:
    """The recording a client can be fed, or None: no answer, or not a chat completion (the
    SDK's ``chat.completions.create`` only sends JSON objects to /chat/completions)."""
    request = exchange.request
    if exchange.status is None or request.method != "POST" or request.path != CHAT_PATH:
        return None
    body = request.body if isinstance(request.body, dict) else {}
    model = body.get("model") if isinstance(body.get("model"), str) else None
    headers = {k: v for k, v in exchange.headers.items() if k not in _WIRE_HEADERS}
    return Recording(
        key=exchange_key(exchange.name, model),
        request_body=dict(body) if request.raw_body is None else {},
        stream=request.wants_stream,
        status=exchange.status,
        headers=headers,
        body=exchange.body,
        transport_error=exchange.error_type if exchange.error_type != "bound" else None,
    )

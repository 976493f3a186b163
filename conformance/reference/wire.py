"""The values that cross between the ASGI app and the behaviour: requests in, replies out.

The behaviour only builds these plain values; the app alone talks ASGI. That keeps every fault and
variation a pure function of the request, testable without a socket.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

Headers = tuple[tuple[str, str], ...]

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class HttpRequest:
    """One request as the behaviour sees it. Header names are lower case; the first value wins."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes
    too_large: bool = False


@dataclass(frozen=True)
class Reply:
    """A complete response, sent in one body write."""

    status: int
    headers: Headers
    body: bytes


@dataclass(frozen=True)
class Pause:
    """A wait inside a stream; the app cuts it short when the client goes away."""

    seconds: float


@dataclass(frozen=True)
class Abort:
    """Drop the connection mid-body, as a crashing upstream does (the client sees a cut)."""


@dataclass(frozen=True)
class StreamReply:
    """A response whose body is sent piece by piece: each `bytes` item is one ASGI body message."""

    status: int
    headers: Headers
    writes: Iterable[bytes | Pause | Abort]


def encode_json(value: object) -> str:
    """Compact JSON with real UTF-8 text, as most servers send it.

    A lone surrogate (legal in a JSON string escape, not encodable as UTF-8) is written back as an
    escape, so echoing any valid JSON string never fails.
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return _LONE_SURROGATE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)

"""Hostile targets: servers that hold back, drip, flood, bomb or cut the connection.

They exist to prove the suite's own bounds (conformance.exchange): each must end within the
configured time and memory with a failed requirement, never hang the run or exhaust memory.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Iterable, Iterator
from functools import cache

from ..behaviour import Behaviour, Completion
from ..wire import Abort, Pause, Reply, StreamReply, encode_json
from ._registry import fault
from .streams import ENDLESS_SECONDS

DRIP_INTERVAL = 0.25  # below any sensible read timeout, so only the deadline can stop it
FLOOD_CHUNK = 64 * 1024
BOMB_SIZE = 16 * 1024 * 1024  # decoded; 16 times the default bound, about 56 KiB compressed


@fault(
    "headers-withheld",
    "AUTH-003",
    "STREAM-001",
    "STREAM-007",
    description="Holds back the headers of a stream for a minute, as an overloaded proxy does.",
)
class HeadersWithheld(Behaviour):
    def start_delay(self, reply: Reply | StreamReply) -> float:
        return ENDLESS_SECONDS if isinstance(reply, StreamReply) else super().start_delay(reply)


@fault(
    "drip",
    "PARAM-007",
    "SSE-002",
    "STREAM-006",
    "STREAM-007",
    description="After two events, streams one byte every 250 ms: never silent for long.",
)
class Drip(Behaviour):
    def writes(self, events: Iterable[bytes]) -> Iterator[bytes | Pause]:
        started = time.monotonic()
        sent = 0
        for item in super().writes(events):
            if isinstance(item, Pause) or sent < 2:
                sent += not isinstance(item, Pause)
                yield item
                continue
            for offset in range(len(item)):
                if time.monotonic() - started > ENDLESS_SECONDS:
                    return
                yield item[offset : offset + 1]
                yield Pause(DRIP_INTERVAL)


def _flood_chunk(completion: Completion) -> dict:
    text = "flood " * (FLOOD_CHUNK // 6)
    step = {"index": 0, "delta": {"content": text}, "finish_reason": None}
    return {
        "id": completion.id,
        "object": "chat.completion.chunk",
        "created": completion.created,
        "model": completion.model,
        "choices": [step],
    }


@fault(
    "huge-stream",
    "PARAM-007",
    "SSE-002",
    "STREAM-006",
    "STREAM-007",
    description="Floods the stream with 64 KiB chunks as fast as the client reads, without end.",
)
class HugeStream(Behaviour):
    def stream_reply(self, completion: Completion) -> StreamReply:
        first = self.chunk(completion, self.steps(completion)[0])
        flood = self.event_bytes(1, encode_json(_flood_chunk(completion)))

        def writes() -> Iterator[bytes]:
            yield self.event_bytes(0, encode_json(first))
            started = time.monotonic()
            while time.monotonic() - started < ENDLESS_SECONDS:
                yield flood

        return StreamReply(200, self.stream_headers(), writes())


@cache
def _bomb(prefix: bytes, repeated: bytes) -> bytes:
    """gzip of ``prefix`` then ``repeated`` up to BOMB_SIZE: small on the wire, huge decoded."""
    packer = zlib.compressobj(6, zlib.DEFLATED, 31)  # 0.1 s: the server's loop must not stall
    parts = [packer.compress(prefix)]
    block = repeated * max(1, (1024 * 1024) // len(repeated))
    for _ in range(BOMB_SIZE // len(block)):
        parts.append(packer.compress(block))
    parts.append(packer.flush())
    return b"".join(parts)


@fault(
    "gzip-bomb",
    "PARAM-007",
    "SSE-002",
    "STREAM-006",
    "STREAM-007",
    description="Sends the stream gzip-encoded though identity was asked: 16 MiB from 56 KiB.",
)
class GzipBomb(Behaviour):
    def stream_reply(self, completion: Completion) -> StreamReply:
        steps = self.steps(completion)
        first = self.event_bytes(0, encode_json(self.chunk(completion, steps[0])))
        repeated = self.event_bytes(1, encode_json(self.chunk(completion, steps[1])))
        headers = (*self.stream_headers(), ("content-encoding", "gzip"))
        return StreamReply(200, headers, [_bomb(first, repeated)])


@fault(
    "reset-mid-stream",
    "PARAM-007",
    "SSE-002",
    "STREAM-006",
    "STREAM-007",
    description="Drops the connection after three events, as a crashing upstream does.",
)
class ResetMidStream(Behaviour):
    aborts_connection = True

    def writes(self, events: Iterable[bytes]) -> Iterator[bytes | Pause | Abort]:
        sent = 0
        for item in super().writes(events):
            yield item
            sent += not isinstance(item, Pause)
            if sent == 3:
                yield Abort()
                return

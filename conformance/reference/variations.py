"""Legal but unusual behaviours: a conforming client and a correct checker must accept all of them.

Each variation is a Behaviour subclass that overrides a step or two and calls `super()`, so any
set of them (and any faults) combine into one class. `all` switches on every variation that can
combine with the others (`cr` and `crlf` exclude each other; `all` takes `crlf`).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace

from .behaviour import Behaviour, Completion, StreamStep
from .config import ServerConfig
from .engine import Generation
from .wire import HttpRequest, Pause, Reply, StreamReply

VENDOR_NOTE = {"note": "ünïcødé ✓ 🚀"}


@dataclass(frozen=True)
class Variation:
    name: str
    description: str
    behaviour: type[Behaviour] | None = None
    includes: tuple[str, ...] = ()


VARIATIONS: dict[str, Variation] = {}


def variation(name: str, description: str) -> Callable[[type[Behaviour]], type[Behaviour]]:
    def register(cls: type[Behaviour]) -> type[Behaviour]:
        VARIATIONS[name] = Variation(name, description, cls)
        return cls

    return register


def expand_variations(names: Iterable[str]) -> list[str]:
    """Replace group names such as `all` by their members, keeping order and dropping repeats."""
    expanded: dict[str, None] = {}
    for name in names:
        for member in VARIATIONS[name].includes or (name,):
            expanded[member] = None
    return list(expanded)


@variation("sse-comments", "`: keep-alive` comments before and between events, `id:` and `retry:`.")
class SseComments(Behaviour):
    def event_bytes(self, number: int, payload: str) -> bytes:
        comment = f": keep-alive{self.newline}{self.newline}".encode()
        return comment + super().event_bytes(number, payload)

    def event_lines(self, number: int, payload: str) -> list[str]:
        fields = [": keep-alive", f"id: {number}"] + (["retry: 3000"] if number == 0 else [])
        return fields + super().event_lines(number, payload)


@variation("crlf", "Event stream lines end with CR LF.")
class CrLf(Behaviour):
    newline = "\r\n"


@variation("cr", "Event stream lines end with a lone CR.")
class Cr(Behaviour):
    newline = "\r"


def _write_size(rng: random.Random) -> int:
    # Mostly small writes, sometimes one that holds several events.
    return rng.choice((1, 2, 3, 5, 8, 13, rng.randint(4, 48), rng.randint(150, 900)))


def _cut(pending: bytes, size: int, rng: random.Random) -> int:
    """Where the next write ends: `size`, or often just inside a multi-byte UTF-8 character."""
    lead = next((at for at, byte in enumerate(pending[:size]) if byte >= 0xC0), None)
    return lead + 1 if lead is not None and rng.random() < 0.5 else size


@variation("split-writes", "The event stream is re-cut into writes at seeded random offsets.")
class SplitWrites(Behaviour):
    def writes(self, events: Iterable[bytes]) -> Iterator[bytes | Pause]:
        rng = random.Random(self.config.seed)
        size = _write_size(rng)
        pending = b""
        for item in super().writes(events):
            if isinstance(item, Pause):
                # Flush before waiting, so a pause never withholds bytes already due.
                if pending:
                    yield pending
                    pending = b""
                yield item
                continue
            pending += item
            while len(pending) >= size:
                cut = _cut(pending, size, rng)
                yield pending[:cut]
                pending = pending[cut:]
                size = _write_size(rng)
        if pending:
            yield pending


@variation("no-space", "`data:{...}` without the optional space after the colon.")
class NoSpace(Behaviour):
    def data_field(self, payload: str) -> str:
        return f"data:{payload}"


@variation("extra-fields", "Unknown fields at every level of bodies, chunks and errors.")
class ExtraFields(Behaviour):
    def completion_body(self, completion: Completion) -> dict:
        body = super().completion_body(completion)
        body.update(system_fingerprint="fp_reference", service_tier="default", x_vendor=VENDOR_NOTE)
        return body

    def completion_choice(self, index: int, generation: Generation) -> dict:
        return {**super().completion_choice(index, generation), "logprobs": None}

    def message(self, generation: Generation) -> dict:
        return {**super().message(generation), "refusal": None, "x_vendor": VENDOR_NOTE}

    def usage(self, completion: Completion) -> dict:
        details = {"reasoning_tokens": 0, "x_vendor": VENDOR_NOTE}
        return {**super().usage(completion), "completion_tokens_details": details}

    def chunk(self, completion: Completion, step: StreamStep) -> dict:
        if "content" in step.delta:
            step = step._replace(delta={**step.delta, "x_vendor": VENDOR_NOTE})
        chunk = super().chunk(completion, step)
        chunk.update(system_fingerprint="fp_reference", x_vendor=VENDOR_NOTE)
        for choice in chunk.get("choices", []):
            choice["logprobs"] = None
        return chunk

    def error_body(self, message: str, kind: str, param: str | None, code: str | None) -> dict:
        body = super().error_body(message, kind, param, code)
        if isinstance(body.get("error"), dict):
            body["error"]["x_vendor"] = VENDOR_NOTE
        return {**body, "request_id": "req_reference"}


@variation("plain-ids", "Ids are bare UUIDs, without the `chatcmpl-` prefix.")
class PlainIds(Behaviour):
    def new_id(self) -> str:
        return str(uuid.uuid4())


@variation("two-choices", "Two complete choices (index 0 and 1), interleaved in streams.")
class TwoChoices(Behaviour):
    choice_count = 2


@variation("slow", "0.2 s before each response starts and 0.05 s between stream events.")
class Slow(Behaviour):
    @property
    def latency(self) -> float:
        return max(super().latency, 0.2)

    @property
    def token_interval(self) -> float:
        return max(super().token_interval, 0.05)


@variation("jitter", "Each response starts after a random extra 0 to 0.15 s: answers overtake.")
class Jitter(Behaviour):
    """Real targets answer out of order; the suite's results must not depend on that order.
    Unseeded on purpose: two runs see two different orders."""

    def __init__(self, config: ServerConfig) -> None:
        super().__init__(config)
        self._rng = random.Random()

    def start_delay(self, reply: Reply | StreamReply) -> float:
        return super().start_delay(reply) + self._rng.uniform(0.0, 0.15)


@variation("usage-null-chunks", 'Every stream chunk carries `"usage": null`.')
class UsageNullChunks(Behaviour):
    def chunk(self, completion: Completion, step: StreamStep) -> dict:
        return {**super().chunk(completion, step), "usage": None}


@variation(
    "echo-key",
    "Echoes the Authorization header: in error messages, a response header and an extra field.",
)
class EchoKey(Behaviour):
    """Debug modes of real gateways do this; the suite must keep the key out of every report."""

    _authorization = ""

    def handle(self, request: HttpRequest) -> Reply | StreamReply:
        self._authorization = request.headers.get("authorization", "")
        reply = super().handle(request)
        return replace(
            reply, headers=(*reply.headers, ("x-echo-authorization", self._authorization))
        )

    def error_body(self, message: str, kind: str, param: str | None, code: str | None) -> dict:
        message = f"{message} (received: {self._authorization!r})"
        return super().error_body(message, kind, param, code)

    def completion_body(self, completion: Completion) -> dict:
        return {**super().completion_body(completion), "x_echo": self._authorization}

    def chunk(self, completion: Completion, step: StreamStep) -> dict:
        return {**super().chunk(completion, step), "x_echo": self._authorization}


@variation(
    "rate-limited",
    "The first attempt of every request gets 429 (with or without Retry-After); retries succeed.",
)
class RateLimited(Behaviour):
    """Providers throttle; a polite client retries, and the retried answer is what counts."""

    def __init__(self, config: ServerConfig) -> None:
        super().__init__(config)
        self._seen: set[int] = set()

    def handle(self, request: HttpRequest) -> Reply | StreamReply:
        fingerprint = hash((request.headers.get("authorization"), request.body))
        if fingerprint in self._seen:
            return super().handle(request)
        self._seen.add(fingerprint)
        headers = (("retry-after", "0"),) if len(self._seen) % 2 else ()
        message = "Rate limit reached; retry."
        return self.error(
            429, message, code="rate_limit_exceeded", kind="requests", headers=headers
        )


# `cr` and `crlf` exclude each other; `rate-limited` needs a retrying client, not a plain request.
_COMBINABLE = tuple(name for name in VARIATIONS if name not in ("cr", "rate-limited"))
VARIATIONS["all"] = Variation("all", f"All of: {', '.join(_COMBINABLE)}.", includes=_COMBINABLE)

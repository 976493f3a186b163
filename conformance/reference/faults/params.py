"""PARAM faults: the request's generation parameters are not honoured."""

from __future__ import annotations

from ..behaviour import Behaviour
from ..engine import ChatRequest, Output
from ._registry import fault


@fault(
    "ignore-max-tokens",
    "PARAM-001",
    "PARAM-002",
    "PARAM-007",
    description="Ignores `max_tokens`: the reply is never cut.",
)
class IgnoreMaxTokens(Behaviour):
    def token_limit(self, request: ChatRequest) -> int | None:
        return None


@fault(
    "length-as-stop",
    "PARAM-002",
    "PARAM-007",
    description='A reply cut by `max_tokens` reports finish_reason "stop".',
)
class LengthAsStop(Behaviour):
    def finish_reason(self, output: Output) -> str:
        reason = super().finish_reason(output)
        return "stop" if reason == "length" else reason


@fault(
    "stop-included",
    "PARAM-003",
    "PARAM-004",
    "PARAM-006",
    description="Stops at the stop sequence but leaves it at the end of the content.",
)
class StopIncluded(Behaviour):
    keep_stop_sequence = True


@fault(
    "stop-ignored",
    "PARAM-003",
    "PARAM-004",
    "PARAM-006",
    description="Ignores `stop` altogether: the reply runs on past every stop sequence.",
)
class StopIgnored(Behaviour):
    def stop_sequences(self, request: ChatRequest) -> tuple[str, ...]:
        return ()


@fault("stop-array-ignored", "PARAM-004", description="Honours `stop` only when it is a string.")
class StopArrayIgnored(Behaviour):
    def stop_sequences(self, request: ChatRequest) -> tuple[str, ...]:
        return () if isinstance(request.stop, tuple) else super().stop_sequences(request)


@fault(
    "stream-by-default",
    "PARAM-005",
    "RESP-001",
    "RESP-013",
    description="Streams when `stream` is omitted.",
)
class StreamByDefault(Behaviour):
    def wants_stream(self, request: ChatRequest) -> bool:
        return True if request.stream is None else super().wants_stream(request)

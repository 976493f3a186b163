"""GEN faults: bugs that only some inputs bring out, so no fixed probe trips them.

Each is a bug real servers have shipped: an off-by-one at the temperature's bound, a history
re-encoded as UCS-2, a template that expects the user to speak last, a fixed-size buffer of stop
sequences; and on the invalid side a lenient parser, a forgotten bound, a clamped value, a
validator without nullable types, and a framework's default error page for the rules nobody
wrote a message for. The generated requests (conformance/suite/test_generated.py) must find
each one and shrink it to a minimal request.
"""

from __future__ import annotations

import re

from ..behaviour import Behaviour
from ..engine import ChatRequest, Invalid
from ..wire import Reply
from ._registry import fault

_CRASH = "internal_error"


class _ServerErrorOn(Behaviour):
    """Serves like the conforming server, except that some valid requests make it fail."""

    def crashes_on(self, request: ChatRequest) -> bool:
        raise NotImplementedError

    def validate(self, payload: object) -> ChatRequest | Invalid:
        result = super().validate(payload)
        if isinstance(result, ChatRequest) and self.crashes_on(result):
            return Invalid("The server had an error while processing your request.", code=_CRASH)
        return result

    def invalid(self, problem: Invalid) -> Reply:
        if problem.code == _CRASH:
            return self.error(500, problem.message, kind="server_error")
        return super().invalid(problem)


@fault(
    "temperature-two-500",
    "GEN-001",
    description="Answers 500 when `temperature` is exactly 2, the documented upper bound (the "
    "sampler's table has an exclusive bound).",
)
class TemperatureTwo500(_ServerErrorOn):
    def crashes_on(self, request: ChatRequest) -> bool:
        return request.temperature is not None and request.temperature == 2


@fault(
    "astral-history-500",
    "GEN-001",
    description="Answers 500 when a message before the last holds a character outside the Basic "
    "Multilingual Plane (the history is re-encoded as UCS-2).",
)
class AstralHistory500(_ServerErrorOn):
    def crashes_on(self, request: ChatRequest) -> bool:
        earlier = request.messages[:-1]
        return any(ord(char) > 0xFFFF for message in earlier for char in message.content)


@fault(
    "assistant-last-500",
    "GEN-001",
    description="Answers 500 when the conversation ends with an assistant message.",
)
class AssistantLast500(_ServerErrorOn):
    def crashes_on(self, request: ChatRequest) -> bool:
        return request.messages[-1].role == "assistant"


@fault(
    "stop-three-500",
    "GEN-001",
    description="Answers 500 when `stop` has 3 or 4 sequences (a buffer sized for 2).",
)
class StopThree500(_ServerErrorOn):
    def crashes_on(self, request: ChatRequest) -> bool:
        return isinstance(request.stop, tuple) and len(request.stop) >= 3


@fault(
    "context-excuse",
    "GEN-001",
    description="Refuses a conversation that ends with an assistant message with 400 "
    "`context_length_exceeded`, however short it is (a template bug dressed as a context error).",
)
class ContextExcuse(Behaviour):
    """A refusal worded as a context-length error excuses only a prompt that could exceed a
    context; this one is a few bytes, so GEN-001 must still fail it."""

    def validate(self, payload: object) -> ChatRequest | Invalid:
        result = super().validate(payload)
        if isinstance(result, ChatRequest) and result.messages[-1].role == "assistant":
            message = "This model's maximum context length is 2048 tokens."
            return Invalid(message, "messages", "context_length_exceeded")
        return result


_NUMBER_PREFIX = re.compile(r"\s*[-+]?(\d+(\.\d*)?|\.\d+)")


def _parse_float(value: object) -> object:
    """JavaScript's parseFloat: the number a string starts with; the key is dropped otherwise."""
    if not isinstance(value, str):
        return value
    match = _NUMBER_PREFIX.match(value)
    return float(match.group()) if match else None


@fault(
    "coerce-top-p",
    "GEN-002",
    description='parseFloat()s `top_p` ("0.9" is taken as 0.9); drops it when that fails.',
)
class CoerceTopP(Behaviour):
    def validate(self, payload: object) -> ChatRequest | Invalid:
        if isinstance(payload, dict) and isinstance(payload.get("top_p"), str):
            number = _parse_float(payload["top_p"])
            payload = {k: v for k, v in payload.items() if k != "top_p"}
            if number is not None:
                payload["top_p"] = number
        return super().validate(payload)


@fault(
    "top-p-clamped",
    "GEN-003",
    description="Clamps `top_p` above 1 to 1 instead of refusing it (OpenAI refuses it).",
)
class TopPClamped(Behaviour):
    def validate(self, payload: object) -> ChatRequest | Invalid:
        top_p = payload.get("top_p") if isinstance(payload, dict) else None
        if isinstance(top_p, (int, float)) and not isinstance(top_p, bool) and top_p > 1:
            payload = {**payload, "top_p": 1.0}
        return super().validate(payload)


@fault(
    "null-refused",
    "GEN-005",
    description='Refuses an optional parameter sent as null (`"stop": null`) with 400, '
    "where OpenAI reads null as not set (strict validators without nullable types).",
)
class NullRefused(Behaviour):
    def validate(self, payload: object) -> ChatRequest | Invalid:
        if isinstance(payload, dict):
            for name in ("stream", "temperature", "top_p", "stop"):
                if name in payload and payload[name] is None:
                    return Invalid(f"Invalid type for '{name}': got null.", name, "invalid_type")
        return super().validate(payload)


@fault(
    "framework-error-page",
    "GEN-004",
    description="Refusals for rules without a hand-written message (`top_p`, `stop` items, a "
    "body that is not an object) are the framework's plain-text 400 page.",
)
class FrameworkErrorPage(Behaviour):
    def invalid(self, problem: Invalid) -> Reply:
        if problem.requirement is None and problem.code != "invalid_json":
            return Reply(400, (("content-type", "text/plain; charset=utf-8"),), b"Bad Request")
        return super().invalid(problem)

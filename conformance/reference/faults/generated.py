"""GEN faults: bugs that only some inputs bring out, so no fixed probe trips them.

Each is a bug real servers have shipped: a division by the temperature, a history re-encoded as
UCS-2, a template that expects the user to speak last, a fixed-size buffer of stop sequences;
and on the invalid side a lenient parser, a forgotten bound, and a framework's default error page
for the rules nobody wrote a message for. The generated requests (conformance/suite/
test_generated.py) must find each one and shrink it to a minimal request.
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
    "temperature-zero-500",
    "GEN-001",
    description="Answers 500 when `temperature` is exactly 0 (logits divided by it).",
)
class TemperatureZero500(_ServerErrorOn):
    def crashes_on(self, request: ChatRequest) -> bool:
        return request.temperature is not None and request.temperature == 0


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


def _is_zero(value: object) -> bool:
    return type(value) is int and value == 0  # not False, not 0.0


@fault(
    "max-tokens-zero-unlimited",
    "GEN-003",
    description="Takes `max_tokens: 0` as no limit instead of refusing it.",
)
class MaxTokensZeroUnlimited(Behaviour):
    def validate(self, payload: object) -> ChatRequest | Invalid:
        if isinstance(payload, dict) and _is_zero(payload.get("max_tokens")):
            payload = {k: v for k, v in payload.items() if k != "max_tokens"}
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

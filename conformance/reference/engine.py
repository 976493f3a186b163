"""The reference server's pure logic: parse and validate a request, then echo it back.

No I/O here, so every rule of the documented contract can be tested as a plain function call.
The model is an echo: the reply is the `content` of the last message, verbatim, so a tester can
predict every completion exactly.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Literal

ROLES = frozenset({"system", "user", "assistant"})
MAX_STOP_SEQUENCES = 4

FinishReason = Literal["stop", "length"]

# Concatenating the pieces gives the text back, so streamed tokens rebuild the reply exactly.
_TOKEN = re.compile(r"\S+\s*|\s+")


@dataclass(frozen=True)
class Invalid:
    """Why a request is refused; `requirement` names the catalog rule it falls under, if any."""

    message: str
    param: str | None = None
    code: str | None = None
    requirement: str | None = None


@dataclass(frozen=True)
class Message:
    role: str
    content: str


@dataclass(frozen=True)
class ChatRequest:
    """A validated request. `stream` is None when omitted, so a default can be told from a value."""

    model: str
    messages: tuple[Message, ...]
    stream: bool | None = None
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    stop: str | tuple[str, ...] | None = None

    @property
    def reply_text(self) -> str:
        return self.messages[-1].content

    @property
    def stop_sequences(self) -> tuple[str, ...]:
        """The stop sequences that take effect: empty strings never match anything useful."""
        given = (self.stop,) if isinstance(self.stop, str) else self.stop or ()
        return tuple(sequence for sequence in given if sequence)


@dataclass(frozen=True)
class Output:
    """One choice's output: the emitted tokens and why emission ended."""

    tokens: tuple[str, ...]
    finish_reason: FinishReason

    @property
    def text(self) -> str:
        return "".join(self.tokens)


def tokenize(text: str) -> list[str]:
    return _TOKEN.findall(text)


def count_prompt_tokens(request: ChatRequest) -> int:
    """At least 1, so usage never reports an empty prompt for a request that had one."""
    return max(1, sum(len(tokenize(message.content)) for message in request.messages))


def generate(
    text: str,
    stop: tuple[str, ...] = (),
    max_tokens: int | None = None,
    keep_stop: bool = False,
) -> Output:
    """Cut `text` before its earliest stop sequence, then to `max_tokens` tokens.

    `keep_stop` leaves the matched stop sequence in the text; only faults use it.
    """
    finish_reason: FinishReason = "stop"
    matches = [(text.find(sequence), sequence) for sequence in stop if sequence]
    found = [(position, sequence) for position, sequence in matches if position >= 0]
    if found:
        position, sequence = min(found, key=lambda match: match[0])
        text = text[: position + (len(sequence) if keep_stop else 0)]
    tokens = tokenize(text)
    if max_tokens is not None and len(tokens) > max_tokens:
        tokens = tokens[:max_tokens]
        finish_reason = "length"
    return Output(tuple(tokens), finish_reason)


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not valid JSON")


def parse_json(body: bytes) -> object | Invalid:
    """Strict JSON: UTF-8 only, and no NaN or Infinity (Python would otherwise accept them)."""
    try:
        return json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        return Invalid(
            f"We could not parse the JSON body of your request: {error}",
            code="invalid_json",
            requirement="REQ-010",
        )


def _is_number(value: object) -> bool:
    # Infinity (from a literal like 1e999) stays a number, so the range check refuses it.
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_integer(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _missing(param: str, requirement: str) -> Invalid:
    return Invalid(
        f"Missing required parameter: '{param}'.",
        param,
        "missing_required_parameter",
        requirement,
    )


def _wrong_type(param: str, expected: str, requirement: str | None) -> Invalid:
    return Invalid(
        f"Invalid type for '{param}': expected {expected}.", param, "invalid_type", requirement
    )


def _out_of_range(param: str, message: str, requirement: str | None) -> Invalid:
    return Invalid(f"Invalid value for '{param}': {message}", param, "invalid_value", requirement)


def _validate_message(index: int, item: object) -> Message | Invalid:
    where = f"messages[{index}]"
    if not isinstance(item, dict):
        return _wrong_type(where, "an object", "REQ-009")
    role = item.get("role")
    if not isinstance(role, str) or role not in ROLES:  # a list or an object is unhashable
        return _out_of_range(
            f"{where}.role", "expected one of 'system', 'user', 'assistant'.", "REQ-008"
        )
    content = item.get("content")
    if not isinstance(content, str):
        return _wrong_type(f"{where}.content", "a string", "REQ-009")
    return Message(role, content)


def _validate_messages(value: object) -> tuple[Message, ...] | Invalid:
    if not isinstance(value, list):
        return _wrong_type("messages", "an array", "REQ-011")
    if not value:
        return _out_of_range("messages", "expected a non-empty array.", "REQ-011")
    messages = []
    for index, item in enumerate(value):
        message = _validate_message(index, item)
        if isinstance(message, Invalid):
            return message
        messages.append(message)
    return tuple(messages)


def _validate_number(
    payload: dict, name: str, upper: float, requirements: tuple[str | None, str | None]
) -> Invalid | None:
    if name not in payload:
        return None
    type_requirement, range_requirement = requirements
    value = payload[name]
    if not _is_number(value):
        return _wrong_type(name, "a number", type_requirement)
    if not 0 <= value <= upper:
        return _out_of_range(name, f"expected a number between 0 and {upper}.", range_requirement)
    return None


def _validate_stop(value: object) -> str | tuple[str, ...] | Invalid:
    if isinstance(value, str):
        return value
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        return _wrong_type("stop", "a string or an array of strings", None)
    if len(value) > MAX_STOP_SEQUENCES:
        return _out_of_range("stop", "expected at most 4 sequences.", "REQ-007")
    return tuple(value)


OPTIONAL_PARAMETERS = ("stream", "temperature", "top_p", "max_tokens", "stop")


def validate(payload: object) -> ChatRequest | Invalid:
    """Check a parsed body against the documented contract; unknown top-level fields are ignored.
    An optional parameter sent as null means "not set", as OpenAI's API reads it."""
    if not isinstance(payload, dict):
        return Invalid("The request body must be a JSON object.", None, "invalid_type")
    payload = {
        key: value
        for key, value in payload.items()
        if not (key in OPTIONAL_PARAMETERS and value is None)
    }
    if "model" not in payload:
        return _missing("model", "REQ-001")
    model = payload["model"]
    if not isinstance(model, str) or not model:
        return _wrong_type("model", "a non-empty string", "REQ-001")
    if "messages" not in payload:
        return _missing("messages", "REQ-002")
    messages = _validate_messages(payload["messages"])
    if isinstance(messages, Invalid):
        return messages
    stream = payload.get("stream")
    if "stream" in payload and not isinstance(stream, bool):
        return _wrong_type("stream", "a boolean", "REQ-003")
    max_tokens = payload.get("max_tokens")
    if "max_tokens" in payload:
        if not _is_integer(max_tokens):
            return _wrong_type("max_tokens", "an integer", "REQ-004")
        if max_tokens < 1:
            return _out_of_range("max_tokens", "expected an integer of at least 1.", "REQ-004")
    problem = _validate_number(payload, "temperature", 2, ("REQ-005", "REQ-006"))
    problem = problem or _validate_number(payload, "top_p", 1, (None, None))
    if problem:
        return problem
    stop = _validate_stop(payload["stop"]) if "stop" in payload else None
    if isinstance(stop, Invalid):
        return stop
    return ChatRequest(
        model=model,
        messages=messages,
        stream=stream,
        temperature=payload.get("temperature"),
        top_p=payload.get("top_p"),
        max_tokens=max_tokens,
        stop=stop,
    )

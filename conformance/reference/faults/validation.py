"""REQ faults: lenient or wrong request validation.

A lenient gateway "repairs" a bad field and then serves the request; each fault here rewrites one
field of the parsed body before the conforming validation runs.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

from ..behaviour import Behaviour
from ..engine import ROLES, ChatRequest, Invalid
from ..wire import encode_json
from ._registry import fault

VALIDATION_REQUIREMENTS = tuple(f"REQ-{number:03d}" for number in range(1, 12))


def _patched(payload: object, key: str, repair: Callable[[object], object]) -> object:
    """`payload` with `payload[key]` repaired, when payload is an object that has the key."""
    if not isinstance(payload, dict) or key not in payload:
        return payload
    return {**payload, key: repair(payload[key])}


def _filled(payload: object, key: str, value: object) -> object:
    if not isinstance(payload, dict) or key in payload:
        return payload
    return {**payload, key: value}


_DROPPED = object()  # a repair that gives up removes the field, as lenient gateways do


def _patched_or_dropped(payload: object, key: str, repair: Callable[[object], object]) -> object:
    patched = _patched(payload, key, repair)
    if isinstance(patched, dict) and patched.get(key) is _DROPPED:
        return {k: v for k, v in patched.items() if k != key}
    return patched


def _leading_number(value: object, kind: type) -> object:
    """JavaScript's parseInt/parseFloat: the number a string starts with, else give up."""
    if not isinstance(value, str):
        return int(value) if kind is int and isinstance(value, float) else value
    match = re.match(r"\s*[-+]?\d+(\.\d*)?" if kind is float else r"\s*[-+]?\d+", value)
    return kind(match.group()) if match else _DROPPED


@fault("accept-missing-model", "REQ-001", description="Serves a request without `model`.")
class AcceptMissingModel(Behaviour):
    def validate(self, payload: object) -> ChatRequest | Invalid:
        return super().validate(_filled(payload, "model", "reference-default"))


@fault(
    "accept-missing-messages",
    "REQ-002",
    description="Answers a request without `messages` with 200 and an empty completion.",
)
class AcceptMissingMessages(Behaviour):
    def validate(self, payload: object) -> ChatRequest | Invalid:
        return super().validate(_filled(payload, "messages", [{"role": "user", "content": ""}]))


def _truthy(value: object) -> object:
    """JavaScript's Boolean(): any non-empty string or non-zero number is true."""
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return bool(value)
    return value


@fault(
    "coerce-stream-type",
    "REQ-003",
    description='Takes any `stream` string as true, as Boolean("sometimes") does.',
)
class CoerceStreamType(Behaviour):
    def validate(self, payload: object) -> ChatRequest | Invalid:
        return super().validate(_patched(payload, "stream", _truthy))


@fault(
    "coerce-max-tokens",
    "REQ-004",
    description="parseInt()s `max_tokens`; drops it when that fails.",
)
class CoerceMaxTokens(Behaviour):
    def validate(self, payload: object) -> ChatRequest | Invalid:
        repair = lambda value: _leading_number(value, int)  # noqa: E731
        return super().validate(_patched_or_dropped(payload, "max_tokens", repair))


@fault(
    "coerce-temperature",
    "REQ-005",
    description="parseFloat()s `temperature`; drops it when that fails.",
)
class CoerceTemperature(Behaviour):
    def validate(self, payload: object) -> ChatRequest | Invalid:
        repair = lambda value: _leading_number(value, float)  # noqa: E731
        return super().validate(_patched_or_dropped(payload, "temperature", repair))


def _clamped(value: object) -> object:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return min(max(value, 0), 2)
    return value


@fault(
    "temperature-unbounded",
    "REQ-006",
    description="Serves any numeric `temperature`, clamping it silently into [0, 2].",
)
class TemperatureUnbounded(Behaviour):
    def validate(self, payload: object) -> ChatRequest | Invalid:
        return super().validate(_patched(payload, "temperature", _clamped))


@fault("stop-unbounded", "REQ-007", description="Accepts (and honours) more than 4 stop sequences.")
class StopUnbounded(Behaviour):
    def validate(self, payload: object) -> ChatRequest | Invalid:
        stop = payload.get("stop") if isinstance(payload, dict) else None
        if not isinstance(stop, list) or len(stop) <= 4:
            return super().validate(payload)
        result = super().validate(_patched(payload, "stop", lambda value: stop[:4]))
        if isinstance(result, Invalid) or not all(isinstance(item, str) for item in stop):
            return result
        return dataclasses.replace(result, stop=tuple(stop))


def _each_message(payload: object, repair: Callable[[object], object]) -> object:
    def repair_all(messages: object) -> object:
        return [repair(item) for item in messages] if isinstance(messages, list) else messages

    return _patched(payload, "messages", repair_all)


def _known_role(item: object) -> object:
    if isinstance(item, dict) and item.get("role") not in ROLES:
        return {**item, "role": "user"}
    return item


@fault(
    "any-role",
    "REQ-008",
    "GEN-002",  # a message without a role is taken as the user's too
    description='Accepts any message role, e.g. Gemini\'s "model".',
)
class AnyRole(Behaviour):
    def validate(self, payload: object) -> ChatRequest | Invalid:
        return super().validate(_each_message(payload, _known_role))


def _stringified(item: object) -> object:
    if not isinstance(item, dict):
        return {"role": "user", "content": encode_json(item)}
    if not isinstance(item.get("content"), str):
        return {**item, "content": encode_json(item.get("content"))}
    return item


@fault(
    "content-any",
    "REQ-009",
    "GEN-002",  # a message without content is taken as "null" too
    description="Accepts non-string message content and non-object messages, as JSON text.",
)
class ContentAny(Behaviour):
    def validate(self, payload: object) -> ChatRequest | Invalid:
        return super().validate(_each_message(payload, _stringified))


@fault("invalid-json-500", "REQ-010", description="Answers a malformed JSON body with 500.")
class InvalidJson500(Behaviour):
    def invalid_status(self, problem: Invalid) -> int:
        return 500 if problem.requirement == "REQ-010" else super().invalid_status(problem)


def _listed(messages: object) -> object:
    if isinstance(messages, str):
        return [{"role": "user", "content": messages}]
    if isinstance(messages, dict):
        return [messages]
    return messages


@fault("messages-any", "REQ-011", description="Takes a string `messages` as one user message.")
class MessagesAny(Behaviour):
    def validate(self, payload: object) -> ChatRequest | Invalid:
        return super().validate(_patched(payload, "messages", _listed))


@fault("reject-top-p", "REQ-012", description="Refuses the documented `top_p` with 400.")
class RejectTopP(Behaviour):
    def validate(self, payload: object) -> ChatRequest | Invalid:
        result = super().validate(payload)
        if isinstance(result, ChatRequest) and result.top_p is not None:
            return Invalid(
                "Unrecognized request argument supplied: top_p", "top_p", "unknown_parameter"
            )
        return result


@fault(
    "server-error-on-invalid",
    *VALIDATION_REQUIREMENTS,
    "GEN-002",
    "GEN-003",
    description="Answers every invalid request with 500 (an unhandled validation exception).",
)
class ServerErrorOnInvalid(Behaviour):
    def invalid_status(self, problem: Invalid) -> int:
        return 500


@fault(
    "error-status-200",
    *VALIDATION_REQUIREMENTS,
    "GEN-002",
    "GEN-003",
    description="Sends validation error bodies with status 200.",
)
class ErrorStatus200(Behaviour):
    def invalid_status(self, problem: Invalid) -> int:
        return 200

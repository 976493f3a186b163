"""RESP: the non-streaming completion's format and field values."""

from __future__ import annotations

from collections import Counter

from conformance import schemas
from conformance.checks import (
    NotApplicable,
    Violation,
    choices_of,
    is_int,
    require_status_200,
    served_json,
    short,
)
from conformance.checks.registry import check, not_streamed
from conformance.records import Exchange

FINISH_REASONS = ("stop", "length", "content_filter")
CLOCK_TOLERANCE = 24 * 3600  # seconds; catches milliseconds while allowing a skewed clock


@check("RESP-013", probes=("completion",), applies=not_streamed)
def labelled_json(exchange: Exchange) -> list[Violation]:
    """RESP-013: SDKs pick the parser by Content-Type."""
    require_status_200(exchange, "AUTH-003")
    if exchange.content_type == "application/json":
        return []
    return [
        Violation(
            "the completion is not labelled as JSON",
            expected="Content-Type: application/json",
            actual=f"Content-Type: {exchange.content_type or '(none)'}",
            exchange=exchange.name,
        )
    ]


@check("RESP-001", probes=("completion",), applies=not_streamed)
def is_json_document(exchange: Exchange) -> list[Violation]:
    require_status_200(exchange, "AUTH-003")
    violations = []
    try:
        document = exchange.json()
    except ValueError as error:
        violations.append(
            Violation(
                "the body does not parse as JSON",
                expected="a JSON object",
                actual=f"{error}: {short(exchange.text(200))}",
                exchange=exchange.name,
            )
        )
    else:
        if not isinstance(document, dict):
            violations.append(
                Violation(
                    "the body is JSON but not an object",
                    expected="a JSON object",
                    actual=short(document),
                    exchange=exchange.name,
                )
            )
    return violations


@check("RESP-002", probes=("completion", "max_tokens_cut", "stop_string"), applies=not_streamed)
def matches_schema(exchange: Exchange) -> list[Violation]:
    document = served_json(exchange)
    return [
        Violation(
            "the completion does not match the response schema",
            expected="schemas/chat-completion.response.json",
            actual=problem,
            exchange=exchange.name,
        )
        for problem in schemas.schema_errors(schemas.RESPONSE, document)
    ]


@check("RESP-003", probes=("completion",), applies=not_streamed)
def object_is_chat_completion(exchange: Exchange) -> list[Violation]:
    value = served_json(exchange).get("object")
    if value == "chat.completion":
        return []
    return [Violation("wrong object", '"chat.completion"', short(value), exchange.name)]


@check("RESP-004", probes=("completion",), applies=not_streamed)
def created_is_unix_seconds(exchange: Exchange) -> list[Violation]:
    value = served_json(exchange).get("created")
    return created_violations(value, exchange.started_at, exchange.name)


def created_violations(
    value: object, now: float, where: str, event_index: int | None = None
) -> list[Violation]:
    """``created`` must be an int of Unix seconds near the tester's clock (shared by streams)."""
    expected = f"an integer Unix time in seconds near {int(now)}"
    if not is_int(value):
        kind = type(value).__name__ if value is not None else "missing"
        return [
            Violation(
                f"created is not an integer ({kind})", expected, short(value), where, event_index
            )
        ]
    if abs(value - now) > CLOCK_TOLERANCE:
        unit = " (milliseconds?)" if value > now * 100 else ""
        return [
            Violation(
                f"created is not a plausible Unix time in seconds{unit}",
                expected,
                str(value),
                where,
                event_index,
            )
        ]
    return []


@check("RESP-005", probes=("completion", "completion_again", "all_parameters"), together=True)
def id_is_unique(exchanges: list[Exchange]) -> list[Violation]:
    violations = []
    ids: list[str] = []
    for exchange in exchanges:
        value = served_json(exchange).get("id")
        if not isinstance(value, str) or not value:
            violations.append(
                Violation(
                    "id is not a non-empty string",
                    "a non-empty string",
                    short(value),
                    exchange.name,
                )
            )
        else:
            ids.append(value)
    for value, count in Counter(ids).items():
        if count > 1:
            names = ", ".join(e.name for e in exchanges)
            violations.append(
                Violation(
                    f"{count} completions share one id",
                    "a different id per completion",
                    f"{value!r} in {names}",
                )
            )
    return violations


@check("RESP-006", probes=("completion",), applies=not_streamed)
def choices_not_empty(exchange: Exchange) -> list[Violation]:
    choices = served_json(exchange).get("choices")
    if isinstance(choices, list) and choices and all(isinstance(c, dict) for c in choices):
        return []
    return [
        Violation(
            "choices is not a non-empty array of objects",
            "[{...}, ...]",
            short(choices),
            exchange.name,
        )
    ]


@check("RESP-007", probes=("completion",), applies=not_streamed)
def choices_indexed(exchange: Exchange) -> list[Violation]:
    choices = choices_of(served_json(exchange))
    indexes = [choice.get("index") for choice in choices]
    expected = list(range(len(choices)))
    if indexes == expected and all(is_int(i) for i in indexes):
        return []
    return [
        Violation(
            "choices are not indexed 0..n-1 in order", str(expected), short(indexes), exchange.name
        )
    ]


@check("RESP-008", probes=("completion", "stop_string"), applies=not_streamed)
def message_is_assistant_text(exchange: Exchange) -> list[Violation]:
    violations = []
    for number, choice in enumerate(choices_of(served_json(exchange))):
        message = choice.get("message")
        if not isinstance(message, dict):
            violations.append(
                Violation(
                    f"choices[{number}].message is not an object",
                    "an object",
                    short(message),
                    exchange.name,
                )
            )
            continue
        if message.get("role") != "assistant":
            violations.append(
                Violation(
                    f"choices[{number}].message.role is wrong",
                    '"assistant"',
                    short(message.get("role")),
                    exchange.name,
                )
            )
        if not isinstance(message.get("content"), str):
            violations.append(
                Violation(
                    f"choices[{number}].message.content is not a string",
                    "a string",
                    short(message.get("content")),
                    exchange.name,
                )
            )
    return violations


@check("RESP-009", probes=("completion", "max_tokens_cut", "stop_string"), applies=not_streamed)
def finish_reason_is_documented(exchange: Exchange) -> list[Violation]:
    violations = []
    for number, choice in enumerate(choices_of(served_json(exchange))):
        reason = choice.get("finish_reason")
        if reason not in FINISH_REASONS:
            violations.append(
                Violation(
                    f"choices[{number}].finish_reason is not documented",
                    " | ".join(FINISH_REASONS),
                    short(reason),
                    exchange.name,
                )
            )
    return violations


_USAGE_FIELDS = ("prompt_tokens", "completion_tokens", "total_tokens")


@check("RESP-010", probes=("completion", "max_tokens_cut"), applies=not_streamed)
def usage_counts(exchange: Exchange) -> list[Violation]:
    """RESP-010: the three counts are there, as non-negative integers."""
    usage = served_json(exchange).get("usage")
    if not isinstance(usage, dict):
        return [
            Violation(
                "usage is missing or not an object",
                "{prompt_tokens, completion_tokens, total_tokens}",
                short(usage),
                exchange.name,
            )
        ]
    bad = [n for n in _USAGE_FIELDS if not is_int(usage.get(n)) or usage[n] < 0]
    if bad:
        return [
            Violation(
                f"usage has no non-negative integer {', '.join(bad)}",
                "non-negative integers",
                short(usage),
                exchange.name,
            )
        ]
    return []


@check("RESP-012", probes=("completion", "max_tokens_cut"), applies=not_streamed)
def usage_adds_up(exchange: Exchange) -> list[Violation]:
    """RESP-012: total = prompt + completion (some providers count reasoning only in total)."""
    usage = served_json(exchange).get("usage")
    if not isinstance(usage, dict) or not all(is_int(usage.get(n)) for n in _USAGE_FIELDS):
        raise NotApplicable(f"{exchange.name}: no usable usage counts; see RESP-010")
    expected = usage["prompt_tokens"] + usage["completion_tokens"]
    if usage["total_tokens"] == expected:
        return []
    return [
        Violation(
            "usage.total_tokens is not prompt_tokens + completion_tokens",
            str(expected),
            str(usage["total_tokens"]),
            exchange.name,
        )
    ]


@check("RESP-011", probes=("completion",), applies=not_streamed)
def model_is_named(exchange: Exchange) -> list[Violation]:
    value = served_json(exchange).get("model")
    if isinstance(value, str) and value:
        return []
    return [
        Violation(
            "model is not a non-empty string",
            "the model used, as a string",
            short(value),
            exchange.name,
        )
    ]

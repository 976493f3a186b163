"""ERR: error responses carry the OpenAI-style error body that clients read."""

from __future__ import annotations

from conformance import schemas
from conformance.checks import NotApplicable, Violation, short
from conformance.checks.registry import check
from conformance.probes import ERROR_PROBES
from conformance.records import Exchange


def _require_refusal(exchange: Exchange) -> None:
    if exchange.status is None or not 400 <= exchange.status < 500:
        raise NotApplicable(f"{exchange.name}: not refused with a 4xx")


@check("ERR-001", probes=ERROR_PROBES, on_refusals=True)
def has_error_body(exchange: Exchange) -> list[Violation]:
    _require_refusal(exchange)
    try:
        document = exchange.json()
    except ValueError:
        return [
            Violation(
                "the error body is not JSON",
                expected='{"error": {"message": ...}}',
                actual=short(exchange.text(200)),
                exchange=exchange.name,
            )
        ]
    problems = schemas.schema_errors(schemas.ERROR, document)
    if not problems:
        return []
    return [
        Violation(
            "the error body does not have the OpenAI error shape",
            expected='{"error": {"message": string, "type"?, "param"?, "code"?}}',
            actual=f"{short(exchange.text(200))} ({'; '.join(problems[:3])})",
            exchange=exchange.name,
        )
    ]


@check("ERR-002", probes=ERROR_PROBES, on_refusals=True)
def error_is_json(exchange: Exchange) -> list[Violation]:
    _require_refusal(exchange)
    if exchange.content_type == "application/json":
        return []
    return [
        Violation(
            "the error response is not labelled as JSON",
            expected="Content-Type: application/json",
            actual=f"Content-Type: {exchange.content_type or '(none)'}",
            exchange=exchange.name,
        )
    ]

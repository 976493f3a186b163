"""Pure check functions, one module per area of the catalog.

A check takes recorded exchanges and returns violations; it never sends anything. So the same
check serves a live target, a recorded transcript and a self-test. When a check cannot judge
(the request it needs was never served), it raises ``NotApplicable`` naming what to look at.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from conformance.exchange import Exchange


@dataclass(frozen=True)
class Violation:
    """One way the target broke a rule, shown as expected against actual."""

    message: str
    expected: str = ""
    actual: str = ""
    exchange: str = ""  # name of the probe whose exchange shows it
    event_index: int | None = None  # for streams: which event

    def render(self) -> str:
        where = f"[{self.exchange}" + (
            f" event #{self.event_index}]" if self.event_index is not None else "]"
        )
        lines = [f"{where} {self.message}" if self.exchange else self.message]
        if self.expected:
            lines.append(f"  Expected: {self.expected}")
        if self.actual:
            lines.append(f"  Actual:   {self.actual}")
        return "\n".join(lines)


class NotApplicable(Exception):
    """The check cannot judge this exchange; the reason names the requirement to look at."""


def short(value: Any, limit: int = 200) -> str:
    """A value as people read it in a report line, cut to a sensible length."""
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[:limit] + "..."


def response_summary(exchange: Exchange) -> str:
    if exchange.status is None:
        return f"no response ({exchange.error})"
    return f"status {exchange.status}, Content-Type {exchange.content_type or '(none)'}"


def require_status_200(exchange: Exchange, prerequisite: str) -> None:
    if exchange.error and exchange.status is None:
        raise NotApplicable(f"{exchange.name}: no response ({exchange.error}); see {prerequisite}")
    if exchange.status != 200:
        raise NotApplicable(
            f"{exchange.name}: not served (status {exchange.status}); see {prerequisite}"
        )


def served_json(exchange: Exchange, prerequisite: str = "AUTH-003 and RESP-001") -> dict:
    """The JSON object of a served non-streaming response, or NotApplicable."""
    require_status_200(exchange, prerequisite)
    try:
        document = exchange.json()
    except ValueError:
        raise NotApplicable(f"{exchange.name}: the body is not JSON; see RESP-001") from None
    if not isinstance(document, dict):
        raise NotApplicable(f"{exchange.name}: the body is not a JSON object; see RESP-001")
    return document


def choices_of(document: dict) -> list[dict]:
    """The choice objects of a response, skipping what is not an object (RESP-006 reports it)."""
    choices = document.get("choices")
    if not isinstance(choices, list):
        return []
    return [c for c in choices if isinstance(c, dict)]


def message_contents(document: dict) -> list[str]:
    contents = []
    for choice in choices_of(document):
        message = choice.get("message")
        if isinstance(message, dict) and isinstance(message.get("content"), str):
            contents.append(message["content"])
    return contents


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)

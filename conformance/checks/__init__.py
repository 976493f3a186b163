"""Pure check functions, one module per area of the catalog.

A check takes recorded exchanges and returns violations; it never sends anything. So the same
check serves a live target, a recorded transcript and a self-test. When a check cannot judge
(the request it needs was never served), it raises ``NotApplicable`` naming what to look at.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from conformance.records import Exchange
from conformance.report.text import shortened


@dataclass(frozen=True)
class Violation:
    """One way the target broke a rule, shown as expected against actual."""

    message: str
    expected: str = ""
    actual: str = ""
    exchange: str = ""  # name of the probe whose exchange shows it
    event_index: int | None = None  # for streams: which event
    reproduction: str = ""  # how to send the failing request again (a curl command)

    def render(self) -> str:
        where = f"[{self.exchange}" + (
            f" event #{self.event_index}]" if self.event_index is not None else "]"
        )
        lines = [f"{where} {self.message}" if self.exchange else self.message]
        if self.expected:
            lines.append(f"  Expected: {self.expected}")
        if self.actual:
            lines.append(f"  Actual:   {self.actual}")
        if self.reproduction:
            lines += ["  Reproduce with " + self.reproduction.replace("\n", "\n    ")]
        return "\n".join(lines)


class NotApplicable(Exception):
    """The check cannot judge this exchange; the reason names the requirement to look at."""


class RequestRefused(Exception):
    """A valid, documented request was not served: that alone breaks the rule it was sent for."""

    def __init__(self, violation: Violation) -> None:
        super().__init__(violation.message)
        self.violation = violation


# The plain requests AUTH-003 judges; when they are not served, the checks that read them skip
# rather than repeat that one failure. Any other valid request that is refused fails its check.
BASIC_PROBES = ("completion", "stream")


def short(value: Any, limit: int = 200) -> str:
    """A value as people read it in a report line (a string as is, anything else as its repr),
    cut to a sensible length."""
    return shortened(value if isinstance(value, str) else repr(value), limit)


def response_summary(exchange: Exchange) -> str:
    if exchange.status is None:
        return f"no response ({exchange.error})"
    return f"status {exchange.status}, Content-Type {exchange.content_type or '(none)'}"


def require_status_200(exchange: Exchange, prerequisite: str) -> None:
    if exchange.status is None:
        raise NotApplicable(f"{exchange.name}: no response ({exchange.error}); see {prerequisite}")
    if exchange.status == 200:
        return
    if exchange.name in BASIC_PROBES or exchange.status in (401, 403):
        # 401/403 despite the valid key: the target refuses us, not this request (AUTH-003).
        raise NotApplicable(
            f"{exchange.name}: not served (status {exchange.status}); see {prerequisite}"
        )
    raise RequestRefused(
        Violation(
            "a valid, documented request was not served",
            expected="status 200",
            actual=f"{response_summary(exchange)}: {short(exchange.text(200))}",
            exchange=exchange.name,
        )
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

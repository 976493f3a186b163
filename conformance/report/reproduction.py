"""A failing generated request, shown so that a person can send it again: the request as a
``curl`` command (the key as ``$API_KEY``), the response that broke the rule, and the
violations escaped for a terminal (generated text holds control and bidi characters)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from conformance.checks import Violation
from conformance.report.curl import curl_command
from conformance.report.text import printable, shortened

if TYPE_CHECKING:
    from conformance.generated.engine import Finding
    from conformance.records import Exchange

RESPONSE_HEAD = 300  # characters kept from the start of the response body,
RESPONSE_TAIL = 100  # and from its end


def response_excerpt(exchange: Exchange) -> str:
    """The status, the Content-Type and the body (cut when long), safe for a terminal."""
    if exchange.status is None:
        return f"no response: {exchange.error}"
    head = f"HTTP {exchange.status}, Content-Type {exchange.content_type or '(none)'}"
    body = exchange.body.decode("utf-8", errors="replace")
    body = shortened(body, RESPONSE_HEAD + RESPONSE_TAIL, tail=RESPONSE_TAIL)
    return f"{head}\n{printable(body, keep_newlines=True)}" if body else head


def reproduced(finding: Finding) -> list[Violation]:
    """The finding's violations, the first carrying the request to rerun and what came back."""
    state = "this minimal request" if finding.minimal else "this failing request (not shrunk)"
    reproduction = (
        f"{state}:\n{curl_command(finding.exchange)}\n"
        f"Response:\n{response_excerpt(finding.exchange)}"
    )
    rule = getattr(finding.example, "rule", None)  # a request one rule away names its rule
    return [
        Violation(
            message=printable(violation.message) + (f" (it breaks {rule})" if rule else ""),
            expected=printable(violation.expected),
            actual=printable(violation.actual),
            exchange=violation.exchange,
            event_index=violation.event_index,
            reproduction=reproduction if number == 0 else "",
        )
        for number, violation in enumerate(finding.violations)
    ]

"""AUTH: the Authorization header is required, and only a valid key is served."""

from __future__ import annotations

from conformance.checks import Violation, response_summary
from conformance.exchange import Exchange


def refused_with_401(exchange: Exchange) -> list[Violation]:
    if exchange.status == 401:
        return []
    verdict = "served" if exchange.status == 200 else "answered"
    return [
        Violation(
            f"the request was {verdict} instead of refused as unauthenticated",
            expected="status 401",
            actual=response_summary(exchange),
            exchange=exchange.name,
        )
    ]


def served(exchange: Exchange) -> list[Violation]:
    if exchange.status == 200 and not (exchange.error and not exchange.body):
        return []
    return [
        Violation(
            "a valid request with a valid key was not served",
            expected="status 200",
            actual=response_summary(exchange)
            + (f"; body: {exchange.text(300)}" if exchange.body else ""),
            exchange=exchange.name,
        )
    ]

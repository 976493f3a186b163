"""AUTH: the Authorization header is required, and only a valid key is served."""

from __future__ import annotations

from conformance.checks import BASIC_PROBES, NotApplicable, Violation, response_summary
from conformance.checks.registry import any_request, check
from conformance.records import Exchange


@check("AUTH-001", probes=("auth_missing",))
@check("AUTH-002", probes=("auth_invalid",))
def refused(exchange: Exchange) -> list[Violation]:
    """AUTH-001/002: any 4xx refuses; a 2xx serves a stranger, a 5xx is the server's failure."""
    if exchange.status is not None and 400 <= exchange.status < 500:
        return []
    verdict = "served" if exchange.status == 200 else "not refused as unauthenticated"
    return [
        Violation(
            f"the request without a valid key was {verdict}",
            expected="a 4xx status (401 by convention)",
            actual=response_summary(exchange),
            exchange=exchange.name,
        )
    ]


@check("AUTH-004", probes=("auth_missing", "auth_invalid"))
def refused_with_401(exchange: Exchange) -> list[Violation]:
    """AUTH-004: the conventional status for a missing or wrong key."""
    if exchange.status is None or not 400 <= exchange.status < 500:
        raise NotApplicable(f"{exchange.name}: not refused at all; see AUTH-001/AUTH-002")
    if exchange.status == 401:
        return []
    return [
        Violation(
            "an authentication failure was refused with another status",
            expected="status 401",
            actual=f"status {exchange.status}",
            exchange=exchange.name,
        )
    ]


@check("AUTH-003", probes=BASIC_PROBES, applies=any_request)
@check("REQ-012", probes=("all_parameters", "top_p"))
def served(exchange: Exchange) -> list[Violation]:
    if exchange.status == 200:
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

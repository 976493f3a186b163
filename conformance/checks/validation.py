"""REQ: a request that breaks the documented format is refused as the client's error."""

from __future__ import annotations

from conformance.checks import NotApplicable, Violation, response_summary
from conformance.checks.registry import check
from conformance.probes import INVALID_PROBES
from conformance.records import Exchange

# A 4xx that says nothing about the body: the request was refused for another reason.
UNRELATED_REFUSALS = {
    401: "unauthorized",
    403: "forbidden",
    404: "not found",
    405: "method not allowed",
    407: "proxy authentication",
    408: "request timeout",
    413: "too large",
    429: "rate limited",
}


def refused_as_client_error(exchange: Exchange) -> list[Violation]:
    status = exchange.status
    if status in UNRELATED_REFUSALS:
        raise NotApplicable(
            f"{exchange.name}: refused with {status} ({UNRELATED_REFUSALS[status]}), "
            "which says nothing about the invalid body"
        )
    if status is not None and 400 <= status < 500:
        return []
    if status is None:
        problem = "the invalid request got no response"
    elif 200 <= status < 300:
        problem = "the invalid request was accepted"
    elif status >= 500:
        problem = "the invalid request caused a server error"
    else:
        problem = "the invalid request was not refused"
    return [
        Violation(
            problem,
            expected="a 4xx status (never 2xx, never 5xx)",
            actual=response_summary(exchange),
            exchange=exchange.name,
        )
    ]


@check("ERR-003", probes=tuple(INVALID_PROBES))
def refused_with_400(exchange: Exchange) -> list[Violation]:
    """ERR-003: the conventional status for an invalid body (422 is tolerated)."""
    if exchange.status is None or not 400 <= exchange.status < 500:
        raise NotApplicable(f"{exchange.name}: not refused with a 4xx; see its REQ requirement")
    if exchange.status in (400, 422):
        return []
    return [
        Violation(
            "the invalid request was refused with an unusual status",
            expected="400 (or 422)",
            actual=f"status {exchange.status}",
            exchange=exchange.name,
        )
    ]


def _register_invalid_probes() -> None:
    """REQ-001 to REQ-011: each invalid probe's requirement (``probes.INVALID_PROBES``) is
    proven by ``refused_as_client_error`` over that requirement's probes."""
    by_requirement: dict[str, list[str]] = {}
    for probe, requirement in INVALID_PROBES.items():
        by_requirement.setdefault(requirement, []).append(probe)
    for requirement, probes in by_requirement.items():
        check(requirement, probes=tuple(probes))(refused_as_client_error)


_register_invalid_probes()

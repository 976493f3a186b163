"""GEN-001 to GEN-005: what each generated property draws, and which checks judge its exchanges.

The suite's GEN tests call ``served``, ``refused`` and ``error_bodies``; the self-tests call them
the same way. Each takes the fixed probes' exchanges as its baseline: a check that already fails
there is left out (it is reported under its own requirement), so GEN reports only what some
inputs bring out. The run plans every collected property ahead (``plan_ahead``), so that drawing
and sending overlap the fixed probes' exchanges.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from typing import Any

from conformance import strategies
from conformance.checks import Violation
from conformance.checks.generated import (
    error_body_checks,
    error_message,
    holding,
    judge,
    judge_error_body,
    judge_refusal,
    must_checks,
    refused_for_context_length,
    refused_rules,
)
from conformance.checks.registry import RegisteredCheck
from conformance.generated.engine import Generation, Property, PropertyResult, body_key
from conformance.records import Exchange
from conformance.report.text import printable, shortened
from conformance.strategies import RequestHints

REQUIREMENTS = ("GEN-001", "GEN-002", "GEN-003", "GEN-004", "GEN-005")


def _is_stream(body: Any) -> bool:
    return isinstance(body, dict) and body.get("stream") is True


def _invalid_body(bad: Any) -> Any:
    return bad.body


def property_for(requirement: str, generation: Generation, model: str) -> Property:
    """What one GEN requirement draws for one model: the schema's edges first, then the
    profile's number of random examples (a quarter of it for the SHOULDs and for GEN-004).

    GEN-001 and GEN-005 draw valid requests (GEN-005 with explicit nulls); GEN-002 requests one
    documented rule away, GEN-003 one convention away, GEN-004 one rule of either kind away.
    """
    if requirement not in REQUIREMENTS:
        raise KeyError(f"{requirement} is not a generated requirement")
    options = generation.options
    hints = RequestHints((model,), options.max_tokens, options.max_prompt_tokens)
    name = f"{requirement} {model}"
    if requirement in ("GEN-001", "GEN-005"):
        nulls = requirement == "GEN-005"
        examples = options.profile.valid_examples
        return Property(
            name,
            (strategies.null_requests if nulls else strategies.valid_requests)(hints),
            (strategies.null_edges if nulls else strategies.valid_edges)(hints),
            max(1, examples // 4) if nulls else examples,
            # A stream that never ends costs a whole deadline per request: streamed examples
            # wait until the fixed probes show that streams end (streams_end).
            held=_is_stream,
        )
    convention = {"GEN-002": False, "GEN-003": True, "GEN-004": None}[requirement]
    examples = options.profile.invalid_examples
    return Property(
        name,
        strategies.invalid_requests(hints, convention=convention),
        strategies.invalid_edges(hints, convention=convention),
        examples if requirement == "GEN-002" else max(1, examples // 4),
        body_of=_invalid_body,
    )


# ----------------------------------------------------------------------------- planning


def streams_end(served_probes: Sequence[Exchange]) -> bool:
    """Whether generated streamed requests are worth sending: STREAM-007 holds on the fixed
    probes (a target whose streams never end would cost a whole deadline per request)."""
    _, left_out = holding(must_checks(), served_probes)
    return _streams_end(left_out)


def _streams_end(left_out: Iterable[RegisteredCheck]) -> bool:
    return all(check.requirement != "STREAM-007" for check in left_out)


def _decided(value: bool) -> Future[bool]:
    """A gate already open (True) or closed (False)."""
    future: Future[bool] = Future()
    future.set_result(value)
    return future


def plan_ahead(
    generation: Generation, requirement: str, model: str, gate: Callable[[], Future[bool]]
) -> None:
    """Draw and send one GEN requirement's examples now; its test judges them later. ``gate``
    makes the future of ``streams_end`` over the fixed probes, for a property that holds some
    examples back (its held examples go out with ``Generation.send_held``)."""
    try:
        prop = property_for(requirement, generation, model)
    except Exception:  # the property's own test builds it again and reports the error there
        return
    generation.plan_ahead(prop, gate() if prop.held is not None else None)


# ------------------------------------------------------------------------------ judging


def served(
    generation: Generation, model: str, baseline: Sequence[Exchange], nulls: bool = False
) -> PropertyResult:
    """GEN-001 over the schema's edges and random valid requests (GEN-005: the same with
    explicit nulls); ``baseline`` holds the fixed probes' served exchanges (checks failing there
    are left out). A refusal for context length is legal and judges nothing: it is counted."""
    checks, left_out = holding(must_checks(), baseline)
    too_long: dict[str, Exchange] = {}

    def judge_served(body: Any, exchange: Exchange) -> list[Violation] | None:
        if refused_for_context_length(exchange):
            too_long[body_key(body)] = exchange
            return None
        return judge(checks, exchange)

    prop = property_for("GEN-005" if nulls else "GEN-001", generation, model)
    gate = _decided(_streams_end(left_out))
    result = generation.check(prop, judge=judge_served, gate=gate)
    result.notes += [f"left out, already failing on the fixed probes: {c.name}" for c in left_out]
    if too_long:
        first = next(iter(too_long.values()))
        said = shortened(printable(error_message(first)), 120, prose=True)
        result.notes.append(
            f"{len(too_long)} requests refused for context length, legal and not judged "
            f"(e.g. status {first.status}: {said}); "
            "lower --chat-gen-max-prompt-tokens for this model"
        )
    return result


def refused(
    generation: Generation, model: str, baseline: Sequence[Exchange], convention: bool
) -> PropertyResult:
    """GEN-002 (documented rules) or GEN-003 (conventions); ``baseline`` holds the fixed invalid
    probes' exchanges (a rule whose probe was accepted is REQ's to report)."""
    known = refused_rules(baseline)
    return generation.check(
        property_for("GEN-003" if convention else "GEN-002", generation, model),
        judge=lambda bad, exchange: judge_refusal(exchange, known),
    )


def error_bodies(
    generation: Generation, model: str, refusals: Sequence[Exchange]
) -> PropertyResult:
    """GEN-004 over every rule; ``refusals`` are the fixed probes' refusals."""
    checks, left_out = holding(error_body_checks(), refusals)
    result = generation.check(
        property_for("GEN-004", generation, model),
        judge=lambda bad, exchange: judge_error_body(checks, exchange),
    )
    result.notes += [f"left out, already failing on the fixed probes: {c.name}" for c in left_out]
    return result

"""Turn check results into pytest outcomes: violations fail, "cannot judge" skips."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from conformance.checks import NotApplicable, RequestRefused, Violation
from conformance.plugin import RequirementFailed
from conformance.records import Exchange

Check = Callable[..., list[Violation]]


def skip_if_throttled(exchanges: list[Exchange]) -> None:
    """A target that kept answering 429/503 has told us nothing about conformance."""
    throttled = [e for e in exchanges if e.throttled]
    if throttled:
        names = ", ".join(f"{e.name} ({e.status} after {e.attempts} attempts)" for e in throttled)
        pytest.skip(f"throttled, not a conformance verdict: {names}")


def expect(check: Check, *exchanges: Exchange) -> None:
    """Apply ``check`` to each exchange; fail on any violation, skip if none could be judged."""
    __tracebackhide__ = True  # the violations say it all; the helper's frames do not
    skip_if_throttled(list(exchanges))
    violations: list[Violation] = []
    reasons: list[str] = []
    for exchange in exchanges:
        try:
            violations.extend(check(exchange))
        except NotApplicable as reason:
            reasons.append(str(reason))
        except RequestRefused as refused:
            violations.append(refused.violation)
    if violations:
        raise RequirementFailed(violations)
    if reasons and len(reasons) == len(exchanges):
        pytest.skip("; ".join(reasons))


def expect_together(check: Check, *arguments: Any) -> None:
    """Apply a check that judges several exchanges at once (e.g. ids unique across them)."""
    __tracebackhide__ = True
    flat = [a for arg in arguments for a in (arg if isinstance(arg, list) else [arg])]
    skip_if_throttled([a for a in flat if isinstance(a, Exchange)])
    try:
        violations = check(*arguments)
    except NotApplicable as reason:
        pytest.skip(str(reason))
    except RequestRefused as refused:
        violations = [refused.violation]
    if violations:
        raise RequirementFailed(violations)

"""Turn check results into pytest outcomes: violations fail, "cannot judge" skips."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from conformance.checks import NotApplicable, Violation
from conformance.exchange import Exchange
from conformance.plugin import RequirementFailed

Check = Callable[..., list[Violation]]


def expect(check: Check, *exchanges: Exchange) -> None:
    """Apply ``check`` to each exchange; fail on any violation, skip if none could be judged."""
    violations: list[Violation] = []
    reasons: list[str] = []
    for exchange in exchanges:
        try:
            violations.extend(check(exchange))
        except NotApplicable as reason:
            reasons.append(str(reason))
    if violations:
        raise RequirementFailed(violations)
    if reasons and len(reasons) == len(exchanges):
        pytest.skip("; ".join(reasons))


def expect_together(check: Check, *arguments: Any) -> None:
    """Apply a check that judges several exchanges at once (e.g. ids unique across them)."""
    try:
        violations = check(*arguments)
    except NotApplicable as reason:
        pytest.skip(str(reason))
    if violations:
        raise RequirementFailed(violations)

"""The suite's tests of an area, one per registered check (``conformance/checks/registry.py``).

Each test reads the exchanges of the probes its check is registered with and judges them: a
violation fails the requirement, "cannot judge" skips it with the reason. The test's id is the
requirement ID, so a report row, a JUnit case and the catalog name the same thing.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from conformance.checks.registry import RegisteredCheck, suite_checks
from conformance.report.session import judged_exchanges_key
from conformance.suite.verdict import expect, expect_together


def area_tests(area: str) -> Callable[..., None]:
    """One parametrized test function for ``area``: name it ``test_<area>`` in its module."""
    cases = [
        pytest.param(c, id=c.requirement, marks=pytest.mark.requirement(c.requirement))
        for c in suite_checks(area)
    ]

    @pytest.mark.parametrize("registered_check", cases)
    def test(registered_check: RegisteredCheck, run_context, model: str, request) -> None:
        __tracebackhide__ = True  # the violations say it all
        exchanges = [run_context.exchange(probe, model) for probe in registered_check.probes]
        request.node.stash[judged_exchanges_key] = exchanges  # the evidence of a failure
        if registered_check.together:
            expect_together(registered_check.function, exchanges)
        else:
            expect(registered_check.function, *exchanges)

    test.__name__ = test.__qualname__ = f"test_{area.lower()}"
    test.__doc__ = f"The {area} requirements, each judged by its registered check."
    return test

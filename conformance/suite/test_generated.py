"""GEN: generated requests, derived from schemas/chat-completion.request.json.

The fixed probes find the bugs someone thought of; these find the others. Each test runs one
property over requests drawn from the schema (conformance/strategies.py), sent and shrunk by
conformance/generated/engine.py and judged by the suite's own checks
(conformance/checks/generated.py, wired to each requirement in conformance/generated/properties.py).
A failure shows the minimal request as a curl command, with the response that broke the rule
(conformance/report/reproduction.py).
"""

import pytest

from conformance.generated.engine import Generation, PropertyResult
from conformance.generated.properties import error_bodies, refused, served
from conformance.plugin import RequirementFailed
from conformance.probes import ERROR_PROBES, INVALID_PROBES, SERVED_PROBES
from conformance.report.reproduction import reproduced


@pytest.fixture
def generation(run_context) -> Generation:
    """The run's generation: its properties were drawn and sent when the run started."""
    if run_context.generation is None:
        raise RuntimeError("GEN tests were collected but not planned")
    return run_context.generation


def expect_property(result: PropertyResult) -> None:
    """A finding fails the test with its reproduction; nothing judged skips it."""
    __tracebackhide__ = True
    if result.finding is not None:
        raise RequirementFailed(reproduced(result.finding))
    if not result.judged:
        pytest.skip(
            f"{result.name}: no generated exchange could be judged; " + "; ".join(result.notes)
        )


def _exchanges(request, names):
    return [request.getfixturevalue(name) for name in names]


@pytest.mark.usefixtures(*SERVED_PROBES)  # named here so the run plans and prefetches them
@pytest.mark.requirement("GEN-001")
def test_schema_valid_requests_are_served(generation, model, request):
    expect_property(served(generation, model, _exchanges(request, SERVED_PROBES)))


@pytest.mark.usefixtures(*INVALID_PROBES)
@pytest.mark.requirement("GEN-002")
def test_requests_one_documented_rule_away_are_refused(generation, model, request):
    baseline = _exchanges(request, INVALID_PROBES)
    expect_property(refused(generation, model, baseline, convention=False))


@pytest.mark.requirement("GEN-003")
def test_requests_one_conventional_rule_away_are_refused(generation, model):
    expect_property(refused(generation, model, [], convention=True))


@pytest.mark.usefixtures(*ERROR_PROBES)
@pytest.mark.requirement("GEN-004")
def test_refused_generated_requests_get_the_error_body(generation, model, request):
    expect_property(error_bodies(generation, model, _exchanges(request, ERROR_PROBES)))


@pytest.mark.usefixtures(*SERVED_PROBES)
@pytest.mark.requirement("GEN-005")
def test_explicit_nulls_mean_not_set(generation, model, request):
    baseline = _exchanges(request, SERVED_PROBES)
    expect_property(served(generation, model, baseline, nulls=True))

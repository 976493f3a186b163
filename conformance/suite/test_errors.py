"""ERR: the OpenAI-style error body (a convention: the documentation does not describe errors).

Judged on every refused request of the auth and request-validation probes.
"""

import pytest

from conformance.checks import errors, validation
from conformance.probes import ERROR_PROBES, INVALID_PROBES
from conformance.suite.verdict import expect


@pytest.fixture
def refusals(request):
    return [request.getfixturevalue(name) for name in ERROR_PROBES]


@pytest.fixture
def invalid_body_refusals(request):
    return [request.getfixturevalue(name) for name in INVALID_PROBES]


@pytest.mark.usefixtures(*ERROR_PROBES)  # named here so the run plans and prefetches them
@pytest.mark.requirement("ERR-001")
def test_errors_have_the_openai_error_body(refusals):
    expect(errors.has_error_body, *refusals)


@pytest.mark.usefixtures(*ERROR_PROBES)
@pytest.mark.requirement("ERR-002")
def test_errors_are_json(refusals):
    expect(errors.error_is_json, *refusals)


@pytest.mark.usefixtures(*INVALID_PROBES)
@pytest.mark.requirement("ERR-003")
def test_invalid_bodies_get_400(invalid_body_refusals):
    expect(validation.refused_with_400, *invalid_body_refusals)

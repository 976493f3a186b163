"""AUTH: 'Authorization | Yes | Bearer your_api_key'."""

import pytest

from conformance.checks import auth
from conformance.suite.verdict import expect


@pytest.mark.requirement("AUTH-001")
def test_missing_key_is_refused(auth_missing):
    expect(auth.refused, auth_missing)


@pytest.mark.requirement("AUTH-002")
def test_wrong_key_is_refused(auth_invalid):
    expect(auth.refused, auth_invalid)


@pytest.mark.requirement("AUTH-003")
def test_valid_key_is_served(completion, stream):
    expect(auth.served, completion, stream)


@pytest.mark.requirement("AUTH-004")
def test_authentication_failures_use_401(auth_missing, auth_invalid):
    expect(auth.refused_with_401, auth_missing, auth_invalid)

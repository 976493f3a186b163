"""REQ: a request that breaks the documented body format is refused with a 4xx.

Each probe is one rule away from a valid request (see conformance.probes), so a refusal can only
be for that rule, and a 2xx or 5xx shows the rule is not enforced.
"""

import pytest

from conformance.checks import auth, validation
from conformance.suite.verdict import expect


@pytest.mark.requirement("REQ-001")
def test_missing_model_is_refused(missing_model):
    expect(validation.refused_as_client_error, missing_model)


@pytest.mark.requirement("REQ-002")
def test_missing_messages_is_refused(missing_messages):
    expect(validation.refused_as_client_error, missing_messages)


@pytest.mark.requirement("REQ-003")
def test_non_boolean_stream_is_refused(stream_not_boolean):
    expect(validation.refused_as_client_error, stream_not_boolean)


@pytest.mark.requirement("REQ-004")
def test_non_integer_max_tokens_is_refused(max_tokens_not_integer, max_tokens_fractional):
    expect(validation.refused_as_client_error, max_tokens_not_integer, max_tokens_fractional)


@pytest.mark.requirement("REQ-005")
def test_non_number_temperature_is_refused(temperature_not_number):
    expect(validation.refused_as_client_error, temperature_not_number)


@pytest.mark.requirement("REQ-006")
def test_temperature_outside_0_to_2_is_refused(temperature_above_2, temperature_below_0):
    expect(validation.refused_as_client_error, temperature_above_2, temperature_below_0)


@pytest.mark.requirement("REQ-007")
def test_more_than_4_stop_sequences_are_refused(five_stop_sequences):
    expect(validation.refused_as_client_error, five_stop_sequences)


@pytest.mark.requirement("REQ-008")
def test_unknown_role_is_refused(unknown_role):
    expect(validation.refused_as_client_error, unknown_role)


@pytest.mark.requirement("REQ-009")
def test_malformed_message_is_refused(message_not_object, content_not_string):
    expect(validation.refused_as_client_error, message_not_object, content_not_string)


@pytest.mark.requirement("REQ-010")
def test_malformed_json_is_refused(malformed_json):
    expect(validation.refused_as_client_error, malformed_json)


@pytest.mark.requirement("REQ-011")
def test_non_array_messages_is_refused(messages_not_array):
    expect(validation.refused_as_client_error, messages_not_array)


@pytest.mark.requirement("REQ-012")
def test_documented_parameters_are_accepted(all_parameters, top_p):
    expect(auth.served, all_parameters, top_p)

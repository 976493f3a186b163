"""PARAM: max_tokens, stop and stream do what the Body Parameters say."""

import pytest

from conformance.checks import parameters
from conformance.suite.verdict import expect


@pytest.mark.requirement("PARAM-001")
def test_max_tokens_bounds_the_completion(max_tokens_cut):
    expect(parameters.completion_tokens_within_limit, max_tokens_cut)


@pytest.mark.requirement("PARAM-002")
def test_cut_completion_ends_with_length(max_tokens_cut):
    expect(parameters.cut_completion_ends_with_length, max_tokens_cut)


@pytest.mark.requirement("PARAM-003")
def test_stop_string_is_honoured(stop_string):
    expect(parameters.content_avoids_stop, stop_string)


@pytest.mark.requirement("PARAM-004")
def test_stop_array_is_honoured(stop_array):
    expect(parameters.content_avoids_stop, stop_array)


@pytest.mark.requirement("PARAM-005")
def test_omitted_stream_means_json(completion):
    expect(parameters.omitted_stream_is_json, completion)


@pytest.mark.requirement("PARAM-006")
def test_stop_applies_to_streams(stream_stop):
    expect(parameters.stream_avoids_stop, stream_stop)


@pytest.mark.requirement("PARAM-007")
def test_max_tokens_applies_to_streams(stream_max_tokens_cut):
    expect(parameters.cut_stream_ends_with_length, stream_max_tokens_cut)

"""RESP: the non-streaming completion (Response, Response Fields)."""

import pytest

from conformance.checks import response
from conformance.suite.verdict import expect, expect_together


@pytest.mark.requirement("RESP-001")
def test_completion_is_a_json_object(completion):
    expect(response.is_json_document, completion)


@pytest.mark.requirement("RESP-002")
def test_completion_matches_the_schema(completion, max_tokens_cut, stop_string):
    expect(response.matches_schema, completion, max_tokens_cut, stop_string)


@pytest.mark.requirement("RESP-003")
def test_object_is_chat_completion(completion):
    expect(response.object_is_chat_completion, completion)


@pytest.mark.requirement("RESP-004")
def test_created_is_unix_seconds(completion):
    expect(response.created_is_unix_seconds, completion)


@pytest.mark.requirement("RESP-005")
def test_id_is_non_empty_and_unique(completion, completion_again, all_parameters):
    expect_together(response.id_is_unique, [completion, completion_again, all_parameters])


@pytest.mark.requirement("RESP-006")
def test_choices_is_not_empty(completion):
    expect(response.choices_not_empty, completion)


@pytest.mark.requirement("RESP-007")
def test_choices_are_indexed_from_0(completion):
    expect(response.choices_indexed, completion)


@pytest.mark.requirement("RESP-008")
def test_message_is_assistant_text(completion, stop_string):
    expect(response.message_is_assistant_text, completion, stop_string)


@pytest.mark.requirement("RESP-009")
def test_finish_reason_is_documented(completion, max_tokens_cut, stop_string):
    expect(response.finish_reason_is_documented, completion, max_tokens_cut, stop_string)


@pytest.mark.requirement("RESP-010")
def test_usage_counts_tokens(completion, max_tokens_cut):
    expect(response.usage_counts, completion, max_tokens_cut)


@pytest.mark.requirement("RESP-011")
def test_model_is_named(completion):
    expect(response.model_is_named, completion)


@pytest.mark.requirement("RESP-012")
def test_usage_adds_up(completion, max_tokens_cut):
    expect(response.usage_adds_up, completion, max_tokens_cut)


@pytest.mark.requirement("RESP-013")
def test_completion_is_labelled_json(completion):
    expect(response.labelled_json, completion)

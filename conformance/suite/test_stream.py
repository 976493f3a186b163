"""STREAM: the chunks of a streamed completion (Streaming, Streaming Response).

Every structural check runs over all three streaming probes: a plain stream, one ended by a stop
sequence, one cut by max_tokens.
"""

import pytest

from conformance.checks import stream as checks
from conformance.suite.verdict import expect


@pytest.fixture
def streams(stream, stream_stop, stream_max_tokens_cut):
    return (stream, stream_stop, stream_max_tokens_cut)


@pytest.mark.requirement("STREAM-001")
def test_stream_is_text_event_stream(streams):
    expect(checks.is_event_stream, *streams)


@pytest.mark.requirement("STREAM-002")
def test_every_chunk_matches_the_schema(streams):
    expect(checks.chunks_match_schema, *streams)


@pytest.mark.requirement("STREAM-003")
def test_object_is_chat_completion_chunk(streams):
    expect(checks.object_is_chunk, *streams)


@pytest.mark.requirement("STREAM-004")
def test_one_id_per_stream(streams):
    expect(checks.one_id, *streams)


@pytest.mark.requirement("STREAM-005")
def test_first_delta_carries_assistant_role(streams):
    expect(checks.first_delta_has_role, *streams)


@pytest.mark.requirement("STREAM-006")
def test_exactly_one_finish_reason_per_choice(streams):
    expect(checks.one_finish_reason, *streams)


@pytest.mark.requirement("STREAM-007")
def test_stream_ends_in_time(streams):
    expect(checks.ends_in_time, *streams)


@pytest.mark.requirement("STREAM-008")
def test_chunks_carry_created_and_model(streams):
    expect(checks.chunks_carry_created_and_model, *streams)


@pytest.mark.requirement("STREAM-009")
def test_deltas_carry_the_text(stream):
    expect(checks.deltas_carry_text, stream)

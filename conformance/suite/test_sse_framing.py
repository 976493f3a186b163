"""SSE: the event-stream framing, parsed by the WHATWG rules clients apply."""

import pytest

from conformance.checks import sse as checks
from conformance.suite.verdict import expect


@pytest.fixture
def streams(stream, stream_stop, stream_max_tokens_cut):
    return (stream, stream_stop, stream_max_tokens_cut)


@pytest.mark.requirement("SSE-001")
def test_events_are_well_framed(streams):
    expect(checks.events_are_well_framed, *streams)


@pytest.mark.requirement("SSE-002")
def test_stream_ends_with_done(streams):
    expect(checks.ends_with_done, *streams)


@pytest.mark.requirement("SSE-003")
def test_nothing_follows_done(streams):
    expect(checks.nothing_after_done, *streams)

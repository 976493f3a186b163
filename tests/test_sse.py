"""Tests for conformance.sse: the WHATWG event-stream rules, chunking and decoding edge cases."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.sse import SseEvent, SseParser, parse_all

ENDINGS = {"LF": "\n", "CR": "\r", "CRLF": "\r\n"}


def fields(events: list[SseEvent]) -> list[tuple[str, str | None, str | None, int | None]]:
    """The client-visible part of each event."""
    return [(e.data, e.event, e.id, e.retry) for e in events]


def feed_all(chunks: list[bytes]) -> tuple[SseParser, list[SseEvent]]:
    parser = SseParser()
    out: list[SseEvent] = []
    for chunk in chunks:
        out += parser.feed(chunk)
    out += parser.close()
    return parser, out


def split_at(stream: bytes, cuts: list[int]) -> list[bytes]:
    """Cut a byte string at the given (sorted) offsets; empty chunks are allowed."""
    bounds = [0, *cuts, len(stream)]
    return [stream[a:b] for a, b in itertools.pairwise(bounds)]


def reference(data: bytes) -> list[tuple[str, str | None, str | None, int | None]]:
    """Independent, literal reading of the spec: decode the whole stream, then split lines."""
    text = data.decode("utf-8", errors="replace")
    text = text.removeprefix("\ufeff")
    lines = re.split(r"\r\n|\r|\n", text)[:-1]  # the last piece is unterminated: discarded
    out = []
    data_buf, event_type, last_id, retry = "", "", None, None
    for line in lines:
        if line == "":
            if data_buf:
                out.append((data_buf[:-1], event_type or None, last_id, retry))
            data_buf, event_type = "", ""
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "data":
            data_buf += value + "\n"
        elif name == "event":
            event_type = value
        elif name == "id" and "\0" not in value:
            last_id = value
        elif name == "retry" and value and all(c in "0123456789" for c in value):
            retry = int(value)
    return out


# --- line endings -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["LF", "CR", "CRLF"])
def test_each_line_ending(kind: str) -> None:
    nl = ENDINGS[kind]
    stream = f"data: a{nl}data: b{nl}{nl}data: c{nl}{nl}".encode()
    p = parse_all(stream)
    assert fields(p.events) == [("a\nb", None, None, None), ("c", None, None, None)]
    assert p.line_ending_kinds == {kind}
    assert p.events[0].raw == f"data: a{nl}data: b{nl}{nl}"
    assert p.discarded_tail == ""


def test_mixed_line_endings_in_one_stream() -> None:
    p = parse_all(b"data: a\r\ndata: b\rdata: c\n\r\ndata: d\r\r")
    assert [e.data for e in p.events] == ["a\nb\nc", "d"]
    assert p.line_ending_kinds == {"LF", "CR", "CRLF"}


def test_crlf_split_across_chunks_is_one_line_end() -> None:
    p = SseParser()
    assert p.feed(b"data: a\r") == []
    assert p.feed(b"\ndata: b\r\n") == []  # the LF must not act as a blank line
    (event,) = p.feed(b"\r\n")
    assert event.data == "a\nb"
    assert p.line_ending_kinds == {"CRLF"}


def test_blank_line_crlf_split_across_chunks_keeps_raw_exact() -> None:
    p = SseParser()
    assert p.feed(b"data: a\r\n\r") == []  # a chunk-final CR may be half a CRLF
    (event,) = p.feed(b"\n", now=2.0)
    assert event.raw == "data: a\r\n\r\n"
    assert event.received_at == 2.0
    assert p.line_ending_kinds == {"CRLF"}


def test_chunk_final_cr_resolved_by_next_byte_or_close() -> None:
    p = SseParser()
    assert p.feed(b"data: a\r\r") == []
    assert [e.data for e in p.feed(b"data: b\r")] == ["a"]
    assert p.feed(b"\r") == []
    assert [e.data for e in p.close()] == ["b"]  # the final CR is a complete blank line
    assert p.line_ending_kinds == {"CR"}
    assert p.discarded_tail == ""


# --- field parsing ------------------------------------------------------------------------


def test_comments_are_recorded_and_kept_in_raw() -> None:
    p = parse_all(b": hello\n:\n:no space\ndata: x\n\n")
    assert p.comments == [" hello", "", "no space"]
    assert fields(p.events) == [("x", None, None, None)]
    assert p.events[0].raw == ": hello\n:\n:no space\ndata: x\n\n"


def test_comment_only_block_dispatches_nothing() -> None:
    p = parse_all(b": keepalive\n\n: again\n\n")
    assert p.events == []
    assert p.comments == [" keepalive", " again"]


@pytest.mark.parametrize(
    ("line", "value"),
    [
        (b"data:x", "x"),
        (b"data: x", "x"),
        (b"data:  x", " x"),
        (b"data: x ", "x "),
        (b"data:\tx", "\tx"),
        (b"data: a:b: c", "a:b: c"),
        (b"data:", ""),
        (b"data: ", ""),
        (b"data", ""),
    ],
)
def test_data_value_parsing(line: bytes, value: str) -> None:
    assert [e.data for e in parse_all(line + b"\n\n").events] == [value]


def test_multi_line_data_and_empty_data_lines() -> None:
    p = parse_all(b"data: one\ndata\ndata: three\n\ndata\ndata\n\n")
    assert [e.data for e in p.events] == ["one\n\nthree", "\n"]


def test_event_field_and_reset_after_dispatch() -> None:
    p = parse_all(
        b"event: delta\ndata: 1\n\ndata: 2\n\nevent:\ndata: 3\n\nevent: a\nevent: b\ndata: 4\n\n"
    )
    assert [(e.data, e.event) for e in p.events] == [
        ("1", "delta"),
        ("2", None),
        ("3", None),
        ("4", "b"),
    ]


def test_event_type_resets_even_when_nothing_is_dispatched() -> None:
    p = parse_all(b"event: stray\n\ndata: x\n\n")
    assert [(e.data, e.event) for e in p.events] == [("x", None)]


def test_id_persists_and_nul_is_ignored() -> None:
    stream = (
        b"id: 1\ndata: a\n\ndata: b\n\nid: 2\x00x\ndata: c\n\nid\ndata: d\n\nid: 3\n\ndata: e\n\n"
    )
    p = parse_all(stream)
    assert [(e.data, e.id) for e in p.events] == [
        ("a", "1"),
        ("b", "1"),
        ("c", "1"),  # an id containing NUL is ignored
        ("d", ""),  # an empty id resets the last event id to the empty string
        ("e", "3"),  # set by a block that dispatched nothing
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (b"1500", 1500),
        (b"0", 0),
        (b"007", 7),
        (b"abc", None),
        (b"12a", None),
        (b"-1", None),
        (b"1.5", None),
        (b"", None),
        (b" 5", None),  # "retry:  5": only one space is stripped
        ("\u0661\u0662".encode(), None),  # non-ASCII digits
    ],
)
def test_retry_only_ascii_digits(value: bytes, expected: int | None) -> None:
    p = parse_all(b"retry: " + value + b"\ndata: x\n\n")
    assert p.events[0].retry == expected


def test_retry_persists_and_invalid_value_keeps_previous() -> None:
    p = parse_all(b"retry: 10\ndata: a\n\nretry: x\ndata: b\n\nretry: 20\ndata: c\n\n")
    assert [e.retry for e in p.events] == [10, 10, 20]


def test_unknown_and_wrong_case_fields_are_ignored() -> None:
    p = parse_all(b"Data: no\nfoo: bar\ndata : no\ndata: yes\n\n")
    assert [e.data for e in p.events] == ["yes"]


def test_blank_lines_alone_dispatch_nothing() -> None:
    p = parse_all(b"\n\r\n\r\n\n\r")
    assert p.events == []
    assert p.discarded_tail == ""


# --- BOM, end of stream, decoding -----------------------------------------------------------


def test_bom_stripped_once_at_stream_start() -> None:
    stream = b"\xef\xbb\xbfdata: x\n\n"
    for chunk_size in (1, 2, 3, len(stream)):
        p = parse_all(stream, chunk_size=chunk_size)
        assert [e.data for e in p.events] == ["x"]
        assert p.events[0].offset == 3
        assert p.events[0].raw == "data: x\n\n"


def test_only_one_bom_stripped_and_not_mid_stream() -> None:
    assert parse_all(b"\xef\xbb\xbf\xef\xbb\xbfdata: x\n\n").events == []  # "\ufeffdata" field
    p = parse_all(b"data: a\n\n\xef\xbb\xbfdata: b\n\ndata: \xef\xbb\xbfc\n\n")
    assert [e.data for e in p.events] == ["a", "\ufeffc"]


def test_incomplete_final_event_is_discarded_and_recorded() -> None:
    p = SseParser()
    assert [e.data for e in p.feed(b"data: x\n\ndata: [DONE]\n")] == ["x"]
    assert p.close() == []
    assert p.discarded_tail == "data: [DONE]\n"
    assert [e.data for e in p.events] == ["x"]


def test_unterminated_final_line_is_discarded() -> None:
    p = parse_all(b"data: x\n\n: bye\ndata: [DONE]")
    assert [e.data for e in p.events] == ["x"]
    assert p.discarded_tail == ": bye\ndata: [DONE]"


def test_clean_stream_has_empty_tail() -> None:
    assert parse_all(b"data: x\n\n").discarded_tail == ""
    assert parse_all(b"").discarded_tail == ""


def test_invalid_utf8_is_flagged_and_replaced() -> None:
    p = parse_all(b"data: a\xffb\n\ndata: \xed\xa0\x80\n\n")
    assert [e.data for e in p.events] == ["a\ufffdb", "\ufffd\ufffd\ufffd"]
    assert p.invalid_utf8
    assert not parse_all("data: é😀\n\n".encode()).invalid_utf8


def test_truncated_character_at_eof_is_invalid() -> None:
    p = parse_all(b"data: ok\n\n\xf0\x9f\x98")
    assert p.invalid_utf8
    assert p.discarded_tail == "\ufffd"


def test_truncated_character_before_line_end_matches_stream_decoding() -> None:
    stream = b"data: a\xe2\x82\ndata: b\xf0\x9f\r\n\r\n"
    assert fields(parse_all(stream, chunk_size=1).events) == reference(stream)


def test_multibyte_characters_split_at_every_byte_offset() -> None:
    text = "data: é€😀𝄞\U0010ffff\nevent: ✓\n\n"
    stream = text.encode()
    for cut in range(len(stream) + 1):
        parser, events = feed_all([stream[:cut], stream[cut:]])
        assert fields(events) == [("é€😀𝄞\U0010ffff", "✓", None, None)], cut
        assert events[0].raw == text
        assert not parser.invalid_utf8
    assert fields(parse_all(stream, chunk_size=1).events) == [("é€😀𝄞\U0010ffff", "✓", None, None)]


# --- bookkeeping --------------------------------------------------------------------------


def test_index_offset_raw_and_counters() -> None:
    stream = b": c\n\ndata: a\n\nid: 9\r\ndata: \xc3\xa9\r\n\r\n"
    p = parse_all(stream)
    assert [(e.index, e.offset) for e in p.events] == [(0, 5), (1, 14)]
    for e in p.events:
        assert stream[e.offset :].decode().startswith(e.raw)
    assert p.events[1].raw == "id: 9\r\ndata: é\r\n\r\n"
    assert p.bytes_received == len(stream)


def test_received_at_is_the_clock_of_the_completing_chunk() -> None:
    p = SseParser()
    assert p.feed(b"data: a\n", now=1.0) == []
    assert [e.received_at for e in p.feed(b"\ndata: b\n\n", now=2.5)] == [2.5, 2.5]
    assert [e.received_at for e in p.feed(b"data: c\n\n", now=3.0)] == [3.0]


def test_feed_after_close_raises_and_close_is_idempotent() -> None:
    p = SseParser()
    p.feed(b"data: x")
    assert p.close() == []
    assert p.close() == []
    assert p.discarded_tail == "data: x"
    with pytest.raises(ValueError):
        p.feed(b"\n\n")
    with pytest.raises(ValueError):
        parse_all(b"data: x\n\n", chunk_size=0)


# --- properties ---------------------------------------------------------------------------

ASTRAL = "😀𝄞\U0001f9e0\U00020000\U0010ffff"
line_text = st.text(
    st.one_of(
        st.characters(exclude_categories=["Cs"], exclude_characters="\r\n"),
        st.sampled_from(ASTRAL + "é\x00\ufeff: "),
    ),
    max_size=12,
)
event_spec = st.fixed_dictionaries(
    {
        "data": st.lists(line_text, min_size=1, max_size=3),
        "event": st.none() | line_text,
        "id": st.none() | line_text.map(lambda s: s.replace("\0", "")),
        "retry": st.none() | st.integers(min_value=0, max_value=10**9),
        "comment": st.none() | line_text,
    }
)


@settings(max_examples=75, deadline=None, database=None)
@given(
    specs=st.lists(event_spec, max_size=5),
    style=st.sampled_from(["LF", "CR", "CRLF", "mixed"]),
    data=st.data(),
)
def test_any_chunking_yields_the_same_events(
    specs: list[dict], style: str, data: st.DataObject
) -> None:
    lines: list[str] = []
    expected = []
    last_id, retry = None, None
    for spec in specs:
        if spec["comment"] is not None:
            lines.append(":" + spec["comment"])
        if spec["event"] is not None:
            lines.append("event: " + spec["event"])
        if spec["id"] is not None:
            lines.append("id: " + spec["id"])
            last_id = spec["id"]
        if spec["retry"] is not None:
            lines.append(f"retry: {spec['retry']}")
            retry = spec["retry"]
        lines += ["data: " + d for d in spec["data"]]
        lines.append("")
        expected.append(("\n".join(spec["data"]), spec["event"] or None, last_id, retry))

    endings: list[str] = []
    for line in lines:
        kinds = list(ENDINGS) if style == "mixed" else [style]
        if line == "" and endings and endings[-1] == "\r":
            kinds = [k for k in kinds if k != "LF"] or ["CR"]  # CR + LF would read as one CRLF
        endings.append(ENDINGS[data.draw(st.sampled_from(kinds))])
    text = "".join(line + nl for line, nl in zip(lines, endings, strict=True))
    stream = text.encode()
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=12)))
    chunks = split_at(stream, cuts)

    whole, whole_events = feed_all([stream])
    chunked, chunked_events = feed_all(chunks)
    assert chunked_events == whole_events == whole.events
    assert fields(whole_events) == expected
    assert "".join(e.raw for e in whole_events) == text
    assert chunked.discarded_tail == whole.discarded_tail == ""
    assert not chunked.invalid_utf8


@settings(max_examples=100, deadline=None, database=None)
@given(
    stream=st.binary(max_size=60).map(
        lambda b: b.replace(b"\x01", b"\r").replace(b"\x02", b"\n").replace(b"\x03", b"data:")
    ),
    data=st.data(),
)
def test_arbitrary_bytes_match_reference_under_any_chunking(
    stream: bytes, data: st.DataObject
) -> None:
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=8)))
    chunks = split_at(stream, cuts)
    whole, _ = feed_all([stream])
    chunked, _ = feed_all(chunks)
    assert chunked.events == whole.events
    assert fields(whole.events) == reference(stream)
    for attr in ("discarded_tail", "comments", "invalid_utf8", "line_ending_kinds"):
        assert getattr(chunked, attr) == getattr(whole, attr), attr
    assert whole.invalid_utf8 == (stream.decode("utf-8", errors="replace").encode() != stream)

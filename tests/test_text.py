"""Text for people: the one truncation helper cuts values exactly and prose between words, says
how much a long cut left out, and never makes a text longer."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.report.text import ELLIPSIS, shortened


def test_text_that_fits_is_left_alone():
    assert shortened("abc", 3) == "abc"
    assert shortened("", 0) == ""


def test_a_value_is_cut_where_the_limit_falls():
    assert shortened("abcdefghij", 4) == "abcd" + ELLIPSIS


def test_prose_is_cut_between_words():
    said = "the prompt is too long for this model's context window"
    assert shortened(said, 22, prose=True) == "the prompt is too long" + ELLIPSIS
    assert shortened(said, 20, prose=True) == "the prompt is too" + ELLIPSIS
    # a word longer than half the room is cut where the limit falls
    assert shortened("a " + "x" * 40, 20, prose=True) == "a " + "x" * 18 + ELLIPSIS


def test_a_body_keeps_its_end_and_says_how_much_was_left_out():
    body = "{" + "x" * 500 + '"usage": 1}'
    cut = shortened(body, 100, tail=20)
    assert cut.startswith(body[:80]) and cut.endswith(body[-20:])
    assert f"[{len(body) - 100} characters left out]" in cut


@settings(max_examples=200, database=None, deadline=None)
@given(st.text(), st.integers(0, 60), st.integers(0, 20), st.booleans())
def test_a_cut_never_makes_a_text_longer(text, limit, tail, prose):
    cut = shortened(text, limit, tail=min(tail, limit), prose=prose)
    assert len(cut) <= len(text)
    assert cut == text or len(cut) < len(text)


def test_a_lone_surrogate_from_a_response_can_be_written_as_utf8(tmp_path):
    """A server may send "\\ud800" (legal JSON, not Unicode); no report may crash on it."""
    from conformance.report.json_report import write_report
    from conformance.report.text import shortened

    shown = shortened("alpha \ud800 bravo", 200)
    shown.encode("utf-8")
    assert "\\ud800" in shown
    path = write_report({"reason": "alpha \ud800"}, tmp_path / "report.json")  # type: ignore[arg-type]
    assert json.loads(path.read_text("utf-8")) == {"reason": "alpha \ud800"}

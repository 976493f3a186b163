"""Text for people: the one truncation helper cuts values exactly and prose between words, says
how much a long cut left out, and never makes a text longer."""

from __future__ import annotations

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

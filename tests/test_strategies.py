"""The strategies are derived from the request schema: what they call valid validates, what they
call one rule away breaks exactly that rule, and a change to the schema changes what they draw."""

from __future__ import annotations

import copy
import json
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance import schemas
from conformance.report.curl import curl_command, quote_bytes
from conformance.report.text import printable
from conformance.strategies import (
    RequestHints,
    SchemaStrategies,
    UnsupportedSchema,
    invalid_edges,
    invalid_requests,
    prompt_tokens_bound,
    texts,
    valid_edges,
    valid_requests,
)

HINTS = RequestHints(("model-a", "model-b"))
CHECKED = settings(max_examples=150, database=None, deadline=None)  # health checks stay on


@CHECKED
@given(valid_requests(HINTS))
def test_valid_requests_validate_against_the_schema(body):
    assert schemas.schema_errors(schemas.REQUEST, body) == []
    assert schemas.openai_accepts(body)
    assert prompt_tokens_bound(body) <= HINTS.max_prompt_tokens
    assert body["model"] in HINTS.models
    assert 1 <= body["max_tokens"] <= HINTS.max_tokens  # cost: always set, always small


@CHECKED
@given(invalid_requests(HINTS))
def test_invalid_requests_break_exactly_one_rule(bad):
    problems = schemas.schema_errors(schemas.REQUEST, bad.body)
    assert len(problems) == 1, (bad.rule, problems)


@settings(max_examples=60, database=None, deadline=None)
@given(invalid_requests(HINTS, convention=True))
def test_conventional_breaks_are_only_conventions(bad):
    assert bad.rule.convention
    assert (bad.rule.pointer, bad.rule.keyword) in CONVENTIONS


CONVENTIONS = {
    ("/properties/messages", "minItems"),
    ("/properties/top_p", "minimum"),
    ("/properties/top_p", "maximum"),
}


def test_edges_are_valid_and_reach_every_bound():
    edges = valid_edges(HINTS)
    assert all(schemas.schema_errors(schemas.REQUEST, body) == [] for body in edges)
    simplest = edges[0]
    assert simplest == {
        "model": "model-a",
        "messages": [{"role": "system", "content": ""}],
        "max_tokens": 1,
    }
    changed = [{k: v for k, v in body.items() if simplest.get(k) != v} for body in edges[1:]]
    for expected in (
        {"temperature": 0},
        {"temperature": 2},
        {"top_p": 0},
        {"top_p": 1},
        {"max_tokens": HINTS.max_tokens},
        {"stream": True},
        {"stream": False},
        {"stop": ""},
        {"stop": [""]},
        {"stop": ["", "", "", ""]},
        {"messages": [{"role": "assistant", "content": ""}]},
        {"messages": [{"role": "user", "content": ""}]},
    ):
        assert expected in changed, expected


def test_every_rule_has_a_simplest_break_that_breaks_only_it():
    edges = invalid_edges(HINTS)
    rules = {(bad.rule.pointer, bad.rule.keyword, bad.rule.detail) for bad in edges}
    for bad in edges:
        assert len(schemas.schema_errors(schemas.REQUEST, bad.body)) == 1, bad
    for expected in (
        ("", "type", ""),
        ("", "required", "model"),
        ("", "required", "messages"),
        ("/properties/model", "type", ""),
        ("/$defs/message/properties/role", "enum", ""),
        ("/$defs/message", "required", "content"),
        ("/properties/messages", "minItems", ""),
        ("/properties/temperature", "minimum", ""),
        ("/properties/temperature", "maximum", ""),
        ("/properties/stop/oneOf/1", "maxItems", ""),
        ("/properties/stop/oneOf/1/items", "type", ""),
        ("/properties/stop", "oneOf", ""),
    ):
        assert expected in rules, expected
    assert {(b.rule.pointer, b.rule.keyword) for b in edges if b.rule.convention} == CONVENTIONS


def test_breaks_start_just_past_each_bound():
    by_rule = {(b.rule.pointer, b.rule.keyword): b.body for b in invalid_edges(HINTS)}
    assert by_rule["/properties/top_p", "minimum"]["top_p"] < 0
    assert by_rule["/properties/temperature", "maximum"]["temperature"] == pytest.approx(2)
    assert by_rule["/properties/temperature", "maximum"]["temperature"] > 2
    assert len(by_rule["/properties/stop/oneOf/1", "maxItems"]["stop"]) == 5


def test_a_schema_change_changes_what_is_generated():
    schema = copy.deepcopy(schemas.load_schema(schemas.REQUEST))
    schema["properties"]["stop"]["oneOf"][1]["maxItems"] = 2
    schema["$defs"]["message"]["properties"]["role"]["enum"].append("tool")
    compiled = SchemaStrategies(schema, {"/properties/model": ("m",)})
    edges = compiled.edges()
    assert {
        "model": "m",
        "messages": [{"role": "system", "content": ""}],
        "stop": ["", ""],
    } in edges
    assert {"model": "m", "messages": [{"role": "tool", "content": ""}]} in edges
    breaks = {(b.rule.pointer, b.rule.keyword): b.simplest for b in compiled.breaks()}
    assert len(breaks["/properties/stop/oneOf/1", "maxItems"]["stop"]) == 3


def test_an_unknown_keyword_is_refused_rather_than_ignored():
    schema = copy.deepcopy(schemas.load_schema(schemas.REQUEST))
    schema["properties"]["model"]["pattern"] = "^gpt-"
    with pytest.raises(UnsupportedSchema, match="pattern"):
        SchemaStrategies(schema)


def test_without_a_max_tokens_bound_the_schema_decides():
    edges = valid_edges(RequestHints(("m",), max_tokens=None))
    assert "max_tokens" not in edges[0]
    assert any(body.get("max_tokens") == 1 for body in edges)


@settings(max_examples=300, database=None, deadline=None)
@given(texts())
def test_texts_are_utf8_encodable(text):
    text.encode("utf-8")  # no lone surrogates, which no JSON text in UTF-8 can carry


def test_texts_reach_the_hard_cases():
    found = []

    @settings(max_examples=400, database=None, deadline=None)
    @given(texts())
    def collect(text):
        found.append(text)

    collect()
    assert "" in found
    assert any(any(ord(c) > 0xFFFF for c in text) for text in found)  # astral
    assert any("\u05e9" in text or "\u202e" in text for text in found)  # right to left
    assert any(any(ord(c) < 0x20 for c in text) for text in found)  # control
    assert any(len(text) > 500 for text in found)  # long


@settings(max_examples=100, database=None, deadline=None)
@given(st.one_of(st.binary(max_size=40), texts().map(lambda text: text.encode("utf-8"))))
def test_shell_words_send_exactly_their_bytes_and_keep_the_terminal_safe(data):
    data = data.replace(b"\0", b"")  # a shell argument cannot hold NUL (JSON never has one)
    word = quote_bytes(data)
    printed = subprocess.run(["bash", "-c", f"printf %s {word}"], capture_output=True, check=True)
    assert printed.stdout == data
    assert word.isprintable()  # no control, bidi or line separator character reaches a terminal


def test_curl_command_hides_the_key_and_keeps_the_body():
    from conformance.exchange import Exchange, RequestSpec

    content = "it's \U0001f600 \u202eevil\u202c \x85"
    body = {"model": "m", "messages": [{"role": "user", "content": content}]}
    exchange = Exchange(
        name="x",
        url="http://127.0.0.1:1/v1/chat/completions",
        request=RequestSpec(body),
        request_headers={"authorization": "Bearer $API_KEY"},
    )
    command = curl_command(exchange)
    assert '"Authorization: Bearer $API_KEY"' in command
    assert all(line.isprintable() for line in command.splitlines())
    word = command.split("--data-binary ", 1)[1]
    printed = subprocess.run(["bash", "-c", f"printf %s {word}"], capture_output=True, check=True)
    assert json.loads(printed.stdout) == body


def test_printable_escapes_what_would_garble_a_terminal():
    shown = printable("a\x1b[31m\u202eb\u2028c d")
    assert shown == "a\\x1b[31m\\u202eb\\u2028c d"

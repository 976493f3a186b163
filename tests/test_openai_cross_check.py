"""No MUST verdict from a request OpenAI's own API accepts.

What OpenAI's API does within its published schema is legal by definition. So every request the
strategies call invalid must be refused by OpenAI's request schema too (else GEN-002 or GEN-003
would fail a server that behaves like OpenAI), and every request they call valid must be
accepted by it (else GEN-001 would fail a server that refuses what OpenAI refuses). The schema
is vendored in ``conformance/schemas/openai.request.json`` (source and digest in its
``$comment``), so this test runs from a clone without ``../shared``.

The pinned table below is the judgement of every rule of the request schema: a schema change on
either side that moves a rule shows up here, and must be decided on purpose.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance import schemas
from conformance.strategies import (
    RequestHints,
    invalid_edges,
    invalid_requests,
    null_variants,
    rule_breaks,
    unjudged_rules,
    valid_edges,
    valid_requests,
)

HINTS = RequestHints(("gpt-4o-mini",))
MANY = settings(
    max_examples=400, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

# (schema pointer, keyword, detail) -> "MUST" (GEN-002), "SHOULD" (GEN-003) or "not judged".
JUDGEMENT = {
    ("", "type", ""): "MUST",
    ("", "required", "model"): "MUST",
    ("", "required", "messages"): "MUST",
    ("/properties/model", "type", ""): "MUST",
    ("/properties/model", "minLength", ""): "not judged",  # OpenAI's schema: any string
    ("/properties/messages", "type", ""): "MUST",
    ("/properties/messages", "minItems", ""): "SHOULD",  # only OpenAI states it
    ("/$defs/message", "type", ""): "MUST",
    ("/$defs/message", "required", "role"): "MUST",
    ("/$defs/message", "required", "content"): "MUST",  # but never for an assistant message
    ("/$defs/message/properties/role", "enum", ""): "MUST",
    ("/$defs/message/properties/content", "type", ""): "MUST",  # but null for an assistant
    ("/properties/stream", "type", ""): "MUST",  # but never null
    ("/properties/temperature", "type", ""): "MUST",
    ("/properties/temperature", "minimum", ""): "MUST",
    ("/properties/temperature", "maximum", ""): "MUST",
    ("/properties/max_tokens", "type", ""): "MUST",
    ("/properties/max_tokens", "minimum", ""): "not judged",  # OpenAI's schema: any integer
    ("/properties/top_p", "type", ""): "MUST",
    ("/properties/top_p", "minimum", ""): "SHOULD",
    ("/properties/top_p", "maximum", ""): "SHOULD",
    ("/properties/stop", "oneOf", ""): "MUST",  # but never null
    ("/properties/stop/oneOf/1/items", "type", ""): "MUST",
    ("/properties/stop/oneOf/1", "maxItems", ""): "MUST",
}


def _key(rule) -> tuple[str, str, str]:
    return (rule.pointer, rule.keyword, rule.detail)


def test_every_rule_has_its_pinned_judgement():
    found = {_key(b.rule): "SHOULD" if b.rule.convention else "MUST" for b in rule_breaks(HINTS)}
    found |= {_key(u.rule): "not judged" for u in unjudged_rules(HINTS)}
    assert found == JUDGEMENT


def test_every_simplest_invalid_request_is_refused_by_openai():
    for bad in invalid_edges(HINTS):
        assert not schemas.openai_accepts(bad.body), (str(bad.rule), bad.body)


@pytest.mark.parametrize("level", ["MUST", "SHOULD"])
def test_every_drawn_invalid_request_is_refused_by_openai(level):
    @MANY
    @given(invalid_requests(HINTS, convention=level == "SHOULD"))
    def check(bad):
        assert not schemas.openai_accepts(bad.body), (str(bad.rule), bad.body)
        assert len(schemas.schema_errors(schemas.REQUEST, bad.body)) == 1

    check()


def test_openai_accepts_what_it_marks_nullable_or_optional():
    """The cases that made every conforming server fail: the vendored schema must keep them."""
    base = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]}
    for name in ("stop", "stream", "temperature", "top_p", "max_tokens"):
        assert schemas.openai_accepts({**base, name: None}), name
    assert schemas.openai_accepts({**base, "messages": [{"role": "assistant"}]})
    assert schemas.openai_accepts({**base, "messages": [{"role": "assistant", "content": None}]})
    assert not schemas.openai_accepts({**base, "messages": [{"role": "user"}]})
    assert not schemas.openai_accepts({**base, "stop": []})
    assert not schemas.openai_accepts({**base, "stop": ["a", "b", "c", "d", "e"]})


@MANY
@given(st.one_of(valid_requests(HINTS), st.sampled_from(valid_edges(HINTS))))
def test_every_valid_request_is_accepted_by_openai(body):
    assert schemas.openai_accepts(body)


def test_every_null_variant_is_accepted_by_openai_and_nulls_only_optional_parameters():
    for body in null_variants(HINTS):
        assert schemas.openai_accepts(body), body
        nulls = {name for name, value in body.items() if value is None}
        assert nulls and nulls <= {"stream", "temperature", "top_p", "stop"}


def test_the_vendored_schema_names_its_source():
    comment = schemas.load_schema(schemas.OPENAI_REQUEST)["$comment"]
    assert "openai/openai-openapi" in comment and "sha256" in comment

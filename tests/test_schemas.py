"""The schemas accept the documentation's own examples, reject what breaks them, and tolerate
what real providers add."""

from __future__ import annotations

import copy
import json

import pytest
from jsonschema import Draft202012Validator

from conformance import schemas

DOC_REQUEST = {
    "model": "claude-sonnet-4-5",
    "messages": [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": "Explain quantum computing in simple terms."},
    ],
    "temperature": 0.7,
    "max_tokens": 500,
}
DOC_RESPONSE = {
    "id": "chatcmpl-abc123",
    "object": "chat.completion",
    "created": 1699000000,
    "model": "claude-sonnet-4-5",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Quantum computing uses qubits..."},
            "finish_reason": "stop",
        }
    ],
    "usage": {"prompt_tokens": 25, "completion_tokens": 150, "total_tokens": 175},
}
DOC_STREAM = [
    '{"id":"chatcmpl-abc123","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}',
    '{"id":"chatcmpl-abc123","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Lines"},"finish_reason":null}]}',
    '{"id":"chatcmpl-abc123","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}',
]  # fmt: skip


@pytest.mark.parametrize("name", schemas.ALL)
def test_schema_is_valid_draft_2020_12(name):
    Draft202012Validator.check_schema(schemas.load_schema(name))


def test_every_property_description_traces_to_the_documentation_or_a_convention():
    for name in schemas.ALL:
        text = json.dumps(schemas.load_schema(name))
        assert '"description"' in text, name


def test_documentation_examples_are_valid():
    assert schemas.schema_errors(schemas.REQUEST, DOC_REQUEST) == []
    assert schemas.schema_errors(schemas.RESPONSE, DOC_RESPONSE) == []
    for chunk in DOC_STREAM:
        assert schemas.schema_errors(schemas.CHUNK, json.loads(chunk)) == []


def test_extra_fields_are_legal_everywhere():
    response = copy.deepcopy(DOC_RESPONSE)
    response["system_fingerprint"] = "fp_1"
    response["choices"][0]["logprobs"] = None
    response["choices"][0]["message"]["refusal"] = None
    response["usage"]["prompt_tokens_details"] = {"cached_tokens": 0}
    assert schemas.schema_errors(schemas.RESPONSE, response) == []
    chunk = json.loads(DOC_STREAM[1]) | {"usage": None, "x_vendor": {"a": 1}}
    assert schemas.schema_errors(schemas.CHUNK, chunk) == []


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("object",), "text_completion"),
        (("created",), "1699000000"),
        (("created",), 1699000000.5),
        (("choices",), []),
        (("choices", 0, "finish_reason"), "end_turn"),
        (("choices", 0, "message", "role"), "model"),
        (("choices", 0, "message", "content"), 42),
        (("usage", "total_tokens"), -1),
    ],
)
def test_response_schema_rejects_broken_fields(path, value):
    response = copy.deepcopy(DOC_RESPONSE)
    node = response
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    assert schemas.schema_errors(schemas.RESPONSE, response)


@pytest.mark.parametrize("missing", ["id", "object", "created", "model", "choices", "usage"])
def test_response_schema_requires_documented_fields(missing):
    response = {k: v for k, v in DOC_RESPONSE.items() if k != missing}
    assert schemas.schema_errors(schemas.RESPONSE, response)


@pytest.mark.parametrize(
    "change",
    [
        {"stream": "yes"},
        {"max_tokens": "16"},
        {"max_tokens": 16.5},
        {"temperature": 2.5},
        {"temperature": "0.5"},
        {"stop": ["a", "b", "c", "d", "e"]},
        {"messages": [{"role": "narrator", "content": "x"}]},
        {"messages": [{"role": "user", "content": 42}]},
        {"messages": "Hello"},
    ],
)
def test_request_schema_rejects_what_the_suite_sends_as_invalid(change):
    assert schemas.schema_errors(schemas.REQUEST, DOC_REQUEST | change)


def test_chunk_schema_rejects_empty_string_and_missing_finish_reason():
    chunk = json.loads(DOC_STREAM[1])
    chunk["choices"][0]["finish_reason"] = ""
    assert schemas.schema_errors(schemas.CHUNK, chunk)
    del chunk["choices"][0]["finish_reason"]
    assert schemas.schema_errors(schemas.CHUNK, chunk)


def test_error_schema_needs_only_a_message():
    assert schemas.schema_errors(schemas.ERROR, {"error": {"message": "bad"}}) == []
    assert schemas.schema_errors(schemas.ERROR, {"detail": "bad"})
    assert schemas.schema_errors(schemas.ERROR, {"error": {"message": "x", "code": 1.5}})

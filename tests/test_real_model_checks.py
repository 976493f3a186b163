"""Checks that must hold for real models, fed recorded exchanges (no server).

A small real model does not follow instructions, so the stop probes take their stop word from
the model's own reply at temperature 0, and a prompt longer than the model's context may be
refused. These cases are the exchanges such models and servers really produce.
"""

from __future__ import annotations

import json

import pytest

from conformance.checks import NotApplicable
from conformance.checks.generated import refused_for_context_length
from conformance.checks.parameters import content_avoids_stop
from conformance.exchange import Exchange, RequestSpec
from conformance.probes import PROBES, STOP_WORD, reply_text, stop_word_from

# A reply of the kind small models give to the stop probes' prompt: a preamble before the line.
SMALL_MODEL_REPLY = "Sure, here's the line:\n\nAlpha bravo charlie delta echo foxtrot golf hotel"


def _completion(content: str, request: RequestSpec | None = None, status: int = 200) -> Exchange:
    body = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "m",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
    }
    return Exchange(
        name="stop_string",
        url="http://127.0.0.1:1/v1/chat/completions",
        request=request or RequestSpec({"model": "m", "messages": []}),
        request_headers={},
        status=status,
        headers={"content-type": "application/json"},
        body=json.dumps(body).encode(),
    )


@pytest.mark.parametrize(
    ("reply", "word"),
    [
        (SMALL_MODEL_REPLY, "here"),
        ("alpha bravo charlie delta", "bravo"),
        ("Repeat the following line exactly", "the"),
        ("1 2 3 4", None),  # no word: the fixed stop word is used instead
        ("Hello", None),  # nothing before the only word
        ("", None),
        ("the other", "other"),  # "the" has nothing before it
    ],
)
def test_the_stop_word_is_the_first_word_with_text_before_it(reply, word):
    assert stop_word_from(reply) == word


def _stop_exchange(reference: str | None, content: str) -> Exchange:
    reference_exchange = _completion(reference) if reference is not None else None
    spec = PROBES["stop_string"].derive("m", reference_exchange)
    return _completion(content, request=spec)


def test_a_reply_cut_at_the_stop_word_passes():
    exchange = _stop_exchange(SMALL_MODEL_REPLY, "Sure, ")
    assert exchange.request.body["stop"] == "here"
    assert exchange.request.body["temperature"] == 0
    assert content_avoids_stop(exchange) == []


def test_a_reply_that_runs_past_the_stop_word_fails():
    (violation,) = content_avoids_stop(_stop_exchange(SMALL_MODEL_REPLY, SMALL_MODEL_REPLY))
    assert "'here'" in violation.message and "reference reply" in violation.message


def test_a_reply_that_wandered_off_is_not_judged_and_says_why():
    with pytest.raises(NotApplicable, match="differed from the reference reply"):
        content_avoids_stop(_stop_exchange(SMALL_MODEL_REPLY, "I cannot do that."))


def test_without_a_usable_reference_the_fixed_line_is_used():
    exchange = _stop_exchange("1 2 3", "alpha bravo charlie ")
    assert exchange.request.body["stop"] == STOP_WORD
    assert exchange.request.reference_reply is None
    assert content_avoids_stop(exchange) == []
    with pytest.raises(NotApplicable, match="not exercised"):
        content_avoids_stop(_stop_exchange(None, "Sure."))


def test_a_refused_reference_gives_no_reply_text():
    assert reply_text(_completion("x", status=400)) is None
    assert reply_text(None) is None


LONG_PROMPT = {"model": "m", "messages": [{"role": "user", "content": "x" * 3000}]}


def _refusal(status: int, error: object, body: dict | None = None) -> Exchange:
    return Exchange(
        name="generated",
        url="http://127.0.0.1:1/v1/chat/completions",
        request=RequestSpec(body or LONG_PROMPT),
        request_headers={},
        status=status,
        headers={"content-type": "application/json"},
        body=json.dumps({"error": error}).encode(),
    )


@pytest.mark.parametrize(
    "error",
    [
        # OpenAI and Azure OpenAI
        {
            "message": "This model's maximum context length is 8192 tokens. However, your "
            "messages resulted in 9000 tokens.",
            "type": "invalid_request_error",
            "param": "messages",
            "code": "context_length_exceeded",
        },
        # llama.cpp's server (tools/server/server-common: exceed_context_size_error)
        {
            "code": 400,
            "message": "the request exceeds the available context size, try increasing it",
            "type": "exceed_context_size_error",
            "n_prompt_tokens": 2050,
            "n_ctx": 2048,
        },
        # vLLM
        {
            "message": "This model's maximum context length is 2048 tokens. However, you "
            "requested 2100 tokens (2084 in the messages, 16 in the completion).",
            "type": "BadRequestError",
            "code": 400,
        },
        # llama-cpp-python
        {"message": "Requested tokens (2100) exceed context window of 2048", "type": None},
        # Anthropic's OpenAI SDK compatibility
        {
            "message": "prompt is too long: 210000 tokens > 200000 maximum",
            "type": "invalid_request_error",
        },
    ],
)
def test_refusals_for_context_length_are_recognised(error):
    assert refused_for_context_length(_refusal(400, error))


def test_other_refusals_are_not_taken_for_context_length():
    assert not refused_for_context_length(_refusal(400, {"message": "Invalid value for stop"}))
    assert not refused_for_context_length(_refusal(500, {"code": "context_length_exceeded"}))
    tiny = {"model": "m", "messages": [{"role": "user", "content": "Hi"}]}
    fake = _refusal(400, {"code": "context_length_exceeded"}, body=tiny)
    assert not refused_for_context_length(fake)  # no model's context is that small
    short = {"model": "m", "messages": [{"role": "user", "content": "x" * 300}], "max_tokens": 16}
    fits = _refusal(400, {"code": "context_length_exceeded"}, body=short)
    assert not refused_for_context_length(fits)  # 300 bytes + 16 fit any context of 512

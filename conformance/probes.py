"""The named requests the suite sends: what each one asks and why its answer is checkable.

Text from a real model is unpredictable, so every probe is built so that its check holds for any
honest model *and* for the echo-style reference server. To test ``stop`` the suite first asks for a
reply at temperature 0 (``stop_reference``), then sends the same request with a word of that reply
as the stop sequence: whatever a model writes, small or large, it wrote that word once, and at
temperature 0 it writes it again unless ``stop`` cuts it (an echo server repeats the prompt, so it
writes the word too). To test ``max_tokens`` we ask for far more tokens than allowed.

Probes are data. A suite test asks for one by naming a fixture after it, so the plugin knows every
request a run needs before the first test starts and can send them all concurrently.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from conformance.records import Exchange, RequestSpec, strict_json

SMALL_MAX_TOKENS = 48  # cheap on a paid API, yet room for a model that thinks before it writes
CUT_MAX_TOKENS = 5
STOP_WORD = "delta"  # the stop sequence when the reference reply has no word to stop at
WORD_BEFORE_STOP = "charlie"  # then a reply without it did not repeat the line: stop untested
NEVER_WRITTEN = "xylophone"  # the first of two stop sequences, which no reply reaches
REPEAT_LINE = "alpha bravo charlie delta echo foxtrot golf hotel"
REPEAT_PROMPT = (
    "Repeat the following line exactly, word for word, and write nothing else:\n" + REPEAT_LINE
)
COUNT_PROMPT = "Count from 1 to 200 in digits, separated by single spaces. Write nothing else."
GREETING_PROMPT = "Reply with one short friendly sentence that includes the word café and 🌍."


@dataclass(frozen=True)
class Probe:
    """A named request. A probe ``after`` another is built from that probe's exchange (None when
    it failed): ``build(model)`` is then what it sends without one."""

    name: str
    purpose: str
    build: Callable[[str], RequestSpec]  # model -> request
    after: str | None = None
    derive: Callable[[str, Exchange | None], RequestSpec] | None = None


def _chat(model: str, prompt: str, **parameters: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": model,
        "messages": [{"role": "user", "content": prompt}],
        "max_tokens": SMALL_MAX_TOKENS,
    }
    body.update(parameters)
    return body


def _greeting(model: str, **parameters: Any) -> dict[str, Any]:
    return _chat(model, GREETING_PROMPT, **parameters)


def _without(body: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != key}


PROBES: dict[str, Probe] = {}


def probe(name: str, purpose: str) -> Callable[[Callable[[str], RequestSpec]], None]:
    def register(build: Callable[[str], RequestSpec]) -> None:
        if name in PROBES:
            raise ValueError(f"probe {name!r} defined twice")
        PROBES[name] = Probe(name, purpose, build)

    return register


# ------------------------------------------------------------------------- served requests


@probe("completion", "a plain non-streaming completion, stream omitted")
def _(model: str) -> RequestSpec:
    return RequestSpec(
        {
            "model": model,
            "messages": [
                {"role": "system", "content": "You are a concise assistant."},
                {"role": "user", "content": GREETING_PROMPT},
            ],
            "max_tokens": SMALL_MAX_TOKENS,
        }
    )


@probe("completion_again", "the same completion again, to compare ids")
def _(model: str) -> RequestSpec:
    return RequestSpec(_greeting(model))


@probe("all_parameters", "temperature, max_tokens, stop and stream: false together")
def _(model: str) -> RequestSpec:
    # top_p has its own probe: the documentation calls it "an alternative to temperature", and
    # some providers refuse both in one request.
    return RequestSpec(_greeting(model, temperature=0.7, stop=[NEVER_WRITTEN], stream=False))


@probe("top_p", "top_p, the documented alternative to temperature")
def _(model: str) -> RequestSpec:
    return RequestSpec(_greeting(model, top_p=0.9))


@probe("max_tokens_cut", "a task that needs far more tokens than max_tokens allows")
def _(model: str) -> RequestSpec:
    return RequestSpec(_chat(model, COUNT_PROMPT, max_tokens=CUT_MAX_TOKENS))


def reply_text(exchange: Exchange | None) -> str | None:
    """The first choice's content of a served JSON completion, else None."""
    if exchange is None or exchange.status != 200:
        return None
    try:
        choices = strict_json(exchange.body.decode("utf-8")).get("choices")
        content = choices[0]["message"]["content"]
    except (ValueError, AttributeError, LookupError, TypeError):
        return None
    return content if isinstance(content, str) else None


_WORD = re.compile(r"[A-Za-z]{3,}")


def stop_word_from(reply: str | None) -> str | None:
    """The earliest word of ``reply`` (3+ ASCII letters) that has other text before its first
    occurrence anywhere in the reply: stopping there leaves a reply that is not empty."""
    for match in _WORD.finditer(reply or ""):
        first = reply.find(match.group())  # the word may hide inside an earlier word
        if reply[:first].strip():
            return match.group()
    return None


def _stop_request(
    model: str, reference: Exchange | None, stop: Callable[[str], Any], **parameters: Any
) -> RequestSpec:
    """The reference request again with a stop sequence taken from its reply (or STOP_WORD)."""
    reply = reply_text(reference)
    word = stop_word_from(reply)
    body = _chat(model, REPEAT_PROMPT, temperature=0, stop=stop(word or STOP_WORD), **parameters)
    return RequestSpec(body, reference_reply=reply if word else None)


def stop_probe(name: str, purpose: str, stop: Callable[[str], Any], **parameters: Any) -> None:
    """Register a probe sent after ``stop_reference``, stopping at a word of its reply."""

    def derive(model: str, reference: Exchange | None) -> RequestSpec:
        return _stop_request(model, reference, stop, **parameters)

    PROBES[name] = Probe(name, purpose, lambda m: derive(m, None), "stop_reference", derive)


@probe("stop_reference", "the stop probes' request without stop, at temperature 0")
def _(model: str) -> RequestSpec:
    return RequestSpec(_chat(model, REPEAT_PROMPT, temperature=0))


stop_probe("stop_string", "stop at a word of the reference reply (a string)", lambda w: w)
stop_probe(
    "stop_array", "stop at a word of the reference reply (2nd of 2)", lambda w: [NEVER_WRITTEN, w]
)


@probe("stream", "a streamed completion with non-ASCII text")
def _(model: str) -> RequestSpec:
    return RequestSpec(_greeting(model, stream=True))


stop_probe(
    "stream_stop", "stop at a word of the reference reply, streamed", lambda w: w, stream=True
)


@probe("stream_max_tokens_cut", "a streamed task that needs more tokens than max_tokens")
def _(model: str) -> RequestSpec:
    return RequestSpec(_chat(model, COUNT_PROMPT, max_tokens=CUT_MAX_TOKENS, stream=True))


# --------------------------------------------------------------------------- authentication


@probe("auth_missing", "a valid body without the key's header (Authorization, or --auth-header's)")
def _(model: str) -> RequestSpec:
    return RequestSpec(_greeting(model), auth="none")


@probe("auth_invalid", "a valid body with a made-up key in the key's header")
def _(model: str) -> RequestSpec:
    return RequestSpec(_greeting(model), auth="invalid")


# --------------------------------------------------------------------------- invalid requests
# Each is one rule away from a valid request, so a refusal can only be for that rule.

INVALID_PROBES: dict[str, str] = {}  # probe name -> requirement it proves


def invalid(name: str, requirement: str, purpose: str, body: Callable[[str], Any]) -> None:
    """Register an invalid-request probe; a ``bytes`` body is sent as is (not JSON-encoded)."""
    INVALID_PROBES[name] = requirement

    def build(model: str) -> RequestSpec:
        content = body(model)
        if isinstance(content, bytes):
            return RequestSpec(raw_body=content)
        return RequestSpec(content)

    probe(name, purpose)(build)


def _changed(**changes: Any) -> Callable[[str], Any]:
    return lambda model: _greeting(model, **changes)


def _dropped(key: str) -> Callable[[str], Any]:
    return lambda model: _without(_greeting(model), key)


TRUNCATED_JSON = b'{"model": "x", "messages": [{"role": "user", "content": "Hi"'
FIVE_STOPS = ["a1", "b2", "c3", "d4", "e5"]
NARRATOR = [{"role": "narrator", "content": "Hi"}]
NUMBER_CONTENT = [{"role": "user", "content": 42}]
# Mistyped values that no lenient parser coerces (pydantic's lax mode takes "yes", "16", "0.5").
for _name, _requirement, _purpose, _body in (
    ("missing_model", "REQ-001", "no model", _dropped("model")),
    ("missing_messages", "REQ-002", "no messages", _dropped("messages")),
    ("stream_not_boolean", "REQ-003", 'stream: "sometimes"', _changed(stream="sometimes")),
    ("max_tokens_not_integer", "REQ-004", 'max_tokens: "many"', _changed(max_tokens="many")),
    ("max_tokens_fractional", "REQ-004", "max_tokens: 16.5", _changed(max_tokens=16.5)),
    ("temperature_not_number", "REQ-005", 'temperature: "warm"', _changed(temperature="warm")),
    ("temperature_above_2", "REQ-006", "temperature: 2.5", _changed(temperature=2.5)),
    ("temperature_below_0", "REQ-006", "temperature: -0.5", _changed(temperature=-0.5)),
    ("five_stop_sequences", "REQ-007", "5 stop sequences", _changed(stop=FIVE_STOPS)),
    ("unknown_role", "REQ-008", 'role: "narrator"', _changed(messages=NARRATOR)),
    ("message_not_object", "REQ-009", 'messages: ["Hi"]', _changed(messages=["Hi"])),
    ("content_not_string", "REQ-009", "content: 42", _changed(messages=NUMBER_CONTENT)),
    ("malformed_json", "REQ-010", "a truncated JSON body", lambda model: TRUNCATED_JSON),
    ("messages_not_array", "REQ-011", 'messages: "Hi"', _changed(messages="Hi")),
):  # fmt: skip
    invalid(_name, _requirement, _purpose, _body)

ERROR_PROBES: tuple[str, ...] = ("auth_missing", "auth_invalid", *INVALID_PROBES)
SERVED_PROBES: tuple[str, ...] = tuple(name for name in PROBES if name not in ERROR_PROBES)
# The streamed probes every structural stream check judges: a plain stream, one ended by a stop
# sequence, one cut by max_tokens.
STREAMS: tuple[str, ...] = ("stream", "stream_stop", "stream_max_tokens_cut")

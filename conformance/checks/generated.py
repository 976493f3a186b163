"""GEN: generated exchanges, judged by the suite's own checks.

A generated request has no expected answer of its own: it must get what every request of its kind
must get. A schema-valid request is judged by the MUST checks of the fixed suite that hold for any
request (not the probe-specific ones, such as "a count to 200 is cut by max_tokens"); a request
one rule away from valid by the refusal and error-body checks.

Only checks that hold on the fixed probes judge generated exchanges (``holding``). A check that
already fails there is reported under its own requirement; repeating it for every generated
request would add nothing but cost, since shrinking sends requests. So GEN reports what only
some inputs bring out. Likewise a rule whose fixed probe is already accepted (``refused_rules``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from conformance import schemas
from conformance.checks import (
    NotApplicable,
    RequestRefused,
    Violation,
    auth,
    message_contents,
    parameters,
    served_json,
    short,
    stream,
    validation,
)
from conformance.checks.registry import (
    RegisteredCheck,
    any_request,
    check,
    max_tokens_given,
    refusal_checks,
    served_checks,
    stop_given,
    streamed,
)
from conformance.records import Exchange
from conformance.strategies import prompt_tokens_bound

Check = Callable[[Exchange], list[Violation]]


# --------------------------------------------------- checks that hold for any request of a kind


@check("PARAM-003", applies=stop_given, also=("PARAM-004", "PARAM-006"))
def stop_avoided(exchange: Exchange) -> list[Violation]:
    """PARAM-003, PARAM-004 and PARAM-006 for any request, JSON or stream: no content contains
    a stop sequence, whatever the model wrote. (The probes also make sure the model came near
    one; any request cannot.) One check for both forms, so that a stop mechanism the fixed
    probes already show broken is left out whole."""
    if streamed(exchange.request.body):
        contents = stream.stream_summary(exchange).contents
    else:
        contents = dict(enumerate(message_contents(served_json(exchange))))
    stop = exchange.request.body.get("stop")
    sequences = [stop] if isinstance(stop, str) else list(stop or [])
    return [
        Violation(
            f"choice {index}'s content contains the stop sequence {sequence!r}",
            "content cut before the stop sequence",
            short(content, 160),
            exchange.name,
        )
        for index, content in contents.items()
        for sequence in sequences
        if sequence and sequence in content
    ]


@check("PARAM-001", applies=max_tokens_given, also=("PARAM-007",))
def within_max_tokens(exchange: Exchange) -> list[Violation]:
    """PARAM-001 and PARAM-007 for any request, JSON or stream: no more text than max_tokens
    can hold (and, in JSON, usage.completion_tokens within it)."""
    if not streamed(exchange.request.body):
        return parameters.completion_tokens_within_limit(exchange)
    limit = exchange.request.body["max_tokens"]
    return [
        Violation(
            f"choice {index} streamed {words} words, more than {limit} tokens can hold",
            f"<= {parameters.word_budget(limit)} words",
            short(content, 120),
            exchange.name,
        )
        for index, content in stream.stream_summary(exchange).contents.items()
        if (words := len(content.split())) > parameters.word_budget(limit)
    ]


@check("STREAM-009", applies=streamed)
def deltas_are_text(exchange: Exchange) -> list[Violation]:
    """STREAM-009 for any request: every delta.content is a string or null (an empty reply is
    legal for a generated prompt, so the probe's "some text arrived" is left out)."""
    return [
        Violation(
            f"delta.content of choice {index} is not a string",
            "a string or null",
            short(choice["delta"]["content"]),
            exchange.name,
            event_index,
        )
        for event_index, index, choice in stream.stream_summary(exchange).choice_deltas()
        if isinstance(choice.get("delta"), dict)
        and choice["delta"].get("content") is not None
        and not isinstance(choice["delta"]["content"], str)
    ]


def must_checks(checks: Iterable[RegisteredCheck] | None = None) -> list[RegisteredCheck]:
    """The checks whose requirement is a MUST: GEN-001 is a MUST and judges with those only."""
    return [c for c in (served_checks() if checks is None else checks) if c.level == "MUST"]


def error_body_checks() -> list[RegisteredCheck]:
    """GEN-004 judges refused generated requests with these (ERR-001, ERR-002)."""
    return list(refusal_checks())


# ----------------------------------------------------------------------------- what holds


def _applies(check: RegisteredCheck, body: Any) -> bool:
    return (check.applies or any_request)(body)


def _fails(check: RegisteredCheck, exchange: Exchange) -> bool:
    if not _applies(check, exchange.request.body):
        return False
    try:
        return bool(check.function(exchange))
    except (NotApplicable, RequestRefused):  # a refused probe is AUTH-003's or REQ-012's
        return False


def holding(
    checks: Sequence[RegisteredCheck], baseline: Sequence[Exchange]
) -> tuple[list[RegisteredCheck], list[RegisteredCheck]]:
    """(checks that hold on the fixed probes' exchanges, checks that already fail there);
    a probe the target throttled says nothing either way."""
    judged = [e for e in baseline if not e.throttled]
    failing = [c for c in checks if any(_fails(c, e) for e in judged)]
    return [c for c in checks if c not in failing], failing


@check("GEN-001", kind="property")
@check("GEN-005", kind="property")
def judge(checks: Sequence[RegisteredCheck], exchange: Exchange) -> list[Violation] | None:
    """GEN-001: the violations of every check that fits the request; None when none judged.

    A request that was not served is judged by AUTH-003 alone (every other check needs a
    served response). Each violation names the requirement whose check found it.
    """
    if exchange.status != 200:
        checks = [c for c in checks if c.function is auth.served]
    return _apply(checks, exchange)


def _apply(checks: Sequence[RegisteredCheck], exchange: Exchange) -> list[Violation] | None:
    violations: list[Violation] = []
    judged = False
    for registered_check in checks:
        if not _applies(registered_check, exchange.request.body):
            continue
        try:
            found = registered_check.function(exchange)
        except (NotApplicable, RequestRefused):
            continue
        judged = True
        violations += [_named(v, registered_check.label) for v in found]
    return violations if judged else None


def _named(violation: Violation, requirement: str) -> Violation:
    return dataclasses.replace(violation, message=f"{requirement}: {violation.message}")


# ------------------------------------------------------------------ refused for context length
# Refusing a prompt longer than the model's context is legal (OpenAI: 400
# context_length_exceeded). How servers say it, as they document or send it:
#   OpenAI, Azure OpenAI: code "context_length_exceeded", "This model's maximum context length is"
#   vLLM: 400 "This model's maximum context length is N tokens. However, you requested ..."
#   llama.cpp server: type "exceed_context_size_error", "... exceeds the available context size"
#   llama-cpp-python: "Requested tokens (N) exceed context window of M"
#   Anthropic (OpenAI SDK compatibility): "prompt is too long: N tokens > M maximum"
#   Gemini (OpenAI compatibility): "The input token count (N) exceeds the maximum number of tokens"
CONTEXT_LENGTH_CODES = frozenset({"context_length_exceeded", "exceed_context_size_error"})
CONTEXT_LENGTH_WORDS = re.compile(
    r"context (length|window|size)|prompt is too long|input token count|too many (input )?tokens",
    re.IGNORECASE,
)
# No model served here has a context below this many tokens (llama.cpp's old default, 512): a
# request whose prompt (at most a token per UTF-8 byte, plus the template) and max_tokens fit in
# it cannot be too long for the context, so such a refusal is not excused.
SMALLEST_CONTEXT_TOKENS = 512


def error_message(exchange: Exchange) -> str:
    """The error body's message, or the start of the body."""
    try:
        document = exchange.json()
    except ValueError:
        return exchange.text(200)
    error = document.get("error") if isinstance(document, dict) else None
    if isinstance(error, dict):
        return str(error.get("message", ""))
    return str(error if error is not None else exchange.text(200))


def refused_for_context_length(exchange: Exchange) -> bool:
    """A 400, 413 or 422 that says the prompt does not fit the model's context."""
    if exchange.status not in (400, 413, 422):
        return False
    body = exchange.request.body
    max_tokens = body.get("max_tokens") if isinstance(body, dict) else None
    reply = max_tokens if isinstance(max_tokens, int) and not isinstance(max_tokens, bool) else 0
    if prompt_tokens_bound(body) + reply < SMALLEST_CONTEXT_TOKENS:
        return False
    try:
        document = exchange.json()
    except ValueError:
        document = None
    error = document.get("error") if isinstance(document, dict) else None
    if isinstance(error, dict) and {str(error.get("code")), str(error.get("type"))} & (
        CONTEXT_LENGTH_CODES
    ):
        return True
    return bool(CONTEXT_LENGTH_WORDS.search(error_message(exchange)))


# ------------------------------------------------------------------- one rule away from valid


def broken_rule(body: Any) -> str | None:
    """The request schema's rule a body breaks, as a key comparable across requests (the
    schema path of its first error, and the missing property for ``required``)."""
    problems = sorted(
        schemas.validator(schemas.REQUEST).iter_errors(body), key=lambda e: list(e.schema_path)
    )
    if not problems:
        return None
    problem = problems[0]
    key = "/".join(str(part) for part in problem.schema_path)
    if problem.validator == "required" and isinstance(problem.instance, dict):
        missing = [name for name in problem.validator_value if name not in problem.instance]
        key += ":" + ",".join(missing)
    return key


def refused_rules(baseline: Sequence[Exchange]) -> set[str]:
    """Rules of the request schema whose fixed probe was not refused (REQ reports those)."""
    broken = set()
    for exchange in baseline:
        if exchange.request.raw_body is not None:
            continue
        try:
            accepted = bool(validation.refused_as_client_error(exchange))
        except NotApplicable:
            continue
        rule = broken_rule(exchange.request.body)
        if accepted and rule is not None:
            broken.add(rule)
    return broken


@check("GEN-002", kind="property")
@check("GEN-003", kind="property")
def judge_refusal(exchange: Exchange, known: set[str]) -> list[Violation] | None:
    """GEN-002/GEN-003: a 4xx, never a 2xx or 5xx; None when the rule's probe already failed
    or the refusal says nothing about the body (401, 429, ...)."""
    if broken_rule(exchange.request.body) in known:
        return None
    try:
        return validation.refused_as_client_error(exchange)
    except NotApplicable:
        return None


@check("GEN-004", kind="property")
def judge_error_body(
    checks: Sequence[RegisteredCheck], exchange: Exchange
) -> list[Violation] | None:
    """GEN-004: a refusal carries the OpenAI error body as JSON; None when not refused."""
    return _apply(checks, exchange)

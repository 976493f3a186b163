"""PARAM: max_tokens, stop and stream do what the documentation says, in both response forms.

Real models are unpredictable, so these checks only assert what any honest model must do with
the probes in ``conformance.probes``: a count to 200 cannot fit in 5 tokens, and a stop sequence
never appears in the output whatever the model chose to write.
"""

from __future__ import annotations

from conformance.checks import (
    NotApplicable,
    Violation,
    choices_of,
    is_int,
    message_contents,
    served_json,
    short,
)
from conformance.checks.registry import check, not_streamed
from conformance.checks.stream import stream_summary
from conformance.probes import WORD_BEFORE_STOP
from conformance.records import Exchange


def _max_tokens(exchange: Exchange) -> int:
    value = exchange.request.body.get("max_tokens")
    assert is_int(value), "probe without max_tokens"
    return value


def word_budget(max_tokens: int) -> int:
    """Most whitespace-separated words max_tokens can yield. Generous: a word is at least one
    token in every common tokenizer, so twice the budget leaves room for odd ones."""
    return 2 * max_tokens + 2


@check("PARAM-001", probes=("max_tokens_cut",))
def completion_tokens_within_limit(exchange: Exchange) -> list[Violation]:
    document = served_json(exchange)
    limit = _max_tokens(exchange)
    violations = []
    usage = document.get("usage")
    used = usage.get("completion_tokens") if isinstance(usage, dict) else None
    choices = max(1, len(choices_of(document)))  # with several choices usage adds them up
    if is_int(used) and used > limit * choices:
        violations.append(
            Violation(
                "usage.completion_tokens exceeds max_tokens",
                f"<= {limit} per choice ({choices} choices)",
                str(used),
                exchange.name,
            )
        )
    for content in message_contents(document):
        words = len(content.split())
        if words > word_budget(limit):
            violations.append(
                Violation(
                    f"the content has {words} words, more than {limit} tokens can hold",
                    f"<= {word_budget(limit)} words",
                    short(content, 120),
                    exchange.name,
                )
            )
    if not is_int(used) and not violations:
        raise NotApplicable(f"{exchange.name}: no usage.completion_tokens to compare; see RESP-010")
    return violations


@check("PARAM-002", probes=("max_tokens_cut",))
def cut_completion_ends_with_length(exchange: Exchange) -> list[Violation]:
    document = served_json(exchange)
    usage = document.get("usage")
    used = usage.get("completion_tokens") if isinstance(usage, dict) else None
    limit = _max_tokens(exchange)
    violations = []
    for number, choice in enumerate(choices_of(document)):
        reason = choice.get("finish_reason")
        if reason == "stop" and is_int(used) and used < limit:
            # The model ended on its own (a refusal, a short answer): max_tokens never cut it.
            raise NotApplicable(f"{exchange.name}: the model stopped at {used} of {limit} tokens")
        if reason != "length":
            violations.append(
                Violation(
                    f"choices[{number}] was cut by max_tokens but not reported so",
                    '"length"',
                    short(reason),
                    exchange.name,
                )
            )
    return violations


def _stop_sequences(exchange: Exchange) -> list[str]:
    stop = exchange.request.body.get("stop")
    return [stop] if isinstance(stop, str) else list(stop or [])


def _require_exercised(exchange: Exchange, contents: list[str]) -> None:
    """Stop was exercised if the model came to the stop sequence and was cut there.

    With a reference reply (``probes.stop_probe``) the stop word is one the model wrote at
    temperature 0: the reply is exercised when it is the reference reply's start. Without one
    (the reference was not served, or had no word) the model was asked to repeat a line, and is
    exercised when it repeated it up to the word before the stop word."""
    reference = exchange.request.reference_reply
    if reference is None:
        if not any(WORD_BEFORE_STOP in content for content in contents):
            raise NotApplicable(
                f"{exchange.name}: the reference reply had no word to stop at, and the reply "
                f"never reached {WORD_BEFORE_STOP!r}: the stop sequence was not exercised"
            )
        return
    if not any(content.strip() and reference.startswith(content.rstrip()) for content in contents):
        raise NotApplicable(
            f"{exchange.name}: at temperature 0 the reply differed from the reference reply "
            f"before the stop word ({short(contents[0] if contents else '', 60)} against "
            f"{short(reference, 60)}): the stop sequence was not exercised"
        )


def _stop_violations(exchange: Exchange, contents: dict[int, str]) -> list[Violation]:
    source = " (a word of the reference reply)" if exchange.request.reference_reply else ""
    return [
        Violation(
            f"choice {index}'s content contains the stop sequence {sequence!r}{source}",
            "content cut before the stop sequence",
            short(content, 160),
            exchange.name,
        )
        for index, content in contents.items()
        for sequence in _stop_sequences(exchange)
        if sequence and sequence in content
    ]


@check("PARAM-003", probes=("stop_string",))
@check("PARAM-004", probes=("stop_array",))
def content_avoids_stop(exchange: Exchange) -> list[Violation]:
    contents = dict(enumerate(message_contents(served_json(exchange))))
    violations = _stop_violations(exchange, contents)
    if not violations:
        _require_exercised(exchange, list(contents.values()))
    return violations


@check("PARAM-005", probes=("completion",), applies=not_streamed)
def omitted_stream_is_json(exchange: Exchange) -> list[Violation]:
    if exchange.status != 200:
        raise NotApplicable(f"{exchange.name}: not served; see AUTH-003")
    if exchange.content_type == "text/event-stream" or _looks_like_event_stream(exchange.body):
        return [
            Violation(
                "a request without stream was answered with an event stream",
                "a single JSON document (application/json)",
                f"Content-Type {exchange.content_type}: {short(exchange.text(120))}",
                exchange.name,
            )
        ]
    return []


def _looks_like_event_stream(body: bytes) -> bool:
    """An unlabelled event stream: a data field at a line start, whatever comes before it."""
    head = body[:4096].lstrip(b"\xef\xbb\xbf")
    return head.startswith(b"data:") or b"\ndata:" in head or b"\rdata:" in head


@check("PARAM-006", probes=("stream_stop",))
def stream_avoids_stop(exchange: Exchange) -> list[Violation]:
    contents = stream_summary(exchange).contents
    violations = _stop_violations(exchange, contents)
    if not violations:
        _require_exercised(exchange, list(contents.values()))
    return violations


@check("PARAM-007", probes=("stream_max_tokens_cut",))
def cut_stream_ends_with_length(exchange: Exchange) -> list[Violation]:
    summary = stream_summary(exchange)
    limit = _max_tokens(exchange)
    violations = []
    for index in summary.contents:
        reason = summary.finish_reasons.get(index)
        if reason != "length":
            violations.append(
                Violation(
                    f"choice {index} was cut by max_tokens but not reported so",
                    '"length"',
                    short(reason),
                    exchange.name,
                )
            )
    for index, content in summary.contents.items():
        words = len(content.split())
        if words > word_budget(limit):
            violations.append(
                Violation(
                    f"choice {index} streamed {words} words, more than {limit} tokens can hold",
                    f"<= {word_budget(limit)} words",
                    short(content, 120),
                    exchange.name,
                )
            )
    return violations

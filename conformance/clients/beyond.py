"""Where the client broke although no check failed: the report's ``clients.beyond_failures``.

A run can pass every requirement and still send responses the SDK raises on or silently
mangles (an ``id:`` field before keep-alive comments: the openai SDK dispatches an empty event
and raises on its JSON). The summary counts them; this names them, with the evidence a reader
needs to see why: the exchange as the failures show theirs (status, headers, body or the SSE
transcript) and, for a stream, where the client stopped. These are not conformance verdicts:
the requirement checks passed, the client still broke.

Built on the run's side once the replays are back (``session.attach``), from the exchanges the
run recorded, so the entries need neither the live run nor the SDK to be rendered again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from conformance.clients.effects import SILENT_OR_RAISED, Effect
from conformance.records import Exchange, SseEvent
from conformance.report.evidence import RAW_EVENT_LIMIT, exchange_record, redact_all
from conformance.report.text import shortened

# Entries of one effect that keep their exchange's evidence: the rest name the exchange only
# (a stream fault breaks every stream alike; one transcript shows it, thirty would bury it).
EVIDENCE_PER_EFFECT = 3


def beyond_failures(
    effects: Mapping[str, Effect],
    exchanges: Mapping[str, Exchange],
    shown: set[str],
    secrets: Iterable[str],
) -> tuple[list[dict[str, Any]], int]:
    """One entry per exchange the client raised on or mangled that no failure shows (``shown``:
    the keys beside a failure), grouped by effect, redacted; and how many more did what a
    failure shows. Those are left out: the same effect is most likely the same fault, met
    where its check was not run again (a generated request "left out, already failing")."""
    beside_failures = {_alike(effects[key]) for key in shown if key in effects}
    broken = [
        (effect, exchanges[key])
        for key, effect in effects.items()
        if key not in shown and key in exchanges and effect.kind in SILENT_OR_RAISED
    ]
    found = [pair for pair in broken if _alike(pair[0]) not in beside_failures]
    found.sort(key=lambda pair: (pair[0].kind, pair[0].text, *_order(pair[1])))
    entries: list[dict[str, Any]] = []
    evidence_kept: dict[str, int] = {}
    for effect, exchange in found:
        kept = evidence_kept[effect.text] = evidence_kept.get(effect.text, 0) + 1
        entries.append(entry(effect, exchange, with_evidence=kept <= EVIDENCE_PER_EFFECT))
    return redact_all(entries, tuple(s for s in secrets if s)), len(broken) - len(found)


def _alike(effect: Effect) -> tuple[str, str, str]:
    return (effect.client, effect.kind, effect.text)


def entry(effect: Effect, exchange: Exchange, with_evidence: bool = True) -> dict[str, Any]:
    """What the report keeps of one: the exchange, the effect, where it broke, the evidence."""
    event_index, where = broke_at(effect, exchange)
    record: dict[str, Any] = {
        "exchange": exchange.name,
        "model": _model(exchange),
        "status": exchange.status,
        "content_type": exchange.headers.get("content-type"),
        "client": effect.to_json(),
        "where": where,
        "event_index": event_index,
    }
    if where is not None:
        record["raw_at_break"] = raw_at_break(effect, exchange)
    if with_evidence:
        record["evidence"] = exchange_record(exchange, [] if event_index is None else [event_index])
    return record


def broke_at(effect: Effect, exchange: Exchange) -> tuple[int | None, str | None]:
    """(event index, words) of where a stream broke for the client; (None, None) if unknown.

    The client raised after yielding N chunks, one per dispatched event, so it broke reading
    the transcript's event N or something the transcript does not show before it (a comment,
    a field-only block): "at or before", never more than the client's count says.
    """
    chunks = effect.after_chunks
    if chunks is None:
        return None, None
    count = len(exchange.events)
    yielded = f"after {chunks} chunk{'' if chunks == 1 else 's'}"
    if chunks < count:
        return chunks, f"{yielded}: at or before event #{chunks} of {count}"
    return None, f"{yielded}: after the last of the stream's {count} events"


def raw_at_break(effect: Effect, exchange: Exchange) -> str:
    """The stream's bytes from the end of the last event the client yielded to the end of the
    one it broke on: what the transcript leaves out (comment and field-only blocks, which a
    WHATWG parser drops and a client may not) is where such a break usually is."""
    events, chunks = exchange.events, effect.after_chunks or 0
    start = _end_of(events[chunks - 1]) if 0 < chunks <= len(events) else 0
    end = _end_of(events[chunks]) if chunks < len(events) else len(exchange.body)
    text = exchange.body[start:end].decode("utf-8", errors="replace")
    return shortened(text, RAW_EVENT_LIMIT + 200, tail=200)


def _end_of(event: SseEvent) -> int:
    return event.offset + len(event.raw.encode("utf-8"))


def _order(exchange: Exchange) -> tuple[bool, str, int, str]:
    """The suite's named probes first, then generated requests by number (#9 before #10)."""
    name, _, number = exchange.name.partition(" #")
    numbered = number.isdigit()
    return (numbered, name, int(number) if numbered else 0, _model(exchange) or "")


def _model(exchange: Exchange) -> str | None:
    body = exchange.request.body
    model = body.get("model") if isinstance(body, dict) else None
    return model if isinstance(model, str) else None

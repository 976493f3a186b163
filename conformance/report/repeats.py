"""Near-identical exchanges in one failure: which earlier one each repeats, and how it differs.

A requirement is often proven on several probes (three streams for SSE-002), and a server that
breaks it breaks it the same way on each: three full transcripts then say one thing three times
and push the next failure thousands of pixels down. The HTML shows the first in full and folds
each repeat under a line that says "same as #1" and what differs. Two exchanges are alike when
their answers have the same shape: status, Content-Type, how the stream ended, and the skeleton
of the JSON they carried (keys and value types, runs of alike events counted once), whatever the
words in them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from conformance.report.shape import ExchangeRecord
from conformance.report.stream_end import end_line


def skeleton(value: Any) -> Any:
    """The shape of a JSON value: object keys with the skeletons of their values, the type of
    anything else (so "stop" and "length", 12 and 48 look the same)."""
    if isinstance(value, dict):
        return tuple(sorted((key, skeleton(item)) for key, item in value.items()))
    if isinstance(value, list):
        return ("list", tuple(dict.fromkeys(skeleton(item) for item in value)))
    return type(value).__name__


def _text_skeleton(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return skeleton(json.loads(text))
    except ValueError:
        return "text" if text.strip() else "empty"


def _event_skeleton(raw: str) -> Any:
    data = "\n".join(line[5:].lstrip(" ") for line in raw.splitlines() if line.startswith("data:"))
    return _text_skeleton(data) if data else ("fields", raw.split(":", 1)[0])


def shape(record: ExchangeRecord) -> tuple:
    """What makes two answers alike (see the module's docstring)."""
    content_type = (record.get("headers") or {}).get("content-type", "").split(";")[0].strip()
    stream = record.get("stream")
    if stream is None:
        return (record.get("status"), content_type, bool(record.get("error")),
                _text_skeleton(record.get("body")))  # fmt: skip
    events: list[Any] = []
    for event in stream.get("events", []):
        if event.get("left_out"):
            continue
        current = _event_skeleton(event.get("raw", ""))
        if not events or events[-1] != current:  # a run of alike chunks is one
            events.append(current)
    return (record.get("status"), content_type, end_line(record)[0], tuple(events))


def differences(first: ExchangeRecord, other: ExchangeRecord) -> list[str]:
    """What a reader would notice between two alike exchanges, in a few words each."""
    found = []
    if first.get("request_body") != other.get("request_body"):
        found.append("the request")
    first_stream, other_stream = first.get("stream"), other.get("stream")
    if first_stream is not None and other_stream is not None:
        count, before = other_stream.get("event_count", 0), first_stream.get("event_count", 0)
        if count != before:
            found.append(f"{count} {'event' if count == 1 else 'events'} (not {before})")
        if other_stream.get("marked") != first_stream.get("marked"):
            marked = other_stream.get("marked") or []
            found.append(
                "marked " + ", ".join(f"#{i}" for i in marked) if marked else "no event marked"
            )
    elif first.get("body") != other.get("body"):
        found.append("the body's values")
    if first.get("error") != other.get("error") and other.get("error"):
        found.append(f"error: {other['error']}")
    return found


def first_alike(records: Sequence[ExchangeRecord]) -> list[int | None]:
    """For each record, the index of the earlier record it repeats (None: show it in full)."""
    shown: list[tuple[int, tuple]] = []
    result: list[int | None] = []
    for index, record in enumerate(records):
        mine = shape(record)
        earlier = next((i for i, other in shown if other == mine), None)
        result.append(earlier)
        if earlier is None:
            shown.append((index, mine))
    return result

"""How a stream ended, said once: the line at the end of every transcript in the reports.

A missing ``data: [DONE]`` is only half a finding: a reader also needs to see whether the server
closed the connection, the connection broke, the client gave up at a bound (bytes, events, the
deadline) or the stream went silent. ``ending`` reads that from the exchange record when the
evidence is kept (the JSON report stores it as the stream's ``ended``); ``end_line`` turns it into
the marker the HTML shows, and guesses it for reports written before ``ended`` existed.
"""

from __future__ import annotations

from typing import Literal

from conformance.records import DONE, Exchange
from conformance.report.shape import ExchangeRecord

Ending = Literal["done", "closed", "bound", "deadline", "timeout", "broken"]

# What each ending means to a reader; the exchange's error, when there is one, follows it.
MEANING: dict[str, str] = {
    "done": "data: [DONE] received",
    "closed": "connection closed without data: [DONE]",
    "bound": "stopped by the client at a bound",
    "deadline": "stopped at the deadline",
    "timeout": "read timeout (the stream went silent)",
    "broken": "connection broken",
}


def ending(exchange: Exchange) -> Ending:
    """How the stream of a finished exchange ended (a dispatched [DONE] wins over what followed)."""
    if any(event.data == DONE for event in exchange.events):
        return "done"
    if exchange.deadline_hit or exchange.error_type == "deadline":
        return "deadline"
    if exchange.error_type == "bound":
        return "bound"
    if exchange.error_type and "Timeout" in exchange.error_type:
        return "timeout"
    if exchange.error:
        return "broken"
    return "closed"


def end_line(record: ExchangeRecord) -> tuple[str, str]:
    """(ending, text) for the marker after a transcript's last event."""
    stream = record.get("stream") or {}
    kind = stream.get("ended") or _guessed(record)
    text = MEANING.get(kind, kind)
    tail = stream.get("discarded_tail") or ""
    if kind == "closed" and DONE in tail:
        text = "connection closed: data: [DONE] came without the blank line that dispatches it"
    error = record.get("error")
    if error and kind != "done":
        text += f" — {error}"
    return kind, text


def _guessed(record: ExchangeRecord) -> str:
    """The ending of a stream a report kept without ``ended`` (an older release's report)."""
    stream = record.get("stream") or {}
    shown = [e.get("raw", "").strip() for e in stream.get("events", [])]
    if any(raw.replace(" ", "") == f"data:{DONE}" for raw in shown):
        return "done"
    error = (record.get("error") or "").lower()
    if not error:
        return "closed"
    if "deadline" in error:
        return "deadline"
    if "limit" in error or "compressed" in error or "encoding" in error:
        return "bound"
    if "timed out" in error or "timeout" in error or "without data" in error:
        return "timeout"
    return "broken"

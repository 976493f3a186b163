"""Secrets out of everything people see: the key and the credentials of a URL.

A server may echo the key back (in a body, a header, an error message, every chunk of a stream),
and a user may put credentials into the base URL. ``redact_exchange`` makes the record of an
exchange safe to keep before anything else sees it; ``redact`` is the same rule for any text on
its way to a report, a log or a message.

Pure functions over the records (``conformance.records``): no I/O, no httpx.
"""

from __future__ import annotations

import dataclasses
from urllib.parse import parse_qsl, urlsplit

from conformance.records import Exchange, SseEvent, SseTranscript

__all__ = [
    "MIN_SECRET_LENGTH",
    "REDACTED",
    "display_url",
    "redact",
    "redact_exchange",
    "url_secrets",
]

REDACTED = "***REDACTED***"
MIN_SECRET_LENGTH = 8  # shorter "keys" (test keys like "x") would shred every body they occur in

_SECRET_PARAMETER_HINTS = ("key", "token", "secret", "sig", "auth", "pass", "code")


def url_secrets(url: str) -> list[str]:
    """Credentials a user may have put in a URL: user info and key-like query values."""
    parts = urlsplit(url)
    found = [parts.username or "", parts.password or ""]
    for name, value in parse_qsl(parts.query, keep_blank_values=False):
        if any(hint in name.lower() for hint in _SECRET_PARAMETER_HINTS):
            found.append(value)
    return [secret for secret in found if len(secret) >= 4]


def display_url(url: str) -> str:
    """The URL as reports may show it: credentials replaced, everything else kept."""
    return redact(url, *url_secrets(url))


def redact(text: str, *secrets: str | None) -> str:
    """Remove secrets from text meant for people: reports, logs, messages."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text


def redact_exchange(exchange: Exchange, secrets: tuple[str, ...]) -> Exchange:
    """The same record without the secrets (those of at least ``MIN_SECRET_LENGTH``) in its
    body, its stream's events, its response headers and its error."""
    secrets = tuple(s for s in secrets if len(s) >= MIN_SECRET_LENGTH)
    if not secrets:
        return exchange
    changes: dict = {
        "headers": {k: redact(v, *secrets) for k, v in exchange.headers.items()},
        "error": redact(exchange.error, *secrets) if exchange.error else exchange.error,
    }
    encoded = [secret.encode("utf-8") for secret in secrets]
    if any(secret in exchange.body for secret in encoded):
        body = exchange.body
        for secret in encoded:
            body = body.replace(secret, REDACTED.encode())
        changes["body"] = body
        if exchange.sse is not None:
            changes["sse"] = redact_transcript(exchange.sse, secrets)
    return dataclasses.replace(exchange, **changes)


def redact_transcript(transcript: SseTranscript, secrets: tuple[str, ...]) -> SseTranscript:
    """The transcript with the secrets replaced in every text it holds, event by event.

    Nothing is parsed again: each event keeps its index, its offset in the stream as received and
    its ``received_at``, and the framing facts (line ends, UTF-8 validity, byte count) stay those
    of the stream the server sent. A key contains no line end, so replacing it inside an event's
    text cannot move an event boundary."""

    def clean(text: str) -> str:
        return redact(text, *secrets)

    def clean_event(event: SseEvent) -> SseEvent:
        return dataclasses.replace(
            event,
            data=clean(event.data),
            raw=clean(event.raw),
            event=clean(event.event) if event.event is not None else None,
            id=clean(event.id) if event.id is not None else None,
        )

    return dataclasses.replace(
        transcript,
        events=tuple(clean_event(event) for event in transcript.events),
        comments=tuple(clean(comment) for comment in transcript.comments),
        discarded_tail=clean(transcript.discarded_tail),
    )

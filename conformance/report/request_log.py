"""The request log: every request a run sent, one JSON object a line, in submission order.

It answers "what did this run send, and what did it cost?" (an audit of a paid run) and lets a
benchmark replay the very same requests without the suite. It holds what was sent, never the
key: ``auth`` says only whether the key was sent, left out, or replaced by a wrong one.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from conformance.records import Exchange, RequestSpec


def entry(number: int, exchange: Exchange) -> dict[str, Any]:
    spec = exchange.request
    record: dict[str, Any] = {
        "n": number,
        "name": exchange.name,
        "method": spec.method,
        "path": spec.path,
        "auth": spec.auth,
        "stream": spec.wants_stream,
    }
    if spec.raw_body is not None:
        record["raw_body_base64"] = base64.b64encode(spec.raw_body).decode("ascii")
    else:
        record["body"] = spec.body
    record.update(
        status=exchange.status,
        attempts=exchange.attempts,
        started_at=round(exchange.started_at, 4),
        elapsed=round(exchange.elapsed, 4),
        response_bytes=len(exchange.body),
        error=exchange.error,
    )
    if exchange.resent_after:  # the first try's connection closed unanswered: sent again once
        record["resent_after"] = exchange.resent_after
    return record


def write(path: str | Path, exchanges: Iterable[Exchange]) -> None:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8") as log:
        for number, exchange in enumerate(exchanges, start=1):
            # ASCII: a JSON-lines reader splitting on U+2028 or U+0085 must not cut a line.
            log.write(json.dumps(entry(number, exchange)) + "\n")


def read(path: str | Path) -> list[dict[str, Any]]:
    with Path(path).open(encoding="utf-8") as log:
        return [json.loads(line) for line in log if line.strip()]


def request_body(record: dict[str, Any]) -> bytes:
    """The exact bytes the run sent, to replay a logged request."""
    if "raw_body_base64" in record:
        return base64.b64decode(record["raw_body_base64"])
    return RequestSpec(body=record["body"]).encoded_body()

"""The blocks of an event stream that the openai SDKs dispatch as events and WHATWG does not.

Why this exists: at a blank line WHATWG dispatches nothing while the data buffer is empty (a
comment-only keep-alive block, a block of `id:`, `retry:` or `event:` fields alone), so
``conformance.sse`` never sees those blocks as events. openai-python's ``SSEDecoder.decode``
(openai 3.63.0, ``openai/_streaming.py``) dispatches a blank line whenever the event type, the
data, the last event id or the retry is set, and never resets the last event id: after one
`id:`, every blank line is an event with empty data, which ``Stream`` parses as JSON and raises
``json.JSONDecodeError``. openai-node (7.5.0, ``src/core/streaming.ts``) ignores `id:` and
`retry:` but dispatches a block with an `event:` field alone the same way. Python's rule is the
wider one, so this module replays the raw bytes through it, line by line, up to the event whose
data starts with `[DONE]` (both SDKs stop reading there).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from conformance.records import DONE

_LINE_END = re.compile(rb"\r\n|\r|\n")


@dataclass(frozen=True)
class EmptyEvent:
    """A block without a `data:` field that openai-python dispatches as an event anyway."""

    raw: str  # the block's lines, its blank line included
    offset: int  # byte offset of the block in the stream
    because: str  # the field that makes the SDK dispatch it, e.g. "id: 3 (sent earlier)"
    node_too: bool  # openai-node dispatches it as well (it has an `event:` field)


def _retry(value: str) -> int | None:
    # The SDK's own test of a retry value: whatever int() accepts (WHATWG: ASCII digits only).
    try:
        return int(value)
    except ValueError:
        return None


def empty_events(body: bytes) -> Iterator[EmptyEvent]:
    """Yield, in stream order, each block openai-python dispatches with empty data, until [DONE]."""
    data: list[str] = []
    event = ""
    retry: int | None = None
    last_id = ""  # persists across blocks, as in the SDK and WHATWG
    id_in_block = False
    block_start = 0
    position = 0
    for match in _LINE_END.finditer(body):
        content = body[position : match.start()]
        line = content.decode("utf-8", errors="replace")  # invalid UTF-8 is SSE-001's
        position = match.end()
        if line:
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if line.startswith(":"):
                pass
            elif name == "data":
                data.append(value)
            elif name == "event":
                event = value
            elif name == "id" and "\0" not in value:
                last_id, id_in_block = value, True
            elif name == "retry" and _retry(value) is not None:
                retry = _retry(value)
            continue
        if data:
            if "\n".join(data).startswith(DONE):
                return
        elif event or last_id or retry is not None:
            raw = body[block_start:position].decode("utf-8", errors="replace")
            because = _because(event, retry, last_id, id_in_block)
            yield EmptyEvent(raw, block_start, because, node_too=bool(event))
        data, event, retry, id_in_block = [], "", None, False
        block_start = position


def _because(event: str, retry: int | None, last_id: str, id_in_block: bool) -> str:
    if event:
        return f"event: {event}"
    if retry is not None:
        return f"retry: {retry}"
    return f"id: {last_id}" if id_in_block else f"the last id ({last_id}) sent earlier"

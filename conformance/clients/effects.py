"""What the server sent, what the client made of it, and how the two compare: an ``Effect``.

"The server sent" is read leniently from the recorded bytes (every ``data:`` line holding a
JSON object before ``data: [DONE]`` is a chunk the server meant to send, framed well or not),
so that a client which drops chunks on bad framing shows as "yields 0 chunks, no error". The
SDK is not imported here: the worker classifies, the run's process only reads effects back.

Kinds of effect:

    parsed      the client returned what the server sent (text, finish_reason, chunks)
    http_error  the client raised its error for an HTTP error status: what it should do
    raised      the client raised on a success status (the user's call fails)
    silent      the client returned without error, but not what the server sent
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any, Literal

from conformance.clients.recording import Recording
from conformance.records import DONE, strict_json

Kind = Literal["parsed", "http_error", "raised", "silent"]
SILENT_OR_RAISED = ("raised", "silent")


@dataclass(frozen=True)
class Effect:
    """What one client did with one recorded response; ``text`` is the one line people read."""

    client: str  # "openai 3.63.0"
    kind: Kind
    text: str  # "yields 0 chunks, no error"
    error_type: str | None = None
    # A stream the client raised on: the chunks it had yielded first. Where the stream broke,
    # as far as the client says: at or before the transcript's event of that index.
    after_chunks: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Effect:
        return cls(
            data["client"],
            data["kind"],
            data["text"],
            data.get("error_type"),
            data.get("after_chunks"),
        )


@dataclass(frozen=True)
class Result:
    """What the client returned: its chunks (a stream), text and finish_reason of choice 0."""

    chunks: int | None  # None: not a stream
    text: str | None
    finish_reason: str | None
    # Fields the SDK hands over unvalidated with another type than it declares ("delta.content
    # is int"): the user's code, not the SDK, fails on them.
    odd_types: tuple[str, ...] = ()


def sent_by_server(recording: Recording) -> Result:
    """Choice 0's text and finish_reason as the server meant them, and its chunk count."""
    if not recording.stream:
        return _from_completion(_json_object(recording.body))
    chunks = [c for c in map(_json_object, _data_lines(recording.body)) if c is not None]
    if not chunks:  # a stream request answered with a JSON completion, or with nothing
        completion = _from_completion(_json_object(recording.body))
        return Result(0, completion.text, completion.finish_reason)
    text, finish = [], None
    for chunk in chunks:
        choice = _choice_zero(chunk)
        delta = choice.get("delta") if isinstance(choice.get("delta"), dict) else {}
        if isinstance(delta.get("content"), str):
            text.append(delta["content"])
        if choice.get("finish_reason") is not None:
            finish = str(choice["finish_reason"])
    return Result(len(chunks), "".join(text), finish)


def compare(client: str, recording: Recording, got: Result) -> Effect:
    """The effect of a response the client returned without raising."""
    sent = sent_by_server(recording)
    differences = []
    if got.chunks == 0 and (sent.chunks or sent.text):
        return Effect(client, "silent", "yields 0 chunks, no error")  # nothing else to compare
    differences += [f"returns {odd} where it declares a string" for odd in got.odd_types]
    if got.chunks is not None and got.chunks != sent.chunks:
        differences.append(f"yields {got.chunks} of {sent.chunks} chunks")
    if got.text != sent.text:
        differences.append(f"text {_quoted(got.text)} where the server sent {_quoted(sent.text)}")
    if got.finish_reason != sent.finish_reason:
        differences.append(
            f"finish_reason {_quoted(got.finish_reason)} "
            f"(the server sent {_quoted(sent.finish_reason)})"
        )
    if differences:
        return Effect(client, "silent", ", ".join(differences) + ", no error")
    what = f"{got.chunks} chunks" if got.chunks is not None else "the completion"
    return Effect(client, "parsed", f"parses it: {what}, text and finish_reason as sent")


def raised(
    client: str, recording: Recording, error: BaseException, after_chunks: int | None = None
) -> Effect:
    """The effect of an exception: expected for an error status, a failed call on a 2xx
    (``after_chunks``: a stream's chunks the client yielded before it raised)."""
    name = type(error).__name__
    line = (str(error).strip().splitlines() or [""])[0]
    if len(line) > 160:
        line = line[:159] + "…"
    if recording.status >= 400 and _is_status_error(error):
        return Effect(client, "http_error", f"raises {name} (HTTP {recording.status})", name)
    text = f"raises {name}: {line}" if line else f"raises {name}"
    return Effect(client, "raised", text, name, after_chunks if recording.stream else None)


def _is_status_error(error: BaseException) -> bool:
    return any(cls.__name__ == "APIStatusError" for cls in type(error).__mro__)


def _quoted(value: str | None) -> str:
    if value is None:
        return "None"
    shown = json.dumps(value, ensure_ascii=False)
    return shown if len(shown) <= 40 else shown[:38] + '…"'


def _data_lines(body: bytes) -> list[str]:
    text = body.decode("utf-8", errors="replace")
    values = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if line.startswith("data:"):
            value = line[5:]
            value = value[1:] if value.startswith(" ") else value
            if value == DONE:
                break  # the answer ends here; what follows is no part of it
            values.append(value)
    return values


def _json_object(data: bytes | str) -> dict[str, Any] | None:
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        value = strict_json(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _choice_zero(value: dict[str, Any]) -> dict[str, Any]:
    choices = value.get("choices")
    if isinstance(choices, list):
        for choice in choices:
            if isinstance(choice, dict) and choice.get("index", 0) == 0:
                return choice
    return {}


def _from_completion(completion: dict[str, Any] | None) -> Result:
    choice = _choice_zero(completion or {})
    message = choice.get("message") if isinstance(choice.get("message"), dict) else {}
    text = message.get("content") if isinstance(message.get("content"), str) else None
    finish = choice.get("finish_reason")
    return Result(None, text, str(finish) if finish is not None else None)

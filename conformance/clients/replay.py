"""Feed one recording to the openai Python SDK, offline, and say what it did.

The SDK's own client is built as its users build it, except that its httpx client has a mock
transport serving the recording: ``openai.OpenAI(api_key="replay", base_url=..., max_retries=0,
http_client=httpx.Client(transport=httpx.MockTransport(serve)))``, one client for every replay
(building it costs more than a replay), replays one at a time. Nothing leaves the process
and the run's key is never given to it. This is the only module that imports ``openai``, and
only the replay worker imports it (``import openai`` costs about half a second and 23 MiB).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Iterator
from typing import Any

import httpx
import openai

from conformance.clients.effects import Effect, Result, compare, raised
from conformance.clients.recording import Recording

CLIENT = f"openai {openai.__version__}"
BASE_URL = "http://replay.invalid/v1"


def replay(recording: Recording) -> Effect | None:
    """The SDK's effect for this recording; None when the SDK would not send its request."""
    served = _SERVED.serve(recording)
    yielded = _Yielded()
    try:
        result = _call(_client(), recording, yielded)
    except Exception as error:
        if not served.called:  # the SDK refused the request itself: not the server's doing
            return None
        return raised(CLIENT, recording, error, yielded.chunks)
    return compare(CLIENT, recording, result)


class _Yielded:
    """The chunks a stream yielded so far: where it broke, when the client raises."""

    chunks = 0


class _Served:
    """The mock transport's answer: the recording being replayed."""

    def __init__(self) -> None:
        self.recording: Recording | None = None
        self.called = False

    def serve(self, recording: Recording) -> _Served:
        self.recording, self.called = recording, False
        return self

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert self.recording is not None
        self.called = True
        recording = self.recording
        if recording.transport_error is None:
            return httpx.Response(
                recording.status, headers=recording.headers, content=recording.body
            )
        content = _FailingAfterBody(recording.body, recording.transport_error, request)
        return httpx.Response(recording.status, headers=recording.headers, stream=content)


class _FailingAfterBody(httpx.SyncByteStream):
    """The recorded bytes, then the transport failure that ended the recording (a reset, a
    timeout): the client meets it where it met it on the wire."""

    def __init__(self, body: bytes, error_type: str, request: httpx.Request) -> None:
        self.body, self.request = body, request
        error = getattr(httpx, error_type, None)
        is_transport = isinstance(error, type) and issubclass(error, httpx.TransportError)
        self.error = error if is_transport else httpx.ReadTimeout  # "deadline": it never ended

    def __iter__(self) -> Iterator[bytes]:
        if self.body:
            yield self.body
        raise self.error(f"replayed: the recorded response ended with {self.error.__name__}")


_SERVED = _Served()


@functools.cache
def _client() -> openai.OpenAI:
    http_client = httpx.Client(transport=httpx.MockTransport(_SERVED))
    return openai.OpenAI(
        api_key="replay", base_url=BASE_URL, max_retries=0, http_client=http_client
    )


def _call(client: openai.OpenAI, recording: Recording, yielded: _Yielded) -> Result:
    arguments = _arguments(recording.request_body, recording.stream)
    answer: Any = client.chat.completions.create(**arguments)
    odd: dict[str, None] = {}  # ordered, once each
    if not recording.stream:
        choice = _first(getattr(answer, "choices", None))
        content = getattr(getattr(choice, "message", None), "content", None)
        _note_odd("message.content", content, odd)
        _note_odd("finish_reason", getattr(choice, "finish_reason", None), odd)
        return Result(None, _text(content), _finish(choice), tuple(odd))
    chunks, text, finish = 0, [], None
    for chunk in answer:
        chunks += 1
        yielded.chunks = chunks
        choice = _first(getattr(chunk, "choices", None))
        content = getattr(getattr(choice, "delta", None), "content", None)
        _note_odd("delta.content", content, odd)
        _note_odd("finish_reason", getattr(choice, "finish_reason", None), odd)
        if isinstance(content, str):
            text.append(content)
        finish = _finish(choice) or finish
    return Result(chunks, "".join(text), finish, tuple(odd))


def _note_odd(field: str, value: Any, odd: dict[str, None]) -> None:
    if value is not None and not isinstance(value, str):
        odd[f"{field} as {type(value).__name__}"] = None


def _arguments(body: dict[str, Any], stream: bool) -> dict[str, Any]:
    """``create``'s keyword arguments: its own parameters, the rest in ``extra_body``."""
    known = {k: v for k, v in body.items() if k in _parameters() and not k.startswith("extra_")}
    extra = {k: v for k, v in body.items() if k not in known}
    known.setdefault("model", "replay")
    known.setdefault("messages", [])
    known["stream"] = stream
    return {**known, "extra_body": extra} if extra else known


@functools.cache
def _parameters() -> frozenset[str]:
    create = openai.resources.chat.completions.Completions.create
    return frozenset(inspect.signature(create).parameters) - {"self"}


def _first(choices: Any) -> Any:
    if isinstance(choices, list):
        for choice in choices:
            if getattr(choice, "index", 0) == 0:
                return choice
    return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _finish(choice: Any) -> str | None:
    value = getattr(choice, "finish_reason", None)
    return str(value) if value is not None else None

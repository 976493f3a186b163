"""SSE-004: the blocks the openai SDKs dispatch as empty events (``conformance.sse_sdk``).

The cases are data: a stream and the blocks openai-python dispatches without a `data:` field.
Each is cross-checked against the SDK's own decoder, so "what the SDK does" is measured, not
assumed; then the fault and the variation are tried against the real SDK over HTTP.
"""

from __future__ import annotations

import json

import pytest

from conformance.checks.sse import no_block_without_data
from conformance.records import Exchange, RequestSpec
from conformance.sse import parse_all
from conformance.sse_sdk import empty_events

KEY = "sk-sse-sdk-test-key-0123456789"
CHUNK = json.dumps({"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m"})
EVENT = f"data: {CHUNK}\n\n"
DONE = "data: [DONE]\n\n"

# (what, stream, why openai-python dispatches each block without data)
CASES = [
    ("plain events", EVENT * 2 + DONE, []),
    ("keep-alive blocks before any id", ": keep-alive\n\n\n" + EVENT + ": ping\n\n" + DONE, []),
    ("comment lines inside events", ": c\nid: 1\n" + EVENT + ": c\nid: 2\n" + EVENT + DONE, []),
    (
        "keep-alive after an id",
        "id: 1\n" + EVENT + ": keep-alive\n\n" + DONE,
        ["the last id (1) sent earlier"],
    ),
    (
        "an extra blank line after an id",
        "id: 7\n" + EVENT + "\n" + DONE,
        ["the last id (7) sent earlier"],
    ),
    ("an id alone", "id: 3\n\n" + EVENT + DONE, ["id: 3"]),
    ("retry alone", "retry: 3000\n\n" + EVENT + DONE, ["retry: 3000"]),
    ("a retry int() reads", "retry: +5\n\n" + EVENT + DONE, ["retry: 5"]),
    ("a retry that is not a number", "retry: soon\n\n" + EVENT + DONE, []),
    ("event alone", "event: ping\n\n" + EVENT + DONE, ["event: ping"]),
    ("an empty event type", "event:\n\n" + EVENT + DONE, []),
    ("an empty id resets the last id", "id: 1\n" + EVENT + "id:\n\n: keep-alive\n\n" + DONE, []),
    ("an id with NUL is ignored", "id: a\0b\n\n" + EVENT + DONE, []),
    ("blocks after [DONE] are not read", "id: 1\n" + EVENT + DONE + ": keep-alive\n\n", []),
    ("[DONE] with trailing text ends it too", "id: 1\n" + "data: [DONE] \n\n" + "\n", []),
    (
        "CR LF line ends",
        ("id: 1\n" + EVENT + ": keep-alive\n\n" + DONE).replace("\n", "\r\n"),
        ["the last id (1) sent earlier"],
    ),
    (
        "lone CR line ends",
        ("id: 1\n" + EVENT + "\n" + DONE).replace("\n", "\r"),
        ["the last id (1) sent earlier"],
    ),
    (
        "several, in order",
        "retry: 10\n\n" + "id: 2\n" + EVENT + ": a\n\n: b\n\n" + DONE,
        ["retry: 10", "the last id (2) sent earlier", "the last id (2) sent earlier"],
    ),
]
IDS = [case[0] for case in CASES]


@pytest.mark.parametrize(("what", "stream", "because"), CASES, ids=IDS)
def test_the_blocks_dispatched_without_data(what, stream, because):
    assert [block.because for block in empty_events(stream.encode())] == because


@pytest.mark.parametrize(("what", "stream", "because"), CASES, ids=IDS)
@pytest.mark.parametrize("chunk_size", [None, 1, 7])
def test_the_sdks_own_decoder_dispatches_exactly_those(what, stream, because, chunk_size):
    """openai-python's SSEDecoder, fed the same bytes: its events with empty data before
    [DONE] are our blocks (no case has an empty `data:` field, which is SSE-001's)."""
    streaming = pytest.importorskip("openai._streaming")
    data = stream.encode()
    size = chunk_size or len(data)
    chunks = [data[i : i + size] for i in range(0, len(data), size)]
    empty = 0
    for event in streaming.SSEDecoder().iter_bytes(iter(chunks)):
        if event.data.startswith("[DONE]"):
            break
        empty += event.data == ""
    assert empty == len(because)


def test_an_event_block_alone_is_dispatched_by_openai_node_too():
    blocks = list(empty_events(b"event: ping\n\n: keep-alive\n\nid: 1\n\n"))
    assert [block.node_too for block in blocks] == [True, False]


def test_a_block_keeps_its_raw_text_and_offset():
    stream = "id: 1\n" + EVENT + ": keep-alive\n\n"
    (block,) = empty_events(stream.encode())
    assert (block.raw, block.offset) == (": keep-alive\n\n", len(("id: 1\n" + EVENT).encode()))


def exchange_of(stream: str) -> Exchange:
    body = stream.encode()
    return Exchange(
        name="stream",
        url="http://127.0.0.1/v1/chat/completions",
        request=RequestSpec(body={"model": "m", "messages": [], "stream": True}),
        request_headers={},
        status=200,
        headers={"content-type": "text/event-stream"},
        body=body,
        sse=parse_all(body).finish(),
    )


def test_the_check_names_the_first_block_and_counts_the_rest():
    stream = ": hello\n\nid: 1\n" + EVENT + ": keep-alive\n\nid: 2\n" + EVENT + "\n" + DONE
    (violation,) = no_block_without_data(exchange_of(stream))
    assert violation.message.startswith("2 block(s) without a data: field before [DONE]")
    assert "openai-python dispatches" in violation.message
    assert "after event #0" in violation.actual and "last id (1)" in violation.actual
    assert ": keep-alive" in violation.actual


def test_the_check_says_when_openai_node_is_hit_too():
    (violation,) = no_block_without_data(exchange_of("event: ping\n\n" + EVENT + DONE))
    assert "openai-python and openai-node dispatch" in violation.message
    assert "before the first event" in violation.actual


def test_the_check_passes_a_legal_and_sdk_safe_stream():
    stream = ": keep-alive\n\n: keep-alive\nid: 0\nretry: 3000\n" + EVENT + ": c\nid: 1\n" + DONE
    assert no_block_without_data(exchange_of(stream)) == []


# ------------------------------------------------------ the real SDK against the server


def what_the_sdk_does(**config: tuple[str, ...]) -> tuple[str | None, int, str]:
    """openai-python streaming from the reference server on 127.0.0.1: the exception it raised
    (or None), the chunks it yielded and their text."""
    openai = pytest.importorskip("openai")
    from conformance.reference.config import ServerConfig
    from conformance.reference.runner import running_server

    with running_server(ServerConfig(api_key=KEY, **config)) as server:
        client = openai.OpenAI(api_key=KEY, base_url=server.base_url, max_retries=0, timeout=20)
        chunks, text = 0, ""
        try:
            request = [{"role": "user", "content": "hello there"}]
            for got in client.chat.completions.create(model="m", messages=request, stream=True):
                chunks += 1
                text += "".join(choice.delta.content or "" for choice in got.choices)
        except Exception as error:
            return type(error).__name__, chunks, text
        finally:
            client.close()
    return None, chunks, text


def test_the_fault_makes_the_real_sdk_raise():
    error, chunks, _ = what_the_sdk_does(faults=("sse-id-keepalive",))
    assert (error, chunks) == ("JSONDecodeError", 1)  # the role chunk, then the first keep-alive


def test_the_comments_variation_is_safe_for_the_real_sdk():
    assert what_the_sdk_does(variations=("sse-comments",)) == (None, 4, "hello there")

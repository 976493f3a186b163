"""Self-tests of the embedded reference server: conforming by default, broken exactly as asked.

Protocol behaviour is checked over real HTTP against a running server. Faults and variations are
checked by calling the ASGI app directly, which shows every body write as the app made it (TCP
would merge them), and keeps this file fast.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import threading
import time
import tomllib
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance import schemas
from conformance.reference import (
    DEFAULT_API_KEY,
    FAULTS,
    VARIATIONS,
    ReferenceApp,
    RunningServer,
    ServerConfig,
    running_server,
)
from conformance.reference.engine import generate, tokenize
from conformance.reference.wire import Abort, HttpRequest, Pause

CATALOG = Path(__file__).resolve().parents[1] / "conformance" / "requirements.toml"
AUTH = {"authorization": f"Bearer {DEFAULT_API_KEY}"}
TEXT = "Hello wörld 🚀 ünïcødé ✓ and more text here."


def chat(content: str = TEXT, **fields: object) -> dict:
    return {"model": "echo-1", "messages": [{"role": "user", "content": content}], **fields}


def sse_data(body: bytes) -> list[str]:
    """The data of each dispatched event, by the WHATWG rules (any line end, comments, no space)."""
    datas: list[str] = []
    buffer: list[str] = []
    for line in re.split(r"\r\n|\r|\n", body.decode("utf-8"))[:-1]:
        if not line:
            if buffer:
                datas.append("\n".join(buffer))
            buffer = []
            continue
        field, _, value = line.partition(":")
        if field == "data":
            buffer.append(value[1:] if value.startswith(" ") else value)
    return datas


def chunks_of(body: bytes) -> list[dict]:
    datas = sse_data(body)
    assert datas[-1] == "[DONE]"
    return [json.loads(data) for data in datas[:-1]]


def streamed_text(chunks: list[dict], choice: int = 0) -> str:
    """The text of one choice; usage-only chunks (`choices: []`) and `content: null` add none."""
    return "".join(
        c["choices"][0]["delta"].get("content") or ""
        for c in chunks
        if c["choices"] and c["choices"][0]["index"] == choice
    )


# ---------------------------------------------------------------------------- direct ASGI calls


class Exchange:
    """What the app sent for one request: status, headers and each body write separately."""

    def __init__(self, status: int, headers: dict[str, str], writes: list[bytes]) -> None:
        self.status, self.headers, self.writes = status, headers, writes
        self.body = b"".join(writes)

    def json(self) -> dict:
        return json.loads(self.body)


def call(
    config: ServerConfig,
    body: dict | bytes,
    headers: dict[str, str] | None = None,
    method: str = "POST",
    path: str = "/v1/chat/completions",
) -> Exchange:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    header_list = [
        (k.encode(), v.encode()) for k, v in (AUTH if headers is None else headers).items()
    ]
    scope = {"type": "http", "method": method, "path": path, "headers": header_list}
    sent: list[dict] = []

    async def run() -> None:
        delivered = asyncio.Event()

        async def receive() -> dict:
            if not delivered.is_set():
                delivered.set()
                return {"type": "http.request", "body": raw, "more_body": False}
            await asyncio.Event().wait()  # a client that stays connected
            return {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            sent.append(message)

        await ReferenceApp(config)(scope, receive, send)

    asyncio.run(run())
    start = sent[0]
    writes = [m["body"] for m in sent[1:] if m.get("body")]
    response_headers = {k.decode(): v.decode() for k, v in start["headers"]}
    return Exchange(start["status"], response_headers, writes)


def call_with(*, faults: tuple[str, ...] = (), variations: tuple[str, ...] = (), **kw) -> Exchange:
    body = kw.pop("body", chat())
    return call(ServerConfig(faults=faults, variations=variations), body, **kw)


# ------------------------------------------------------------------------------ engine


@given(st.text())
def test_tokens_concatenate_back_to_the_text(text: str) -> None:
    assert "".join(tokenize(text)) == text


@pytest.mark.parametrize(
    ("stop", "max_tokens", "text", "finish"),
    [
        ((), None, "one two three", "stop"),
        (("two",), None, "one ", "stop"),
        (("three", "e t"), None, "on", "stop"),
        (("",), None, "one two three", "stop"),
        ((), 2, "one two ", "length"),
        ((), 3, "one two three", "stop"),
        (("three",), 2, "one two ", "stop"),
        (("three",), 1, "one ", "length"),
    ],
)
def test_generate_cuts_at_stop_then_max_tokens(stop, max_tokens, text, finish) -> None:
    output = generate("one two three", stop, max_tokens)
    assert (output.text, output.finish_reason) == (text, finish)


# ------------------------------------------------------------------------- over HTTP


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    with running_server(ServerConfig()) as running:
        yield running


@pytest.fixture(scope="module")
def client(server: RunningServer) -> Iterator[httpx.Client]:
    headers = {"authorization": f"Bearer {server.api_key}"}
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=5) as http:
        yield http


def test_base_url_follows_the_sdk_convention(server: RunningServer) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/v1", server.base_url)
    assert server.api_key == DEFAULT_API_KEY


def test_completion_is_a_conforming_json_document(client: httpx.Client) -> None:
    response = client.post("/chat/completions", json=chat(TEXT, temperature=0.7, top_p=1))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["id", "object", "created", "model", "choices", "usage"]
    assert re.fullmatch(r"chatcmpl-[0-9a-f]+", body["id"])
    assert body["object"] == "chat.completion"
    assert isinstance(body["created"], int) and abs(body["created"] - time.time()) < 60
    assert body["model"] == "echo-1"
    assert body["choices"] == [
        {"index": 0, "message": {"role": "assistant", "content": TEXT}, "finish_reason": "stop"}
    ]
    usage = body["usage"]
    assert usage["completion_tokens"] == len(tokenize(TEXT)) == usage["prompt_tokens"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_ids_are_unique(client: httpx.Client) -> None:
    ids = {client.post("/chat/completions", json=chat()).json()["id"] for _ in range(5)}
    assert len(ids) == 5


def test_echoes_the_last_message_of_any_role(client: httpx.Client) -> None:
    messages = [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "hi", "name": "ann"},
        {"role": "assistant", "content": "  spaced\tout \n"},
    ]
    body = client.post("/chat/completions", json={"model": "m", "messages": messages}).json()
    assert body["choices"][0]["message"]["content"] == "  spaced\tout \n"
    assert body["usage"]["prompt_tokens"] == 2 + 1 + 3


def test_stop_and_max_tokens(client: httpx.Client) -> None:
    def reply(**fields: object) -> tuple[str, str, int]:
        body = client.post("/chat/completions", json=chat("a b. c d. e", **fields)).json()
        choice = body["choices"][0]
        return (
            choice["message"]["content"],
            choice["finish_reason"],
            body["usage"]["completion_tokens"],
        )

    assert reply(stop=".") == ("a b", "stop", 2)
    assert reply(stop=["d", "c", ""]) == ("a b. ", "stop", 2)
    assert reply(max_tokens=2) == ("a b. ", "length", 2)
    assert reply(stop=["e"], max_tokens=5) == ("a b. c d. ", "stop", 4)
    assert reply(stop=[]) == ("a b. c d. e", "stop", 5)


def test_stream_is_a_conforming_event_stream(client: httpx.Client) -> None:
    with client.stream("POST", "/chat/completions", json=chat(stream=True)) as response:
        raw = response.read()
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream"
    assert response.headers["cache-control"] == "no-cache"
    assert raw.endswith(b"\n\ndata: [DONE]\n\n") and b"\r" not in raw
    chunks = chunks_of(raw)
    assert len({c["id"] for c in chunks}) == 1
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert all(isinstance(c["created"], int) and c["model"] == "echo-1" for c in chunks)
    deltas = [c["choices"][0]["delta"] for c in chunks]
    reasons = [c["choices"][0]["finish_reason"] for c in chunks]
    assert deltas[0] == {"role": "assistant", "content": ""}
    assert deltas[1:-1] == [{"content": token} for token in tokenize(TEXT)]
    assert (deltas[-1], reasons[-1]) == ({}, "stop")
    assert set(reasons[:-1]) == {None}
    assert streamed_text(chunks) == TEXT


def test_stream_honours_max_tokens_and_stop(client: httpx.Client) -> None:
    raw = client.post("/chat/completions", json=chat(stream=True, max_tokens=2)).content
    chunks = chunks_of(raw)
    assert streamed_text(chunks) == "Hello wörld "
    assert chunks[-1]["choices"][0]["finish_reason"] == "length"
    chunks = chunks_of(client.post("/chat/completions", json=chat(stream=True, stop="ö")).content)
    assert (streamed_text(chunks), chunks[-1]["choices"][0]["finish_reason"]) == ("Hello w", "stop")


def assert_error(response: httpx.Response, status: int, param: str | None = None) -> dict:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert isinstance(error["message"], str) and error["message"]
    assert error["param"] == param
    return error


@pytest.mark.parametrize(
    "authorization", [None, "Bearer wrong", f"Basic {DEFAULT_API_KEY}", "Bearer", ""]
)
def test_bad_keys_are_refused_with_401(server: RunningServer, authorization: str | None) -> None:
    headers = {} if authorization is None else {"authorization": authorization}
    response = httpx.post(server.completions_url, json=chat(), headers=headers)
    error = assert_error(response, 401)
    assert (error["type"], error["code"]) == ("invalid_request_error", "invalid_api_key")


def test_configured_key_is_the_one_accepted() -> None:
    with running_server(ServerConfig(api_key="sk-other")) as running:
        url, good = running.completions_url, {"authorization": "Bearer sk-other"}
        assert httpx.post(url, json=chat(), headers=good).status_code == 200
        assert httpx.post(url, json=chat(), headers=AUTH).status_code == 401


MESSAGE = {"role": "user", "content": "x"}
INVALID_BODIES = [
    (b"{", None),
    (b"\xff", None),
    (b'{"model": "m", "messages": [], "temperature": NaN}', None),
    (b"[]", None),
    ({"messages": [MESSAGE]}, "model"),
    ({"model": "", "messages": [MESSAGE]}, "model"),
    ({"model": 5, "messages": [MESSAGE]}, "model"),
    ({"model": "m"}, "messages"),
    ({"model": "m", "messages": "hi"}, "messages"),
    ({"model": "m", "messages": []}, "messages"),
    ({"model": "m", "messages": [5]}, "messages[0]"),
    ({"model": "m", "messages": [{"role": "model", "content": "x"}]}, "messages[0].role"),
    ({"model": "m", "messages": [{"content": "x"}]}, "messages[0].role"),
    ({"model": "m", "messages": [{"role": "user"}]}, "messages[0].content"),
    (
        {"model": "m", "messages": [MESSAGE, {"role": "user", "content": [1]}]},
        "messages[1].content",
    ),
    (chat(stream="yes"), "stream"),
    (chat(stream=1), "stream"),
    (chat(temperature="0.5"), "temperature"),
    (chat(temperature=True), "temperature"),
    (chat(temperature=-0.1), "temperature"),
    (chat(temperature=2.5), "temperature"),
    (chat(top_p=1.5), "top_p"),
    (chat(top_p="1"), "top_p"),
    (chat(max_tokens=0), "max_tokens"),
    (chat(max_tokens=5.5), "max_tokens"),
    (chat(max_tokens=5.0), "max_tokens"),
    (chat(max_tokens="5"), "max_tokens"),
    (chat(max_tokens=True), "max_tokens"),
    (chat(stop=5), "stop"),
    (chat(stop=["a", 1]), "stop"),
    (chat(stop=["a", "b", "c", "d", "e"]), "stop"),
]


@pytest.mark.parametrize(("body", "param"), INVALID_BODIES)
def test_invalid_requests_get_400(client: httpx.Client, body: dict | bytes, param: str | None):
    response = client.post(
        "/chat/completions", **({"content": body} if isinstance(body, bytes) else {"json": body})
    )
    assert assert_error(response, 400, param)["type"] == "invalid_request_error"


@pytest.mark.parametrize(
    "fields",
    [
        {"temperature": 0, "top_p": 0, "max_tokens": 1, "stop": "", "stream": False},
        {"temperature": 2, "top_p": 1, "stop": ["a", "b", "c", "d"]},
        {"user": "u1", "n": 1, "x_unknown": {"nested": [1]}},
    ],
)
def test_documented_and_unknown_fields_are_accepted(client: httpx.Client, fields: dict) -> None:
    assert client.post("/chat/completions", json=chat(**fields)).status_code == 200


def test_any_json_string_is_echoed(client: httpx.Client) -> None:
    raw = b'{"model":"m","messages":[{"role":"user","content":"a\\ud800b\\u0000"}]}'
    response = client.post("/chat/completions", content=raw)
    assert response.json()["choices"][0]["message"]["content"] == "a\ud800b\x00"


def test_wrong_path_method_and_size(client: httpx.Client) -> None:
    assert_error(client.post("/completions", json=chat()), 404)
    assert_error(client.post("/chat/completions/", json=chat()), 404)
    response = client.get("/chat/completions")
    assert_error(response, 405)
    assert response.headers["allow"] == "POST"
    huge = chat("x" * (1024 * 1024))
    assert_error(client.post("/chat/completions", json=huge), 413)


# ----------------------------------------------------------------------------- registries


def test_every_fault_targets_catalog_requirements() -> None:
    catalog = {entry["id"] for entry in tomllib.loads(CATALOG.read_text())["requirement"]}
    for name, fault in FAULTS.items():
        assert fault.name == name and fault.description and fault.targets
        assert set(fault.targets) <= catalog, name


def test_unknown_names_are_refused() -> None:
    with pytest.raises(ValueError, match="no-such-fault"):
        ReferenceApp(ServerConfig(faults=("no-such-fault",)))


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_every_fault_combines_with_all_variations(name: str) -> None:
    app = ReferenceApp(ServerConfig(faults=(name,), variations=("all",)))
    for body in (chat(max_tokens=3), chat(stream=True, stop=["and"]), {"model": "m"}, b"{"):
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        reply = app.behaviour.handle(HttpRequest("POST", "/v1/chat/completions", AUTH, raw))
        # Endless faults are endless: a bounded look at the start is enough here.
        for item in itertools.islice(getattr(reply, "writes", ()), 500):
            assert isinstance(item, (bytes, Pause, Abort))


@pytest.mark.parametrize("name", ["stream-stall", "stream-forever"])
def test_endless_streams_stop_when_the_client_leaves(name: str) -> None:
    app = ReferenceApp(ServerConfig(faults=(name,)))
    scope = {"type": "http", "method": "POST", "path": "/v1/chat/completions"}
    scope["headers"] = [(b"authorization", AUTH["authorization"].encode())]
    messages = [{"type": "http.request", "body": json.dumps(chat(stream=True)).encode()}]

    async def receive() -> dict:
        if messages:
            return messages.pop()
        await asyncio.sleep(0.2)
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        pass

    async def run() -> float:
        started = time.monotonic()
        await asyncio.wait_for(app(scope, receive, send), timeout=2)
        return time.monotonic() - started

    assert asyncio.run(run()) < 0.5


# ---------------------------------------------------------------------- representative faults


def test_fault_auth_403() -> None:
    assert call_with(faults=("auth-403",), headers={}).status == 403
    assert call_with(faults=("auth-403",)).status == 200


def test_fault_invalid_json_500_only_for_malformed_json() -> None:
    assert call_with(faults=("invalid-json-500",), body=b"{").status == 500
    assert call_with(faults=("invalid-json-500",), body={"model": "m"}).status == 400


def test_fault_coerce_max_tokens_accepts_a_string_and_honours_it() -> None:
    body = call_with(faults=("coerce-max-tokens",), body=chat(max_tokens="2")).json()
    assert body["choices"][0]["finish_reason"] == "length"


def test_fault_created_ms_leaves_streams_alone() -> None:
    created = call_with(faults=("created-ms",)).json()["created"]
    assert created > time.time() * 100
    chunks = chunks_of(call_with(faults=("created-ms",), body=chat(stream=True)).body)
    assert chunks[0]["created"] < time.time() + 60


def test_fault_stop_included_keeps_the_sequence() -> None:
    body = call_with(faults=("stop-included",), body=chat("a b. c", stop=".")).json()
    assert body["choices"][0]["message"]["content"] == "a b."


def test_fault_stream_as_json() -> None:
    exchange = call_with(faults=("stream-as-json",), body=chat(stream=True))
    assert exchange.headers["content-type"] == "application/json"
    assert exchange.json()["object"] == "chat.completion"


def test_fault_azure_first_chunk() -> None:
    chunks = chunks_of(call_with(faults=("azure-first-chunk",), body=chat(stream=True)).body)
    assert (chunks[0]["id"], chunks[0]["choices"]) == ("", [])
    assert streamed_text(chunks[1:]) == TEXT


def test_fault_content_after_finish_keeps_the_text_whole() -> None:
    chunks = chunks_of(call_with(faults=("content-after-finish",), body=chat(stream=True)).body)
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert streamed_text(chunks) == TEXT


def test_fault_framing_breaks_bytes() -> None:
    stream = chat(stream=True)
    assert b"\n\n" not in call_with(faults=("single-newline",), body=stream).body
    assert b"[DONE]" not in call_with(faults=("no-done",), body=stream).body
    assert call_with(faults=("done-no-blank-line",), body=stream).body.endswith(b"[DONE]\n")
    assert sse_data(call_with(faults=("chunk-after-done",), body=stream).body)[-2] == "[DONE]"
    with pytest.raises(UnicodeDecodeError):
        call_with(faults=("invalid-utf8",), body=stream).body.decode()
    broken = sse_data(call_with(faults=("chunk-broken-json",), body=stream).body)[1]
    with pytest.raises(json.JSONDecodeError):
        json.loads(broken)


def test_fault_error_in_stream_replaces_the_last_text_chunk() -> None:
    datas = sse_data(call_with(faults=("error-in-stream",), body=chat("a b c", stream=True)).body)
    events = [json.loads(data) for data in datas[:-1]]
    assert [e["choices"][0]["delta"].get("content") for e in events[1:3]] == ["a ", "b "]
    assert set(events[3]) == {"error"} and events[4]["choices"][0]["finish_reason"] == "stop"


def test_fault_error_bodies() -> None:
    assert call_with(faults=("error-detail",), headers={}).json() == {
        "detail": "You didn't provide an API key in the Authorization header."
    }
    assert (
        call_with(faults=("error-text-plain",), headers={})
        .headers["content-type"]
        .startswith("text/plain")
    )
    assert call_with(faults=("error-404-for-invalid",), body={"model": "m"}).status == 404


def test_faults_combine_with_a_variation() -> None:
    exchange = call_with(faults=("no-done",), variations=("split-writes",), body=chat(stream=True))
    assert b"[DONE]" not in exchange.body and len(exchange.writes) > 10


# ------------------------------------------------------------------------------- variations

STREAM = chat(TEXT * 3, stream=True)


def baseline_text() -> str:
    return TEXT * 3


def test_variation_sse_comments() -> None:
    body = call_with(variations=("sse-comments",), body=STREAM).body
    keep_alive = b": keep-alive\n\n"
    assert body.startswith(keep_alive * 2 + b": keep-alive\nid: 0\nretry: 3000\ndata: {")
    # after the first id, comments only inside events (SSE-004: the openai SDKs would raise)
    assert keep_alive not in body[len(keep_alive) * 2 :] and b"\n\n: keep-alive\nid: 3\n" in body
    assert streamed_text(chunks_of(body)) == baseline_text()


@pytest.mark.parametrize(("name", "newline"), [("crlf", b"\r\n"), ("cr", b"\r")])
def test_variation_line_ends(name: str, newline: bytes) -> None:
    body = call_with(variations=(name,), body=STREAM).body
    assert body.endswith(b"data: [DONE]" + newline * 2)
    assert body.replace(newline, b"") == body.replace(b"\r", b"").replace(b"\n", b"")
    assert streamed_text(chunks_of(body)) == baseline_text()


def test_variation_split_writes_cuts_anywhere_deterministically() -> None:
    exchange = call_with(variations=("split-writes",), body=STREAM)
    assert streamed_text(chunks_of(exchange.body)) == baseline_text()
    inside_characters = 0
    for write in exchange.writes:
        try:
            write.decode()
        except UnicodeDecodeError:
            inside_characters += 1
    assert inside_characters > 0
    assert any(write.count(b"data: ") >= 2 for write in exchange.writes)
    again = call_with(variations=("split-writes",), body=STREAM)
    assert [len(w) for w in again.writes] == [len(w) for w in exchange.writes]


def test_variation_no_space() -> None:
    body = call_with(variations=("no-space",), body=STREAM).body
    assert body.startswith(b"data:{") and b"data: " not in body
    assert streamed_text(chunks_of(body)) == baseline_text()


def test_variation_extra_fields() -> None:
    body = call_with(variations=("extra-fields",)).json()
    assert body["x_vendor"] == {"note": "ünïcødé ✓ 🚀"} and "system_fingerprint" in body
    choice = body["choices"][0]
    assert choice["logprobs"] is None and "x_vendor" in choice["message"]
    assert "completion_tokens_details" in body["usage"]
    chunks = chunks_of(call_with(variations=("extra-fields",), body=STREAM).body)
    assert all("x_vendor" in c and "logprobs" in c["choices"][0] for c in chunks)
    assert "x_vendor" in call_with(variations=("extra-fields",), headers={}).json()["error"]


def test_variation_plain_ids() -> None:
    exchange = call_with(variations=("plain-ids",))
    assert str(uuid.UUID(exchange.json()["id"])) == exchange.json()["id"]


def test_variation_two_choices() -> None:
    body = call_with(variations=("two-choices",), body=chat("a b")).json()
    assert [c["index"] for c in body["choices"]] == [0, 1]
    assert body["usage"]["completion_tokens"] == 4
    chunks = chunks_of(call_with(variations=("two-choices",), body=chat("a b", stream=True)).body)
    assert [c["choices"][0]["index"] for c in chunks] == [0, 1, 0, 1, 0, 1, 0, 1]
    assert streamed_text(chunks, 0) == streamed_text(chunks, 1) == "a b"


def test_variation_slow() -> None:
    started = time.monotonic()
    chunks_of(call_with(variations=("slow",), body=chat("a b", stream=True)).body)
    assert 0.2 + 4 * 0.05 <= time.monotonic() - started < 1.5


def test_variation_usage_null_chunks() -> None:
    chunks = chunks_of(call_with(variations=("usage-null-chunks",), body=STREAM).body)
    assert all("usage" in c and c["usage"] is None for c in chunks)


def test_variation_all_combines_everything_that_combines() -> None:
    assert set(VARIATIONS["all"].includes) == set(VARIATIONS) - {"all", "cr", "rate-limited"}
    exchange = call(ServerConfig(variations=("all",)), chat("a ö 🚀", stream=True))
    chunks = chunks_of(exchange.body)
    assert streamed_text(chunks, 0) == streamed_text(chunks, 1) == "a ö 🚀"
    assert (
        b"\r\n" in exchange.body and b"data:{" in exchange.body and b": keep-alive" in exchange.body
    )


# Real providers' formats (issue 11): each names where its wire format comes from.
GENERIC_VARIATIONS = {
    "sse-comments", "crlf", "cr", "split-writes", "no-space", "extra-fields", "plain-ids",
    "two-choices", "slow", "jitter", "usage-null-chunks", "echo-key", "rate-limited", "all",
    "small-context",
}  # fmt: skip
PROVIDER_VARIATIONS = sorted(set(VARIATIONS) - GENERIC_VARIATIONS)
SOURCE = re.compile(r"https://\S+|\b[\w.-]+/[\w.-]+:[\w./-]+")


def test_there_are_provider_variations() -> None:
    assert len(PROVIDER_VARIATIONS) >= 8


@pytest.mark.parametrize("name", PROVIDER_VARIATIONS)
def test_provider_variation_names_its_source(name: str) -> None:
    description = VARIATIONS[name].description
    assert "Source:" in description and SOURCE.search(description.split("Source:")[1]), name
    assert VARIATIONS[name].behaviour.__doc__, f"{name}: say what was copied"


@pytest.mark.parametrize("name", PROVIDER_VARIATIONS)
def test_provider_variation_streams_are_schema_valid_with_and_without_usage(name: str) -> None:
    for options in ({}, {"stream_options": {"include_usage": True}}):
        chunks = chunks_of(call_with(variations=(name,), body={**STREAM, **options}).body)
        assert streamed_text(chunks) == baseline_text()
        for chunk in chunks:
            assert not schemas.schema_errors(schemas.CHUNK, chunk), (name, chunk)
        usage_chunks = [c for c in chunks if not c["choices"]]
        # Groq reports stream usage in x_groq; Gemini and Mistral send it on their own chunks.
        if options and name not in ("groq", "gemini", "mistral"):
            assert usage_chunks and usage_chunks[-1] is chunks[-1], name
            usage = chunks[-1]["usage"]
            assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    body = call_with(variations=(name,), body=chat("a b c", max_tokens=2)).json()
    assert not schemas.schema_errors(schemas.RESPONSE, body), (name, body)
    assert body["choices"][0]["finish_reason"] == "length"


def test_openai_variation_marks_usage_null_only_when_asked() -> None:
    plain = chunks_of(call_with(variations=("openai",), body=STREAM).body)
    assert all("usage" not in c and c["obfuscation"] for c in plain)
    body = {**STREAM, "stream_options": {"include_usage": True}}
    asked = chunks_of(call_with(variations=("openai",), body=body).body)
    assert all(c["usage"] is None for c in asked[:-1]) and asked[-1]["choices"] == []


def test_deepseek_reasoning_shares_the_budget_and_keeps_alive() -> None:
    exchange = call_with(variations=("deepseek",), body=chat("a b c d e", max_tokens=3))
    assert exchange.writes[:2] == [b"\n", b"\n"]
    body = exchange.json()
    assert body["choices"][0]["message"]["reasoning_content"] == "Echo it."
    assert body["choices"][0]["message"]["content"] == "a "
    assert body["usage"]["completion_tokens"] == 3
    stream = call_with(variations=("deepseek",), body=STREAM).body
    assert stream.startswith(b": keep-alive\n\n")


def test_vllm_sends_the_last_text_with_the_finish_and_the_stop_reason() -> None:
    chunks = chunks_of(
        call_with(variations=("vllm",), body=chat("a b c", max_tokens=2, stream=True)).body
    )
    assert chunks[-1]["choices"][0] == {
        "index": 0, "delta": {"content": "b "}, "logprobs": None,
        "finish_reason": "length", "stop_reason": None,
    }  # fmt: skip
    body = call_with(variations=("vllm",), body=chat("a b c", stop=["b"])).json()
    assert body["choices"][0]["stop_reason"] == "b" and body["kv_transfer_params"] is None


def test_ollama_writes_json_as_go_does() -> None:
    exchange = call_with(variations=("ollama",), body=chat("<a> & b"))
    assert exchange.body.endswith(b"}\n") and b"\\u003ca\\u003e \\u0026 b" in exchange.body
    chunks = chunks_of(call_with(variations=("ollama",), body=STREAM).body)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert chunks[0]["choices"][0]["delta"]["content"]
    assert chunks[-1]["choices"][0]["delta"] == {}


def test_llama_cpp_errors_carry_the_status_as_code() -> None:
    body = call_with(variations=("llama-cpp",), headers={}).json()
    assert body == {
        "error": {
            "code": 401,
            "message": "You didn't provide an API key in the Authorization header.",
            "type": "authentication_error",
        }
    }
    assert not schemas.schema_errors(schemas.ERROR, body)


def test_anthropic_sends_empty_fields_as_null_and_msg_ids() -> None:
    body = call_with(variations=("anthropic",), body=chat("a b")).json()
    assert body["id"].startswith("msg_01") and body["service_tier"] is None
    assert body["choices"][0]["message"]["refusal"] is None
    assert "completion_tokens_details" not in body["usage"] and "system_fingerprint" not in body
    options = {"stream_options": {"include_usage": True}}
    chunks = chunks_of(call_with(variations=("anthropic",), body={**STREAM, **options}).body)
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] > 0


def test_gemini_streams_role_on_every_delta_and_running_usage() -> None:
    exchange = call_with(variations=("gemini",), body=chat("a b c", stream=True))
    chunks = chunks_of(exchange.body)
    assert exchange.body.startswith(b'data: {"choices":[{"delta":{"content":"a ","role"')
    assert all(c["choices"][0]["delta"]["role"] == "assistant" for c in chunks)
    assert [c["choices"][0]["finish_reason"] for c in chunks] == [None, None, "stop"]
    assert [c["usage"]["completion_tokens"] for c in chunks] == [1, 2, 3]
    body = call_with(variations=("gemini",), body=chat("a b")).json()
    assert list(body) == sorted(body) and len(body["id"]) == 23


def test_mistral_puts_usage_on_the_finishing_chunk_unasked() -> None:
    chunks = chunks_of(call_with(variations=("mistral",), body=STREAM).body)
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert chunks[-1]["choices"][0]["delta"] == {"content": ""}
    assert chunks[-1]["usage"]["service_tier"] == "standard" and chunks[-1]["p"]
    body = call_with(variations=("mistral",), body=chat("a b")).json()
    assert list(body) == ["id", "created", "model", "usage", "object", "choices"]
    assert body["choices"][0]["message"]["tool_calls"] is None and len(body["id"]) == 32


def test_gemini_error_list_wraps_the_error_in_an_array() -> None:
    body = call_with(faults=("gemini-error-list",), headers={}).json()
    assert isinstance(body, list) and body[0]["error"]["status"] == "UNAUTHENTICATED"
    assert body[0]["error"]["code"] == 401


# ------------------------------------------------------------------- streams that never end


def reference_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("reference-server-")]


@pytest.mark.parametrize("name", ["stream-stall", "stream-forever"])
def test_endless_streams_can_be_abandoned(name: str) -> None:
    before = len(reference_threads())
    with running_server(ServerConfig(faults=(name,))) as running:
        timeout = httpx.Timeout(5, read=0.3)
        received = b""
        with (
            httpx.Client(headers=AUTH, timeout=timeout) as http,
            http.stream("POST", running.completions_url, json=chat(stream=True)) as response,
        ):
            started = time.monotonic()
            try:
                for piece in response.iter_raw():
                    received += piece
                    if time.monotonic() - started > 0.3:
                        break  # stream-forever: the client gives up
            except httpx.ReadTimeout:
                assert name == "stream-stall"
        assert received.startswith(b"data: {")
        stopping = time.monotonic()
    assert time.monotonic() - stopping < 2
    assert len(reference_threads()) == before


def test_shutdown_is_prompt_while_a_client_still_listens() -> None:
    with httpx.Client(headers=AUTH, timeout=5) as http:
        with running_server(ServerConfig(faults=("stream-forever",))) as running:
            response = http.send(
                http.build_request("POST", running.completions_url, json=chat(stream=True)),
                stream=True,
            )
            next(response.iter_raw())
            stopping = time.monotonic()
        assert time.monotonic() - stopping < 2
        response.close()

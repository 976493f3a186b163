"""Effect on clients (``conformance.clients``): what the openai SDK does with each response.

The slow test is the issue's proof: for three stream faults of the reference server, the effect
the report states (from the offline replay of the recorded bytes) is what the SDK really does
when it talks to that faulty server over HTTP on 127.0.0.1. The rest pins the classification,
the worker's protocol, the reports' rendering, and the message without the SDK installed.
"""

from __future__ import annotations

import functools
import json
import sys
from types import SimpleNamespace

import pytest

from conformance.clients import render, session
from conformance.clients.effects import Effect, Result, compare, raised, sent_by_server
from conformance.clients.recording import Recording, recording_of
from conformance.clients.worker import Replayed, ReplayWorker, read_answer
from conformance.records import Exchange, RequestSpec

KEY = "sk-clients-test-key-0123456789"
REQUEST = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}


def chunk(text: str | None, finish: str | None = None) -> str:
    delta = {"content": text} if text is not None else {}
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    return json.dumps(
        {
            "id": "c",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "m",
            "choices": [choice],
        }
    )


GOOD_EVENTS = (
    "".join(f"data: {chunk(t)}\n\n" for t in ("Hel", "lo")) + f"data: {chunk(None, 'stop')}\n\n"
)
COMPLETION = {
    "id": "c",
    "object": "chat.completion",
    "created": 1,
    "model": "m",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "Hello"}, "finish_reason": "stop"}
    ],
}


def streamed(body: str, status: int = 200) -> Recording:
    headers = {"content-type": "text/event-stream"}
    return Recording(
        "stream [m]", {**REQUEST, "stream": True}, True, status, headers, body.encode()
    )


def plain(body: str, status: int = 200) -> Recording:
    headers = {"content-type": "application/json"}
    return Recording("completion [m]", dict(REQUEST), False, status, headers, body.encode())


# ------------------------------------------------------------------ classification, no SDK


def test_what_the_server_sent_is_read_leniently_from_the_bytes():
    assert sent_by_server(streamed(GOOD_EVENTS)) == Result(3, "Hello", "stop")
    one_newline = GOOD_EVENTS.replace("\n\n", "\n")  # a WHATWG client dispatches nothing
    assert sent_by_server(streamed(one_newline)) == Result(3, "Hello", "stop")
    assert sent_by_server(plain(json.dumps(COMPLETION))) == Result(None, "Hello", "stop")


def test_a_client_that_drops_the_chunks_silently_is_named_so():
    effect = compare("sdk 1", streamed(GOOD_EVENTS), Result(0, "", None))
    assert (effect.kind, effect.text) == ("silent", "yields 0 chunks, no error")
    effect = compare("sdk 1", streamed(GOOD_EVENTS), Result(3, "Hel", None))
    assert effect.kind == "silent"
    assert effect.text == (
        'text "Hel" where the server sent "Hello", finish_reason None (the server sent "stop"),'
        " no error"
    )
    assert compare("sdk 1", streamed(GOOD_EVENTS), Result(3, "Hello", "stop")).kind == "parsed"


def test_an_error_status_raised_as_one_is_what_a_client_should_do():
    class APIStatusError(Exception):
        pass

    class AuthenticationError(APIStatusError):
        pass

    effect = raised("sdk 1", plain("{}", status=401), AuthenticationError("Error code: 401"))
    assert (effect.kind, effect.text) == ("http_error", "raises AuthenticationError (HTTP 401)")
    effect = raised("sdk 1", streamed(GOOD_EVENTS), ValueError("Expecting value\nmore"))
    assert (effect.kind, effect.text, effect.error_type) == (
        "raised",
        "raises ValueError: Expecting value",
        "ValueError",
    )


def test_a_recording_is_the_response_as_received_without_the_wire_headers():
    exchange = Exchange(
        name="stream",
        url="http://x/v1/chat/completions",
        request=RequestSpec({**REQUEST, "stream": True}),
        request_headers={},
        status=200,
        headers={"content-type": "text/event-stream", "content-encoding": "gzip"},
        body=GOOD_EVENTS.encode(),
    )
    recording = recording_of(exchange)
    assert recording is not None
    assert (recording.key, recording.stream, recording.body) == ("stream [m]", True, exchange.body)
    assert recording.headers == {"content-type": "text/event-stream"}  # the body is decoded
    assert Recording.from_json(json.loads(json.dumps(recording.to_json()))) == recording
    unanswered = Exchange("stream", "u", exchange.request, {}, status=None)
    assert recording_of(unanswered) is None


# -------------------------------------------------------------------- offline replay, the SDK


def test_the_sdk_offline_reproduces_the_facts_measured_with_openai_3_57():
    pytest.importorskip("openai")
    from conformance.clients.replay import replay

    def effect(recording: Recording) -> Effect:
        result = replay(recording)
        assert result is not None
        return result

    done = "data: [DONE]\n\n"
    assert effect(streamed(GOOD_EVENTS + done)).kind == "parsed"
    assert effect(streamed(GOOD_EVENTS)).kind == "parsed"  # no [DONE]
    assert effect(streamed(GOOD_EVENTS + done + f"data: {chunk('x')}\n\n")).kind == "parsed"
    assert effect(streamed(GOOD_EVENTS + "data: [DONE]\n")).kind == "parsed"
    wrong_type = Recording(
        "s", {**REQUEST, "stream": True}, True, 200, {"content-type": "application/json"},
        (GOOD_EVENTS + done).encode(),
    )  # fmt: skip
    assert effect(wrong_type).kind == "parsed"
    assert effect(streamed((GOOD_EVENTS + done).replace("\n\n", "\n"))).text == (
        "yields 0 chunks, no error"
    )
    broken = effect(streamed(GOOD_EVENTS.replace('"lo"}', '"lo"') + done))
    assert broken.kind == "raised"
    in_stream_error = effect(streamed('data: {"error": {"message": "overloaded"}}\n\n'))
    assert (in_stream_error.kind, in_stream_error.error_type) == ("raised", "APIError")
    assert effect(plain(json.dumps(COMPLETION))).kind == "parsed"
    assert effect(plain('{"error": {"message": "no"}}', status=404)).kind == "http_error"


def test_what_the_sdk_passes_through_unvalidated_and_a_cut_stream_are_effects_too():
    pytest.importorskip("openai")
    from dataclasses import replace

    from conformance.clients.replay import replay

    number = GOOD_EVENTS.replace('"content": "lo"', '"content": 5')
    effect = replay(streamed(number + "data: [DONE]\n\n"))
    assert effect is not None and effect.kind == "silent"
    assert "returns delta.content as int where it declares a string" in effect.text
    reset = replace(streamed(GOOD_EVENTS), transport_error="RemoteProtocolError")
    effect = replay(reset)
    assert effect is not None and (effect.kind, effect.error_type) == (
        "raised",
        "APIConnectionError",  # how the SDK wraps a reset in the middle of a stream
    )
    stream_as_json = replace(streamed(json.dumps(COMPLETION)), headers={})
    effect = replay(stream_as_json)
    assert effect is not None and effect.text == "yields 0 chunks, no error"


def test_the_sdk_replays_offline_through_a_mock_transport():
    pytest.importorskip("openai")
    import httpx

    from conformance.clients import replay

    transport = replay._client()._client._transport  # the SDK's httpx client, and its transport
    assert isinstance(transport, httpx.MockTransport)
    assert replay._client().api_key == "replay"


def test_request_fields_the_sdk_does_not_know_go_in_extra_body():
    pytest.importorskip("openai")
    from conformance.clients.replay import replay

    recording = Recording(
        "x", {**REQUEST, "top_k": 3, "messages": REQUEST["messages"]}, False, 200,
        {"content-type": "application/json"}, json.dumps(COMPLETION).encode(),
    )  # fmt: skip
    effect = replay(recording)
    assert effect is not None and effect.kind == "parsed"


def test_the_worker_answers_each_recording_then_exits():
    pytest.importorskip("openai")
    worker = ReplayWorker()
    worker.send(streamed(GOOD_EVENTS.replace("\n\n", "\n")))
    worker.send(plain(json.dumps(COMPLETION)))
    replayed = worker.finish()
    assert replayed.client is not None and replayed.client.startswith("openai ")
    assert replayed.effects["stream [m]"].text == "yields 0 chunks, no error"
    assert replayed.effects["completion [m]"].kind == "parsed"


# ---------------------------------------------------------------------- without the SDK


def test_without_the_sdk_the_worker_says_so_and_the_report_says_how_to_install_it():
    blocked = (
        "import sys; sys.modules['openai'] = None; "
        "from conformance.clients import worker; worker.main()"
    )
    worker = ReplayWorker((sys.executable, "-c", blocked))
    worker.send(plain(json.dumps(COMPLETION)))
    replayed = worker.finish()
    assert replayed.client is None
    assert replayed.unavailable == "openai is not installed"


def test_without_the_sdk_no_worker_starts_and_the_summary_says_how_to_enable_it(monkeypatch):
    monkeypatch.setattr(session, "sdk_installed", lambda: False)
    config = pytest.Config.__new__(pytest.Config)  # only its stash and options are used
    config.stash = pytest.Stash()
    config.option = SimpleNamespace()  # type: ignore[misc]
    session.start(config)
    progress = object()
    assert session.replaying(config, progress) is progress  # nothing wrapped, nothing replayed
    report: dict = {"requirements": []}
    session.attach(config, report, [])
    assert report["clients"]["client"] is None
    lines = render.client_lines(report)
    assert "pip install 'chat-conformance[clients]'" in lines[-1][0]


# ------------------------------------------------------------------------ the run's side


class FakeWorker:
    """Stands for the child process: answers every recording it was sent as parsed."""

    def __init__(self) -> None:
        self.sent: list[Recording] = []

    def send(self, recording: Recording) -> None:
        self.sent.append(recording)

    def finish(self) -> Replayed:
        effects = {r.key: Effect("fake 1", "parsed", f"parsed {r.key}") for r in self.sent}
        return Replayed(client="fake 1", effects=effects)

    def close(self) -> None:
        pass


class Progress:
    """Stands for the progress display, the observer the replays wrap."""

    def __init__(self) -> None:
        self.heard: list[str] = []

    def finished(self, model: str | None, exchange: Exchange) -> None:
        self.heard.append("finished")

    def queued(self, model: str | None) -> None:
        self.heard.append("queued")


def stream_exchange(name: str, model: str | None, body: str = GOOD_EVENTS) -> Exchange:
    request = {**REQUEST, "stream": True, **({"model": model} if model else {})}
    if model is None:
        del request["model"]
    return Exchange(
        name=name,
        url="http://x/v1/chat/completions",
        request=RequestSpec(request),
        request_headers={},
        status=200,
        headers={"content-type": "text/event-stream", "date": f"{name} {model}"},
        body=body.encode(),
    )


def test_effects_go_to_the_failed_exchanges_and_equal_responses_are_replayed_once(monkeypatch):
    monkeypatch.setattr(session, "sdk_installed", lambda: True)
    monkeypatch.setattr(session, "ReplayWorker", FakeWorker)
    config = pytest.Config.__new__(pytest.Config)
    config.stash = pytest.Stash()
    config.option = SimpleNamespace()  # type: ignore[misc]
    config.add_cleanup = lambda function: None  # type: ignore[method-assign]
    monkeypatch.setattr(
        "conformance.settings.settings_from_pytest",
        lambda config: type("S", (), {"embedded": True, "api_key": KEY, "base_url": None}),
    )
    session.start(config)
    progress = Progress()
    observer = session.replaying(config, progress)
    callback = functools.partial(observer.finished, None)
    first, same, other = (
        stream_exchange("stream", "m"),
        stream_exchange("stream", "n"),  # the same bytes, another model (the date differs)
        stream_exchange("no_model", None, GOOD_EVENTS + "data: [DONE]\n\n"),
    )
    callback(first)  # before the first failure: nothing is sent yet
    replays = config.stash[session.replays_key]
    assert replays is not None and replays.worker is None
    session.on_failure(config)
    worker = replays.worker
    test = {
        "nodeid": "t",
        "model": "n",
        "outcome": "failed",
        "evidence": {"exchanges": [{"name": "stream"}, {"name": "no_model"}]},
    }
    report: dict = {"requirements": [{"id": "SSE-002", "tests": [test]}]}
    session.attach(config, report, [first, same, other])
    observer.queued("m")  # the progress display still hears everything
    assert progress.heard == ["finished", "queued"]
    assert [r.key for r in worker.sent] == ["stream [m]", "no_model"]  # "stream [n]" repeats
    shown = [x["client"]["text"] for x in test["evidence"]["exchanges"]]
    assert shown == ["parsed stream [m]", "parsed no_model"]
    assert report["clients"]["replayed"] == 3


def test_a_passing_run_against_the_embedded_server_loads_no_sdk(monkeypatch):
    monkeypatch.setattr(session, "sdk_installed", lambda: True)
    monkeypatch.setattr(session, "ReplayWorker", FakeWorker)
    monkeypatch.setattr(
        "conformance.settings.settings_from_pytest",
        lambda config: type("S", (), {"embedded": True}),
    )
    config = pytest.Config.__new__(pytest.Config)
    config.stash = pytest.Stash()
    config.option = SimpleNamespace()  # type: ignore[misc]
    config.add_cleanup = lambda function: None  # type: ignore[method-assign]
    session.start(config)
    report: dict = {"requirements": []}
    session.attach(config, report, [stream_exchange("stream", "m")])
    assert report["clients"]["replayed"] == 0
    assert "nothing to replay" in report["clients"]["line"]


# --------------------------------------------------------------------------- rendering


def report_with(effect: dict | None, clients: dict) -> dict:
    exchange = {"name": "stream", **({"client": effect} if effect else {})}
    test = {"nodeid": "t", "model": "m", "outcome": "failed", "evidence": {"exchanges": [exchange]}}
    return {"requirements": [{"id": "SSE-002", "tests": [test]}], "clients": clients}


def test_terminal_and_html_show_the_effect_beside_the_failure():
    effect = Effect("openai 3.63.0", "silent", "yields 0 chunks, no error").to_json()
    summary = render.summary_record("openai 3.63.0", [Effect.from_json(effect)])
    report = report_with(effect, summary)
    text = "\n".join(line for line, _ in render.client_lines(report))
    assert "  SSE-002  stream: openai 3.63.0: yields 0 chunks, no error" in text
    assert text.endswith(
        "openai 3.63.0 (Python SDK) silently returned something else on 1 of 1 recorded responses"
    )
    html = render.effect_html(report["requirements"][0]["tests"][0]["evidence"]["exchanges"][0])
    assert "<strong>openai 3.63.0</strong>: yields 0 chunks, no error" in html


def test_a_passing_run_has_a_one_line_summary():
    effects = [Effect("openai 3.63.0", "parsed", "p"), Effect("openai 3.63.0", "http_error", "e")]
    summary = render.summary_record("openai 3.63.0", effects)
    assert summary["line"] == (
        "openai 3.63.0 (Python SDK) parsed all 2 recorded responses "
        "(1 error statuses raised as API errors, as they should)"
    )
    assert render.client_lines({"requirements": [], "clients": summary}) == [
        (summary["line"], "green")
    ]
    assert render.client_lines({"requirements": []}) == []  # a report from an older release


def test_the_worker_protocol_ignores_what_it_cannot_read():
    replayed = Replayed()
    for line in ('{"client": "openai 9"}', "not json", '{"key": "k", "effect": null}'):
        read_answer(replayed, line)
    assert (replayed.client, replayed.effects) == ("openai 9", {})


# ------------------------------------------- the report's word against the SDK over real HTTP


def what_the_sdk_does_over_http(fault: str, body: dict) -> tuple[str | None, int, str]:
    """The real SDK against the faulty reference server on 127.0.0.1: the exception it raised
    (None), the chunks it yielded and their text."""
    import openai

    from conformance.reference.config import ServerConfig
    from conformance.reference.runner import running_server

    with running_server(ServerConfig(api_key=KEY, faults=(fault,))) as server:
        client = openai.OpenAI(api_key=KEY, base_url=server.base_url, max_retries=0, timeout=20)
        chunks, text = 0, ""
        try:
            for got in client.chat.completions.create(**body):
                chunks += 1
                text += "".join(c.delta.content or "" for c in got.choices if c.index == 0)
        except Exception as error:
            return type(error).__name__, chunks, text
        finally:
            client.close()
    return None, chunks, text


@pytest.mark.slow
@pytest.mark.parametrize(
    ("fault", "kind"),
    [("no-done", "parsed"), ("single-newline", "silent"), ("chunk-broken-json", "raised")],
)
def test_the_effect_a_report_states_is_what_the_sdk_does_against_the_faulty_server(
    run_cli, fault, kind
):
    pytest.importorskip("openai")
    from conformance.probes import PROBES

    run = run_cli("run", "--reference-fault", fault, "--only", "SSE", "--only", "STREAM")
    assert run.exit_code == 1, run.tail()
    stated = [
        exchange["client"]
        for requirement in run.report["requirements"]
        for test in requirement["tests"]
        if test["outcome"] == "failed"
        for exchange in test["evidence"]["exchanges"]
        if exchange["name"] == "stream"
    ]
    assert stated, f"no failure of {fault} shows the stream probe's effect"
    effect = stated[0]
    assert effect["client"] in run.stdout  # the terminal shows it beside the failures

    model = run.report["target"]["models"][0]
    body = PROBES["stream"].build(model).body
    error_type, chunks, text = what_the_sdk_does_over_http(fault, body)

    assert effect["kind"] == kind  # the facts measured with openai 3.57 (issue 15)
    if kind == "raised":
        assert effect["error_type"] == error_type
    elif kind == "silent":
        assert error_type is None and chunks == 0
        assert effect["text"] == "yields 0 chunks, no error"
    else:
        assert error_type is None and chunks > 0 and text
        assert effect["text"] == f"parses it: {chunks} chunks, text and finish_reason as sent"


@pytest.mark.slow
def test_a_passing_run_against_a_url_says_the_sdk_parsed_every_recorded_response(run_cli):
    pytest.importorskip("openai")
    from conformance.reference.config import ServerConfig
    from conformance.reference.runner import running_server
    from tests.cli_runs import clean_environment

    with running_server(ServerConfig(api_key=KEY)) as server:
        run = run_cli(
            *("run", "--base-url", server.base_url, "--model", "conformance-echo"),
            *("--only", "STREAM-002", "--only", "RESP-001"),
            env=clean_environment(CHAT_CONFORMANCE_API_KEY=KEY),
        )
    assert run.exit_code == 0, run.tail()
    clients = run.report["clients"]
    assert clients["replayed"] > 0 and clients["raised"] == clients["silent"] == 0
    assert f"parsed all {clients['replayed']} recorded responses" in clients["line"]
    assert clients["line"] in run.stdout
    assert KEY not in run.stdout + json.dumps(run.report)


@pytest.mark.slow
def test_a_passing_run_against_the_embedded_server_replays_nothing(run_cli):
    """The default run stays as fast as before: no check failed, so no SDK is loaded."""
    pytest.importorskip("openai")
    run = run_cli("run", "--only", "RESP-001")
    assert run.exit_code == 0, run.tail()
    assert run.report["clients"]["replayed"] == 0
    assert "nothing to replay" in run.report["clients"]["line"]

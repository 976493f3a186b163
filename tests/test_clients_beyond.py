"""Where the client broke although no check failed (``clients/beyond.py``), and the switch that
turns the replays off (``--client-replay / --no-client-replay``).

The slow tests are the brief's case: ``serve --variation sse-comments`` passes every check, yet
the openai SDK raises on its streams (an ``id:`` field, then a keep-alive comment: the SDK
dispatches an empty event and parses "" as JSON). The report must name those exchanges in all
three reports, as no verdict, with the key of the run nowhere.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest

from conformance.clients import render, session
from conformance.clients.beyond import EVIDENCE_PER_EFFECT, beyond_failures, broke_at
from conformance.clients.effects import Effect
from conformance.clients.recording import Recording
from conformance.clients.worker import Replayed
from conformance.options import OPTION, pytest_arguments
from conformance.records import Exchange, RequestSpec
from conformance.sse import SseParser

KEY = "sk-beyond-distinctive-9c41f7e2b8d05a63"  # must appear in no report, no output
CLIENT = "openai 3.63.0"
CHUNK = (
    'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m",'
    '"choices":[{"index":0,"delta":{"content":"%s"},"finish_reason":null}]}\n\n'
)
# What sse-comments sends: an id on every event, a keep-alive comment block before each.
COMMENTED = "".join(
    f": keep-alive\n\n: keep-alive\nid: {i}\n" + CHUNK % t for i, t in enumerate("abc")
)
RAISED = Effect(CLIENT, "raised", "raises JSONDecodeError: Expecting value", "JSONDecodeError", 1)
SILENT = Effect(CLIENT, "silent", "yields 0 chunks, no error")


def stream(name: str, body: str = COMMENTED, model: str = "m") -> Exchange:
    parser = SseParser()
    parser.feed(body.encode(), 0.01)
    return Exchange(
        name=name,
        url="http://h/v1/chat/completions",
        request=RequestSpec({"model": model, "stream": True, "messages": []}),
        request_headers={"authorization": "Bearer [REDACTED]"},
        status=200,
        headers={"content-type": "text/event-stream"},
        body=body.encode(),
        sse=parser.finish(0.02),
    )


# ------------------------------------------------------------------ the entries, no SDK


def test_only_what_the_client_broke_on_and_no_failure_shows_is_listed():
    exchanges = {f"{n} [m]": stream(n) for n in ("stream", "stream_stop", "shown", "fine")}
    effects = {
        "stream [m]": RAISED,
        "stream_stop [m]": RAISED,
        "shown [m]": SILENT,  # beside a failure already
        "fine [m]": Effect(CLIENT, "parsed", "parses it"),
    }
    entries, alike = beyond_failures(effects, exchanges, {"shown [m]"}, [])
    assert [e["exchange"] for e in entries] == ["stream", "stream_stop"] and alike == 0
    entry = entries[0]
    assert (entry["model"], entry["status"], entry["content_type"]) == (
        "m",
        200,
        "text/event-stream",
    )
    assert entry["client"]["after_chunks"] == 1 and entry["client"]["kind"] == "raised"
    assert entry["where"] == "after 1 chunk: at or before event #1 of 3"
    assert entry["event_index"] == 1
    assert entry["evidence"]["stream"]["marked"] == [1]  # the transcript marks it
    # the bytes the transcript leaves out: the comment block the SDK dispatches as an event
    assert entry["raw_at_break"].startswith(": keep-alive\n\n: keep-alive\nid: 1\n")
    assert entry["raw_at_break"].endswith(CHUNK % "b")


def test_what_a_failure_shows_already_is_counted_not_listed():
    """A generated stream meets the fault the fixed probes fail on, but its check is left out
    ("already failing"): the same effect is the same fault, not a break where checks passed."""
    exchanges = {f"{n} [m]": stream(n) for n in ("stream", "generated #1", "generated #2")}
    effects = {"stream [m]": SILENT, "generated #1 [m]": SILENT, "generated #2 [m]": RAISED}
    entries, alike = beyond_failures(effects, exchanges, {"stream [m]"}, [])
    assert [e["exchange"] for e in entries] == ["generated #2"] and alike == 1
    report = report_with(entries)
    report["clients"]["alike_failures"] = alike
    lines = [text for text, _ in render.client_lines(report)]
    assert lines[-1] == "  1 more with an effect shown beside a failure above"


def test_names_come_first_generated_by_number_and_evidence_is_kept_for_a_few():
    names = ["generated #10", "generated #9", "stream", "generated #2", "stream_stop"]
    exchanges = {f"{n} [m]": stream(n) for n in names}
    entries, _ = beyond_failures(dict.fromkeys(exchanges, RAISED), exchanges, set(), [])
    order = [e["exchange"] for e in entries]
    assert order == ["stream", "stream_stop", "generated #2", "generated #9", "generated #10"]
    assert sum("evidence" in e for e in entries) == EVIDENCE_PER_EFFECT


def test_where_a_stream_broke_is_never_said_more_precisely_than_the_client_says():
    exchange = stream("stream")
    assert broke_at(Effect(CLIENT, "silent", "yields 0 chunks, no error"), exchange) == (
        None,
        None,
    )
    late = Effect(CLIENT, "raised", "raises APIConnectionError", "APIConnectionError", 3)
    assert broke_at(late, exchange) == (
        None,
        "after 3 chunks: after the last of the stream's 3 events",
    )


def test_a_secret_in_what_the_server_sent_is_redacted_from_the_entries():
    leaky = stream("stream", COMMENTED.replace('"a"', f'"{KEY}"'))
    entries, _ = beyond_failures({"stream [m]": RAISED}, {"stream [m]": leaky}, set(), [KEY])
    assert entries and KEY not in json.dumps(entries)


# ------------------------------------------------------------------ the run's side, fake worker


class RaisingWorker:
    """Stands for the child process: the SDK raised on every recording after one chunk, but
    for "stream", on which it yielded nothing."""

    started = 0

    def __init__(self) -> None:
        RaisingWorker.started += 1
        self.sent: list[Recording] = []

    def send(self, recording: Recording) -> None:
        self.sent.append(recording)

    def finish(self) -> Replayed:
        effects = {r.key: SILENT if r.key == "stream [m]" else RAISED for r in self.sent}
        return Replayed(client=CLIENT, effects=effects)

    def close(self) -> None:
        pass


def fake_config(monkeypatch, replay: bool | None = None, embedded: bool = False):
    """A pytest config as far as the session reads it: stash, options, settings."""
    monkeypatch.setattr(session, "sdk_installed", lambda: True)
    monkeypatch.setattr(session, "ReplayWorker", RaisingWorker)
    monkeypatch.delenv(OPTION["client_replay"].env, raising=False)
    settings = SimpleNamespace(embedded=embedded, api_key=KEY, base_url="http://h/v1")
    monkeypatch.setattr("conformance.settings.settings_from_pytest", lambda config: settings)
    config = pytest.Config.__new__(pytest.Config)
    config.stash = pytest.Stash()
    config.option = SimpleNamespace(chat_client_replay=replay)  # type: ignore[misc]
    config.add_cleanup = lambda function: None  # type: ignore[method-assign]
    return config


def test_the_report_lists_them_beside_the_summary_redacted(monkeypatch):
    config = fake_config(monkeypatch)
    session.start(config)
    observer = session.replaying(config, None)
    failed = stream("stream")
    passing = stream("stream_stop", COMMENTED.replace('"a"', f'"{KEY}"'))  # the key echoed
    observer.finished("m", failed)
    observer.finished("m", passing)
    test = {"nodeid": "t", "model": "m", "outcome": "failed", "evidence": {"exchanges": []}}
    test["evidence"]["exchanges"].append({"name": "stream"})
    report: dict = {"requirements": [{"id": "SSE-002", "tests": [test]}]}
    session.attach(config, report, [failed, passing])
    clients = report["clients"]
    assert [e["exchange"] for e in clients["beyond_failures"]] == ["stream_stop"]
    assert test["evidence"]["exchanges"][0]["client"]["kind"] == "silent"  # beside its failure
    assert KEY not in json.dumps(report)


# ------------------------------------------------------------------ terminal and HTML


def report_with(entries: list[dict]) -> dict:
    summary = render.summary_record(CLIENT, [RAISED] * len(entries))
    return {"requirements": [], "clients": {**summary, "beyond_failures": entries}}


def entries_of(*names: str, effect: Effect = RAISED) -> list[dict]:
    exchanges = {f"{n} [m]": stream(n) for n in names}
    return beyond_failures(dict.fromkeys(exchanges, effect), exchanges, set(), [])[0]


def test_the_terminal_groups_them_by_effect_under_the_summary_line():
    entries = entries_of("a", "b", "c", "d", "e", "f") + entries_of("g", effect=SILENT)
    lines = [text for text, _ in render.client_lines(report_with(entries))]
    assert lines[0].startswith(f"{CLIENT} (Python SDK) raised on 7 of 7")
    assert lines[1] == (
        "  7 where no check failed (the checks passed, the client still broke: "
        "not a conformance verdict):"
    )
    assert lines[2] == f"    a, b, c, d, +2 more: {CLIENT}: {RAISED.text}"
    assert lines[3] == f"    g: {CLIENT}: yields 0 chunks, no error"
    assert lines[4] == "    2 more in the HTML report"


class Section(HTMLParser):
    """The text of the report from the client breaks' heading on, by element: headings, list
    items, code and <pre>s (an element's text includes its children's)."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.open: list[str] = []
        self.found: dict[str, list[str]] = {"h2": [], "h3": [], "li": [], "pre": [], "code": []}

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.inside |= ("id", "cc-client-breaks") in attrs
        if self.inside and tag in self.found:
            self.found[tag].append("")
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.open and self.open[-1] == tag:
            self.open.pop()

    def handle_data(self, data: str) -> None:
        for tag in set(self.open):
            self.found[tag][-1] += data


def section_of(html: str) -> dict[str, list[str]]:
    parser = Section()
    parser.feed(html)
    return parser.found


def test_the_html_section_shows_each_exchange_where_it_broke_and_its_stream():
    html = render.beyond_html(report_with(entries_of("stream", "stream_stop")))
    found = section_of(html)
    assert found["h2"] == ["Client broke where no check failed (2)"]
    assert found["h3"][0].startswith(f"{CLIENT}: {RAISED.text}")
    assert found["li"][0] == (
        "stream: status 200, text/event-stream; after 1 chunk: at or before event #1 of 3"
    )
    assert any(": keep-alive" in pre and "id: 1" in pre for pre in found["pre"])  # the raw bytes
    assert "Not conformance verdicts" in html
    assert render.beyond_html({"requirements": []}) == ""
    assert 'href="#cc-client-breaks"' in render.summary_html(report_with(entries_of("stream")))


# ------------------------------------------------------------------ the switch


def test_turned_off_no_worker_starts_and_the_summary_says_so(monkeypatch):
    config = fake_config(monkeypatch, replay=False)
    RaisingWorker.started = 0
    session.start(config)
    progress = object()
    assert session.replaying(config, progress) is progress  # nothing wrapped, nothing replayed
    session.on_failure(config)
    report: dict = {"requirements": []}
    session.attach(config, report, [stream("stream")])
    assert RaisingWorker.started == 0
    assert config.stash[session.replays_key] is None
    assert report["clients"]["line"] == (
        "effect on clients not measured: replays turned off (--no-client-replay)"
    )
    assert render.client_lines(report) == [(report["clients"]["line"], None)]


def test_on_by_default_the_worker_starts_with_a_run_against_a_url(monkeypatch):
    config = fake_config(monkeypatch)
    RaisingWorker.started = 0
    session.start(config)
    assert RaisingWorker.started == 1


@pytest.mark.parametrize(
    ("flags", "variable", "file", "forwarded"),
    [
        ((), None, None, "--chat-client-replay"),
        (("--no-client-replay",), None, None, "--no-chat-client-replay"),
        ((), "off", None, "--no-chat-client-replay"),
        ((), None, "client-replay = false\n", "--no-chat-client-replay"),
        (("--client-replay",), "off", None, "--chat-client-replay"),  # the flag wins
    ],
)
def test_the_switch_reaches_pytest_from_the_flag_the_variable_or_the_file(
    tmp_path, monkeypatch, flags, variable, file, forwarded
):
    from tests.test_options import _run_arguments

    monkeypatch.chdir(tmp_path)
    if variable is not None:
        monkeypatch.setenv(OPTION["client_replay"].env, variable)
    if file is not None:
        (tmp_path / "chat-conformance.toml").write_text(file)
    arguments = pytest_arguments(_run_arguments(*flags))
    assert forwarded in arguments
    assert {"--chat-client-replay", "--no-chat-client-replay"} - {forwarded} - set(arguments)


def test_pytest_reads_the_switch_both_ways():
    import argparse

    from conformance.options import add_to_pytest

    parser = argparse.ArgumentParser()
    add_to_pytest(SimpleNamespace(addoption=parser.add_argument))
    assert parser.parse_args([]).chat_client_replay is None  # then the variable, the default
    assert parser.parse_args(["--no-chat-client-replay"]).chat_client_replay is False
    assert parser.parse_args(["--chat-client-replay"]).chat_client_replay is True


# ------------------------------------------------------------------ the brief's case, for real


def sse_comments_server():
    """The reference server sending an ``id:`` on every event and a keep-alive comment block
    between events: ``--variation sse-comments`` until SSE-004 (SHOULD) names the case; then
    the variation keeps its comment blocks before the first id and the fault
    ``sse-id-keepalive`` sends these bytes. Either way no check of STREAM judges them."""
    from conformance.reference.config import ServerConfig
    from conformance.reference.faults import FAULTS
    from conformance.reference.runner import running_server

    if "sse-id-keepalive" in FAULTS:
        return running_server(ServerConfig(api_key=KEY, faults=("sse-id-keepalive",)))
    return running_server(ServerConfig(api_key=KEY, variations=("sse-comments",)))


def run_against_sse_comments(run_cli, *flags: str):
    from tests.cli_runs import clean_environment

    with sse_comments_server() as server:
        return run_cli(
            *("run", "--base-url", server.base_url, "--model", "m", "--profile", "quick"),
            *flags,
            env=clean_environment(CHAT_CONFORMANCE_API_KEY=KEY),
        )


@pytest.mark.slow
def test_sse_comments_passes_and_the_reports_name_what_the_sdk_raised_on(run_cli, tmp_path):
    pytest.importorskip("openai")
    run = run_against_sse_comments(run_cli, "--only", "STREAM")
    assert run.exit_code == 0, run.tail()  # CONFORMANT: no check failed
    clients = run.report["clients"]
    entries = clients["beyond_failures"]
    assert clients["raised"] == len(entries) > 0  # every one the summary counts is named
    stream_entry = next(e for e in entries if e["exchange"] == "stream")
    assert stream_entry["model"] == "m" and stream_entry["status"] == 200
    assert stream_entry["content_type"].startswith("text/event-stream")
    assert stream_entry["client"]["error_type"] == "JSONDecodeError"
    assert stream_entry["where"].startswith("after 1 chunk: at or before event #1 of ")
    assert stream_entry["evidence"]["name"] == "stream"
    assert stream_entry["evidence"]["stream"]["marked"] == [1]
    assert ": keep-alive\n\n" in stream_entry["raw_at_break"]

    lines = run.stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if line == clients["line"])
    assert lines[at + 1].startswith(f"  {len(entries)} where no check failed")
    assert "stream" in lines[at + 2] and "raises JSONDecodeError" in lines[at + 2]

    html = (tmp_path / "reports" / "report.html").read_text("utf-8")
    found = section_of(html)
    assert found["h2"] == [f"Client broke where no check failed ({len(entries)})"]
    assert "stream" in found["code"]
    assert any("id: 1" in pre for pre in found["pre"])  # the raw stream is there

    written = [run.stdout, run.stderr, html, json.dumps(run.report)]
    written += [p.read_text("utf-8") for p in (tmp_path / "reports").glob("*.xml")]
    assert not [text for text in written if KEY in text]


@pytest.mark.slow
def test_no_client_replay_replays_nothing_and_says_so(run_cli):
    run = run_against_sse_comments(run_cli, "--no-client-replay", "--only", "STREAM-002")
    assert run.exit_code == 0, run.tail()
    assert run.report["clients"]["replayed"] == 0
    assert "replays turned off (--no-client-replay)" in run.stdout
    assert "beyond_failures" not in run.report["clients"]


def test_the_json_shape_declares_the_entries():
    from conformance.report.shape import ClientBreakRecord, ClientsSummary

    assert "beyond_failures" in ClientsSummary.__annotations__
    fields = set(ClientBreakRecord.__annotations__)
    assert {"exchange", "model", "status", "content_type", "client", "where", "evidence"} <= fields

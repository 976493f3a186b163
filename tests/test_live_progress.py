"""Live progress (issue 14): the runner's counts, the line gate that keeps pytest's lines whole,
and the ticker that draws while requests are pending. In process, with fake files and clocks
where the timing is not the point; ``test_terminal_output.py`` runs the CLI itself."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest

import conformance
from conformance.exchange import ExchangeRunner, Target
from conformance.progress import ModelCounts, RequestCounts, Snapshot
from conformance.records import Exchange, RequestSpec
from conformance.reference.config import ServerConfig
from conformance.reference.runner import running_server
from conformance.report.live import (
    LineGate,
    PreflightProgress,
    ProgressTicker,
    progress_text,
    relative_paths,
    short_progress_text,
)


@pytest.fixture(autouse=True)
def _a_terminal_that_redraws(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fake terminals here understand cursor codes, whatever TERM this run has (CI's may
    be dumb)."""
    monkeypatch.setenv("TERM", "xterm")


class _Terminal(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def _exchange(status: int | None = 200, attempts: int = 1) -> Exchange:
    return Exchange(
        name="p",
        url="http://x/v1/chat/completions",
        request=RequestSpec(body={"model": "m"}),
        request_headers={},
        status=status,
        attempts=attempts,
    )


def test_a_log_gets_whole_lines_only_and_progress_between_them():
    out = _Terminal(tty=False)
    gate = LineGate(out)
    gate.write("test_auth.py ")
    gate.write(".")
    gate.show("requests 3/10 done, 4 in flight, 1 s")
    gate.write(".   [ 10%]\ntest_errors.py .")
    gate.show("requests 10/10 done, 0 in flight, 2 s")
    gate.close()
    assert out.getvalue().splitlines() == [
        "requests 3/10 done, 4 in flight, 1 s",
        "test_auth.py ..   [ 10%]",
        "requests 10/10 done, 0 in flight, 2 s",
        "test_errors.py .",
    ]
    assert all(char.isprintable() for char in out.getvalue().replace("\n", ""))


def test_a_terminal_gets_the_progress_after_the_current_line_and_erased_before_pytest_writes():
    out = _Terminal(tty=True)
    gate = LineGate(out, width=80)
    gate.write("test_auth.py ")
    gate.show("requests 3/10 done")
    assert out.getvalue() == "test_auth.py   requests 3/10 done"
    gate.write(".")
    erase = f"\x1b[{len('  requests 3/10 done')}D\x1b[K"
    assert out.getvalue() == "test_auth.py   requests 3/10 done" + erase + "."
    gate.show("requests 10/10 done")
    gate.close()  # the last drawing is erased: pytest's line reads as if it had been alone
    assert out.getvalue().endswith(f"\x1b[{len('  requests 10/10 done')}D\x1b[K")


def test_a_terminal_line_too_narrow_for_the_progress_gets_none():
    out = _Terminal(tty=True)
    gate = LineGate(out, width=30)
    gate.write("test_request_validation.py ")
    gate.show("requests 3/10 done, 4 in flight")
    assert out.getvalue() == "test_request_validation.py "


def test_paths_are_written_relative_to_the_installed_packages():
    package_parent = str(Path(conformance.__file__).resolve().parents[1])
    traceback = (
        f"{package_parent}/conformance/suite/verdict.py:31: in expect\n"
        "/home/u/.venv/lib/python3.11/site-packages/httpx/_client.py:12: ConnectError\n"
    )
    assert relative_paths(traceback) == (
        "conformance/suite/verdict.py:31: in expect\nhttpx/_client.py:12: ConnectError\n"
    )
    up = "../" * len(Path(package_parent).parts)  # pytest's way when it is shorter
    relative = f"FAILED {up}{package_parent.lstrip('/')}/conformance/suite/test_x.py::test"
    assert relative_paths(relative) == "FAILED conformance/suite/test_x.py::test"
    assert relative_paths("file:///tmp/reports/report.html") == "file:///tmp/reports/report.html"
    # an editable install's checkout is the package's parent: its other paths stay whole
    junit = f"generated xml file: {package_parent}/reports/junit.xml"
    assert relative_paths(junit) == junit


def test_progress_text_counts_per_model_retries_and_throttling():
    snapshot = Snapshot(
        models={"a": ModelCounts(75, 32, 30), "b": ModelCounts(75, 29, 27)},
        retries={"429": 2, "503": 1},
        throttled=1,
        first_request_at=10.0,
    )
    assert progress_text(snapshot, now=15.2) == (
        "requests 57/150 done (a 30/75, b 27/75), 4 in flight, retried 3 (429: 2, 503: 1), "
        "1 still throttled after every retry, 5 s"
    )
    one_model = Snapshot(models={"a": ModelCounts(10, 4, 3)})
    assert progress_text(one_model) == "requests 3/10 done, 1 in flight"


def test_counts_follow_queued_dropped_started_and_finished():
    counts = RequestCounts()
    for _ in range(3):
        counts.queued("m")
    counts.dropped("m")  # a held request that will not be sent
    counts.started("m")
    counts.retrying("m", "429")
    counts.finished("m", _exchange(status=429, attempts=4))  # still throttled
    snapshot = counts.snapshot()
    assert (snapshot.planned, snapshot.done, snapshot.in_flight, snapshot.pending) == (2, 1, 0, 1)
    assert snapshot.retries == {"429": 1} and snapshot.throttled == 1


def test_the_runner_tells_its_observer_about_every_request_and_retry():
    """Against the reference server whose first answer to each request is 429: each request
    is queued, started, retried once and finished, and nothing is left pending."""
    config = ServerConfig(api_key="sk-progress-test-key-0000", variations=("rate-limited",))
    counts = RequestCounts()
    with running_server(config) as server:
        target = Target(server.base_url, config.api_key)
        runner = ExchangeRunner(target, concurrency=2, observer=counts)
        try:
            bodies = [
                {"model": "m", "messages": [{"role": "user", "content": f"hi {i}"}]}
                for i in range(3)
            ]
            runner.run_all([(f"p{i}", RequestSpec(body=body)) for i, body in enumerate(bodies)])
        finally:
            runner.close()
    snapshot = counts.snapshot()
    assert snapshot.models == {"m": ModelCounts(planned=3, started=3, done=3)}
    assert sum(snapshot.retries.values()) == 3 and set(snapshot.retries) <= {"429", "503"}
    assert snapshot.throttled == 0 and snapshot.first_request_at is not None


def test_the_ticker_writes_at_once_then_regularly_then_the_final_counts_and_stops():
    out = _Terminal(tty=False)
    ticker = ProgressTicker(LineGate(out), every=0.2)
    ticker.start()
    try:
        ticker.counts.queued("m")
        ticker.counts.started("m")
        time.sleep(0.7)  # nothing ends: the line still comes, every 0.2 s
        ticker.counts.finished("m", _exchange())
        time.sleep(0.2)
    finally:
        ticker.stop()
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("requests 0/1 done")
    assert 3 <= len([line for line in lines if "0/1 done" in line]) <= 6
    assert lines[-1].startswith("requests 1/1 done, 0 in flight")
    assert not ticker._thread.is_alive()


def test_a_terminal_ticker_erases_its_line_when_the_requests_end():
    out = _Terminal(tty=True)
    ticker = ProgressTicker(LineGate(out, width=80), every=0.2)
    ticker.start()
    try:
        ticker.counts.queued("m")
        time.sleep(0.3)
        ticker.counts.started("m")
        ticker.counts.finished("m", _exchange())
        time.sleep(0.4)
    finally:
        ticker.stop()
    shown = out.getvalue()
    assert "requests 0/1 done" in shown and "\n" not in shown
    assert shown.endswith("\x1b[K")  # erased: the screen's line is empty again


def test_requests_one_after_another_do_not_print_a_line_each():
    """Shrinking sends one request at a time: the log still gets a line per interval."""
    out = _Terminal(tty=False)
    ticker = ProgressTicker(LineGate(out), every=0.3)
    ticker.start()
    started = time.monotonic()
    try:
        for _ in range(12):
            ticker.counts.queued("m")
            ticker.counts.started("m")
            time.sleep(0.05)
            ticker.counts.finished("m", _exchange())
            time.sleep(0.05)
    finally:
        ticker.stop()
    lines = out.getvalue().splitlines()
    assert len(lines) <= (time.monotonic() - started) / 0.3 + 2, lines
    assert lines[-1].startswith("requests 12/12 done, 0 in flight")


def test_a_dumb_terminal_gets_whole_lines_and_no_cursor_codes(monkeypatch):
    """``TERM=dumb`` (an editor's shell buffer) prints escape codes as text: a log's lines."""
    monkeypatch.setenv("TERM", "dumb")
    out = _Terminal(tty=True)
    gate = LineGate(out, width=80)
    assert not gate.isatty()
    gate.write("test_auth.py .")
    gate.show("requests 3/10 done")
    gate.write(".\n")
    gate.close()
    assert out.getvalue() == "requests 3/10 done\ntest_auth.py ..\n"


def test_the_preflight_says_nothing_when_answered_at_once():
    out = _Terminal(tty=False)
    with PreflightProgress(out, quiet=0.3, every=0.1) as observer:
        observer.queued("m")
        observer.started("m")
        observer.finished("m", _exchange())
    assert out.getvalue() == ""


def test_a_preflight_left_waiting_shows_a_line_regularly_and_none_after_its_answer():
    """A target that accepts and never answers holds the CLI's preflight for its whole
    --read-timeout, before pytest's own progress exists: the wait is shown all the same."""
    out = _Terminal(tty=False)
    progress = PreflightProgress(out, quiet=0.1, every=0.15)
    with progress as observer:
        observer.queued("m")
        observer.started("m")
        observer.retrying("m", "429")
        time.sleep(0.6)
        observer.finished("m", _exchange(status=429, attempts=2))
    lines = out.getvalue().splitlines()
    assert 2 <= len(lines) <= 5, lines  # every 0.15 s for 0.6 s, after the first 0.1 s
    waiting = "preflight: waiting for the target's first answer"
    assert all(line.startswith(waiting) for line in lines)
    assert lines[-1].endswith(", retried 1 (429: 1)")
    assert not progress._thread.is_alive()
    time.sleep(0.2)
    assert out.getvalue().splitlines() == lines  # nothing written after the answer


def test_a_terminal_preflight_line_is_erased_when_the_answer_comes():
    out = _Terminal(tty=True)
    with PreflightProgress(out, quiet=0.05, every=0.1) as observer:
        observer.queued("m")
        observer.started("m")
        time.sleep(0.3)
    shown = out.getvalue()
    assert "preflight: waiting" in shown and "\n" not in shown
    assert shown.endswith("\x1b[K")


class _ClosedPipe(_Terminal):
    """A reader that went away (``run | head``) after ``room`` characters."""

    def __init__(self, room: int) -> None:
        super().__init__(tty=False)
        self.room = room

    def write(self, text: str) -> int:
        if self.tell() + len(text) > self.room:
            raise BrokenPipeError(32, "Broken pipe")
        return super().write(text)


def test_a_reader_that_went_away_is_left_alone():
    out = _ClosedPipe(room=20)
    gate = LineGate(out)
    gate.write("chat-conformance 0.1\n")  # 21 characters: the pipe is closed
    gate.show("requests 1/2 done")
    gate.write("test_auth.py ....\n")
    gate.close()
    assert out.getvalue() == ""


def test_a_terminal_line_with_little_room_gets_the_short_counts():
    """``-v`` writes long test names (a long model name makes them longer): the counts and the
    seconds still show, where the whole sentence would not fit."""
    out = _Terminal(tty=True)
    gate = LineGate(out, width=80)
    name = "test_request_validation.py::test_req[conformance-echo-REQ-001] "  # 63 columns
    gate.write(name)
    gate.show("requests 0/160 done, 4 in flight, 12 s", short="0/160, 12 s")
    assert out.getvalue() == name + "  0/160, 12 s"
    gate.show("requests 0/160 done, 4 in flight, 13 s", short="a short form still too long")
    assert out.getvalue().endswith("\x1b[K")  # erased, nothing drawn: no room at all
    snapshot = Snapshot(models={"m": ModelCounts(160, 4, 0)}, first_request_at=3.0)
    assert short_progress_text(snapshot, now=15.2) == "0/160, 12 s"

"""What ``chat-conformance run`` prints, read as a user or a CI log reads it (issue 14): progress
at least every 2 s while requests are in flight, the verdict as the last line, no installed
paths, and requirements left out by ``--only`` said to be "not run", never "skip"."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import conformance
from conformance.cli import INTERRUPTED, _incomplete_reason
from tests.cli_runs import CLI, clean_environment, run_cli_timed
from tests.raw_server import raw_server

pytestmark = pytest.mark.slow  # CLI runs in subprocesses

VERDICT = re.compile(r"^(NOT )?CONFORMANT \((default|strict) mode\): \d+ passed")
PROGRESS = re.compile(r"^requests (\d+)/(\d+) done.*, (\d+) in flight")
PYTEST = (sys.executable, "-m", "pytest", "-p", "no:cacheprovider")
INSTALLED = str(Path(conformance.__file__).resolve().parent)


def _free_port() -> int:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        return listener.getsockname()[1]


@contextlib.contextmanager
def slow_server(latency: str) -> Iterator[str]:
    """``chat-conformance serve --latency`` on a free port; yields its base URL."""
    port = _free_port()
    process = subprocess.Popen(
        [*CLI, "serve", "--port", str(port), "--latency", latency],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=clean_environment(PYTHONUNBUFFERED="1"),
    )
    try:
        assert process.stdout is not None and process.stdout.readline()  # the banner: listening
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        process.terminate()
        process.wait(timeout=15)


def _last_line(stdout: str) -> str:
    return [line for line in stdout.splitlines() if line.strip()][-1]


def _clean(stdout: str) -> None:
    for line in stdout.splitlines():
        assert "site-packages" not in line and INSTALLED not in line, line
        assert "Exchange(" not in line and "Traceback" not in line, line


def test_a_slow_target_shows_progress_at_least_every_two_seconds(tmp_path):
    """300 ms before every answer: about 4 s of requests with nothing for pytest to print."""
    env = clean_environment(CHAT_CONFORMANCE_API_KEY="sk-reference-key")
    with slow_server("300ms") as base_url:
        arguments = ["--base-url", base_url, "--model", "conformance-echo", "--profile", "quick"]
        arguments += ["--only", "RESP", "--only", "GEN-001"]
        exit_code, lines = run_cli_timed("run", *arguments, cwd=tmp_path, env=env, timeout=60)
    text = "\n".join(line.text for line in lines)
    assert exit_code == 0, text[-3000:]
    progress = [i for i, line in enumerate(lines) if PROGRESS.match(line.text)]
    assert len(progress) >= 3, text  # at once, at least once on the way, and at the end
    header = next(i for i, line in enumerate(lines) if line.text.startswith("chat-conformance "))
    watched = lines[header : progress[-1] + 1]  # from the run's start to the last request's end
    gaps = [later.seconds - earlier.seconds for earlier, later in itertools.pairwise(watched)]
    assert max(gaps) <= 2.0, [(round(line.seconds, 2), line.text) for line in watched]
    done, planned, in_flight = PROGRESS.match(lines[progress[-1]].text).groups()  # type: ignore[union-attr]
    assert done == planned and int(planned) >= 20 and in_flight == "0"
    assert all(line.text.isprintable() for line in lines)  # a log: no \r, no colour codes
    assert VERDICT.match(_last_line(text))


@pytest.mark.parametrize(
    ("arguments", "verdict"),
    [
        (["--only", "SSE", "--only", "RESP"], "CONFORMANT"),
        (["--profile", "quick", "--reference-fault", "finish-end-turn"], "NOT CONFORMANT"),
        (["--only", "RESP-009", "--reference-fault", "finish-end-turn", "--", "-x"], "NOT"),
    ],
    ids=["passing", "failing", "only-and-x"],
)
def test_the_verdict_is_the_last_line_and_no_installed_path_is_shown(arguments, verdict, run_cli):
    run = run_cli("run", *arguments, env=clean_environment(COLUMNS="80"))
    assert run.exit_code == (0 if verdict == "CONFORMANT" else 1), run.output
    last = _last_line(run.stdout)
    assert VERDICT.match(last) and last.startswith(verdict), run.output
    _clean(run.stdout + run.stderr)
    assert "test session starts" not in run.stdout and "rootdir" not in run.stdout
    if "finish-end-turn" in arguments:  # the reason keeps the value the target sent
        table = [line for line in run.stdout.splitlines() if line.startswith("  RESP-009    MUST")]
        (line,) = table  # the failed-requirements row (its client-effect line follows apart)
        assert line.endswith("finish_reason is not documented; actual: end_turn")  # a log: 120
        assert "Expected: stop | length | content_filter" in run.stdout
        assert "Reproduce [completion] (HTTP 200) with:" in run.stdout


def test_only_with_verbose_says_not_run_never_skip(run_cli):
    run = run_cli("run", "--only", "SSE", "--", "-v", env=clean_environment())
    assert run.exit_code == 0, run.output
    lines = run.stdout.splitlines()
    assert not [line for line in lines if re.search(r"\bskip\b|SKIPPED", line)], run.stdout
    assert "AUTH - Authentication: not run" in lines
    assert "test_sse_framing.py::test_sse[conformance-echo-SSE-001] PASSED" in run.stdout
    assert re.search(r", 53 not run of 57 requirements$", _last_line(run.stdout))
    _clean(run.stdout)


def test_plain_pytest_on_the_suite_still_reports_its_verdict(tmp_path):
    suite = ["--pyargs", "conformance.suite", "--chat-only", "SSE"]
    completed = subprocess.run(
        [*PYTEST, *suite, "--chat-json", str(tmp_path / "report.json")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=clean_environment(),
        timeout=120,
    )
    assert completed.returncode == 0, completed.stdout[-3000:]
    lines = completed.stdout.splitlines()
    verdict = next(i for i, line in enumerate(lines) if VERDICT.match(line))
    assert lines[verdict - 1].startswith("target http://127.0.0.1:")  # the run's lines above it
    assert re.search(r"4 passed, 53 deselected", lines[-1])  # pytest's own tally, then


def test_the_live_terminal_runs_where_the_cli_is_not_used(tmp_path):
    """``-p conformance.report.catalog_terminal`` gives plain pytest the CLI's terminal."""
    started = time.monotonic()
    suite = ["--pyargs", "conformance.suite", "--chat-only", "SSE"]
    completed = subprocess.run(
        [*PYTEST, "-p", "conformance.report.catalog_terminal", *suite],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**clean_environment(), "COLUMNS": os.environ.get("COLUMNS", "80")},
        timeout=120,
    )
    assert completed.returncode == 0 and time.monotonic() - started < 60, completed.stdout
    assert PROGRESS.match(completed.stdout.splitlines()[3])
    assert VERDICT.match(_last_line(completed.stdout))


KEY = "sk-review-terminal-DISTINCT-4242"  # must never be shown


def _never_answers(connection: socket.socket) -> None:
    """Accepts the request and holds it until the client gives up and closes."""
    while connection.recv(65536):
        pass


def test_a_target_that_never_answers_shows_the_preflight_waiting_then_the_verdict(tmp_path):
    """The CLI's preflight waits the whole --read-timeout before pytest (and its progress)
    starts: that wait is shown too, every 1.5 s, and the verdict (AUTH-003 failed) is last."""
    env = clean_environment(CHAT_CONFORMANCE_API_KEY=KEY)
    with raw_server(_never_answers) as base_url:
        arguments = ["--base-url", base_url, "--model", "m", "--only", "SSE"]
        arguments += ["--read-timeout", "5", "--timeout", "6"]
        exit_code, lines = run_cli_timed("run", *arguments, cwd=tmp_path, env=env, timeout=60)
    text = "\n".join(line.text for line in lines)
    assert exit_code == 1, text
    waiting = [i for i, line in enumerate(lines) if line.text.startswith("preflight: waiting")]
    header = next(i for i, line in enumerate(lines) if line.text.startswith("chat-conformance "))
    assert len(waiting) >= 2 and waiting[-1] < header, text
    watched = lines[waiting[0] : header + 1]
    gaps = [later.seconds - earlier.seconds for earlier, later in itertools.pairwise(watched)]
    assert max(gaps) <= 2.0, [(round(line.seconds, 2), line.text) for line in watched]
    assert lines[header].seconds - lines[waiting[0]].seconds >= 3.0  # shown while it lasted
    assert VERDICT.match(_last_line(text)) and _last_line(text).startswith("NOT CONFORMANT")
    assert KEY not in text and all(line.text.isprintable() for line in lines)


def _interruptible() -> None:
    """In the child: Ctrl+C as in a terminal. A shell without job control starts background
    jobs with SIGINT ignored, and Python then installs no KeyboardInterrupt handler: a CI job
    launched that way would otherwise never see the test's SIGINT."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _interrupted(
    handler: Callable, arguments: list[str], ready: Callable[[str], bool], cwd: Path
) -> tuple[str, str]:
    """Run the CLI against ``handler``'s server, send SIGINT once a line of its output is
    ``ready``: it must end within 15 s with exit 2 and one line, and no key shown."""
    env = clean_environment(CHAT_CONFORMANCE_API_KEY=KEY)
    with raw_server(handler) as base_url:
        process = subprocess.Popen(
            [*CLI, "run", "--base-url", base_url, "--model", "m", *arguments],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=cwd,
            env=env,
            preexec_fn=_interruptible,
        )
        try:
            assert process.stdout is not None
            for line in process.stdout:
                if ready(line):
                    break
            process.send_signal(signal.SIGINT)
            stdout, stderr = process.communicate(timeout=15)
        finally:
            process.kill()
    assert process.returncode == 2, stdout + stderr
    assert stderr.strip().splitlines()[-1] == f"chat-conformance: error: {INTERRUPTED}"
    assert KEY not in stdout + stderr
    return stdout, stderr


def test_ctrl_c_while_the_preflight_waits_ends_in_one_line_without_a_traceback(tmp_path):
    def waiting(line: str) -> bool:  # the first line: the preflight is waiting
        assert line.startswith("preflight: waiting"), line
        return True

    _, stderr = _interrupted(_never_answers, ["--read-timeout", "30"], waiting, tmp_path)
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr


def test_pytest_arguments_that_select_nothing_end_in_one_line_saying_so(run_cli):
    run = run_cli("run", "--only", "SSE", "--", "-k", "no_such_test", env=clean_environment())
    assert run.exit_code == 2, run.output
    assert _last_line(run.stderr) == (
        "chat-conformance: error: no test was selected "
        "(by -k or another pytest argument after --): no verdict"
    )


def test_why_a_run_has_no_verdict_comes_from_this_run_not_an_earlier_report():
    """Ctrl+C in a reports directory where an earlier run was throttled: interrupted, not
    throttled (the reason used to be read from the report.json left there)."""
    interrupted = pytest.ExitCode.INTERRUPTED
    assert _incomplete_reason({}, interrupted, interrupted=True) == INTERRUPTED
    throttled = _incomplete_reason({"throttled": ["completion (m)"]}, interrupted)
    assert throttled.startswith("the target throttled the run: 1 request(s)")
    # pytest's exit code 2 without Ctrl+C: a collection error, a plugin's pytest.exit()
    assert "Ctrl+C" not in _incomplete_reason({}, interrupted)


def test_collect_only_lists_the_tests_under_the_header(run_cli):
    run = run_cli("run", "--only", "SSE", "--", "--co", env=clean_environment())
    assert run.exit_code == 0, run.output
    lines = [line for line in run.stdout.splitlines() if line.strip()]
    assert lines[0].startswith("chat-conformance ") and "4 tests against" in lines[0], run.stdout
    assert any("test_sse[conformance-echo-SSE-001]" in line for line in lines[2:]), run.stdout


def test_a_reader_that_stops_early_gets_no_traceback_and_the_reports_are_written(tmp_path):
    """``chat-conformance run | head -1``: the run goes on quietly to its verdict."""
    process = subprocess.Popen(
        [*CLI, "run", "--only", "SSE"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=clean_environment(),
    )
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.readline().startswith("chat-conformance ")
    process.stdout.close()
    stderr = process.stderr.read()
    assert process.wait(timeout=60) == 0, stderr
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr, stderr
    assert (tmp_path / "reports" / "report.json").exists()


def _answers_once_then_holds() -> Callable[[socket.socket], None]:
    """The preflight gets a valid completion; every later request is held until the client
    gives up."""
    body = json.dumps(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": "m",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "OK"},
                    "finish_reason": "length",
                }
            ],
        }
    ).encode()
    answered = threading.Event()

    def handle(connection: socket.socket) -> None:
        if answered.is_set():
            _never_answers(connection)
            return
        answered.set()
        head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}"
        connection.sendall(head.encode() + b"\r\nConnection: close\r\n\r\n" + body)

    return handle


def test_ctrl_c_while_the_tests_wait_ends_with_pytests_note_and_one_line(tmp_path):
    # the header, then the progress: the tests wait
    progress = PROGRESS.match
    stdout, stderr = _interrupted(
        _answers_once_then_holds(), ["--only", "RESP"], lambda line: bool(progress(line)), tmp_path
    )
    assert "Traceback" not in stdout + stderr, stdout + stderr

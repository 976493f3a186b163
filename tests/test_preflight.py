"""The preflight separates setup from verdict (issue 12): a run that cannot judge the target says
so at once (exit 2, one line naming the fix, a few requests at most); a target that was reached
but misbehaves gets a verdict within the bounds, never a setup error.

Every server here runs on 127.0.0.1, started and stopped by its test; the CLI runs as a user
runs it, in a subprocess, and the requests are counted in the server's own log.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import zlib
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from conformance.report import request_log
from tests.raw_server import http_server, raw_server

pytestmark = pytest.mark.slow  # a CLI run against a hostile server per case

KEY_ENV = "CHAT_CONFORMANCE_API_KEY"
CLI = [sys.executable, "-m", "conformance.cli"]


def _free_port() -> int:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        return listener.getsockname()[1]


def _environment(**values: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHAT_CONFORMANCE_")}
    env.update({k: v for k, v in values.items() if v is not None})
    env["PYTHONUNBUFFERED"] = "1"  # the server's log reaches its file as it is written
    return env


@contextlib.contextmanager
def served(tmp_path: Path) -> Iterator[tuple[str, list[str], Path]]:
    """``chat-conformance serve`` as a user starts it: yields its base URL, its banner lines
    and the file its log goes to."""
    port = _free_port()
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [*CLI, "serve", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=_environment(),
        )
        try:
            deadline = time.monotonic() + 20
            while "Ctrl+C" not in log_path.read_text():
                assert process.poll() is None and time.monotonic() < deadline, "serve did not start"
                time.sleep(0.05)
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 5):
                pass
            yield f"http://127.0.0.1:{port}/v1", log_path.read_text().splitlines(), log_path
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=15)


def _requests_in(log_path: Path) -> list[str]:
    return [line for line in log_path.read_text().splitlines() if '"POST ' in line]


# ----------------------------------------------------------------------------- the key


@pytest.mark.parametrize(
    ("key", "expected"),
    [(None, "no key was given"), ("sk-not-the-right-key-0123", "refused the key")],
    ids=["missing-key", "wrong-key"],
)
def test_a_key_the_server_refuses_is_exit_2_in_one_line_after_one_request(
    key, expected, tmp_path, run_cli
):
    with served(tmp_path) as (base_url, _, log_path):
        arguments = ["--base-url", base_url, "--model", "conformance-echo"]
        arguments += ["--request-log", str(tmp_path / "requests.jsonl")]
        run = run_cli("run", *arguments, env=_environment(**{KEY_ENV: key}))
        time.sleep(0.2)  # the server's log line follows its answer
        requests = _requests_in(log_path)
    lines = run.stderr.strip().splitlines()
    assert run.exit_code == 2, run.stderr
    assert run.stdout.strip() == ""  # the CLI sends the preflight before pytest starts: one line
    assert run.seconds < 5
    assert len(requests) == 1 and " 401" in requests[0], requests
    assert len(lines) == 1 and expected in lines[0] and KEY_ENV in lines[0], lines
    logged = request_log.read(tmp_path / "requests.jsonl")  # the request log shows it too
    assert [(r["name"], r["status"]) for r in logged] == [("preflight", 401)]
    assert logged[0]["body"]["max_tokens"] == 1
    code, seconds = run.exit_code, run.seconds
    print(f"\n{expected}: exit {code} in {seconds:.2f} s, {len(requests)} request(s) at the server")


def test_the_key_variable_of_a_config_target_is_the_one_named(tmp_path, run_cli):
    with served(tmp_path) as (base_url, _, log_path):
        (tmp_path / "chat-conformance.toml").write_text(
            f'[targets.local]\nbase-url = "{base_url}"\napi-key-env = "LOCAL_GATEWAY_KEY"\n'
            'models = ["conformance-echo"]\n'
        )
        run = run_cli(
            "run",
            "--target",
            "local",
            env=_environment(LOCAL_GATEWAY_KEY="sk-stale-key-0123456789"),
        )
        time.sleep(0.2)
        requests = _requests_in(log_path)
    assert run.exit_code == 2 and run.seconds < 5 and len(requests) <= 3
    assert "LOCAL_GATEWAY_KEY" in run.stderr and KEY_ENV not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


def test_serve_prints_what_a_client_needs_and_its_command_works(tmp_path, run_cli):
    with served(tmp_path) as (base_url, banner, log_path):
        text = "\n".join(banner)
        assert base_url in text and "sk-reference-key" in text and "conformance-echo" in text
        command = next(line for line in banner if "chat-conformance run" in line).split()
        assignment = next(word for word in command if word.startswith(f"{KEY_ENV}="))
        arguments = command[command.index("run") + 1 :]
        run = run_cli(
            "run",
            *arguments,
            "--only",
            "AUTH",
            "--reports-dir",
            str(tmp_path / "r"),
            env=_environment(**{KEY_ENV: assignment.split("=", 1)[1]}),
        )
        time.sleep(0.2)
        requests = _requests_in(log_path)
    assert run.exit_code == 0, run.stdout[-2000:] + run.stderr
    assert len(requests) >= 4  # the preflight and the AUTH probes, each in the server's log
    assert "Traceback" not in log_path.read_text()  # Ctrl+C stops it quietly


# --------------------------------------------------------------- other setup errors


class _Scripted(BaseHTTPRequestHandler):
    """Answers every request with the class's ``answer(handler, body)``; logs each request."""

    answer: Callable[[BaseHTTPRequestHandler, dict], None]
    seen: list[dict]

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        self.seen.append(body)
        with contextlib.suppress(OSError):  # the client stops reading at its bound
            type(self).answer(self, body)

    def log_message(self, *args) -> None:
        pass


@contextlib.contextmanager
def scripted(answer: Callable[[BaseHTTPRequestHandler, dict], None]) -> Iterator[tuple[str, list]]:
    seen: list[dict] = []
    handler = type("Handler", (_Scripted,), {"answer": answer, "seen": seen})
    with http_server(handler) as base_url:
        yield base_url, seen


def _json_answer(status: int, body: dict, headers: dict | None = None):
    def answer(handler: BaseHTTPRequestHandler, _: dict) -> None:
        data = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("content-type", "application/json")
        handler.send_header("content-length", str(len(data)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)

    return answer


def _error(message: str, code: str | None = None) -> dict:
    return {"error": {"message": message, "type": "invalid_request_error", "code": code}}


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (
            404,
            _error("The model `gpt-9` does not exist", "model_not_found"),
            ["does not know model 'gpt-9'", "--model"],
        ),
        (403, _error("This key may not use gpt-9"), ["403", "may not use gpt-9", KEY_ENV]),
        (404, {"detail": "Not Found"}, ["no chat-completions endpoint", "/v1"]),
        (429, _error("slow down"), ["throttled", "not a conformance verdict"]),
    ],
    ids=["model-not-found", "forbidden", "no-endpoint", "throttled"],
)
def test_a_setup_error_is_exit_2_in_one_line(status, body, expected, tmp_path, run_cli):
    headers = {"retry-after": "0"} if status == 429 else None
    with scripted(_json_answer(status, body, headers)) as (base_url, seen):
        arguments = ["--base-url", base_url, "--model", "gpt-9", "--retries", "1"]
        run = run_cli("run", *arguments, env=_environment(**{KEY_ENV: "sk-some-key-0123456789"}))
    lines = run.stderr.strip().splitlines()
    assert run.exit_code == 2 and len(lines) == 1, run.stderr
    assert all(part in lines[0] for part in expected), lines[0]
    assert len(seen) <= 3 and run.seconds < 10
    assert seen[0]["model"] == "gpt-9" and seen[0]["max_tokens"] == 1


def test_the_pytest_route_against_a_closed_port_gives_no_verdict(tmp_path):
    port = _free_port()
    command = [sys.executable, "-m", "pytest", "--pyargs", "conformance.suite", "-p"]
    command += ["no:cacheprovider", "--base-url", f"http://127.0.0.1:{port}/v1"]
    command += ["--chat-model", "m", "--chat-json", str(tmp_path / "report.json")]
    started = time.monotonic()
    completed = subprocess.run(
        command, capture_output=True, text=True, cwd=tmp_path, env=_environment(), timeout=120
    )
    seconds = time.monotonic() - started
    output = completed.stdout + completed.stderr
    assert completed.returncode == 2, output[-3000:]  # the CLI's "no verdict" code
    assert [line for line in output.splitlines() if "cannot reach" in line] == [
        line for line in output.splitlines() if "chat-conformance:" in line
    ]
    assert len([line for line in output.splitlines() if "cannot reach" in line]) == 1
    assert "CONFORMANT" not in output and not re.search(r"\d+ (passed|failed|skipped)", output)
    assert not (tmp_path / "report.json").exists()  # no verdict, no compliance report
    assert seconds < 15
    print(f"\npytest route, closed port: exit {completed.returncode} in {seconds:.2f} s")


def test_the_cli_against_a_closed_port_is_exit_2_in_one_line(tmp_path, run_cli):
    port = _free_port()
    run = run_cli(
        "run", "--base-url", f"http://127.0.0.1:{port}/v1", "--model", "m", env=_environment()
    )
    assert (
        run.exit_code == 2
        and len(run.stderr.strip().splitlines()) == 1
        and "cannot reach" in run.stderr
    )
    assert "Connect" in run.stderr and run.seconds < 10


# ----------------------------------------------------------- reached, but misbehaving


def _withhold(connection: socket.socket) -> None:
    """Accept the request, then send nothing until the client hangs up."""
    connection.settimeout(30)
    with contextlib.suppress(OSError):
        while connection.recv(65536):  # the rest of the request, then the client's hang-up
            pass


def _headers_then_silence(connection: socket.socket) -> None:
    connection.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n")
    connection.sendall(b"content-length: 100\r\n\r\n{")
    _withhold(connection)


@pytest.mark.parametrize(
    "handle", [_withhold, _headers_then_silence], ids=["headers-withheld", "body-withheld"]
)
def test_a_target_that_never_answers_gets_a_verdict_within_the_bounds(handle, tmp_path, run_cli):
    reports = tmp_path / "reports"
    with raw_server(handle) as base_url:
        arguments = ["--base-url", base_url, "--model", "m", "--timeout", "3s"]
        arguments += ["--read-timeout", "1500ms", "--reports-dir", str(reports)]
        arguments += ["--request-log", str(tmp_path / "requests.jsonl")]
        run = run_cli("run", *arguments, env=_environment(**{KEY_ENV: "sk-key-0123456789"}))
    assert run.exit_code == 1, run.stdout[-3000:] + run.stderr
    assert run.seconds < 1.5 + 8  # the preflight's read bound, plus the interpreter and pytest
    assert "AUTH-003" in run.stdout and "--read-timeout 1.5 s" in run.stdout
    report = json.loads((reports / "report.json").read_text())
    failed = {r["id"] for r in report["requirements"] if r["status"] == "failed"}
    assert failed == {"AUTH-003"} and report["conformant"] is False
    assert report["requests_sent"] == 1 and report["preflight"]["outcome"] == "unanswered"
    assert [r["name"] for r in request_log.read(tmp_path / "requests.jsonl")] == ["preflight"]
    print(f"\n{handle.__name__}: exit {run.exit_code} in {run.seconds:.2f} s, 1 request")


HUGE = 200 * 1024 * 1024


@functools.cache
def _gzip_bomb() -> bytes:
    """gzip of 128 MiB of spaces (128 times the default bound), about 128 KiB on the wire."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b" " * (1024 * 1024)
    return b"".join([*(packer.compress(block) for _ in range(128)), packer.flush()])


def _bomb(handler: BaseHTTPRequestHandler, _: dict) -> None:
    bomb = _gzip_bomb()
    handler.send_response(200)
    handler.send_header("content-type", "application/json")
    handler.send_header("content-encoding", "gzip")
    handler.send_header("content-length", str(len(bomb)))
    handler.end_headers()
    handler.wfile.write(bomb)


def _huge(handler: BaseHTTPRequestHandler, _: dict) -> None:
    handler.send_response(200)
    handler.send_header("content-type", "application/json")
    handler.send_header("content-length", str(HUGE))
    handler.end_headers()
    block = b'{"x": "' + b"x" * (64 * 1024 - 10) + b'",'
    for _ in range(HUGE // len(block)):
        handler.wfile.write(block)


@pytest.mark.parametrize("answer", [_bomb, _huge], ids=["gzip-bomb", "200-MB-body"])
def test_a_bomb_at_the_preflight_gets_a_verdict_in_bounded_memory(answer, tmp_path):
    reports = tmp_path / "reports"
    with scripted(answer) as (base_url, seen):
        command = [*CLI, "run", "--base-url", base_url, "--model", "m", "--timeout", "10"]
        command += ["--read-timeout", "5", "--reports-dir", str(reports), "--only", "AUTH"]
        command += ["--only", "RESP", "--", "-q"]
        started = time.monotonic()
        process = subprocess.Popen(
            command,
            cwd=tmp_path,
            env=_environment(**{KEY_ENV: "sk-key-0123456789"}),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.monotonic() - started
    peak_mib = usage.ru_maxrss / 1024
    code = os.waitstatus_to_exitcode(status)
    report = json.loads((reports / "report.json").read_text())
    assert code == 1 and report["conformant"] is False  # a verdict, not a setup error
    assert seen[0]["max_tokens"] == 1  # the preflight got the bomb too
    assert seconds < 60 and peak_mib < 200
    print(f"\n{answer.__name__}: exit {code} in {seconds:.2f} s, peak RSS {peak_mib:.0f} MiB")


def test_a_key_given_on_the_command_line_is_named_as_such(tmp_path, run_cli):
    answer = _json_answer(401, _error("Incorrect API key provided", "invalid_api_key"))
    with scripted(answer) as (base_url, seen):
        arguments = ["--base-url", base_url, "--model", "m", "--api-key", "sk-typo-0123456789"]
        run = run_cli("run", *arguments, env=_environment())
    assert run.exit_code == 2 and len(seen) == 1
    assert "refused the key in --api-key" in run.stderr and KEY_ENV not in run.stderr
    assert "sk-typo-0123456789" not in run.stderr

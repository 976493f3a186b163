"""Start real servers on free loopback ports, run the CLI against them, compare the verdict.

A test module names the server's expected failures as data: each requirement ID with whether it
is the server's fault (``TRUE``) or the suite's (``SUITE``, a false positive that a fix of the
suite will remove), and why, from the bytes the server sent. The test asserts the exact set, so
a change on either side (a server upgrade, a suite fix) fails loudly with the reasons to update.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from conformance.catalog import load_catalog
from tests.cli_runs import CliRun, run_cli
from tests.real_servers.provision import SERVERS

CATALOG = load_catalog()

TRUE = "true failure of the server"
SUITE = "false positive of the suite"


@dataclass(frozen=True)
class Expected:
    kind: str  # TRUE or SUITE
    reason: str


def installation(name: str) -> dict:
    """The server's provisioning stamp; skip (or fail under CI=true) when it is not there."""
    server = SERVERS[name]
    stamp = server.stamp()
    if stamp is None:
        message = (
            f"real server {name!r} is not provisioned ({server.spec} in {server.home}): "
            f"run `{server.command()}` first"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{message}; .ci/run provisions it, so under CI this is an error")
        pytest.skip(message)
    return stamp


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def running(
    command: list[str],
    *,
    ready: Callable[[], bool],
    log: Path,
    timeout: float,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Iterator[subprocess.Popen]:
    """Run a server in its own process group until the block ends, whatever happens in it.

    ``ready`` is polled until it returns True (bounded by ``timeout``); a server that exits
    before that, or never gets ready, fails the test with the end of its log.
    """
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=dict(env if env is not None else os.environ),
            cwd=cwd,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                pytest.fail(f"{command[0]} exited with {process.returncode}:\n{tail(log)}")
            with contextlib.suppress(httpx.HTTPError):
                if ready():
                    break
            if time.monotonic() > deadline:
                pytest.fail(f"{command[0]} not ready after {timeout} s:\n{tail(log)}")
            time.sleep(0.2)
        yield process
    finally:
        stop(process)


def stop(process: subprocess.Popen) -> None:
    """SIGTERM the server's process group, SIGKILL it if it lingers past 10 s."""
    if process.poll() is not None:
        return
    for sig, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(grace)
            return
        except subprocess.TimeoutExpired:
            continue


def tail(log: Path, size: int = 3000) -> str:
    try:
        return log.read_bytes()[-size:].decode("utf-8", "replace")
    except OSError:
        return "(no log)"


def http_ok(url: str, **kwargs) -> Callable[[], bool]:
    return lambda: httpx.get(url, timeout=2, **kwargs).status_code == 200


@contextlib.contextmanager
def reference_server(tmp: Path, api_key: str) -> Iterator[int]:
    """The embedded reference server as an upstream for a gateway; yields its port."""
    port = free_port()
    command = [sys.executable, "-m", "conformance.cli", "serve", "--port", str(port)]
    command += ["--api-key", api_key]

    def ready() -> bool:  # 401 without a key: the chat endpoint answers
        return httpx.post(f"http://127.0.0.1:{port}/v1/chat/completions", json={}).status_code in (
            400,
            401,
        )

    with running(command, ready=ready, log=tmp / "reference.log", timeout=30):
        yield port


def run_suite(
    tmp: Path, base_url: str, model: str, api_key: str, *options: str, timeout: float = 600
) -> CliRun:
    """``chat-conformance run`` as a user runs it, in a subprocess, seed 1, no example database
    (a database would replay earlier failures first and make runs differ)."""
    env = dict(os.environ, CHAT_CONFORMANCE_API_KEY=api_key, CHAT_CONFORMANCE_HYPOTHESIS_DIR="none")
    return run_cli(
        "run", "--base-url", base_url,
        "--model", model, "--reports-dir", str(tmp / "reports"), "--seed", "1", *options,
        "--", "-q", "--no-header", "-p", "no:randomly",
        cwd=tmp,
        env=env,
        timeout=timeout,
    )  # fmt: skip


def check_verdict(
    verdict: CliRun,
    expected_failed: Mapping[str, Expected],
    expected_skipped: Mapping[str, str] | None = None,
    tolerated_skips: Mapping[str, str] | None = None,
) -> None:
    """The exact failed (and skipped) IDs, with the reasons in the message when they differ.

    ``tolerated_skips`` may or may not be skipped (a known, timing-dependent cause, named)."""
    print(f"suite run took {verdict.seconds:.1f} s, exit code {verdict.exit_code}")
    problems = []
    for rid in sorted(verdict.failed - set(expected_failed)):
        messages = _messages(verdict.report, rid)
        problems.append(f"{rid} failed unexpectedly: {messages}")
    for rid in sorted(set(expected_failed) - verdict.failed):
        item = expected_failed[rid]
        problems.append(f"{rid} no longer fails (was a {item.kind}: {item.reason})")
    skipped = dict(expected_skipped or {})
    for rid in sorted((verdict.skipped ^ set(skipped)) - set(tolerated_skips or {})):
        state = "is skipped" if rid in verdict.skipped else "is no longer skipped"
        problems.append(f"{rid} {state} (expected skip reason: {skipped.get(rid, 'none')})")
    expected_exit = 1 if any(CATALOG.get(rid).level == "MUST" for rid in expected_failed) else 0
    if verdict.exit_code != expected_exit:
        problems.append(f"exit code {verdict.exit_code}, expected {expected_exit}")
    assert not problems, "\n".join(problems) + "\n--- run output ---\n" + verdict.tail(4000)


def _messages(report: dict, rid: str) -> str:
    for requirement in report.get("requirements", []):
        if requirement["id"] == rid:
            return " | ".join(m.splitlines()[0] for m in requirement.get("messages", []))[:600]
    return "(not in the report)"

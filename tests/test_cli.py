"""The command's contract with its user: exit codes, one-line errors, reports where promised."""

from __future__ import annotations

import json
import os
import socket

import pytest

from conformance.cli import main

pytestmark = pytest.mark.slow  # CLI runs in subprocesses


def _free_port() -> int:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        return listener.getsockname()[1]


def test_default_run_is_conformant_and_writes_every_report(tmp_path, run_cli):
    completed = run_cli("run", timeout=None)
    assert completed.exit_code == 0, completed.stdout[-2000:] + completed.stderr
    for name in ("report.html", "report.json", "junit.xml"):
        assert (tmp_path / "reports" / name).stat().st_size > 0
    report = completed.report
    assert report["conformant"] is True
    assert {r["status"] for r in report["requirements"]} == {"passed"}
    assert {"id", "level", "status", "messages"} <= set(report["requirements"][0])
    assert "CONFORMANT (default mode)" in completed.stdout


def test_a_fault_makes_the_run_fail_and_the_report_name_it(tmp_path):
    code = main(["run", "--reports-dir", str(tmp_path), "--reference-fault", "no-done", "--", "-q"])
    assert code == 1
    report = json.loads((tmp_path / "report.json").read_text())
    failed = {r["id"] for r in report["requirements"] if r["status"] == "failed"}
    assert "SSE-002" in failed


def test_should_failures_pass_by_default_and_fail_with_strict(tmp_path):
    fault = ["--reference-fault", "error-detail", "--reports-dir", str(tmp_path), "--", "-q"]
    assert main(["run", *fault]) == 0
    assert main(["run", "--strict", *fault]) == 1


def test_only_selects_requirements(tmp_path):
    assert main(["run", "--only", "sse-002", "--reports-dir", str(tmp_path), "--", "-q"]) == 0
    report = json.loads((tmp_path / "report.json").read_text())
    ran = {r["id"] for r in report["requirements"] if r["status"] != "skipped"}
    assert ran == {"SSE-002"}


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["run", "--base-url", "http://127.0.0.1:{port}/v1", "--model", "m"], "cannot reach"),
        (["run", "--base-url", "127.0.0.1:{port}/v1", "--model", "m"], "must start with http"),
        (["run", "--base-url", "http://127.0.0.1:{port}/v1"], "--model"),
        (["run", "--only", "NOPE-1"], "names no requirement"),
        (["run", "--reference-fault", "no-such-fault"], "unknown fault"),
        (["run", "--no-such-flag"], "unrecognized arguments"),
    ],
)
def test_a_run_that_cannot_happen_exits_2_with_one_line(
    arguments, message, capsys, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)  # a run that starts (the closed port) writes its empty reports
    port = str(_free_port())
    assert _exit_code([a.replace("{port}", port) for a in arguments]) == 2
    error = capsys.readouterr().err.strip()
    assert message in error and len(error.splitlines()) == 1 and "Traceback" not in error


def _exit_code(arguments: list[str]) -> int:
    """main's return value, or the code argparse exits with."""
    try:
        return main(arguments)
    except SystemExit as exit:
        return int(exit.code or 0)


def test_wrong_path_is_reported_as_no_endpoint(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    from conformance.reference.config import ServerConfig
    from conformance.reference.runner import running_server

    with running_server(ServerConfig()) as server:
        code = main(["run", "--base-url", server.base_url[: -len("/v1")], "--model", "m"])
    assert code == 2
    assert "no chat-completions endpoint" in capsys.readouterr().err


def test_help_is_fast_to_import(run_cli):
    completed = run_cli("--help", env=os.environ | {"PYTHONIMPORTTIME": "1"}, timeout=None)
    assert completed.exit_code == 0
    heavy = ("httpx", "pytest", "jsonschema", "uvicorn", "hypothesis")
    imported = {line.split("|")[-1].strip().split(".")[0] for line in completed.stderr.splitlines()}
    assert not imported & set(heavy)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("300ms", 0.3), ("0.3s", 0.3), ("0.3", 0.3), ("2", 2.0), (" 30 ms ", 0.03), (".5s", 0.5)],
)
def test_durations_take_units(text, seconds):
    from conformance.cli import build_parser

    parsed = build_parser().parse_args(["serve", "--latency", text, "--token-interval", text])
    assert parsed.latency == pytest.approx(seconds)
    assert parsed.token_interval == pytest.approx(seconds)
    assert build_parser().parse_args(["run", "--timeout", text]).timeout == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["fast", "3min", "-1", "1e3", "ms"])
def test_a_bad_duration_is_one_line_and_exit_2(text, capsys):
    assert _exit_code(["serve", "--latency", text]) == 2
    error = capsys.readouterr().err.strip()
    assert "--latency" in error and len(error.splitlines()) == 1


def test_a_zero_timeout_is_refused(capsys):
    assert _exit_code(["run", "--timeout", "0ms"]) == 2
    assert "must be > 0" in capsys.readouterr().err

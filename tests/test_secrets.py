"""The API key never reaches an artifact, even when the target echoes it back everywhere.

A reference server with the ``echo-key`` variation puts the Authorization header into error
messages, a response header and an extra field of every body and chunk; a second secret rides in
the base URL's query string. A full CLI run must then leave neither in any report, the request
log, the terminal output or the error stream.
"""

from __future__ import annotations

import os

from conformance.reference.config import ServerConfig
from conformance.reference.runner import running_server

KEY = "sk-live-SECRET-0123456789abcdef"
URL_SECRET = "url-SECRET-9876543210"


def test_an_echoed_key_appears_in_no_artifact(tmp_path, run_cli):
    config = ServerConfig(api_key=KEY, variations=("echo-key",))
    with running_server(config) as server:
        environment = os.environ | {"CHAT_CONFORMANCE_API_KEY": KEY}
        completed = run_cli(
            "run",
            "--base-url", f"{server.base_url}?api_key={URL_SECRET}",
            "--model", "echo", "--reports-dir", str(tmp_path / "reports"),
            "--request-log", str(tmp_path / "reports" / "requests.jsonl"),
            "--", "-v", "--showlocals",
            env=environment,
        )  # fmt: skip
    assert completed.exit_code == 0, completed.stdout[-3000:]
    artifacts = {path.name: path.read_text("utf-8") for path in (tmp_path / "reports").iterdir()}
    assert {"report.html", "report.json", "junit.xml", "requests.jsonl"} <= set(artifacts)
    artifacts |= {"stdout": completed.stdout, "stderr": completed.stderr}
    for name, text in artifacts.items():
        assert KEY not in text, f"the key leaked into {name}"
        assert URL_SECRET not in text, f"the URL secret leaked into {name}"
    assert "REDACTED" in artifacts["stdout"] or "REDACTED" in artifacts["report.json"]


def test_a_failing_run_keeps_the_key_out_of_failure_messages(tmp_path, run_cli):
    config = ServerConfig(api_key=KEY, variations=("echo-key",), faults=("error-status-200",))
    with running_server(config) as server:
        completed = run_cli(
            "run", "--base-url", server.base_url,
            "--api-key", KEY, "--model", "echo", "--reports-dir", str(tmp_path / "r"),
            "--", "-l", "--tb=long",
        )  # fmt: skip
    assert completed.exit_code == 1
    texts = [completed.stdout, completed.stderr]
    texts += [path.read_text("utf-8") for path in (tmp_path / "r").iterdir()]
    assert all(KEY not in text for text in texts)

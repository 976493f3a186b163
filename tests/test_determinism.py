"""Results do not depend on the order answers arrive in: two runs with the same seed against a
server whose answers overtake each other (the ``jitter`` variation) send the same requests in the
same order and report the same verdicts, test by test."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from conformance.report import request_log
from tests.cli_runs import run_cli

pytestmark = pytest.mark.slow  # two full CLI runs compared


def _run(directory: Path) -> dict:
    arguments = ["run", "--reference-variation", "jitter", "--seed", "7", "--profile", "quick"]
    arguments += ["--concurrency", "6", "--reports-dir", str(directory)]
    run = run_cli(*arguments, "--request-log", str(directory / "log.jsonl"), cwd=directory.parent)
    assert run.exit_code == 0, run.output
    report = run.report
    cases = ElementTree.parse(directory / "junit.xml").getroot().iter("testcase")
    completion_order = sorted(
        request_log.read(directory / "log.jsonl"), key=lambda r: r["started_at"] + r["elapsed"]
    )
    return {
        "sent": [
            (r["name"], r.get("body"), r["auth"]) for r in request_log.read(directory / "log.jsonl")
        ],
        "completed": [r["name"] for r in completion_order],
        "requirements": [(r["id"], r["status"]) for r in report["requirements"]],
        "properties": [
            {k: p[k] for k in ("property", "examples", "answered", "judged", "failed")}
            for p in report["generation"]["properties"]
        ],
        "junit": [(case.get("classname"), case.get("name")) for case in cases],
    }


def test_same_seed_same_requests_same_verdicts_whatever_the_completion_order(tmp_path):
    first, second = _run(tmp_path / "first"), _run(tmp_path / "second")
    submitted = [name for name, _, _ in first["sent"]]
    assert first["completed"] != submitted  # answers did overtake each other
    for key in ("sent", "requirements", "properties", "junit"):
        assert first[key] == second[key], key

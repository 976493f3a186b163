"""The pytest plugin is installed for every pytest run, so it must stay out of other projects'
way; and the suite must run as a plain pytest package too."""

from __future__ import annotations

import json
import subprocess
import sys


def _pytest(cwd, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_plugin_is_inert_in_another_project(tmp_path):
    (tmp_path / "test_other.py").write_text(
        "def test_fails_on_purpose():\n    assert 1 == 2\n\n"
        "def test_base_url_fixture(base_url):\n    assert base_url == 'http://x.invalid'\n"
    )
    completed = _pytest(tmp_path, "--base-url", "http://x.invalid")
    assert completed.returncode == 1  # its own failure still fails: no verdict rewriting
    assert "1 failed, 1 passed" in completed.stdout
    assert "chat-conformance: requirements" not in completed.stdout
    assert not (tmp_path / "reports").exists()


def test_suite_runs_as_a_pytest_package(tmp_path):
    report = tmp_path / "out.json"
    completed = _pytest(tmp_path, "--pyargs", "conformance.suite", "-q", "--chat-json", str(report))
    assert completed.returncode == 0, completed.stdout[-2000:]
    assert "CONFORMANT" in completed.stdout
    statuses = {r["status"] for r in json.loads(report.read_text())["requirements"]}
    assert statuses == {"passed"}


def test_suite_refuses_a_real_target_without_a_model(tmp_path):
    real_target = ("--base-url", "http://x.invalid/v1")
    completed = _pytest(tmp_path, "--pyargs", "conformance.suite", *real_target)
    assert completed.returncode == 2  # interrupted: the run cannot happen
    assert "name the model(s) to test with --chat-model" in completed.stdout

"""``chat-conformance`` as a user runs it: a subprocess of ``python -m conformance.cli``.

The one way the self-tests run the CLI out of process (``tests/conftest.py`` binds it to the
test's ``tmp_path`` as the ``run_cli`` fixture). It passes only the arguments it is given: a key
reaches the command line only when a test puts it there on purpose.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

CLI = (sys.executable, "-m", "conformance.cli")


@dataclass(frozen=True)
class CliRun:
    exit_code: int
    stdout: str
    stderr: str
    seconds: float
    report: dict  # the run's report.json, or {} when it wrote none

    def _ids(self, status: str) -> frozenset[str]:
        requirements = self.report.get("requirements", [])
        return frozenset(r["id"] for r in requirements if r["status"] == status)

    @property
    def failed(self) -> frozenset[str]:
        return self._ids("failed")

    @property
    def skipped(self) -> frozenset[str]:
        return self._ids("skipped")

    @property
    def passed(self) -> frozenset[str]:
        return self._ids("passed")

    def tail(self, stdout_chars: int = 3000, stderr_chars: int = 2000) -> str:
        """The end of both streams, for an assertion's message."""
        return self.stdout[-stdout_chars:] + self.stderr[-stderr_chars:]

    @property
    def output(self) -> str:
        return self.tail()


def clean_environment(**values: str) -> dict[str, str]:
    """This process's environment without any ``CHAT_CONFORMANCE_*`` variable, plus ``values``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHAT_CONFORMANCE_")}
    return env | values


def _reports_dir(arguments: tuple[str, ...], cwd: Path) -> Path:
    """Where the run writes its reports: ``--reports-dir`` before ``--``, else ``reports``."""
    ours = arguments[: arguments.index("--")] if "--" in arguments else arguments
    for i, argument in enumerate(ours):
        if argument == "--reports-dir" and i + 1 < len(ours):
            return cwd / ours[i + 1]  # an absolute path stays as it is
        if argument.startswith("--reports-dir="):
            return cwd / argument.split("=", 1)[1]
    return cwd / "reports"


def run_cli(
    *arguments: str,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    reports_dir: Path | None = None,
    timeout: float | None = 120,
) -> CliRun:
    """Run ``python -m conformance.cli *arguments`` in ``cwd`` and wait for it.

    ``env`` is the whole environment (``None``: this process's); the report is read from
    ``reports_dir``, by default the one the arguments name."""
    started = time.monotonic()
    completed = subprocess.run(
        [*CLI, *arguments],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=None if env is None else dict(env),
        timeout=timeout,
    )
    seconds = time.monotonic() - started
    report_path = (reports_dir or _reports_dir(arguments, Path(cwd))) / "report.json"
    report = json.loads(report_path.read_text("utf-8")) if report_path.exists() else {}
    return CliRun(completed.returncode, completed.stdout, completed.stderr, seconds, report)


@dataclass(frozen=True)
class TimedLine:
    seconds: float  # since the command started
    text: str


def run_cli_timed(
    *arguments: str, cwd: Path, env: Mapping[str, str] | None = None, timeout: float = 120
) -> tuple[int, list[TimedLine]]:
    """Run the CLI as ``run_cli`` does, reading its standard output line by line as it comes
    (a pipe, not a terminal: what a CI log sees), each line with the time it arrived."""
    started = time.monotonic()
    lines: list[TimedLine] = []
    with subprocess.Popen(
        [*CLI, *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=cwd,
        env=None if env is None else dict(env),
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(TimedLine(time.monotonic() - started, line.rstrip("\n")))
            if time.monotonic() - started > timeout:
                process.kill()
                raise TimeoutError(f"chat-conformance {' '.join(arguments)} took over {timeout} s")
        return process.wait(timeout=timeout), lines

"""Shared by the self-tests."""

from __future__ import annotations

import functools
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.cli_runs import CliRun
from tests.cli_runs import run_cli as _run_cli


def pytest_configure(config: pytest.Config) -> None:
    """Hypothesis keeps its caches in ``.hypothesis`` in the current directory unless told
    otherwise; the self-tests keep them in a temporary directory, as a run does."""
    if not os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
        from hypothesis.configuration import set_hypothesis_home_dir

        set_hypothesis_home_dir(tempfile.mkdtemp(prefix="chat-conformance-self-tests-"))


@pytest.fixture(autouse=True)
def _keep_the_environment() -> Iterator[None]:
    """``chat-conformance run`` hands the URL and key to pytest through the environment; a test
    that calls ``main`` in-process must not leave them to the tests after it."""
    saved = {k: v for k, v in os.environ.items() if k.startswith("CHAT_CONFORMANCE_")}
    yield
    for name in [k for k in os.environ if k.startswith("CHAT_CONFORMANCE_")]:
        del os.environ[name]
    os.environ.update(saved)


@pytest.fixture
def run_cli(tmp_path: Path) -> Callable[..., CliRun]:
    """``run_cli("run", "--only", "SSE-002")``: the CLI in a subprocess, in ``tmp_path`` (see
    ``tests/cli_runs.py`` for ``env``, ``reports_dir`` and ``timeout``)."""
    return functools.partial(_run_cli, cwd=tmp_path)

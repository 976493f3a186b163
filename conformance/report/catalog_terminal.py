"""The terminal of ``chat-conformance run``: pytest's, made to read like the catalog.

A pytest plugin the CLI loads with ``-p conformance.report.catalog_terminal`` (plain ``pytest``
can load it the same way). Like pytest-sugar, it puts its own subclass of pytest's
``TerminalReporter`` in place of pytest's, because what has to change is how pytest writes, not
what: a subclass keeps every option (``-v``, ``-q``, ``-x``, ``-r``, ``--tb``) working. It:

- writes through a ``LineGate`` (``report/live.py``), so that the live progress, drawn from
  another thread whenever requests are in flight, never cuts one of pytest's lines in half. The
  gate sits on a duplicate of the real standard output, made before any test runs: pytest
  captures the descriptor itself while a test runs, which is when the progress is drawn. (The
  other way, sending everything before the first test reports, would leave the shrinking of a
  generated failure, which sends during its test, without progress.)
- replaces pytest's header (platform, rootdir, plugins, "collected N items") with the suite's
  own (``session.header_lines``: target, models, profile, seed, config file);
- names tests as the suite does (``test_auth.py``, ``test_sse_framing.py::test_sse[m-SSE-001]``:
  relative to the suite, never an installed path);
- writes the chat-conformance summary last, after every other plugin's lines, so that the
  verdict is the last line of every run; pytest's own short summary and tally ("1 failed,
  53 passed, 53 deselected") are left out: the summary says the same per requirement, and calls
  deselected requirements "not run".

Failures are shown by requirement (``report/failure_text.py``, set by the plugin for every run).
Tracebacks of anything else are pytest's short ones.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import sys
from collections.abc import Generator
from typing import TextIO

import pytest
from _pytest.terminal import TerminalReporter

from conformance.progress import counts_key
from conformance.report.live import LineGate, ProgressTicker

_ticker_key = pytest.StashKey[ProgressTicker]()
_gate_key = pytest.StashKey[tuple[LineGate, TextIO]]()


class CatalogReporter(TerminalReporter):  # type: ignore[misc]  # final for users, not for plugins
    """pytest's terminal reporter with the suite's header, test names and summary."""

    writes_conformance_summary = True  # the plugin leaves its summary to ``summary_stats``

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """pytest's, without its header: the suite writes its own once the tests are known."""
        standard_out, self._tw._file = self._tw._file, io.StringIO()
        try:
            super().pytest_sessionstart(session)  # keeps pytest's own bookkeeping (the clock)
        finally:
            self._tw._file = standard_out

    def pytest_collection(self) -> None:
        """Left out ("collecting ..."): the header says how many tests run."""

    def report_collect(self, final: bool = False) -> None:
        """Left out: the header says how many tests run."""

    def write_fspath_result(self, nodeid: str, res: str, **markup: bool) -> None:
        """pytest's, with the module named by its node ID (``test_auth.py``), not its path."""
        path = nodeid.split("::", 1)[0]
        if self.currentfspath is None or path != self.currentfspath:
            if self.currentfspath is not None and self._show_progress_info:
                self._write_progress_information_filling_space()
            self.currentfspath = path
            self._tw.line()
            self._tw.write(path + " ")
        self._tw.write(res, flush=True, **markup)

    def _locationline(self, nodeid: str, fspath: str, lineno: int | None, domain: str) -> str:
        """``-v``'s name of a test: its node ID, relative to the suite (the rootdir)."""
        return f"{nodeid} "

    def short_test_summary(self) -> None:
        """pytest's "short test summary info" only when asked for with ``-r``: by default the
        chat-conformance summary lists the failures, by requirement."""
        asked = any(a.startswith("-r") for a in self.config.invocation_params.args)
        if asked or not self._has_conformance_report():
            super().short_test_summary()

    def summary_stats(self) -> None:
        from conformance.report.session import write_summary

        if not write_summary(self):
            super().summary_stats()

    def _has_conformance_report(self) -> bool:
        from conformance.report.session import report_key

        return self.config.stash.get(report_key, None) is not None


def _real_stdout() -> TextIO:
    """A file on a duplicate of the standard output's descriptor (pytest redirects the
    descriptor itself while tests run), or the standard output when it has none."""
    try:
        descriptor = os.dup(sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):  # e.g. a test's capsys
        return sys.stdout
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    return open(descriptor, "w", encoding=encoding, errors="backslashreplace")


@pytest.hookimpl(trylast=True)  # after pytest's terminal plugin has registered its reporter
def pytest_configure(config: pytest.Config) -> None:
    standard = config.pluginmanager.get_plugin("terminalreporter")
    if standard is None or hasattr(config, "workerinput"):  # -p no:terminal, an xdist worker
        return
    out = _real_stdout()
    gate = LineGate(out, width=shutil.get_terminal_size().columns)
    config.stash[_gate_key] = (gate, out)
    config.pluginmanager.unregister(standard)
    config.pluginmanager.register(CatalogReporter(config, gate), "terminalreporter")
    if config.option.tbstyle == "auto":
        config.option.tbstyle = "short"  # a crash's frames without their arguments' reprs
    ticker = ProgressTicker(gate)
    config.stash[counts_key] = ticker.counts  # the suite's runner reports to it
    config.stash[_ticker_key] = ticker
    ticker.start()


@pytest.hookimpl(wrapper=True)
def pytest_runtestloop(session: pytest.Session) -> Generator[None, object, object]:
    """The progress ends with the tests, before any summary is written."""
    try:
        return (yield)
    finally:
        _stop_ticker(session.config)


def _stop_ticker(config: pytest.Config) -> None:
    ticker = config.stash.get(_ticker_key, None)
    if ticker is not None:
        ticker.stop()


def pytest_unconfigure(config: pytest.Config) -> None:
    _stop_ticker(config)
    gate, out = config.stash.get(_gate_key, (None, None))
    if gate is None:
        return
    gate.close()
    if out is not sys.stdout:
        with contextlib.suppress(BrokenPipeError):  # the reader went away (``| head``)
            out.close()

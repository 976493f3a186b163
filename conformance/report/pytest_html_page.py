"""pytest-html's page around the compliance section: its title, its test count, its log cells.

pytest-html names the page after the file ("report.html"), counts the tests it ran without the
skipped ones ("55 tests took" for a run of 56: its ``_run_count`` adds passed, failed, xpassed and
xfailed only) and shows a skipped test's log as the raw Python tuple pytest keeps for a skip
(``('.../_pytest/python.py', 187, 'Skipped: ...')``). Here the title names the verdict, the
target and the date, the count is the run's own, and a skip's log is its reason. The plugin's
``pytest_html_*`` hooks call these; nothing here acts outside a conformance run.
"""

from __future__ import annotations

import html
import textwrap
from typing import Any

import pytest

from conformance.report.shape import Report

page_key = pytest.StashKey[Any]()  # pytest-html's ReportData, kept to name the page at the end


def remember_page(page: Any) -> None:
    """From ``pytest_html_report_title`` (session start): the verdict is not known yet, so the
    page is kept and named when the report is (``name_page``)."""
    config = getattr(page, "config", None)
    if config is not None:
        config.stash[page_key] = page


def name_page(config: pytest.Config, report: Report) -> None:
    from conformance.report.html import page_title

    page = config.stash.get(page_key, None)
    if page is not None:
        page.title = page_title(report)


def tests_line(report: Report) -> str:
    """What pytest-html's "N tests took" line should say, from the report's own tests."""
    outcomes = [t.get("outcome") for r in report.get("requirements", []) for t in r["tests"]]
    known = sum(1 for r in report.get("requirements", []) for t in r["tests"] if t.get("known"))
    parts = [f"{outcomes.count('passed')} passed", f"{outcomes.count('failed')} failed"]
    if known:
        parts[-1] += f" ({known} known)"
    parts.append(f"{outcomes.count('skipped')} skipped")
    count = len(outcomes)
    seconds = float(report.get("duration_seconds", 0))
    return f"{count} {'test' if count == 1 else 'tests'} took {seconds:.1f} s: {', '.join(parts)}."


def run_count(report: Report) -> str:
    """The count, in place of pytest-html's own (hidden by pytest-html.css)."""
    return f'<p class="cc-run-count">{html.escape(tests_line(report))}</p>'


HIDDEN_FRAMES = (
    "All traceback entries are hidden. Pass `--full-trace` to see hidden and internal frames."
)


def tidy_log(report: pytest.TestReport, log: list[str]) -> None:
    """A skipped test's log cell: its reason, not the tuple pytest keeps (path, line, reason).
    A failed one: its violations, without the exception's class path and pytest's note on
    hidden frames (the suite hides them on purpose: the evidence is the exchange)."""
    if not dict(report.user_properties).get("requirement"):
        return
    if report.skipped and isinstance(report.longrepr, tuple) and len(report.longrepr) == 3:
        reason = str(report.longrepr[2]).removeprefix("Skipped: ")
        log[:] = [html.escape(f"Skipped: {reason}") + "\n"]
    elif log and "RequirementFailed: " in log[0]:
        text = log[0].replace(html.escape(HIDDEN_FRAMES), "").rstrip() + "\n"
        log[0] = textwrap.dedent(
            text.replace("E   conformance.plugin.RequirementFailed: ", "    ", 1)
        )

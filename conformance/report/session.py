"""The reporting side of the pytest plugin, kept out of ``plugin.py``: the baseline, the evidence
of failures, the report of the session, and the touches on pytest-html's page and JUnit XML.

``plugin.py`` owns the hooks; each one that concerns reports calls one function here.
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance.report.baseline import Baseline

baseline_key = pytest.StashKey[Baseline | None]()
report_key = pytest.StashKey[dict]()  # the session's report (the JSON report's dict)


def load_session_baseline(config: pytest.Config) -> None:
    """``--chat-baseline PATH``: read once, before any test; a bad file is a usage error."""
    path = getattr(config.option, "chat_baseline", None)
    config.stash[baseline_key] = None
    if not path:
        return
    from conformance.catalog import load_catalog
    from conformance.report.baseline import BaselineError, load_baseline

    try:
        config.stash[baseline_key] = load_baseline(path, load_catalog())
    except BaselineError as error:
        raise pytest.UsageError(f"--chat-baseline: {error}") from None


def known_reason(config: pytest.Config, requirement: str, model: str | None) -> str | None:
    baseline = config.stash.get(baseline_key, None)
    entry = baseline.match(requirement, model) if baseline else None
    return entry.reason if entry else None


# The exchanges a test judged without naming them as fixtures (tests built from the registry).
judged_exchanges_key = pytest.StashKey[list]()


def evidence_of(item: pytest.Item, violations: list | None, secrets: tuple[str, ...]) -> dict:
    from conformance.report.evidence import exchanges_in, failure_evidence

    values = [*getattr(item, "funcargs", {}).values(), item.stash.get(judged_exchanges_key, [])]
    return failure_evidence(violations, exchanges_in(values), secrets)


def mark_known(report: pytest.TestReport, requirement: str, reason: str) -> None:
    """A known failure is reported to pytest as an expected failure (xfail): it does not fail
    the session, JUnit shows it as skipped with the reason, pytest-html as "Expected failure".
    Our own reports still count it as failed, marked known."""
    report.outcome = "skipped"
    report.wasxfail = f"known failure of {requirement}: {reason}"


def label_junit_case(config: pytest.Config, report: pytest.TestReport, requirement: str) -> None:
    """JUnit test names start with the requirement ID, so CI test views read as the catalog."""
    try:
        from _pytest.junitxml import xml_key
    except ImportError:  # pragma: no cover - pytest moved it; JUnit keeps the plain names
        return
    xml = config.stash.get(xml_key, None)
    if xml is None:
        return
    name = report.nodeid.rsplit("::", 1)[-1]
    xml.node_reporter(report).add_attribute("name", f"{requirement} {name}")


def run_target_label(config: pytest.Config) -> dict[str, Any]:
    """The report's ``target`` as far as it is known before the run (no live URL yet)."""
    from conformance.redaction import display_url
    from conformance.settings import settings_from_pytest

    settings = settings_from_pytest(config)
    return {
        "name": getattr(config.option, "chat_target_name", None),
        "base_url": display_url(settings.base_url or "") or None,
        "embedded": settings.embedded,
        "models": list(settings.models),
    }


def add_evidence_link(
    config: pytest.Config, report: pytest.TestReport, requirement: str, model: str | None
) -> None:
    """In pytest-html's results table, a failed row links to its evidence in the summary."""
    try:
        from pytest_html import extras
    except ImportError:  # pragma: no cover - pytest-html is a dependency, but optional here
        return
    from conformance.report.html import esc, failure_anchor
    from conformance.report.json_report import run_label
    from conformance.report.matrix import Column

    label = run_label({"target": run_target_label(config)})
    link = failure_anchor(requirement, Column(label, model or ""))
    html = f'<p><a href="#{esc(link)}">Evidence: request, response and stream ↑</a></p>'
    report.extras = [*getattr(report, "extras", []), extras.html(html)]


def run_metadata(config: pytest.Config) -> dict[str, Any]:
    """Fields that describe the run, from options other parts of the suite may define."""
    meta = {}
    for key in ("profile", "seed"):
        value = getattr(config.option, f"chat_{key}", None)
        if value is not None:
            meta[key] = value
    meta["config_file"] = getattr(config.option, "chat_config_file", None)  # None: no file
    return meta


def header_lines(config: pytest.Config, items: list[pytest.Item]) -> list[str]:
    """What the run tests, in place of pytest's header: version, tests and target, then the
    models, the requirements chosen, the generated requests' profile and seed, the config file
    and the baseline."""
    from conformance import __version__
    from conformance.catalog import load_catalog

    target = run_target_label(config)
    where = target["base_url"] or "the embedded reference server"
    if target["name"]:
        where = f"{target['name']} ({where})"
    first = (
        f"chat-conformance {__version__} (catalog {load_catalog().version}): "
        f"{len(items)} tests against {where}"
    )
    models = target["models"]
    facts = [f"model{'s' if len(models) > 1 else ''} {', '.join(models)}"]
    only = getattr(config.option, "chat_only", None)
    if only:
        facts.append(f"only {', '.join(only)} (the rest not run)")
    if any(_marker_id(item).startswith("GEN-") for item in items):
        from conformance.profiles import generation_from_pytest

        generation = generation_from_pytest(config)  # fixes the seed the run will use
        facts.append(f"profile {generation.profile.name}, seed {generation.seed}")
    config_file = getattr(config.option, "chat_config_file", None)
    facts.append(f"config {config_file}" if config_file else "no config file")
    baseline = config.stash.get(baseline_key, None)
    if baseline is not None:
        facts.append(f"baseline {baseline.source} ({len(baseline)} known failures)")
    return [first, "  " + " · ".join(facts)]


def _marker_id(item: pytest.Item) -> str:
    marker = item.get_closest_marker("requirement")
    return str(marker.args[0]) if marker and marker.args else ""


def html_summary(config: pytest.Config) -> str | None:
    report = config.stash.get(report_key, None)
    if report is None:
        return None
    from conformance.report.html import render_sections, stylesheet
    from conformance.report.pytest_html_page import name_page, run_count

    name_page(config, report)
    return (
        f"<style>{stylesheet('pytest-html.css')}</style>{render_sections(report)}"
        f"{run_count(report)}"
    )


def replace_traceback(report: pytest.TestReport, requirement: str, outcome: Any) -> None:
    """A requirement's failure is shown as its violations and the request to rerun, not as
    the suite's traceback (``report/failure_text.py``)."""
    if outcome is None:
        return
    from conformance.catalog import load_catalog
    from conformance.report.failure_text import failure_block

    entry = load_catalog().get(requirement)
    report.longrepr = failure_block(entry, outcome.model, outcome.messages, outcome.evidence)


def write_summary(reporter: Any) -> bool:
    """The chat-conformance section of the terminal, its verdict last; False without a report."""
    from conformance.report.terminal import session_lines

    config = reporter.config
    report = config.stash.get(report_key, None)
    if report is None:
        return False
    if reporter._tw.width_of_current_line == 0:
        reporter.currentfspath = None  # pytest ended the tests' line already: no blank line
    reporter.section("chat-conformance")
    width = reporter._tw.fullwidth  # the terminal width, for the failure table
    tty = reporter.isatty() if callable(reporter.isatty) else reporter.isatty  # pytest 8: bool
    if not tty:
        width = max(width, 120)  # a log does not wrap: room for the reasons and their values
    lines = session_lines(report, verbose=config.option.verbose > 0, width=width)
    for text, colour in lines:
        reporter.write_line(text, **({colour: True} if colour else {}))
    return True

"""The pytest plugin: options, the ``requirement`` marker, verdicts, reports and the exit status.

Registered through the ``pytest11`` entry point, so it is loaded in every pytest run where
chat-conformance is installed. It stays inert there: its options are prefixed ``--chat-``, it
defines no fixtures (those live in ``conformance/suite/conftest.py``), and it acts only when the
collected tests carry the ``requirement`` marker. ``--base-url`` comes from pytest-base-url.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from conformance.options import add_to_pytest

REQUIREMENT_MARKER = "requirement"
_outcomes_key = pytest.StashKey[dict]()
_active_key = pytest.StashKey[bool]()
_started_key = pytest.StashKey[tuple]()
run_info_key = pytest.StashKey[dict]()  # filled by the suite: the target's URL, requests sent
# The exit status of a run that gave no verdict (the preflight found a setup error, or the target
# throttled the run): chat-conformance run's exit code 2, which pytest calls INTERRUPTED.
NO_VERDICT = pytest.ExitCode.INTERRUPTED


class RequirementFailed(AssertionError):
    """A test found violations of its requirement; they stay structured for the reports."""

    def __init__(self, violations: list) -> None:
        self.violations = violations
        super().__init__("\n".join(v.render() for v in violations))


def pytest_addoption(parser: pytest.Parser) -> None:
    add_to_pytest(parser.getgroup("chat-conformance", "chat-conformance (target: --base-url)"))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{REQUIREMENT_MARKER}(id): the catalog requirement this conformance test proves"
    )
    config.stash[_outcomes_key] = {}
    config.stash[_active_key] = False
    config.stash[_started_key] = (time.monotonic(), datetime.now(UTC).isoformat(timespec="seconds"))
    config.stash[run_info_key] = {}
    from conformance.report.session import load_session_baseline

    load_session_baseline(config)


def requirement_of(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker(REQUIREMENT_MARKER)
    return marker.args[0] if marker else None


def model_of(item: pytest.Item) -> str | None:
    callspec = getattr(item, "callspec", None)
    return callspec.params.get("model") if callspec else None


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not any(requirement_of(item) for item in items):
        return
    config.stash[_active_key] = True
    patterns = config.option.chat_only
    if not patterns:
        return
    from conformance.catalog import load_catalog

    try:
        chosen = load_catalog().select(patterns)
    except KeyError as error:
        raise pytest.UsageError(f"--chat-only: {error.args[0]}") from None
    kept = [item for item in items if requirement_of(item) in chosen]
    config.hook.pytest_deselected(items=[item for item in items if item not in kept])
    items[:] = kept


@pytest.hookimpl(tryfirst=True)  # the header before pytest's --collect-only listing
def pytest_collection_finish(session: pytest.Session) -> None:
    config = session.config
    if config.stash.get(_active_key, False):
        from conformance.clients import session as clients

        clients.start(config)  # the openai SDK replay worker: now against a URL, else lazily
    if config.stash.get(_active_key, False) and config.option.verbose >= 0:
        from conformance.report.session import header_lines

        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            for line in header_lines(config, session.items):
                reporter.write_line(line)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    from conformance.report import session

    report = yield
    requirement = requirement_of(item)
    if requirement is None:
        return report
    report.user_properties.append(("requirement", requirement))
    if report.when == "setup":
        session.label_junit_case(item.config, report, requirement)
    if report.when == "call" or report.outcome != "passed":
        _record(item, report, call)
    if report.when == "call" and report.failed:
        session.add_evidence_link(item.config, report, requirement, model_of(item))
        from conformance.clients.session import on_failure

        on_failure(item.config)  # its exchanges will be replayed through the openai SDK
        outcome = item.config.stash[_outcomes_key].get(item.nodeid)
        if call.excinfo is not None and isinstance(call.excinfo.value, RequirementFailed):
            session.replace_traceback(report, requirement, outcome)  # expected, actual, curl
        if outcome is not None and outcome.known:
            session.mark_known(report, requirement, outcome.known)
    return report


def _record(item: pytest.Item, report: pytest.TestReport, call: pytest.CallInfo) -> None:
    from conformance.exchange import redact
    from conformance.report.results import TestOutcome

    outcomes = item.config.stash[_outcomes_key]
    previous = outcomes.get(item.nodeid)
    if previous is not None and previous.outcome == "failed":
        return  # a teardown error must not hide the call's failure
    from conformance.report import session

    secrets = _secrets(item.config)
    messages: tuple[str, ...] = ()
    evidence, known = None, None
    if report.failed:
        error = call.excinfo.value if call.excinfo else None
        violations = error.violations if isinstance(error, RequirementFailed) else None
        if violations is not None:
            messages = tuple(redact(v.render(), *secrets) for v in violations)
        else:
            messages = (redact(report.longreprtext.strip().splitlines()[-1:][0], *secrets),)
        if report.when == "call":
            evidence = session.evidence_of(item, violations, secrets)
            known = session.known_reason(item.config, requirement_of(item) or "", model_of(item))
    elif report.skipped and isinstance(report.longrepr, tuple):
        messages = (redact(str(report.longrepr[2]), *secrets),)
    outcomes[item.nodeid] = TestOutcome(
        nodeid=item.nodeid,
        requirement=requirement_of(item) or "",
        model=model_of(item),
        outcome="failed" if report.failed else ("skipped" if report.skipped else "passed"),
        messages=messages,
        known=known,
        evidence=evidence,
    )


def _secrets(config: pytest.Config) -> tuple[str, ...]:
    """Everything that must never reach a report: the key, credentials in the URL, headers."""
    from conformance.exchange import MIN_SECRET_LENGTH, url_secrets
    from conformance.settings import settings_from_pytest

    settings = settings_from_pytest(config)
    # --header values may be keys too; a short one ("openai") would shred every message
    extra = (value for _, value in settings.headers if len(value) >= MIN_SECRET_LENGTH)
    return tuple(s for s in (settings.api_key, *url_secrets(settings.base_url or ""), *extra) if s)


def _results(config: pytest.Config):
    from conformance.catalog import load_catalog
    from conformance.report.results import verdicts

    return verdicts(load_catalog(), list(config.stash[_outcomes_key].values()))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if not config.stash.get(_active_key, False) or not config.stash[_outcomes_key]:
        return
    from conformance.catalog import load_catalog
    from conformance.exchange import display_url
    from conformance.report import session as reporting
    from conformance.report.baseline import baseline_summary
    from conformance.report.json_report import build_report, write_report
    from conformance.report.results import gate_passes, is_conformant
    from conformance.settings import settings_from_pytest

    settings = settings_from_pytest(config)
    run = config.stash.get(run_info_key, {})
    _record_unanswered_preflight(config, run)
    results = _results(config)
    conformant = is_conformant(results, settings.strict)
    gate_passed = gate_passes(results, settings.strict)  # known failures do not fail the run
    if run.get("throttled"):
        session.exitstatus = NO_VERDICT  # the target held us back
    elif exitstatus == pytest.ExitCode.TESTS_FAILED and gate_passed:
        session.exitstatus = pytest.ExitCode.OK  # only SHOULD (or known) failures
    elif exitstatus == pytest.ExitCode.OK and not gate_passed:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED  # the preflight's AUTH-003 failure
    started, started_at = config.stash[_started_key]
    report = build_report(
        results,
        catalog_version=load_catalog().version,
        target={
            **reporting.run_target_label(config),
            "base_url": run.get("base_url", display_url(settings.base_url or "")),
            "embedded": settings.embedded,
            "models": list(settings.models),
        },
        strict=settings.strict,
        conformant=conformant,
        started_at=started_at,
        duration=time.monotonic() - started,
        requests_sent=run.get("requests_sent", 0),
        throttled=run.get("throttled", []),
        gate_passed=gate_passed,
        baseline=baseline_summary(
            config.stash.get(reporting.baseline_key, None),
            list(config.stash[_outcomes_key].values()),
        ),
        run={
            **reporting.run_metadata(config),
            **_generation(run),
            **_preflight(run),
            **({"latency": run["latency"]} if run.get("latency") else {}),
        },
    )
    from conformance.clients import session as clients

    clients.attach(config, report, run.get("exchanges", []))  # what the openai SDK makes of them
    config.stash[reporting.report_key] = report  # for the terminal summary and the HTML
    if settings.json_path:
        write_report(report, settings.json_path)


def _record_unanswered_preflight(config: pytest.Config, run: dict) -> None:
    """A target that did not answer the preflight in time fails AUTH-003 on that exchange;
    every test was skipped (nothing else was sent), so the failure is recorded here."""
    exchange = run.get("preflight_exchange")
    if exchange is None or run.get("preflight", {}).get("outcome") != "unanswered":
        return
    from conformance import preflight
    from conformance.checks import Violation
    from conformance.exchange import redact
    from conformance.report.evidence import failure_evidence
    from conformance.report.results import TestOutcome

    option = config.option
    violation = Violation(
        "a minimal valid request was not answered within the configured bounds",
        expected=f"status 200 within {option.chat_read_timeout:g} s of silence "
        f"and {option.chat_deadline:g} s in all",
        actual=exchange.error or "no answer",
        exchange=preflight.NAME,
    )
    secrets = _secrets(config)
    model = exchange.request.body["model"]
    config.stash[_outcomes_key][preflight.NAME] = TestOutcome(
        nodeid=preflight.NAME,
        requirement=preflight.REQUIREMENT,
        model=model,
        outcome="failed",
        messages=(redact(violation.render(), *secrets),),
        known=None,  # never waved through by a baseline: nothing else was tested
        evidence=failure_evidence([violation], {preflight.NAME: exchange}, secrets),
    )


def _preflight(run: dict) -> dict:
    """What the preflight found, when it stopped the run short of the full plan."""
    return {"preflight": run["preflight"]} if run.get("preflight") else {}


def _generation(run: dict) -> dict:
    """The generated half of the run (seed, budget, minimal failing requests), if it ran."""
    return {"generation": run["generation"]} if run.get("generation") else {}


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    if not config.stash.get(_active_key, False) or not config.stash[_outcomes_key]:
        return
    if getattr(terminalreporter, "writes_conformance_summary", False):
        return  # chat-conformance run's terminal writes it last (report/catalog_terminal.py)
    from conformance.report.session import write_summary

    write_summary(terminalreporter)


@pytest.hookimpl(optionalhook=True)
def pytest_html_results_summary(prefix: list[str], summary, postfix, session) -> None:
    """The compliance section (verdict, matrix, evidence) at the top of pytest-html's page."""
    from conformance.report.session import html_summary

    section = html_summary(session.config)
    if section:
        prefix.append(section)


@pytest.hookimpl(optionalhook=True)
def pytest_html_report_title(report) -> None:
    """Kept, to be named after the verdict, target and date once they are known."""
    from conformance.report.pytest_html_page import remember_page

    remember_page(report)


@pytest.hookimpl(optionalhook=True)
def pytest_html_results_table_html(report: pytest.TestReport, data: list[str]) -> None:
    from conformance.report.pytest_html_page import tidy_log

    tidy_log(report, data)


@pytest.hookimpl(optionalhook=True)
def pytest_html_results_table_header(cells: list[str]) -> None:
    cells.insert(1, "<th>Requirement</th>")


@pytest.hookimpl(optionalhook=True)
def pytest_html_results_table_row(report: pytest.TestReport, cells: list[str]) -> None:
    requirement = dict(report.user_properties).get("requirement", "")
    cells.insert(1, f"<td>{requirement}</td>")

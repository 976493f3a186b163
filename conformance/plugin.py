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

from conformance.settings import DEFAULT_CONCURRENCY, ENV_API_KEY, ENV_MODELS

REQUIREMENT_MARKER = "requirement"
_outcomes_key = pytest.StashKey[dict]()
_active_key = pytest.StashKey[bool]()
_started_key = pytest.StashKey[tuple]()
run_info_key = pytest.StashKey[dict]()  # filled by the suite: the target's URL, requests sent


class RequirementFailed(AssertionError):
    """A test found violations of its requirement; they stay structured for the reports."""

    def __init__(self, violations: list) -> None:
        self.violations = violations
        super().__init__("\n".join(v.render() for v in violations))


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("chat-conformance", "chat-conformance (target: --base-url)")
    group.addoption(
        "--chat-api-key", default=None, help=f"bearer key for the target (env {ENV_API_KEY})"
    )
    group.addoption(
        "--chat-model",
        action="append",
        default=None,
        help=f"model to test; repeat for several (env {ENV_MODELS}, comma-separated)",
    )
    group.addoption(
        "--chat-strict",
        action="store_true",
        default=False,
        help="SHOULD requirements decide conformance too",
    )
    group.addoption(
        "--chat-only",
        action="append",
        default=None,
        help="run only these areas or requirement IDs (e.g. STREAM, SSE-002); repeatable",
    )
    group.addoption(
        "--chat-json", default=None, metavar="PATH", help="write the JSON compliance report here"
    )
    group.addoption(
        "--chat-concurrency",
        type=int,
        default=DEFAULT_CONCURRENCY,
        help="requests in flight at once (default %(default)s)",
    )
    group.addoption(
        "--chat-connect-timeout",
        type=float,
        default=10.0,
        help="seconds to connect (default %(default)s)",
    )
    group.addoption(
        "--chat-read-timeout",
        type=float,
        default=30.0,
        help="longest silence between bytes, seconds (default %(default)s)",
    )
    group.addoption(
        "--chat-deadline",
        type=float,
        default=60.0,
        help="longest whole exchange, seconds (default %(default)s)",
    )
    group.addoption(
        "--chat-reference-fault",
        action="append",
        default=None,
        metavar="NAME",
        help="without --base-url: the embedded reference server breaks this rule",
    )
    group.addoption(
        "--chat-reference-variation",
        action="append",
        default=None,
        metavar="NAME",
        help="without --base-url: a legal but unusual behaviour of the embedded server",
    )
    group.addoption(
        "--chat-max-bytes",
        type=int,
        default=4 * 1024 * 1024,
        help="largest response body, bytes (default %(default)s)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{REQUIREMENT_MARKER}(id): the catalog requirement this conformance test proves"
    )
    config.stash[_outcomes_key] = {}
    config.stash[_active_key] = False
    config.stash[_started_key] = (time.monotonic(), datetime.now(UTC).isoformat(timespec="seconds"))
    config.stash[run_info_key] = {}


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


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    requirement = requirement_of(item)
    if requirement is None:
        return report
    report.user_properties.append(("requirement", requirement))
    if report.when == "call" or report.outcome != "passed":
        _record(item, report, call)
    return report


def _record(item: pytest.Item, report: pytest.TestReport, call: pytest.CallInfo) -> None:
    from conformance.exchange import redact
    from conformance.report.results import TestOutcome

    outcomes = item.config.stash[_outcomes_key]
    previous = outcomes.get(item.nodeid)
    if previous is not None and previous.outcome == "failed":
        return  # a teardown error must not hide the call's failure
    api_key = _api_key(item.config)
    messages: tuple[str, ...] = ()
    if report.failed:
        error = call.excinfo.value if call.excinfo else None
        if isinstance(error, RequirementFailed):
            messages = tuple(redact(v.render(), api_key) for v in error.violations)
        else:
            messages = (redact(report.longreprtext.strip().splitlines()[-1:][0], api_key),)
    elif report.skipped and isinstance(report.longrepr, tuple):
        messages = (redact(str(report.longrepr[2]), api_key),)
    outcomes[item.nodeid] = TestOutcome(
        nodeid=item.nodeid,
        requirement=requirement_of(item) or "",
        model=model_of(item),
        outcome="failed" if report.failed else ("skipped" if report.skipped else "passed"),
        messages=messages,
    )


def _api_key(config: pytest.Config) -> str | None:
    import os

    return config.option.chat_api_key or os.environ.get(ENV_API_KEY) or None


def _results(config: pytest.Config):
    from conformance.catalog import load_catalog
    from conformance.report.results import verdicts

    return verdicts(load_catalog(), list(config.stash[_outcomes_key].values()))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if not config.stash.get(_active_key, False) or not config.stash[_outcomes_key]:
        return
    from conformance.catalog import load_catalog
    from conformance.report.json_report import build_report, write_report
    from conformance.report.results import is_conformant
    from conformance.settings import settings_from_pytest

    settings = settings_from_pytest(config)
    results = _results(config)
    conformant = is_conformant(results, settings.strict)
    if exitstatus == pytest.ExitCode.TESTS_FAILED and conformant:
        session.exitstatus = pytest.ExitCode.OK  # only SHOULD failures, outside strict mode
    if settings.json_path:
        started, started_at = config.stash[_started_key]
        run = config.stash.get(run_info_key, {})
        report = build_report(
            results,
            catalog_version=load_catalog().version,
            target={
                "base_url": run.get("base_url", settings.base_url),
                "embedded": settings.embedded,
                "models": list(settings.models),
            },
            strict=settings.strict,
            conformant=conformant,
            started_at=started_at,
            duration=time.monotonic() - started,
            requests_sent=run.get("requests_sent", 0),
        )
        write_report(report, settings.json_path)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    if not config.stash.get(_active_key, False) or not config.stash[_outcomes_key]:
        return
    from conformance.report.results import is_conformant
    from conformance.report.terminal import summary_lines

    strict = config.option.chat_strict
    results = _results(config)
    terminalreporter.section("chat-conformance: requirements")
    for line in summary_lines(results, strict, is_conformant(results, strict)):
        terminalreporter.write_line(line)
    run = config.stash.get(run_info_key, {})
    if run:
        terminalreporter.write_line(
            f"target {run.get('base_url')}: {run.get('requests_sent', 0)} requests sent"
        )


@pytest.hookimpl(optionalhook=True)
def pytest_html_results_table_header(cells: list[str]) -> None:
    cells.insert(1, "<th>Requirement</th>")


@pytest.hookimpl(optionalhook=True)
def pytest_html_results_table_row(report: pytest.TestReport, cells: list[str]) -> None:
    requirement = dict(report.user_properties).get("requirement", "")
    cells.insert(1, f"<td>{requirement}</td>")

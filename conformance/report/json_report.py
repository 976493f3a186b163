"""The machine-readable report: every requirement with its level, status and failure messages.

It is also the record later tools read: ``merge`` joins the reports of sharded CI jobs,
``compare`` sets runs side by side, the HTML renders from it. So it says what produced it (tool
and catalog versions, target with credentials redacted, models, profile, seed, start, duration)
and keeps, per test, its outcome, whether the baseline knew the failure, and the evidence.
Its shape is written out as types in ``shape.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

from conformance import __version__
from conformance.catalog import Catalog
from conformance.report.results import RequirementVerdict, TestOutcome
from conformance.report.shape import BaselineSummary, Report, RunFields, Target, TestEntry

REPORT_FORMAT = 1  # raised when a field changes meaning; added fields do not raise it


class ReportError(ValueError):
    """A file is not a chat-conformance JSON report (one line, naming the file)."""


def build_report(
    results: list[RequirementVerdict],
    *,
    catalog_version: str,
    target: Target,
    strict: bool,
    conformant: bool,
    started_at: str,
    duration: float,
    requests_sent: int,
    throttled: list[str] | None = None,
    gate_passed: bool | None = None,
    baseline: BaselineSummary | None = None,
    run: RunFields | None = None,
) -> Report:
    """``run`` adds what describes the run (profile, seed, ...); ``baseline`` the known failures.

    ``gate_passed`` is the release gate's verdict (no new failures); it is ``conformant``
    when no baseline is in use.
    """

    def count(status: str, level: str | None = None) -> int:
        return sum(
            1
            for v in results
            if v.status == status and (level is None or v.requirement.level == level)
        )

    return {
        "report_format": REPORT_FORMAT,
        "tool": {"name": "chat-conformance", "version": __version__},
        "catalog_version": catalog_version,
        "target": target,
        "strict": strict,
        "conformant": conformant,
        "gate_passed": conformant if gate_passed is None else gate_passed,
        **(run or {}),
        "started_at": started_at,
        "duration_seconds": round(duration, 3),
        "requests_sent": requests_sent,
        "complete": not throttled,  # False: the target throttled us; no conformance verdict
        "throttled": throttled or [],
        "summary": {
            "passed": count("passed"),
            "failed": count("failed"),
            "skipped": sum(1 for v in results if v.status == "skipped" and v.tests),
            "not_run": sum(1 for v in results if not v.tests),  # left out (--only, a shard)
            "must_failed": count("failed", "MUST"),
            "should_failed": count("failed", "SHOULD"),
            "known_failed": sum(1 for v in results if v.known_failure),
        },
        "baseline": baseline,
        "requirements": [
            {
                "id": v.requirement.id,
                "area": v.requirement.area,
                "level": v.requirement.level,
                "title": v.requirement.title,
                "statement": v.requirement.statement,
                "aliases": list(v.requirement.aliases),
                "status": v.status,
                "known": v.known_failure,
                "messages": v.messages,
                "models": v.models,
                "tests": [test_entry(t) for t in v.tests],
            }
            for v in results
        ],
    }


def test_entry(test: TestOutcome) -> TestEntry:
    entry: TestEntry = {"nodeid": test.nodeid, "model": test.model, "outcome": test.outcome}
    if test.target:
        entry["target"] = test.target
    if test.messages:
        entry["messages"] = list(test.messages)
    if test.known:
        entry["known"] = test.known
    if test.evidence:
        entry["evidence"] = test.evidence
    return entry


def write_report(report: Report, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # A lone surrogate (a server may send "\ud800", legal JSON, not Unicode) cannot be UTF-8:
    # written as its JSON escape, the report stays valid JSON and reads back the same.
    text = json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    path.write_text(text, encoding="utf-8", errors="backslashreplace")
    return path


def load_report(path: str | Path) -> Report:
    """A JSON report written by any release of chat-conformance, or ReportError."""
    path = Path(path)
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ReportError(f"cannot read {path}: {error.strerror}") from None
    except ValueError as error:
        raise ReportError(f"{path} is not JSON: {error}") from None
    if not isinstance(report, dict) or not isinstance(report.get("requirements"), list):
        raise ReportError(f"{path} is not a chat-conformance JSON report")
    if report.get("report_format", 1) > REPORT_FORMAT:
        raise ReportError(f"{path} was written by a newer chat-conformance; upgrade to read it")
    return report


def run_label(report: Report) -> str:
    """How a run is named in matrices: its configured target name, else its host, else embedded."""
    target = report.get("target") or {}
    if target.get("name"):
        return str(target["name"])
    if target.get("embedded"):
        return "embedded"
    url = str(target.get("base_url") or "")
    host = url.split("://", 1)[-1].split("/", 1)[0]
    return host or "target"


def outcomes_in(report: Report, catalog: Catalog) -> list[TestOutcome]:
    """The test outcomes a report records, with requirement IDs as the catalog spells them now.

    A requirement renamed since the report was written is found through its alias; one the
    catalog no longer has is left out.
    """
    label = run_label(report)
    outcomes = []
    for requirement in report["requirements"]:
        try:
            requirement_id = catalog.get(str(requirement.get("id"))).id
        except KeyError:
            continue
        for test in requirement.get("tests", []):
            outcomes.append(
                TestOutcome(
                    nodeid=str(test.get("nodeid", "")),
                    requirement=requirement_id,
                    model=test.get("model"),
                    outcome=test.get("outcome", "skipped"),
                    messages=tuple(test.get("messages", ())),
                    known=test.get("known"),
                    target=test.get("target") or label,
                    evidence=test.get("evidence"),
                )
            )
    return outcomes

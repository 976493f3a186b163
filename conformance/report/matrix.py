"""The compliance matrix: requirements (rows, grouped by area) against targets and models.

It is read from a JSON report (the dict), never from a live run, so the same matrix shows a
run that just finished, a report merged from CI shards and a comparison of several reports.
A column is one (target, model) pair; a cell combines the tests of its requirement there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from conformance.catalog import AREAS
from conformance.report.json_report import run_label
from conformance.report.shape import Report, RequirementEntry, TestEntry
from conformance.report.text import shortened

NOT_RUN = "not run"


@dataclass(frozen=True)
class Column:
    target: str
    model: str

    def label(self, several_targets: bool) -> str:
        return f"{self.target} · {self.model}" if several_targets else self.model


@dataclass(frozen=True)
class Cell:
    status: str  # passed, failed, skipped, or "not run" (no test of it ran there)
    known: str | None = None  # every failure here is a known one: the baseline's reason
    reason: str = ""  # the first failure or skip message, one line
    actual: str = ""  # what the first failure found (its "Actual:" line), for one-line reasons

    @property
    def new_failure(self) -> bool:
        return self.status == "failed" and self.known is None


def _target_of(test: TestEntry, default: str) -> str:
    return test.get("target") or default


def columns(report: Report) -> list[Column]:
    """Every (target, model) pair the report has tests for, in the order the run named them
    (a merged report: the order its reports were given, then each one's models)."""
    default = run_label(report)
    tested = [
        Column(_target_of(t, default), t.get("model") or "")
        for r in report.get("requirements", [])
        for t in r.get("tests", [])
    ]
    listed = [
        Column(str(run.get("label") or default), model)
        for run in report.get("runs") or []
        for model in run.get("models", [])
    ]
    listed += [Column(default, m) for m in (report.get("target") or {}).get("models", [])]
    ordered = list(dict.fromkeys([*listed, *tested]))
    return [c for c in ordered if c in set(tested)] or ordered


def several_targets(cols: Iterable[Column]) -> bool:
    return len({c.target for c in cols}) > 1


def cell(requirement: RequirementEntry, column: Column, report: Report) -> Cell:
    default = run_label(report)
    tests = [
        t
        for t in requirement.get("tests", [])
        if _target_of(t, default) == column.target and (t.get("model") or "") == column.model
    ]
    if not tests:
        return Cell(NOT_RUN)
    outcomes = [t.get("outcome") for t in tests]
    if "failed" in outcomes:
        failing = [t for t in tests if t.get("outcome") == "failed"]
        known = [t.get("known") for t in failing]
        messages = failing[0].get("messages") or requirement.get("messages") or []
        known_reason = known[0] if all(known) else None
        return Cell("failed", known_reason, first_line(messages), actual_of(messages))
    if "passed" in outcomes:
        return Cell("passed")
    return Cell("skipped", reason=first_line(tests[0].get("messages") or []))


def first_line(messages: list[str], limit: int = 240) -> str:
    if not messages:
        return ""
    line = messages[0].strip().splitlines()[0] if messages[0].strip() else ""
    return shortened(line, limit - 1, prose=True)


def actual_of(messages: list[str], limit: int = 240) -> str:
    """The value the first violation found (the ``Actual:`` line of ``Violation.render``)."""
    for line in (messages[0] if messages else "").splitlines()[1:]:
        label, _, value = line.strip().partition(":")
        if label == "Actual":
            return shortened(value.strip(), limit - 1)
    return ""


def by_area(requirements: list[dict[str, Any]]) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """Requirements grouped by area, in catalog order: (area, area name, requirements)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for requirement in requirements:
        area = requirement.get("area") or str(requirement.get("id", "")).split("-", 1)[0]
        groups.setdefault(area, []).append(requirement)
    return [(area, AREAS.get(area, area), items) for area, items in groups.items()]


def anchor(*parts: str) -> str:
    """An HTML id from free text (model names may hold anything)."""
    return "cc-" + "-".join(re.sub(r"[^A-Za-z0-9_.-]+", "_", part) for part in parts)

"""The per-requirement summary printed at the end of a run, for people reading a CI log."""

from __future__ import annotations

from collections.abc import Callable

from conformance.catalog import AREAS
from conformance.report.results import RequirementVerdict

MARKS = {"passed": "PASS", "failed": "FAIL", "skipped": "skip"}


def summary_lines(results: list[RequirementVerdict], strict: bool, conformant: bool) -> list[str]:
    lines = []
    area = None
    for verdict in results:
        requirement = verdict.requirement
        if requirement.area != area:
            area = requirement.area
            lines.append(f"{area} - {AREAS.get(area, area)}")
        mark = MARKS[verdict.status]
        line = f"  {mark}  {requirement.id:<11} {requirement.level:<6} {requirement.title}"
        lines.append(line)
        if verdict.status == "failed" and verdict.messages:
            first = verdict.messages[0].splitlines()[0]
            lines.append(f"        -> {first[:150]}")
    failed_must = sum(v.status == "failed" and v.requirement.level == "MUST" for v in results)
    failed_should = sum(v.status == "failed" and v.requirement.level == "SHOULD" for v in results)
    passed = sum(v.status == "passed" for v in results)
    skipped = sum(v.status == "skipped" for v in results)
    mode = "strict" if strict else "default"
    verdict_word = "CONFORMANT" if conformant else "NOT CONFORMANT"
    lines.append(
        f"{verdict_word} ({mode} mode): {passed} passed, {failed_must} MUST failed, "
        f"{failed_should} SHOULD failed, {skipped} skipped of {len(results)} requirements"
    )
    return lines


def write_summary(
    write: Callable[[str], None], results: list[RequirementVerdict], strict: bool, conformant: bool
) -> None:
    for line in summary_lines(results, strict, conformant):
        write(line)

"""The summary at the end of a run, for people reading a terminal or a CI log.

Compact by default: one line of per-area tallies, a table of the failed requirements with a
one-line reason each (new failures first, then known ones), and the verdict. ``-v`` adds the
full per-requirement list. Like the HTML, it reads the JSON report (the dict), so ``merge``
prints the same summary for a merged report.
"""

from __future__ import annotations

from conformance.report.latency import latency_lines
from conformance.report.matrix import Column, by_area, cell, columns, several_targets
from conformance.report.shape import Report, RequirementEntry
from conformance.report.text import shortened

MARKS = {"passed": "PASS", "failed": "FAIL", "skipped": "skip"}
Line = tuple[str, str | None]  # text, colour (red, green, yellow) or None


def _failing_columns(requirement: RequirementEntry, report: Report, cols: list[Column]):
    found = []
    for column in cols:
        value = cell(requirement, column, report)
        if value.status == "failed":
            found.append((column, value))
    return found


def _where(failing: list, cols: list[Column], several: bool) -> str:
    if len(cols) <= 1:
        return ""
    if len(failing) == len(cols):
        return "all"
    return ", ".join(column.label(several) for column, _ in failing)


def _table(rows: list[tuple[str, str, str, str]], width: int) -> list[str]:
    where_width = min(28, max((len(r[2]) for r in rows), default=0))
    lines = []
    for requirement_id, level, where, reason in rows:
        where = shortened(where, where_width - 1, prose=True)
        head = f"  {requirement_id:<11} {level:<6} " + (
            f"{where:<{where_width}}  " if where_width else ""
        )
        room = max(60, width - len(head))
        lines.append(head + shortened(reason, room - 1, prose=True))
    return lines


def requirement_lines(report: Report) -> list[Line]:
    """Every requirement, one line each, grouped by area (the verbose view)."""
    lines: list[Line] = []
    for area, name, requirements in by_area(report.get("requirements", [])):
        lines.append((f"{area} - {name}", None))
        for r in requirements:
            mark = "KNOWN" if r.get("known") else MARKS.get(r.get("status"), "?")
            colour = {"passed": "green", "failed": "red"}.get(r.get("status"))
            if r.get("known"):
                colour = "yellow"
            lines.append(
                (f"  {mark:<5} {r['id']:<11} {r.get('level', ''):<6} {r.get('title')}", colour)
            )
    return lines


def verdict_line(report: Report) -> Line:
    s = report.get("summary", {})
    mode = "strict" if report.get("strict") else "default"
    word = "CONFORMANT" if report.get("conformant") else "NOT CONFORMANT"
    text = (
        f"{word} ({mode} mode): {s.get('passed', 0)} passed, "
        f"{s.get('must_failed', 0)} MUST failed, "
        f"{s.get('should_failed', 0)} SHOULD failed, {s.get('skipped', 0)} skipped"
        + (f", {s['not_run']} not run" if s.get("not_run") else "")
        + f" of {len(report.get('requirements', []))} requirements"
    )
    return text, "green" if report.get("conformant") else "red"


def summary_lines(report: Report, *, verbose: bool = False, width: int = 100) -> list[Line]:
    lines: list[Line] = requirement_lines(report) if verbose else []
    cols = columns(report)
    several = several_targets(cols)
    tallies = []
    for area, _, requirements in by_area(report.get("requirements", [])):
        ran = [r for r in requirements if r.get("tests")]
        if ran:
            ok = sum(1 for r in ran if r.get("status") == "passed")
            tallies.append(f"{area} {ok}/{len(ran)}")
    if tallies:
        lines.append(("areas   " + " · ".join(tallies), None))
    if len(cols) > 1:
        lines.append(("columns " + ", ".join(c.label(several) for c in cols), None))

    new_rows, known_rows = [], []
    for requirement in report.get("requirements", []):
        failing = _failing_columns(requirement, report, cols)
        if not failing:
            continue
        new = [(c, v) for c, v in failing if v.new_failure]
        known = [(c, v) for c, v in failing if not v.new_failure]
        level = requirement.get("level", "")
        if new:
            reason = new[0][1].reason or "failed"
            new_rows.append((requirement["id"], level, _where(new, cols, several), reason))
        if known:
            reason = f"known: {known[0][1].known}"
            known_rows.append((requirement["id"], level, _where(known, cols, several), reason))
    if new_rows:
        lines.append((f"Failed requirements ({len(new_rows)}):", "red"))
        lines += [(line, None) for line in _table(new_rows, width)]
    if known_rows:
        lines.append((f"Known failures, listed in the baseline ({len(known_rows)}):", "yellow"))
        lines += [(line, None) for line in _table(known_rows, width)]
    baseline = report.get("baseline") or {}
    fixed = [e for e in baseline.get("entries", []) if e.get("status") == "passing"]
    if fixed:
        names = ", ".join(
            e["requirement"] + (f" ({e['model']})" if e.get("model") else "") for e in fixed
        )
        lines.append((f"Passing now, remove from the baseline: {names}", "yellow"))
    unjudged = []
    for requirement in report.get("requirements", []):
        if requirement.get("status") != "skipped" or not requirement.get("tests"):
            continue
        skipping = [(c, v) for c in cols if (v := cell(requirement, c, report)).status == "skipped"]
        reason = (skipping[0][1].reason if skipping else "") or "no reason given"
        where = _where(skipping, cols, several)
        unjudged.append((requirement["id"], requirement.get("level", ""), where, reason))
    if unjudged:
        lines.append((f"Could not be judged ({len(unjudged)}):", "yellow"))
        lines += [(line, None) for line in _table(unjudged, width)]
    lines += latency_lines(report)  # conformance/report/latency.py
    lines.append(verdict_line(report))
    if baseline and not report.get("conformant"):
        if report.get("gate_passed"):
            known = report.get("summary", {}).get("known_failed", 0)
            lines.append(
                (f"GATE PASSED: no new failures ({known} known, see the report)", "yellow")
            )
        else:
            lines.append(("GATE FAILED: new failures beyond the baseline", "red"))
    return lines


def plain(lines: list[Line]) -> str:
    return "\n".join(text for text, _ in lines)

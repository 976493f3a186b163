"""The summary at the end of a run, for people reading a terminal or a CI log.

Compact by default: one line of per-area tallies, a table of the failed requirements with a
one-line reason each (new failures first, then known ones), what could not be judged and why,
and the verdict, always last. ``-v`` adds the full per-requirement list. Like the HTML, it reads
the JSON report (the dict), so ``merge`` prints the same summary for a merged report; a run adds
its own lines (requests sent, generated requests) above the verdict (``session_lines``).
"""

from __future__ import annotations

from conformance.clients.render import client_lines
from conformance.report.generated import generation_lines
from conformance.report.latency import latency_lines
from conformance.report.matrix import NOT_RUN, Column, by_area, cell, columns, several_targets
from conformance.report.shape import Report, RequirementEntry
from conformance.report.text import printable, shortened

MARKS = {"passed": "PASS", "failed": "FAIL", "skipped": "skip", NOT_RUN: "-"}
Line = tuple[str, str | None]  # text, colour (red, green, yellow) or None
Row = tuple[str, str, str, str, str]  # requirement, level, where, reason, actual value


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


def reason_line(reason: str, actual: str, room: int) -> str:
    """``reason; actual: value`` in at most ``room`` characters: the reason is cut between words
    first, so that the value the target sent (``end_turn``) stays; the value itself keeps at
    least half the room, cut where it falls."""
    reason, actual = printable(reason), printable(actual)
    if not actual or actual in reason:
        return shortened(reason, room, prose=True)
    joint = "; actual: "
    if len(reason) + len(joint) + len(actual) <= room:
        return reason + joint + actual
    value_room = max(room // 2, room - len(reason) - len(joint))
    value = shortened(actual, value_room)
    return shortened(reason, room - len(joint) - len(value), prose=True) + joint + value


def _table(rows: list[Row], width: int) -> list[str]:
    where_width = min(28, max((len(r[2]) for r in rows), default=0))
    lines = []
    for requirement_id, level, where, reason, actual in rows:
        where = shortened(where, where_width - 1, prose=True)
        head = (f"  {requirement_id:<11} {level:<6} " if level else f"  {requirement_id} ") + (
            f"{where:<{where_width}}  " if where_width else ""
        )
        room = max(50, width - len(head) - 1)
        lines.append(head + reason_line(reason, actual, room))
    return lines


def requirement_lines(report: Report) -> list[Line]:
    """Every requirement, one line each, grouped by area (the verbose view). Requirements
    left out of the run (``--only``, a shard) are "not run", never "skip"; an area left out
    whole is one line."""
    lines: list[Line] = []
    for area, name, requirements in by_area(report.get("requirements", [])):
        if not any(r.get("tests") for r in requirements):
            lines.append((f"{area} - {name}: {NOT_RUN}", None))
            continue
        lines.append((f"{area} - {name}", None))
        for r in requirements:
            status = r.get("status") if r.get("tests") else NOT_RUN
            mark = "KNOWN" if r.get("known") else MARKS.get(status, "?")
            colour = {"passed": "green", "failed": "red"}.get(r.get("status"))
            if r.get("known"):
                colour = "yellow"
            lines.append(
                (f"  {mark:<5} {r['id']:<11} {r.get('level', ''):<6} {r.get('title')}", colour)
            )
    return lines


def verdict_line(report: Report) -> Line:
    """One line: the verdict and the counts it rests on. A throttled run has none to give."""
    s = report.get("summary", {})
    mode = "strict" if report.get("strict") else "default"
    word = (
        f"CONFORMANT ({mode} mode)" if report.get("conformant") else f"NOT CONFORMANT ({mode} mode)"
    )
    complete = report.get("complete") is not False
    if not complete:
        word = "NO VERDICT, the target throttled the run"
    text = (
        f"{word}: {s.get('passed', 0)} passed, "
        f"{s.get('must_failed', 0)} MUST failed, "
        f"{s.get('should_failed', 0)} SHOULD failed, {s.get('skipped', 0)} skipped"
        + (f", {s['not_run']} not run" if s.get("not_run") else "")
        + f" of {len(report.get('requirements', []))} requirements"
    )
    return text, "green" if report.get("conformant") and complete else "red"


def summary_lines(report: Report, *, verbose: bool = False, width: int = 100) -> list[Line]:
    """The summary of a report, the verdict last (``merge`` prints it for merged reports)."""
    return body_lines(report, verbose=verbose, width=width) + closing_lines(report)


def session_lines(report: Report, *, verbose: bool = False, width: int = 100) -> list[Line]:
    """The summary of the run that just ended: the report's, then what the run sent, then the
    verdict, last."""
    body = body_lines(report, verbose=verbose, width=width)
    return body + run_lines(report) + closing_lines(report)


def run_lines(report: Report) -> list[Line]:
    """What the run sent: the target and its request count, the generated requests, and why
    the run is short of a verdict when the target did not answer or throttled it."""
    lines: list[Line] = []
    base_url = (report.get("target") or {}).get("base_url")
    seconds = report.get("duration_seconds")
    took = f" in {seconds:.1f} s" if isinstance(seconds, int | float) else ""
    lines.append((f"target {base_url}: {report.get('requests_sent', 0)} requests sent{took}", None))
    if report.get("generation"):
        lines += [(line, None) for line in generation_lines(report["generation"])]
    preflight = report.get("preflight") or {}
    if preflight.get("outcome") == "unanswered":
        lines.append((f"NO ANSWER: {preflight['message']}", "red"))
    throttled = report.get("throttled") or []
    if throttled:
        lines.append(
            (
                f"THROTTLED: {len(throttled)} request(s) still got 429/503 after every retry "
                f"({', '.join(throttled[:5])}); this run is no conformance verdict",
                "red",
            )
        )
    return lines


def body_lines(report: Report, *, verbose: bool = False, width: int = 100) -> list[Line]:
    """Everything above the verdict: tallies, failures, known failures, what was not judged."""
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
            reason, actual = new[0][1].reason or "failed", new[0][1].actual
            new_rows.append((requirement["id"], level, _where(new, cols, several), reason, actual))
        if known:
            reason = f"known: {known[0][1].known}"
            known_rows.append((requirement["id"], level, _where(known, cols, several), reason, ""))
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
        reason = (skipping[0][1].reason if skipping else "").removeprefix("Skipped: ")
        reason = reason or "no reason given"
        where = _where(skipping, cols, several)
        unjudged.append((requirement["id"], requirement.get("level", ""), where, reason, ""))
    if unjudged:
        lines.append((f"Could not be judged ({len(unjudged)}):", "yellow"))
        lines += [(line, None) for line in _table(_grouped(unjudged), width)]
    lines += latency_lines(report)  # conformance/report/latency.py
    lines += client_lines(report)  # conformance/clients/render.py
    return lines


def _grouped(rows: list[Row], at_least: int = 4) -> list[Row]:
    """Rows that give one reason (a throttled run: every requirement) as one row, the first and
    last IDs in its first column: the reason once, not 56 times."""
    by_reason: dict[tuple[str, str], list[Row]] = {}
    for row in rows:
        by_reason.setdefault((row[2], row[3]), []).append(row)
    grouped = []
    for (where, reason), same in by_reason.items():
        if len(same) < at_least:
            grouped += same
            continue
        first, last = same[0][0], same[-1][0]
        grouped.append((f"{len(same)} requirements, {first} to {last}:", "", where, reason, ""))
    return grouped


def closing_lines(report: Report) -> list[Line]:
    """The release gate, when a baseline is in use, then the verdict: the last line."""
    lines: list[Line] = []
    baseline = report.get("baseline") or {}
    if baseline and not report.get("conformant"):
        if report.get("gate_passed"):
            known = report.get("summary", {}).get("known_failed", 0)
            lines.append(
                (f"GATE PASSED: no new failures ({known} known, see the report)", "yellow")
            )
        else:
            lines.append(("GATE FAILED: new failures beyond the baseline", "red"))
    lines.append(verdict_line(report))
    return lines


def plain(lines: list[Line]) -> str:
    return "\n".join(text for text, _ in lines)

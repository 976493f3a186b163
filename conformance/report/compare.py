"""Several JSON reports as one matrix, and what changed between them.

The reports may be providers (which gateway is most compatible?) or releases of one gateway
(what did this release break or fix?). The first report is the reference: every other report's
cells are compared with the reference's cell for the same model (or, when the reference did not
test that model, with the reference's verdict for the requirement), and a change is either
*newly failing* (it passed there) or *newly passing* (it failed there).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from conformance.catalog import Catalog
from conformance.report.html import (
    by_area,
    cell_html,
    esc,
    level_badge,
    render_page,
    requirement_row,
    stylesheet,
    verdict_of,
)
from conformance.report.json_report import run_label
from conformance.report.latency_compare import comparison_html, comparison_lines
from conformance.report.matrix import NOT_RUN, Cell, Column, cell, columns, several_targets
from conformance.report.shape import Report, RequirementEntry

NEWLY_FAILING = "newly failing"
NEWLY_PASSING = "newly passing"


@dataclass(frozen=True)
class Compared:
    label: str
    report: Report
    requirements: dict[str, RequirementEntry]  # current catalog ID -> the report's entry
    columns: list[Column]


@dataclass(frozen=True)
class Change:
    kind: str  # NEWLY_FAILING or NEWLY_PASSING
    requirement: str
    level: str
    title: str
    report: str  # label of the report where it changed
    column: str  # the column label within that report
    reason: str  # for a new failure: its first message

    def line(self) -> str:
        tail = f": {self.reason}" if self.reason else ""
        return f"{self.requirement:<11} {self.level:<6} {self.report} / {self.column}{tail}"


@dataclass
class Comparison:
    reports: list[Compared]
    rows: list[dict[str, Any]]  # catalog requirements, as report entries (id, area, level, ...)
    changes: list[Change]
    changed: dict[tuple[int, Column, str], str]  # (report index, column, requirement) -> kind

    def of_kind(self, kind: str) -> list[Change]:
        return [c for c in self.changes if c.kind == kind]


def labels_for(
    reports: list[Report], given: list[str] | None = None, names: list[str] | None = None
) -> list[str]:
    """A distinct, readable label per report: the given ones, else the target's name or host;
    where two reports share one, their ``names`` (file names) instead, then a number."""
    given = list(given or [])
    labels = given + [run_label(r) for r in reports[len(given) :]]
    names = names or [""] * len(reports)
    repeated = {label for label in labels if labels.count(label) > 1}
    labels = [
        (names[i] or label) if label in repeated and i >= len(given) else label
        for i, label in enumerate(labels)
    ]
    repeated = {label for label in labels if labels.count(label) > 1}
    return [f"{label} #{i + 1}" if label in repeated else label for i, label in enumerate(labels)]


def _by_current_id(report: Report, catalog: Catalog) -> dict[str, RequirementEntry]:
    found = {}
    for entry in report.get("requirements", []):
        try:
            found[catalog.get(str(entry.get("id"))).id] = entry
        except KeyError:
            continue  # retired since: nothing to compare it with
    return found


def _requirement_cell(entry: RequirementEntry | None) -> Cell:
    if entry is None or not entry.get("tests"):
        return Cell(NOT_RUN)
    status = entry.get("status", "skipped")
    return Cell(status, "known" if status == "failed" and entry.get("known") else None)


def compare(
    reports: list[Report],
    catalog: Catalog,
    labels: list[str] | None = None,
    names: list[str] | None = None,
) -> Comparison:
    """``labels`` name the reports (in order); ``names`` break ties between equal targets."""
    names = labels_for(reports, labels, names)
    compared = [
        Compared(name, report, _by_current_id(report, catalog), columns(report))
        for name, report in zip(names, reports, strict=True)
    ]
    rows = [
        {
            "id": r.id,
            "area": r.area,
            "level": r.level,
            "title": r.title,
            "statement": r.statement,
            "aliases": list(r.aliases),
        }
        for r in catalog
    ]
    reference = compared[0]
    changes: list[Change] = []
    changed: dict[tuple[int, Column, str], str] = {}
    for index, other in enumerate(compared[1:], 1):
        several = several_targets(other.columns)
        for row in rows:
            entry = other.requirements.get(row["id"])
            if entry is None:
                continue
            for column in other.columns:
                after = cell(entry, column, other.report)
                before = _reference_cell(reference, row["id"], column)
                kind = _change(before, after)
                if kind:
                    changed[(index, column, row["id"])] = kind
                    changes.append(
                        Change(
                            kind,
                            row["id"],
                            row["level"],
                            row["title"],
                            other.label,
                            column.label(several),
                            after.reason if kind == NEWLY_FAILING else "",
                        )
                    )
    return Comparison(compared, rows, changes, changed)


def _reference_cell(reference: Compared, requirement: str, column: Column) -> Cell:
    entry = reference.requirements.get(requirement)
    if entry is None:
        return Cell(NOT_RUN)
    same_model = [c for c in reference.columns if c.model == column.model]
    same_model.sort(key=lambda c: c.target != column.target)
    if same_model:
        return cell(entry, same_model[0], reference.report)
    return _requirement_cell(entry)


def _change(before: Cell, after: Cell) -> str | None:
    if before.status == "passed" and after.status == "failed":
        return NEWLY_FAILING
    if before.status == "failed" and after.status == "passed":
        return NEWLY_PASSING
    return None


# ------------------------------------------------------------------------------ rendering


def terminal_lines(comparison: Comparison) -> list[str]:
    reference = comparison.reports[0].label
    lines = [f"compared with {reference} (the first report):"]
    for kind in (NEWLY_FAILING, NEWLY_PASSING):
        found = comparison.of_kind(kind)
        lines.append(f"{kind.capitalize()} ({len(found)}):")
        lines += [f"  {change.line()}" for change in found] or ["  (none)"]
    for compared in comparison.reports:
        headline, _, _ = verdict_of(compared.report)
        lines.append(f"{compared.label}: {headline}")
    return lines + comparison_lines(*_labelled(comparison))


def _labelled(comparison: Comparison) -> tuple[list[str], list[Report]]:
    return [c.label for c in comparison.reports], [c.report for c in comparison.reports]


def render_comparison(comparison: Comparison) -> str:
    reports = comparison.reports
    summary_rows = "".join(_report_row(index, c) for index, c in enumerate(reports))
    overview = (
        '<table class="cc-matrix" id="cc-reports"><thead><tr><th>Report</th><th>Target</th>'
        "<th>Models</th><th>Versions</th><th>Started</th><th>Verdict</th></tr></thead>"
        f"<tbody>{summary_rows}</tbody></table>"
    )
    changes = []
    for kind, css in ((NEWLY_FAILING, "cc-failed"), (NEWLY_PASSING, "cc-passed")):
        found = comparison.of_kind(kind)
        items = "".join(
            f"<li><code>{esc(c.requirement)}</code> {level_badge(c.level)} {esc(c.title)} — "
            f"<strong>{esc(c.report)}</strong> / {esc(c.column)}"
            f"{': ' + esc(c.reason) if c.reason else ''}</li>"
            for c in found
        )
        changes.append(
            f'<h3 id="cc-{kind.replace(" ", "-")}"><span class="cc-tag {css}">{esc(kind)}</span> '
            f"{len(found)}</h3>" + (f'<ul class="cc-list">{items}</ul>' if items else "")
        )
    body = (
        f'<style>{stylesheet()}</style><section class="cc" id="chat-conformance">{overview}'
        f"<h2>What changed, compared with {esc(reports[0].label)}</h2>{''.join(changes)}"
        f'<h2>Compliance matrix</h2><p class="cc-small">Outlined cells changed: ▼ newly '
        "failing, ▲ newly passing.</p>"
        f"{_matrix(comparison)}{comparison_html(*_labelled(comparison))}</section>"
    )
    return render_page("chat-conformance comparison", body)


def _report_row(index: int, compared: Compared) -> str:
    report = compared.report
    target = report.get("target") or {}
    tool = report.get("tool") or {}
    headline, _, css = verdict_of(report)
    reference = " (reference)" if index == 0 else ""
    return (
        f"<tr><td><strong>{esc(compared.label)}</strong>{reference}</td>"
        f"<td>{esc(target.get('base_url') or ('embedded' if target.get('embedded') else ''))}</td>"
        f"<td>{esc(', '.join(target.get('models', [])))}</td>"
        f"<td>{esc(tool.get('version', '?'))} / catalog {esc(report.get('catalog_version'))}</td>"
        f"<td>{esc(report.get('started_at', ''))}</td>"
        f'<td class="cc-cell {css}">{esc(headline)}</td></tr>'
    )


def _matrix(comparison: Comparison) -> str:
    reports = comparison.reports
    top = "".join(
        f'<th class="cc-col" colspan="{len(c.columns)}">{esc(c.label)}</th>' for c in reports
    )
    second = "".join(
        f'<th class="cc-col">{esc(col.label(several_targets(c.columns)))}</th>'
        for c in reports
        for col in c.columns
    )
    width = 3 + sum(len(c.columns) for c in reports)
    rows = []
    for area, name, requirements in by_area(comparison.rows):
        rows.append(
            f'<tr class="cc-area"><th colspan="{width}">{esc(area)}'
            f"<span>{esc(name)}</span></th></tr>"
        )
        for row in requirements:
            cells = []
            for index, compared in enumerate(reports):
                entry = compared.requirements.get(row["id"])
                for column in compared.columns:
                    value = cell(entry, column, compared.report) if entry else Cell(NOT_RUN)
                    kind = comparison.changed.get((index, column, row["id"]), "")
                    cells.append(cell_html(value, None, changed=kind))
            rows.append(requirement_row(row, "".join(cells)))
    return (
        '<table class="cc-matrix" id="cc-matrix"><thead>'
        f'<tr><th rowspan="2">ID</th><th rowspan="2">Level</th><th rowspan="2">Requirement</th>'
        f"{top}</tr><tr>{second}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )

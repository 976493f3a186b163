"""Latency of several reports side by side, each with its change from the first (the reference).

``chat-conformance compare`` prints and renders it under the verdict changes: per model the
main figures (p50 and p95 of first byte and first token, p50 of event gap and total, tokens per
second) in one column per report, and how each differs from the reference's figure for the same
model, in the figure's unit and in percent. Reports without figures (older ones) show a dash.
How each report's figures were taken is said beside them: overlapping requests and sequential
samples do not measure the same thing.

Rows are matched by model, so two runs against different hosts (staging and production, before
and after) compare model by model. When a report holds several targets (a merged matrix, see
``latency_merge``), a model alone is ambiguous: rows are then matched by target and model,
every report's rows named ``target · model``.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

from conformance.report.json_report import run_label
from conformance.report.latency import NO_VALUE, show_ms
from conformance.report.text import printable, shortened

# (figure in the report, statistic, label, unit)
FIGURES = (
    ("time_to_first_byte_ms", "p50", "first byte p50", "ms"),
    ("time_to_first_byte_ms", "p95", "first byte p95", "ms"),
    ("time_to_first_token_ms", "p50", "first token p50", "ms"),
    ("time_to_first_token_ms", "p95", "first token p95", "ms"),
    ("event_gap_ms", "p50", "event gap p50", "ms"),
    ("total_ms", "p50", "total p50", "ms"),
    ("tokens_per_second", "p50", "tokens/s p50", "tokens/s"),
)


@dataclass(frozen=True)
class Figure:
    """One figure of one model, in every report (None where a report has no value)."""

    model: str
    label: str
    unit: str
    values: tuple[float | None, ...]

    def delta(self, index: int) -> float | None:
        reference, value = self.values[0], self.values[index]
        return None if reference is None or value is None else value - reference

    def shown(self, index: int) -> str:
        """The value, and for a report after the first its change: 450 ms (+145 ms, +48%)."""
        value = self.values[index]
        text = _value(value, self.unit)
        delta = self.delta(index)
        if index == 0 or delta is None:
            return text
        reference = self.values[0] or 0.0
        percent = f", {delta / reference * 100:+.0f}%" if reference else ""
        sign = "+" if delta >= 0 else "-"
        return f"{text} ({sign}{_value(abs(delta), self.unit)}{percent})"


def _value(value: float | None, unit: str) -> str:
    if value is None:
        return NO_VALUE
    return show_ms(value) if unit == "ms" else f"{value:.1f} {unit}"


def _models(section: dict[str, Any] | None) -> dict[str, Any]:
    return (section or {}).get("models") or {}


def _targets(report: dict[str, Any]) -> set[str]:
    """The targets a report's figures came from: a merged report's entries name theirs."""
    entries = _models(report.get("latency")).values()
    named = {str(e["target"]) for e in entries if isinstance(e, dict) and "target" in e}
    return named or {run_label(report)}


def _rows(report: dict[str, Any], by_target: bool) -> dict[str, Any]:
    """A report's figures by row name: its own labels, or ``target · model`` when any report
    compared holds several targets (a report of several already names its rows so)."""
    models = _models(report.get("latency"))
    targets = _targets(report)
    if not by_target or len(targets) > 1:
        return models
    target = next(iter(targets))
    return {f"{target} · {label}": figures for label, figures in models.items()}


def latency_figures(reports: list[dict[str, Any]]) -> list[Figure]:
    """Every model's figures across the reports, models in the order they first appear."""
    by_target = any(len(_targets(report)) > 1 for report in reports)
    sections = [_rows(report, by_target) for report in reports]
    names = list(dict.fromkeys(name for models in sections for name in models))
    figures = []
    for name in names:
        for key, statistic, label, unit in FIGURES:
            values = tuple(
                (models.get(name) or {}).get(key, {}).get(statistic) for models in sections
            )
            if any(v is not None for v in values):
                figures.append(Figure(name, label, unit, values))
    return figures


def _clean(text: Any, limit: int = 40) -> str:
    return shortened(printable(str(text)), limit)


def comparison_lines(labels: list[str], reports: list[dict[str, Any]]) -> list[str]:
    """The terminal's side-by-side table; none when no report has latency figures."""
    figures = latency_figures(reports)
    if not figures:
        return []
    lines = [f"Latency, compared with {_clean(labels[0])} (nearest-rank percentiles):"]
    for label, report in zip(labels, reports, strict=True):
        how = (report.get("latency") or {}).get("how") or "no latency figures"
        lines.append(f"  {_clean(label)}: {_clean(how, 100)}")
    widths = [max(16, len(_clean(label)) + 2) for label in labels]
    name = max(22, min(40, max(len(figure.model) for figure in figures)))  # target · model
    model = None
    for figure in figures:
        if figure.model != model:
            model = figure.model
            head = "".join(f"{_clean(label):<{w}}" for label, w in zip(labels, widths, strict=True))
            lines.append(f"  {_clean(model, name):<{name + 2}}{head}".rstrip())
        cells = [figure.shown(i) for i in range(len(labels))]
        row = "".join(
            f"{cell:<{max(w, len(cell) + 2)}}" for cell, w in zip(cells, widths, strict=True)
        )
        lines.append(f"    {figure.label:<{name}}{row}".rstrip())
    return lines


def comparison_html(labels: list[str], reports: list[dict[str, Any]]) -> str:
    """The comparison page's latency table; "" when no report has latency figures."""
    figures = latency_figures(reports)
    if not figures:
        return ""
    head = "".join(f'<th class="cc-col">{escape(_clean(label))}</th>' for label in labels)
    how = "".join(
        f"<td>{escape(_clean((r.get('latency') or {}).get('how') or 'no latency figures', 100))}"
        "</td>"
        for r in reports
    )
    rows = [f"<tr><th>taken from</th><td></td>{how}</tr>"]
    for figure in figures:
        cells = "".join(f"<td>{escape(figure.shown(i))}</td>" for i in range(len(labels)))
        rows.append(
            f"<tr><td>{escape(_clean(figure.model))}</td><td>{escape(figure.label)}</td>"
            f"{cells}</tr>"
        )
    return (
        f'<h2 id="cc-latency">Latency, compared with {escape(_clean(labels[0]))}</h2>'
        '<p class="cc-small">Nearest-rank percentiles; in brackets the change from the first '
        "report's figure for the same model.</p>"
        '<table class="cc-matrix" id="cc-latency-table" style="white-space:nowrap"><thead>'
        f"<tr><th>Model</th><th>Figure</th>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )

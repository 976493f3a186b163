"""The HTML report's latency section: the figures as a table and a small inline SVG chart.

One panel per figure (first byte, first token, event gap, total), one row per model: a light
bar to the p95 and a dark one to the p50 on the panel's own scale, so models compare at a glance
even when gaps are milliseconds and totals seconds. A merged report's rows are its entries, one
per target and model (``latency_merge``), and its table says how each was taken. Inline SVG, no
script, no external resource; the same report draws the same bytes (coordinates rounded, models
in the report's order).
"""

from __future__ import annotations

from html import escape
from typing import Any

from conformance.report.latency import (
    NO_DATA,
    NO_VALUE,
    PERCENTILE_METHOD,
    ModelLatency,
    show_ms,
    show_pair,
)
from conformance.report.text import printable, shortened

# (figure, title, scale): panels of one scale share it, so first byte, first token and total
# show how a request's time is spent; gaps are milliseconds and get their own.
PANELS = (
    ("time_to_first_byte_ms", "time to first byte", "request"),
    ("time_to_first_token_ms", "time to first token", "request"),
    ("total_ms", "total time", "request"),
    ("event_gap_ms", "gap between stream events (own scale)", "gap"),
)
WIDTH, LABEL_WIDTH, BAR_WIDTH, ROW, HEADING = 620, 170, 300, 18, 22
LABEL_CHARS, LONGEST_LABEL, CHAR_WIDTH = 24, 40, 7.5  # "target · model" labels widen the chart
P95_COLOUR, P50_COLOUR = "#b6d4fe", "#0a58ca"


def _text(value: Any, limit: int = 200) -> str:
    return escape(shortened(printable(str(value)), limit), quote=True)


def latency_chart(models: dict[str, ModelLatency]) -> str:
    """An SVG of every model's p50 and p95, one panel per figure; "" when nothing to draw."""
    names = [name for name, figures in models.items() if not figures.get("no_data")]
    panels = [
        (title, scale, [(name, models[name][key]) for name in names])  # type: ignore[literal-required]
        for key, title, scale in PANELS
    ]
    panels = [(t, k, rows) for t, k, rows in panels if any(s["p95"] is not None for _, s in rows)]
    if not panels:
        return ""
    chars = min(LONGEST_LABEL, max([LABEL_CHARS, *(len(name) for name in names)]))
    label_width = LABEL_WIDTH if chars <= LABEL_CHARS else round(chars * CHAR_WIDTH) + 8
    width = WIDTH + label_width - LABEL_WIDTH
    scales: dict[str, float] = {}
    for _, scale, rows in panels:
        largest = max(s["p95"] or 0.0 for _, s in rows)
        scales[scale] = max(scales.get(scale, 0.0), largest)
    parts: list[str] = []
    y = 0
    for title, scale, rows in panels:
        parts.append(f'<text x="0" y="{y + 15}" font-weight="600">{_text(title)}</text>')
        y += HEADING
        for name, spread in rows:
            parts.append(
                f'<text x="0" y="{y + 13}">{_text(name, chars)}</text>'
                + _bar(spread["p95"], scales[scale], label_width, y, P95_COLOUR)
                + _bar(spread["p50"], scales[scale], label_width, y, P50_COLOUR)
                + f'<text x="{label_width + BAR_WIDTH + 8}" y="{y + 13}">'
                f"{_text(show_pair(spread['p50'], spread['p95']))}</text>"
            )
            y += ROW
        y += 6
    legend = (
        f'<rect x="0" y="{y + 4}" width="10" height="10" fill="{P50_COLOUR}"/>'
        f'<text x="14" y="{y + 13}">p50</text>'
        f'<rect x="50" y="{y + 4}" width="10" height="10" fill="{P95_COLOUR}"/>'
        f'<text x="64" y="{y + 13}">p95 ({PERCENTILE_METHOD})</text>'
    )
    height = y + 20
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="cc-latency-chart" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="system-ui,sans-serif" font-size="12" fill="#1f2328">'
        f"<title>Latency per model: p50 and p95</title>{''.join(parts)}{legend}</svg>"
    )


def _bar(value: float | None, scale: float, x: int, y: int, colour: str) -> str:
    if value is None:
        return ""
    width = max(1.0, BAR_WIDTH * value / scale) if scale > 0 else 1.0
    return f'<rect x="{x}" y="{y + 3}" width="{width:.1f}" height="12" fill="{colour}"/>'


def _table(models: dict[str, ModelLatency], merged: bool) -> str:
    """One row per model (merged: per target and model, with how its figures were taken)."""
    head = (
        f"<tr><th>{'Target · model' if merged else 'Model'}</th><th>Exchanges</th>"
        "<th>First byte</th><th>First token</th><th>Event gap (max)</th><th>Total</th>"
        f"<th>Tokens/s</th>{'<th>Taken from</th>' if merged else ''}</tr>"
    )
    rows = []
    for name, f in models.items():
        if f.get("no_data"):
            rows.append(
                f'<tr><td>{_text(name)}</td><td colspan="{7 if merged else 6}">{NO_DATA}: '
                f"{_text(f['no_data'])}</td></tr>"
            )
            continue
        gap = f["event_gap_ms"]
        rate = f["tokens_per_second"]
        tokens = f"{rate['p50']:g} ({_text(rate['counted_from'])})" if rate["p50"] else NO_VALUE
        cells = [
            f"{f['exchanges']} ({f['streams']} streamed)",
            _text(show_pair(*_p(f["time_to_first_byte_ms"]))),
            _text(show_pair(*_p(f["time_to_first_token_ms"]))),
            _text(f"{show_pair(*_p(gap))} ({show_ms(gap.get('max'))})"),
            _text(show_pair(*_p(f["total_ms"]))),
            tokens,
        ]
        how = f'<td style="white-space:normal;min-width:16em">{_text(f.get("how", ""))}</td>'
        cells_html = "".join(f"<td>{c}</td>" for c in cells) + (how if merged else "")
        rows.append(f"<tr><td>{_text(name)}</td>{cells_html}</tr>")
    body = "".join(rows)
    return (
        '<table class="cc-matrix cc-latency" style="white-space:nowrap">'
        f"<thead>{head}</thead><tbody>{body}</tbody></table>"
    )


def _p(spread: Any) -> tuple[float | None, float | None]:
    return spread.get("p50"), spread.get("p95")


def latency_html(report: dict[str, Any]) -> str:
    """The section, or "" for a report without latency figures (an older one)."""
    section = report.get("latency")
    if not section or not section.get("models"):
        return ""
    models: dict[str, ModelLatency] = section["models"]
    merged = bool(section.get("merged_from"))
    taken = f"Taken from {_text(section.get('how', ''))}"
    if merged:
        merged_how = _text(section.get("how", ""))
        taken = (
            f"{merged_how[:1].upper()}{merged_how[1:]}. Runs of one target and model are "
            "taken together when their figures were taken alike: the percentiles are computed "
            "again from every value the runs measured; otherwise each run keeps its own "
            "figures, marked with its shard"
        )
    how = (
        f"{taken}; p50/p95 are "
        f"{_text(section.get('percentiles', PERCENTILE_METHOD))} percentiles. Time to first "
        "byte: the response's headers arrived; first token: the first stream event with "
        "content; tokens/s: (tokens - 1) / (last content event - first), streams only."
    )
    return (
        f'<h2 id="cc-latency">Latency</h2><p class="cc-small">{how}</p>'
        f"{_table(models, merged)}{latency_chart(models)}"
    )

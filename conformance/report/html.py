"""The HTML compliance report: verdict, matrix, and the evidence of every failure.

Rendered from a JSON report (the dict), so a finished run (injected into pytest-html's page),
a report merged from CI shards and a comparison all look the same. The output is one
self-contained fragment: inline CSS, no script, no external URL. Everything that came from a
target (bodies, headers, event text, even model names) is hostile input and goes through
``esc`` on its way in.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from conformance.clients.render import beyond_html, effect_html, summary_html
from conformance.report.json_report import run_label
from conformance.report.latency_chart import latency_html
from conformance.report.matrix import (
    NOT_RUN,
    Cell,
    Column,
    anchor,
    by_area,
    cell,
    columns,
    several_targets,
)
from conformance.report.repeats import differences, first_alike
from conformance.report.shape import (
    ExchangeRecord,
    Report,
    RequirementEntry,
    StreamRecord,
    TestEntry,
    ViolationRecord,
)
from conformance.report.stream_end import end_line

CELL_TEXT = {"passed": "pass", "failed": "FAIL", "skipped": "skip", NOT_RUN: "—"}


def stylesheet(name: str = "report.css") -> str:
    """One of the report's stylesheets: ``report.css`` (the compliance section, also used by
    ``compare``) or ``pytest-html.css`` (the page around it)."""
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


# ------------------------------------------------------------------------------ the verdict


def verdict_of(report: Report) -> tuple[str, str, str]:
    """(headline, explanation, css class) for a report."""
    summary = report.get("summary", {})
    mode = "strict mode: MUST and SHOULD decide" if report.get("strict") else "MUST decides"
    if report.get("complete") is False:
        return (
            "NO VERDICT",
            "the target throttled the run (429/503 after every retry)",
            "cc-none",
        )
    if report.get("conformant"):
        return "CONFORMANT", f"every deciding requirement passed ({mode})", "cc-good"
    known = summary.get("known_failed", 0)
    if report.get("gate_passed"):
        return (
            "NOT CONFORMANT · GATE PASSED",
            f"every failure is a known one ({known} in the baseline); no new failures ({mode})",
            "cc-warn",
        )
    return "NOT CONFORMANT", f"new failures at a deciding level ({mode})", "cc-bad"


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``1 known failure``, ``2 known failures``."""
    return f"{count} {noun if count == 1 else (nouns or noun + 's')}"


def counts_line(report: Report) -> str:
    """The requirement counts of the verdict box. A requirement judged on one model but not on
    another counts as judged; the cells that could not be judged are then named apart, so the
    box agrees with the matrix and its "could not be judged" list."""
    s = report.get("summary", {})
    total = len(report.get("requirements", []))
    skipped = f"{s.get('skipped', 0)} skipped"
    cells = len(skipped_cells(report))
    if cells != s.get("skipped", 0):
        skipped += f" ({plural(cells, 'cell')} could not be judged)"
    parts = [
        f"{s.get('passed', 0)} of {plural(total, 'requirement')} passed",
        f"{s.get('must_failed', 0)} MUST failed",
        f"{s.get('should_failed', 0)} SHOULD failed",
        skipped,
    ]
    if s.get("not_run"):
        parts.append(f"{s['not_run']} not run")
    if s.get("known_failed"):
        parts.append(plural(s["known_failed"], "known failure"))
    return " · ".join(parts)


def page_title(report: Report, kind: str = "report") -> str:
    """The page's title: verdict, target (and models), date. It names the tab, the bookmark
    and the file in a CI artifact list, where "report.html" says nothing."""
    headline, _, _ = verdict_of(report)
    target = report.get("target") or {}
    if target.get("embedded"):
        where = "embedded reference server"
    else:
        where = str(target.get("name") or target.get("base_url") or run_label(report))
    models = list(target.get("models") or [])
    if models:
        where += f" ({', '.join(models[:3])}{', …' if len(models) > 3 else ''})"
    return f"{headline} · {where} · {_date(report.get('started_at'))} · chat-conformance {kind}"


def _date(started_at: Any) -> str:
    try:
        when = datetime.fromisoformat(str(started_at))
    except ValueError:
        return str(started_at or "")
    if when.tzinfo is None:
        return when.strftime("%Y-%m-%d %H:%M")
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def render_verdict(report: Report) -> str:
    headline, explanation, css = verdict_of(report)
    return (
        f'<div class="cc-verdict {css}" id="cc-verdict"><strong>{esc(headline)}</strong>'
        f"<span>{esc(explanation)}<br>{esc(counts_line(report))}</span></div>"
    )


def _meta_rows(report: Report) -> list[tuple[str, str]]:
    target = report.get("target") or {}
    tool = report.get("tool") or {}
    rows = []
    runs = report.get("runs")
    if runs:
        shards = "; ".join(
            f"{run.get('label', '?')}: {', '.join(run.get('models', []))}"
            f" ({run.get('started_at', '')}, {run.get('duration_seconds', 0):g} s)"
            for run in runs
        )
        rows.append(("Merged from", f"{plural(len(runs), 'report')} — {shards}"))
    else:
        where = "embedded reference server" if target.get("embedded") else ""
        url = target.get("base_url") or ""
        name = f"{target['name']} — " if target.get("name") else ""
        rows.append(("Target", f"{name}{url}" + (f" ({where})" if where else "")))
        rows.append(("Models", ", ".join(target.get("models", [])) or "—"))
    rows.append(
        (
            "Versions",
            f"chat-conformance {tool.get('version', '?')}, catalog {report.get('catalog_version')}",
        )
    )
    rows.append(
        (
            "Run",
            f"started {report.get('started_at', '?')}, {report.get('duration_seconds', 0):g} s, "
            f"{report.get('requests_sent', 0)} requests",
        )
    )
    settings = ["strict" if report.get("strict") else "default mode (MUST decides)"]
    for key in ("profile", "seed"):
        if report.get(key) is not None:
            settings.append(f"{key} {report[key]}")
    rows.append(("Settings", ", ".join(settings)))
    baseline = report.get("baseline")
    if baseline:
        entries = baseline.get("entries", [])
        known = plural(len(entries), "known failure")
        rows.append(("Baseline", f"{baseline.get('source')} ({known})"))
    if report.get("throttled"):
        rows.append(("Throttled", ", ".join(report["throttled"])))
    return rows


def render_meta(report: Report) -> str:
    body = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in _meta_rows(report))
    return f'<table class="cc-meta">{body}</table>'


# ------------------------------------------------------------------------------ the matrix


def cell_html(value: Cell, link: str | None, *, changed: str = "") -> str:
    css = "cc-known" if value.status == "failed" and value.known else f"cc-{value.status}"
    css = css.replace(" ", "-")
    text = "known" if value.status == "failed" and value.known else CELL_TEXT[value.status]
    tip = f"known failure: {value.known}" if value.known else value.reason
    if changed:
        css += " cc-changed"
        tip = f"{changed}. {tip}".strip()
        text = ("▼ " if "failing" in changed else "▲ ") + text
    inner = f'<a href="#{esc(link)}">{esc(text)}</a>' if link else esc(text)
    return f'<td class="cc-cell {css}" title="{esc(tip)}">{inner}</td>'


def failure_anchor(requirement_id: str, column: Column) -> str:
    return anchor("fail", requirement_id, column.target, column.model)


def render_matrix(report: Report) -> str:
    cols = columns(report)
    several = several_targets(cols)
    head = "".join(f'<th class="cc-col">{esc(c.label(several))}</th>' for c in cols)
    rows = []
    passed = dict.fromkeys(cols, 0)
    ran = dict.fromkeys(cols, 0)
    for area, name, requirements in by_area(report.get("requirements", [])):
        ok = sum(1 for r in requirements if r.get("status") == "passed")
        judged = sum(1 for r in requirements if r.get("tests"))
        tally = f"{ok}/{judged} passed" if judged else "not run"
        rows.append(
            f'<tr class="cc-area"><th colspan="{3 + len(cols)}">{esc(area)}'
            f"<span>{esc(name)} · {tally}</span></th></tr>"
        )
        for requirement in requirements:
            cells = []
            for column in cols:
                value = cell(requirement, column, report)
                passed[column] += value.status == "passed"
                ran[column] += value.status != NOT_RUN
                link = failure_anchor(requirement["id"], column)
                cells.append(cell_html(value, link if value.status == "failed" else None))
            rows.append(requirement_row(requirement, "".join(cells)))
    foot = "".join(f"<td>{passed[c]}/{ran[c]}</td>" for c in cols)
    return (
        '<table class="cc-matrix" id="cc-matrix"><thead><tr><th>ID</th><th>Level</th>'
        f"<th>Requirement</th>{head}</tr></thead><tbody>{''.join(rows)}</tbody>"
        f'<tfoot><tr><td colspan="3" style="text-align:right">passed</td>{foot}</tr></tfoot>'
        "</table>"
    )


def requirement_row(requirement: RequirementEntry, cells: str) -> str:
    aliases = requirement.get("aliases") or []
    tip = f"formerly {', '.join(aliases)}" if aliases else ""
    return (
        f'<tr><td class="cc-id" title="{esc(tip)}">{esc(requirement.get("id"))}</td>'
        f"<td>{level_badge(requirement.get('level'))}</td>"
        f'<td title="{esc(requirement.get("statement", ""))}">{esc(requirement.get("title"))}'
        f"</td>{cells}</tr>"
    )


def level_badge(level: Any) -> str:
    level = "MUST" if level == "MUST" else "SHOULD"
    return f'<span class="cc-level cc-{level}">{level}</span>'


# ------------------------------------------------------------------------------ failures


def render_failures(report: Report) -> str:
    cols = columns(report)
    several = several_targets(cols)
    articles = []
    for requirement in report.get("requirements", []):
        if requirement.get("status") != "failed":
            continue
        for column in cols:
            value = cell(requirement, column, report)
            if value.status != "failed":
                continue
            tests = _failed_tests(requirement, column, report)
            articles.append(
                render_failure(requirement, column.label(several), value, tests, column)
            )
    if not articles:
        return ""
    return f'<h2 id="cc-failures">Failures ({len(articles)})</h2>' + "".join(articles)


def _failed_tests(requirement: RequirementEntry, column: Column, report: Report) -> list[TestEntry]:
    default = run_label(report)
    return [
        t
        for t in requirement.get("tests", [])
        if t.get("outcome") == "failed"
        and (t.get("target") or default) == column.target
        and (t.get("model") or "") == column.model
    ]


def render_failure(
    requirement: RequirementEntry,
    where: str,
    value: Cell,
    tests: list[TestEntry],
    column: Column,
) -> str:
    known = (
        f'<span class="cc-tag cc-known">known failure: {esc(value.known)}</span>'
        if value.known
        else ""
    )
    parts = [
        f'<article class="cc-failure{" cc-is-known" if value.known else ""}" '
        f'id="{esc(failure_anchor(requirement["id"], column))}">',
        f"<h3>{esc(requirement['id'])} · {esc(requirement.get('title'))} "
        f"{level_badge(requirement.get('level'))}"
        f'<span class="cc-tag">{esc(where)}</span>{known}</h3>',
        f'<p class="cc-small">{esc(requirement.get("statement", ""))}</p>',
    ]
    exchanges: list[ExchangeRecord] = []
    for test in tests:
        evidence = test.get("evidence")
        if not evidence:
            messages = test.get("messages") or requirement.get("messages") or []
            parts.append(f"<pre>{esc(chr(10).join(messages))}</pre>")
            continue
        parts += [render_violation(v) for v in evidence.get("violations", [])]
        if not evidence.get("violations"):
            parts.append(f"<pre>{esc(chr(10).join(test.get('messages') or []))}</pre>")
        exchanges += evidence.get("exchanges", [])
    parts.append(render_exchanges(exchanges))
    parts.append(
        f'<p class="cc-small"><a href="#cc-matrix">back to the matrix</a> · test '
        f"<code>{esc(', '.join(t.get('nodeid', '') for t in tests))}</code></p></article>"
    )
    return "".join(parts)


def render_violation(violation: ViolationRecord) -> str:
    where = violation.get("exchange") or ""
    if violation.get("event_index") is not None:
        where += f" event #{violation['event_index']}"
    rows = ""
    for label in ("expected", "actual"):
        if violation.get(label):
            rows += f"<dt>{label.capitalize()}</dt><dd>{esc(violation[label])}</dd>"
    prefix = f"<code>[{esc(where)}]</code> " if where else ""
    return (
        f'<div class="cc-violation">{prefix}{esc(violation.get("message"))}'
        + (f"<dl>{rows}</dl>" if rows else "")
        + "</div>"
    )


def render_exchanges(exchanges: list[ExchangeRecord]) -> str:
    """A failure's exchanges, numbered; one alike an earlier one (``report/repeats``) is folded
    under a line saying which and what differs, so a failure shows one transcript, not three."""
    numbered = len(exchanges) > 1
    parts = []
    for index, (exchange, alike) in enumerate(zip(exchanges, first_alike(exchanges), strict=True)):
        number = index + 1 if numbered else None
        if alike is None:
            parts.append(render_exchange(exchange, number))
            continue
        changed = differences(exchanges[alike], exchange)
        said = f"same as #{alike + 1}" + (f"; differs: {', '.join(changed)}" if changed else "")
        parts.append(
            f'<details class="cc-repeat"><summary>Exchange #{number} '
            f'<code>{esc(exchange.get("name"))}</code> <span class="cc-small">{esc(said)}'
            f"</span></summary>{render_exchange(exchange, number)}</details>"
        )
    return "".join(parts)


def render_exchange(exchange: ExchangeRecord, number: int | None = None) -> str:
    status = exchange.get("status")
    headers = exchange.get("headers") or {}
    summary = f"status {status}" if status is not None else "no response"
    if headers.get("content-type"):
        summary += f", {headers['content-type']}"
    summary += f", {exchange.get('body_bytes', 0)} bytes in {exchange.get('elapsed_seconds', 0)} s"
    if exchange.get("attempts", 1) > 1:
        summary += f", {exchange['attempts']} attempts"
    label = f"Exchange #{number}" if number else "Exchange"
    parts = [
        f'<section class="cc-exchange"><h4>{label} <code>{esc(exchange.get("name"))}</code>'
        f' <span class="cc-small">{esc(summary)}</span></h4>',
        '<p class="cc-small">Sent (set <code>API_KEY</code> to your key to run it again):</p>',
        f"<pre>{esc(exchange.get('curl'))}</pre>",
    ]
    stream = exchange.get("stream")
    if exchange.get("error") and stream is None:  # a stream's error ends its transcript
        parts.append(f'<p class="cc-small">Error: {esc(exchange["error"])}</p>')
    parts.append(effect_html(exchange))
    if status is not None:
        header_text = "\n".join(f"{k}: {v}" for k, v in headers.items())
        parts.append(
            f"<details><summary>Response headers ({len(headers)})</summary>"
            f"<pre>HTTP {esc(status)}\n{esc(header_text)}</pre></details>"
        )
    if stream is not None:
        parts.append(render_transcript(stream, exchange))
    elif exchange.get("body") is not None and status is not None:
        note = "" if exchange.get("body_utf8", True) else " (not valid UTF-8; shown with U+FFFD)"
        body = esc(exchange["body"]) or "(empty)"
        parts.append(f'<p class="cc-small">Body{esc(note)}:</p><pre>{body}</pre>')
    parts.append("</section>")
    return "".join(parts)


def visible_line_ends(raw: str) -> str:
    """Show CR (alone or in CRLF) as a symbol: framing bugs live there. LF stays a new line."""
    return raw.replace("\r\n", "␍\n").replace("\r", "␍\n").rstrip("\n")


def render_transcript(stream: StreamRecord, exchange: ExchangeRecord | None = None) -> str:
    count = stream.get("event_count", 0)
    notes = [f"{count} events"]
    if stream.get("comments"):
        notes.append(f"{stream['comments']} comment lines")
    if stream.get("line_endings"):
        notes.append("line ends " + "/".join(stream["line_endings"]))
    if stream.get("invalid_utf8"):
        notes.append("invalid UTF-8")
    if stream.get("marked"):
        notes.append("marked: " + ", ".join(f"#{i}" for i in stream["marked"]))
    items = []
    previous = -1
    for event in stream.get("events", []):
        if event.get("left_out"):
            continue
        index = event.get("index", 0)
        if index > previous + 1:
            items.append(f'<li class="cc-gap">… {index - previous - 1} events left out …</li>')
        previous = index
        marked = event.get("marked")
        label = f"#{index}" + ('<br><span class="cc-mark">◀ here</span>' if marked else "")
        items.append(
            f'<li class="{"cc-marked" if marked else ""}"><span class="cc-n">{label}</span>'
            f'<span class="cc-t">{event.get("at", 0):.3f}s</span>'
            f"<pre>{esc(visible_line_ends(event.get('raw', '')))}</pre></li>"
        )
    if count > previous + 1:
        items.append(f'<li class="cc-gap">… {count - previous - 1} events left out …</li>')
    tail = stream.get("discarded_tail") or ""
    if tail.strip():
        items.append(
            '<li class="cc-marked"><span class="cc-n">tail</span><span class="cc-t"></span>'
            f"<pre>{esc(visible_line_ends(tail))}\n(never dispatched: no blank line after it)"
            "</pre></li>"
        )
    if not items:
        items.append('<li class="cc-gap">(no events)</li>')
    items.append(render_stream_end({**(exchange or {}), "stream": stream}))
    return (
        f'<p class="cc-small">SSE transcript ({esc(", ".join(notes))}):</p>'
        f'<ol class="cc-events">{"".join(items)}</ol>'
    )


def render_stream_end(exchange: ExchangeRecord) -> str:
    """The line after a transcript's last event: how the stream ended (``report/stream_end``)."""
    kind, text = end_line(exchange)
    elapsed = exchange.get("elapsed_seconds")
    at = f"{elapsed:.3f}s" if isinstance(elapsed, int | float) else ""
    return (
        f'<li class="cc-end cc-end-{esc(kind)}"><span class="cc-n">end</span>'
        f'<span class="cc-t">{at}</span><p>■ {esc(text)}</p></li>'
    )


# ------------------------------------------------------------------------------ the rest


def render_baseline(report: Report) -> str:
    baseline = report.get("baseline")
    if not baseline or not baseline.get("entries"):
        return ""
    meaning = {
        "failing": "still failing (known)",
        "passing": "passes now: remove it from the baseline",
        "not run": "not run",
    }
    items = "".join(
        f"<li><code>{esc(e['requirement'])}</code>"
        f"{' (' + esc(e['model']) + ')' if e.get('model') else ''}: {esc(e.get('reason'))}"
        f" — <strong>{esc(meaning.get(e.get('status'), e.get('status')))}</strong></li>"
        for e in baseline["entries"]
    )
    return (
        f'<h2 id="cc-baseline">Known failures ({esc(baseline.get("source"))})</h2>'
        f'<ul class="cc-list">{items}</ul>'
    )


def skipped_cells(report: Report) -> list[tuple[RequirementEntry, Column, Cell]]:
    """The matrix's skip cells: what the "could not be judged" list shows and counts."""
    cols = columns(report)
    return [
        (requirement, column, value)
        for requirement in report.get("requirements", [])
        for column in cols
        if (value := cell(requirement, column, report)).status == "skipped"
    ]


def render_skips(report: Report) -> str:
    several = several_targets(columns(report))
    items = [
        f"<li><code>{esc(requirement['id'])}</code> ({esc(column.label(several))}): "
        f"{esc((value.reason or 'skipped').removeprefix('Skipped: '))}</li>"
        for requirement, column, value in skipped_cells(report)
    ]
    if not items:
        return ""
    count = plural(len(items), "cell") if len(columns(report)) > 1 else str(len(items))
    return (
        f'<details open class="cc-skips"><summary>Skipped: could not be judged ({count})'
        f'</summary><ul class="cc-list">{"".join(items)}</ul></details>'
    )


def render_matrix_section(report: Report) -> str:
    return (
        '<h2>Compliance matrix</h2><p class="cc-small">Each cell: the requirement\'s tests '
        "for that model. FAIL links to its evidence below; known = a failure the baseline lists "
        "(reported, not gating); skip = could not be judged (hover for why).</p>"
        f"{render_matrix(report)}"
    )


# The report's sections, top to bottom: each renders its part of a report, or "" to stay out.
# A new section is one line here.
SECTIONS: list[Callable[[Report], str]] = [
    render_verdict,
    render_meta,
    summary_html,  # conformance/clients/render.py: what the openai SDK made of the responses
    render_matrix_section,
    render_skips,
    render_baseline,
    latency_html,
    render_failures,
    beyond_html,  # conformance/clients/render.py: where the client broke and no check failed
]


def render_sections(report: Report) -> str:
    """Everything the compliance report says, as one fragment (CSS included)."""
    body = "".join(section(report) for section in SECTIONS)
    return (
        f'<style>{stylesheet()}</style><section class="cc" id="chat-conformance">{body}</section>'
    )


def render_page(title: str, body: str) -> str:
    """A whole self-contained page (for merged reports and comparisons)."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>body{{margin:24px;background:#fff}}"
        f"h1.cc-title{{font:600 22px {FONTS};margin:0 0 8px;color:#1f2328}}"
        "h1.cc-title span{white-space:nowrap}</style></head>"
        f'<body><h1 class="cc-title">{title_parts(title)}</h1>{body}</body></html>\n'
    )


def title_parts(title: str) -> str:
    """A long title wraps between its parts, never inside one ("chat-" | "conformance")."""
    return " · ".join(f"<span>{esc(part)}</span>" for part in title.split(" · "))


# The page's font stack, ending with the colour emoji fonts of each platform: a prompt or a
# reply with an emoji otherwise shows an empty box where the system font has no glyph.
FONTS = (
    'system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif,'
    '"Apple Color Emoji","Segoe UI Emoji","Noto Color Emoji"'
)


def report_page(report: Report, kind: str = "report") -> str:
    """A report as a page of its own (``merge``); ``kind`` ends the title ("merged report")."""
    return render_page(page_title(report, kind), render_sections(report))

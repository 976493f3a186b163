"""The HTML compliance report: verdict, matrix, and the evidence of every failure.

Rendered from a JSON report (the dict), so a finished run (injected into pytest-html's page),
a report merged from CI shards and a comparison all look the same. The output is one
self-contained fragment: inline CSS, no script, no external URL. Everything that came from a
target (bodies, headers, event text, even model names) is hostile input and goes through
``esc`` on its way in.
"""

from __future__ import annotations

import html
from importlib import resources
from typing import Any

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
from conformance.report.shape import (
    ExchangeRecord,
    Report,
    RequirementEntry,
    StreamRecord,
    TestEntry,
    ViolationRecord,
)

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


def counts_line(report: Report) -> str:
    s = report.get("summary", {})
    total = len(report.get("requirements", []))
    parts = [
        f"{s.get('passed', 0)} of {total} requirements passed",
        f"{s.get('must_failed', 0)} MUST failed",
        f"{s.get('should_failed', 0)} SHOULD failed",
        f"{s.get('skipped', 0)} skipped",
    ]
    if s.get("not_run"):
        parts.append(f"{s['not_run']} not run")
    if s.get("known_failed"):
        parts.append(f"{s['known_failed']} known failures")
    return " · ".join(parts)


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
        rows.append(("Merged from", f"{len(runs)} reports — {shards}"))
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
        rows.append(("Baseline", f"{baseline.get('source')} ({len(entries)} known failures)"))
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
    for test in tests:
        evidence = test.get("evidence")
        if not evidence:
            messages = test.get("messages") or requirement.get("messages") or []
            parts.append(f"<pre>{esc(chr(10).join(messages))}</pre>")
            continue
        parts += [render_violation(v) for v in evidence.get("violations", [])]
        if not evidence.get("violations"):
            parts.append(f"<pre>{esc(chr(10).join(test.get('messages') or []))}</pre>")
        parts += [render_exchange(x) for x in evidence.get("exchanges", [])]
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


def render_exchange(exchange: ExchangeRecord) -> str:
    status = exchange.get("status")
    headers = exchange.get("headers") or {}
    summary = f"status {status}" if status is not None else "no response"
    if headers.get("content-type"):
        summary += f", {headers['content-type']}"
    summary += f", {exchange.get('body_bytes', 0)} bytes in {exchange.get('elapsed_seconds', 0)} s"
    if exchange.get("attempts", 1) > 1:
        summary += f", {exchange['attempts']} attempts"
    parts = [
        f'<section class="cc-exchange"><h4>Exchange <code>{esc(exchange.get("name"))}</code>'
        f' <span class="cc-small">{esc(summary)}</span></h4>',
        '<p class="cc-small">Sent (set <code>API_KEY</code> to your key to run it again):</p>',
        f"<pre>{esc(exchange.get('curl'))}</pre>",
    ]
    if exchange.get("error"):
        parts.append(f'<p class="cc-small">Error: {esc(exchange["error"])}</p>')
    if status is not None:
        header_text = "\n".join(f"{k}: {v}" for k, v in headers.items())
        parts.append(
            f"<details><summary>Response headers ({len(headers)})</summary>"
            f"<pre>HTTP {esc(status)}\n{esc(header_text)}</pre></details>"
        )
    stream = exchange.get("stream")
    if stream is not None:
        parts.append(render_transcript(stream))
    elif exchange.get("body") is not None and status is not None:
        note = "" if exchange.get("body_utf8", True) else " (not valid UTF-8; shown with U+FFFD)"
        body = esc(exchange["body"]) or "(empty)"
        parts.append(f'<p class="cc-small">Body{esc(note)}:</p><pre>{body}</pre>')
    parts.append("</section>")
    return "".join(parts)


def visible_line_ends(raw: str) -> str:
    """Show CR (alone or in CRLF) as a symbol: framing bugs live there. LF stays a new line."""
    return raw.replace("\r\n", "␍\n").replace("\r", "␍\n").rstrip("\n")


def render_transcript(stream: StreamRecord) -> str:
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
            '<li class="cc-marked"><span class="cc-n">end</span><span class="cc-t"></span>'
            f"<pre>{esc(visible_line_ends(tail))}\n(never dispatched: no blank line after it)"
            "</pre></li>"
        )
    if not items:
        items.append('<li class="cc-gap">(no events)</li>')
    return (
        f'<p class="cc-small">SSE transcript ({esc(", ".join(notes))}):</p>'
        f'<ol class="cc-events">{"".join(items)}</ol>'
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


def render_skips(report: Report) -> str:
    cols = columns(report)
    several = several_targets(cols)
    items = []
    for requirement in report.get("requirements", []):
        for column in cols:
            value = cell(requirement, column, report)
            if value.status == "skipped":
                items.append(
                    f"<li><code>{esc(requirement['id'])}</code> ({esc(column.label(several))}): "
                    f"{esc(value.reason or 'skipped')}</li>"
                )
    if not items:
        return ""
    return (
        f"<details open><summary>Skipped: could not be judged ({len(items)})</summary>"
        f'<ul class="cc-list">{"".join(items)}</ul></details>'
    )


def render_sections(report: Report) -> str:
    """Everything the compliance report says, as one fragment (CSS included)."""
    return (
        f'<style>{stylesheet()}</style><section class="cc" id="chat-conformance">'
        f"{render_verdict(report)}{render_meta(report)}"
        f'<h2>Compliance matrix</h2><p class="cc-small">Each cell: the requirement\'s tests '
        "for that model. FAIL links to its evidence below; known = a failure the baseline lists "
        "(reported, not gating); skip = could not be judged (hover for why).</p>"
        f"{render_matrix(report)}{render_skips(report)}{render_baseline(report)}"
        f"{latency_html(report)}{render_failures(report)}</section>"
    )


def render_page(title: str, body: str) -> str:
    """A whole self-contained page (for merged reports and comparisons)."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>body{{margin:24px;background:#fff}}</style></head>"
        f'<body><h1 style="font:600 22px system-ui,sans-serif;margin:0 0 8px">{esc(title)}</h1>'
        f"{body}</body></html>\n"
    )


def report_page(report: Report, title: str = "chat-conformance report") -> str:
    headline, _, _ = verdict_of(report)
    return render_page(f"{title}: {headline}", render_sections(report))

"""Client effects as people read them: the report's ``clients`` summary, terminal lines, HTML.

Everything here reads the JSON report (the dict), like the rest of ``conformance.report``, so a
merged report or a report read back from disk renders the same.
"""

from __future__ import annotations

from collections import Counter
from html import escape
from typing import Any

from conformance.clients.effects import SILENT_OR_RAISED, Effect
from conformance.report.text import printable

INSTALL_HINT = "pip install 'chat-conformance[clients]'"
MAX_LINES_PER_REQUIREMENT = 3
MAX_BEYOND_LINES = 3  # effects named under the summary line; the HTML report has them all
MAX_NAMES_PER_LINE = 4
BEYOND_ANCHOR = "cc-client-breaks"
BEYOND_MEANING = "the checks passed, the client still broke: not a conformance verdict"
Line = tuple[str, str | None]  # as in report.terminal: text, colour


def summary_record(client: str, effects: list[Effect]) -> dict[str, Any]:
    """The report's ``clients`` field after a replay: counts by kind and one line."""
    kinds = Counter(e.kind for e in effects)
    total = len(effects)
    if kinds["raised"] or kinds["silent"]:
        parts = [f"raised on {kinds['raised']}"] if kinds["raised"] else []
        if kinds["silent"]:
            parts.append(f"silently returned something else on {kinds['silent']}")
        line = f"{client} (Python SDK) {' and '.join(parts)} of {total} recorded responses"
    else:
        line = f"{client} (Python SDK) parsed all {total} recorded responses"
        if kinds["http_error"]:
            line += f" ({kinds['http_error']} error statuses raised as API errors, as they should)"
    return {
        "client": client,
        "replayed": total,
        "parsed": kinds["parsed"],
        "http_error": kinds["http_error"],
        "raised": kinds["raised"],
        "silent": kinds["silent"],
        "line": line,
    }


def unavailable_record(why: str) -> dict[str, Any]:
    """The report's ``clients`` field when no replay ran, saying how to get one."""
    reason = f" ({why})" if why else ""
    return {
        "client": None,
        "replayed": 0,
        "line": f"effect on clients not measured{reason}: {INSTALL_HINT} to replay every "
        "response through the openai SDK",
    }


def not_needed_record() -> dict[str, Any]:
    """The report's ``clients`` field of a run against the embedded server that failed nothing:
    no replay was needed (``session`` says why it is not done regardless)."""
    return {
        "client": None,
        "replayed": 0,
        "line": "effect on clients: nothing to replay, no check failed against the embedded "
        "reference server (a run against a URL replays every response through the openai SDK)",
    }


def turned_off_record() -> dict[str, Any]:
    """The report's ``clients`` field of a run with ``--no-client-replay``."""
    return {
        "client": None,
        "replayed": 0,
        "line": "effect on clients not measured: replays turned off (--no-client-replay)",
    }


def effect_text(effect: dict[str, Any]) -> str:
    return f"{effect.get('client', '?')}: {effect.get('text', '')}"


def client_lines(report: dict[str, Any]) -> list[Line]:
    """Terminal lines: what the SDK did with each failed exchange, then the run's summary."""
    clients = report.get("clients")  # none in a report from before, or in a merged one
    # Effect -> the exchanges it came from, per requirement; requirements whose exchanges did
    # the same share a line: a framing fault fails three requirements on the same streams.
    rows: dict[str, list[str]] = {}  # "exchanges: effect" -> requirement IDs
    for requirement in report.get("requirements", []):
        by_effect: dict[str, list[str]] = {}
        for test in requirement.get("tests", []):
            if test.get("outcome") != "failed":
                continue
            for exchange in (test.get("evidence") or {}).get("exchanges", []):
                effect = exchange.get("client")
                names = by_effect.setdefault(effect_text(effect), []) if effect else []
                if effect and exchange.get("name") not in names:
                    names.append(str(exchange.get("name")))
        shown = list(by_effect.items())[:MAX_LINES_PER_REQUIREMENT]
        for text, names in shown:
            rows.setdefault(f"{', '.join(names)}: {text}", []).append(requirement["id"])
    lines: list[Line] = [(f"  {', '.join(ids)}  {row}", None) for row, ids in rows.items()]
    if lines:
        lines.insert(0, ("Effect on clients (each failed exchange replayed offline):", None))
    if not clients:
        return lines
    colour = None
    if clients.get("client"):
        colour = "yellow" if clients.get("raised") or clients.get("silent") else "green"
    lines.append((str(clients.get("line", "")), colour))
    lines += beyond_lines(clients.get("beyond_failures") or [])
    alike = clients.get("alike_failures")
    if alike:
        lines.append((f"  {alike} more with an effect shown beside a failure above", None))
    return lines


def beyond_groups(entries: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The entries of ``clients.beyond_failures`` by effect ("openai 3.63.0: raises ..."), in
    the report's order."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        groups.setdefault(effect_text(entry.get("client") or {}), []).append(entry)
    return groups


def entry_name(entry: dict[str, Any], with_model: bool) -> str:
    name, model = str(entry.get("exchange")), entry.get("model")
    return f"{name} [{model}]" if with_model and model else name


def beyond_lines(entries: list[dict[str, Any]]) -> list[Line]:
    """Under the summary line: the exchanges the client broke on that no failure shows, one
    line per effect (names first, as the failures' block), the rest counted."""
    if not entries:
        return []
    with_model = len({e.get("model") for e in entries}) > 1
    count = len(entries)
    lines: list[Line] = [(f"  {count} where no check failed ({BEYOND_MEANING}):", None)]
    named = 0
    for text, group in list(beyond_groups(entries).items())[:MAX_BEYOND_LINES]:
        names = [entry_name(e, with_model) for e in group[:MAX_NAMES_PER_LINE]]
        named += len(names)
        more = len(group) - len(names)
        listed = ", ".join(names) + (f", +{more} more" if more else "")
        lines.append((printable(f"    {listed}: {text}"), None))
    if count > named:
        lines.append((f"    {count - named} more in the HTML report", None))
    return lines


def effect_html(exchange: dict[str, Any]) -> str:
    """One line under an exchange of a failure's evidence; empty when it was not replayed."""
    effect = exchange.get("client")
    if not effect:
        return ""
    worse = effect.get("kind") in SILENT_OR_RAISED
    style = ' style="color:#9a6700"' if worse else ""
    return (
        f'<p class="cc-small cc-client"{style}>Effect on clients: '
        f"<strong>{escape(str(effect.get('client', '')))}</strong>: "
        f"{escape(str(effect.get('text', '')))}</p>"
    )


def summary_html(report: dict[str, Any]) -> str:
    clients = report.get("clients")
    if not clients:
        return ""
    beyond = len(clients.get("beyond_failures") or [])
    link = f' · <a href="#{BEYOND_ANCHOR}">{beyond} where no check failed</a>' if beyond else ""
    if clients.get("alike_failures"):
        link += f" · {clients['alike_failures']} more with an effect shown beside a failure"
    return (
        f'<p class="cc-small cc-clients">Clients: {escape(str(clients.get("line", "")))}{link}</p>'
    )


def beyond_html(report: dict[str, Any]) -> str:
    """The section of the exchanges the client broke on although no failure shows them: one
    article per effect, each exchange with where it broke, and the evidence as the failures
    show theirs (``report/html.render_exchanges``: the raw stream, its end)."""
    from conformance.report.html import render_exchanges, visible_line_ends  # html imports us

    entries = (report.get("clients") or {}).get("beyond_failures") or []
    if not entries:
        return ""
    with_model = len({e.get("model") for e in entries}) > 1
    articles = []
    for text, group in beyond_groups(entries).items():
        items = "".join(
            f"<li><code>{escape(entry_name(e, with_model))}</code>: status "
            f"{escape(str(e.get('status')))}, {escape(str(e.get('content_type') or 'no type'))}"
            + (f"; {escape(str(e['where']))}" if e.get("where") else "")
            + "</li>"
            for e in group
        )
        shown = [{**e["evidence"], "client": e.get("client")} for e in group if e.get("evidence")]
        raw = next((e for e in group if e.get("raw_at_break")), None)
        read = (
            f'<p class="cc-small">What <code>{escape(entry_name(raw, with_model))}</code> sent '
            "from the end of the last event the client yielded to the end of the one it broke "
            "on (comment and field-only blocks included, which the transcript leaves out):</p>"
            f"<pre>{escape(visible_line_ends(str(raw['raw_at_break'])))}</pre>"
            if raw
            else ""
        )
        left_out = len(group) - len(shown)
        note = (
            f'<p class="cc-small">{left_out} more alike: their evidence is left out.</p>'
            if left_out
            else ""
        )
        articles.append(
            # amber, not a failure's red: no requirement failed here
            '<article class="cc-failure cc-client-break" style="border-left-color:#d4a72c">'
            f'<h3>{escape(text)} <span class="cc-tag">{len(group)} exchange'
            f"{'' if len(group) == 1 else 's'}</span></h3>"
            f'<ul class="cc-list">{items}</ul>{read}{render_exchanges(shown)}{note}</article>'
        )
    return (
        f'<h2 id="{BEYOND_ANCHOR}">Client broke where no check failed ({len(entries)})</h2>'
        '<p class="cc-small">Not conformance verdicts: no failure above shows these exchanges, '
        "and the requirement checks on them passed. Replayed offline through the SDK, each "
        "response still made the client raise or return something other than what the server "
        "sent. The verdict above stands.</p>" + "".join(articles)
    )

"""Client effects as people read them: the report's ``clients`` summary, terminal lines, HTML.

Everything here reads the JSON report (the dict), like the rest of ``conformance.report``, so a
merged report or a report read back from disk renders the same.
"""

from __future__ import annotations

from collections import Counter
from html import escape
from typing import Any

from conformance.clients.effects import SILENT_OR_RAISED, Effect

INSTALL_HINT = "pip install 'chat-conformance[clients]'"
MAX_LINES_PER_REQUIREMENT = 3
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
    return f'<p class="cc-small cc-clients">Clients: {escape(str(clients.get("line", "")))}</p>'

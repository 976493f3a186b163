"""A failed requirement as the terminal shows it in place of a traceback.

A ``RequirementFailed`` already says everything a person needs: which requirement, what was
expected, what the target sent, and how to send the request again. Its traceback adds frames of
the suite's own code, installed paths and the reprs of whole exchanges. The plugin puts this
block where pytest would print the traceback (the report's ``longrepr``), so pytest's FAILURES
section, JUnit's failure text and pytest-html's log all read the same.
"""

from __future__ import annotations

from conformance.catalog import Requirement
from conformance.report.shape import Evidence
from conformance.report.text import printable

MAX_COMMANDS = 1  # curl commands shown per failure; the HTML report has every exchange


def failure_block(
    requirement: Requirement,
    model: str | None,
    messages: tuple[str, ...],
    evidence: Evidence | None,
) -> str:
    """The requirement, each violation's expected and actual, and the request to send again
    (the generated ones carry their own; a fixed probe's comes from the evidence)."""
    where = f" (model {model})" if model else ""
    lines = [f"{requirement.id} {requirement.level}: {requirement.title}{where}"]
    lines += [printable(message, keep_newlines=True) for message in messages]
    if not any("Reproduce with" in message for message in messages):
        lines += _commands(evidence)
    return "\n".join(lines)


def _commands(evidence: Evidence | None) -> list[str]:
    exchanges = [e for e in (evidence or {}).get("exchanges", []) if e.get("curl")]
    lines = []
    for exchange in exchanges[:MAX_COMMANDS]:
        status = exchange.get("status")
        answer = f"HTTP {status}" if status is not None else (exchange.get("error") or "no answer")
        lines.append(f"Reproduce [{exchange.get('name')}] ({printable(str(answer))}) with:")
        lines += ["  " + line for line in exchange["curl"].splitlines()]
    if len(exchanges) > MAX_COMMANDS:
        lines.append(f"({len(exchanges) - MAX_COMMANDS} more exchange(s) in the HTML report)")
    return lines

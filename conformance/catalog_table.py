"""The catalog as a Markdown table, for the README and ``chat-conformance requirements``."""

from __future__ import annotations

from conformance.catalog import load_catalog


def markdown_table() -> str:
    rows = ["| ID | Level | Requirement | Source |", "| --- | --- | --- | --- |"]
    for requirement in load_catalog():
        statement = requirement.statement.replace("|", "\\|")
        source = requirement.source.replace("|", "\\|")
        rows.append(f"| {requirement.id} | {requirement.level} | {statement} | {source} |")
    return "\n".join(rows)

"""The machine-readable report: every requirement with its level, status and failure messages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conformance import __version__
from conformance.report.results import RequirementVerdict


def build_report(
    results: list[RequirementVerdict],
    *,
    catalog_version: str,
    target: dict[str, Any],
    strict: bool,
    conformant: bool,
    started_at: str,
    duration: float,
    requests_sent: int,
) -> dict[str, Any]:
    def count(status: str, level: str | None = None) -> int:
        return sum(
            1
            for v in results
            if v.status == status and (level is None or v.requirement.level == level)
        )

    return {
        "tool": {"name": "chat-conformance", "version": __version__},
        "catalog_version": catalog_version,
        "target": target,
        "strict": strict,
        "conformant": conformant,
        "started_at": started_at,
        "duration_seconds": round(duration, 3),
        "requests_sent": requests_sent,
        "summary": {
            "passed": count("passed"),
            "failed": count("failed"),
            "skipped": count("skipped"),
            "must_failed": count("failed", "MUST"),
            "should_failed": count("failed", "SHOULD"),
        },
        "requirements": [
            {
                "id": v.requirement.id,
                "area": v.requirement.area,
                "level": v.requirement.level,
                "title": v.requirement.title,
                "statement": v.requirement.statement,
                "status": v.status,
                "messages": v.messages,
                "models": v.models,
                "tests": [
                    {"nodeid": t.nodeid, "model": t.model, "outcome": t.outcome} for t in v.tests
                ],
            }
            for v in results
        ],
    }


def write_report(report: dict[str, Any], path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path

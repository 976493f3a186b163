"""Known failures: the baseline a release is gated against.

A gateway rarely passes everything on day one. The baseline lists the gaps the team knows
about, with a reason each, so that CI fails on *new* failures only while the known ones stay in
plain sight: every report still shows them as failed, marked "known", and says when one starts
passing (time to remove it). The file is TOML::

    [[known-failure]]
    requirement = "SSE-002"          # a catalog ID (an old alias works too)
    model = "gpt-4o-mini"            # optional: every model when left out
    reason = "the gateway drops data: [DONE] (ticket GW-123)"

``chat-conformance baseline reports/report.json`` writes one from a run's failures.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.catalog import Catalog
from conformance.report.shape import BaselineSummary, Report
from conformance.toml_file import read_toml

TABLE = "known-failure"
ENTRY_KEYS = {"requirement", "model", "reason"}


class BaselineError(ValueError):
    """The baseline cannot be used; the message is one line naming the file and the entry."""


@dataclass(frozen=True)
class KnownFailure:
    requirement: str  # the catalog's current ID
    model: str | None
    reason: str

    def covers(self, requirement: str, model: str | None) -> bool:
        return requirement == self.requirement and self.model in (None, model)

    def as_dict(self) -> dict[str, Any]:
        return {"requirement": self.requirement, "model": self.model, "reason": self.reason}


@dataclass(frozen=True)
class Baseline:
    entries: tuple[KnownFailure, ...]
    source: str  # where the entries came from, for the reports

    def match(self, requirement: str, model: str | None) -> KnownFailure | None:
        """The entry that makes this failure known, if any (a model-specific one first)."""
        covering = [e for e in self.entries if e.covers(requirement, model)]
        covering.sort(key=lambda e: e.model is None)
        return covering[0] if covering else None

    def __len__(self) -> int:
        return len(self.entries)


def parse_entries(entries: Any, source: str, catalog: Catalog) -> tuple[KnownFailure, ...]:
    """Validate entries (from a baseline file or a config file) against the catalog."""
    if not isinstance(entries, list):
        raise BaselineError(f"{source}: known failures must be a list of tables")
    parsed = []
    for number, entry in enumerate(entries, 1):
        where = f"{source}: known failure #{number}"
        if not isinstance(entry, dict):
            raise BaselineError(f"{where} is not a table")
        unknown = set(entry) - ENTRY_KEYS
        if unknown:
            raise BaselineError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        requirement = entry.get("requirement")
        reason = entry.get("reason")
        model = entry.get("model")
        if not isinstance(requirement, str) or not requirement.strip():
            raise BaselineError(f"{where}: 'requirement' (a catalog ID) is missing")
        if not isinstance(reason, str) or not reason.strip():
            raise BaselineError(f"{where} ({requirement}): say why it is known with 'reason'")
        if model is not None and not isinstance(model, str):
            raise BaselineError(f"{where} ({requirement}): 'model' must be a string")
        try:
            canonical = catalog.get(requirement.strip().upper()).id
        except KeyError:
            raise BaselineError(f"{where}: {requirement!r} is not a requirement ID") from None
        parsed.append(KnownFailure(canonical, model or None, reason.strip()))
    return tuple(parsed)


def load_baseline(path: str | Path, catalog: Catalog) -> Baseline:
    path = Path(path)
    data = read_toml(path, BaselineError, "the baseline ")
    unknown = set(data) - {TABLE}
    if unknown:
        raise BaselineError(f"{path}: expected [[{TABLE}]] tables, found {sorted(unknown)}")
    return Baseline(parse_entries(data.get(TABLE, []), str(path), catalog), str(path))


def _toml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def baseline_toml(entries: Iterable[KnownFailure], header: str = "") -> str:
    """A baseline file with these entries (comments first: what the file is for)."""
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    lines += [
        "# Known failures: chat-conformance gates a release on new failures only; these stay",
        "# visible in every report, marked known. Remove an entry once it passes.",
    ]
    for entry in entries:
        lines += ["", f"[[{TABLE}]]", f"requirement = {_toml_string(entry.requirement)}"]
        if entry.model:
            lines.append(f"model = {_toml_string(entry.model)}")
        lines.append(f"reason = {_toml_string(entry.reason)}")
    return "\n".join(lines) + "\n"


def entries_from_report(report: Report, catalog: Catalog) -> list[KnownFailure]:
    """Every failing (requirement, model) of a JSON report, as known failures to start from."""
    when = report.get("started_at", "")[:10]
    entries: dict[tuple[str, str | None], KnownFailure] = {}
    for requirement in report.get("requirements", []):
        try:
            requirement_id = catalog.get(requirement["id"]).id
        except KeyError:
            continue  # retired from the catalog: nothing to gate on
        for test in requirement.get("tests", []):
            if test.get("outcome") != "failed":
                continue
            key = (requirement_id, test.get("model"))
            if key in entries:
                continue
            reason = test.get("known") or _first_line(test.get("messages") or [])
            entries[key] = KnownFailure(requirement_id, test.get("model"), f"{when}: {reason}")
    return list(entries.values())


def _first_line(messages: list[str]) -> str:
    return messages[0].splitlines()[0][:160] if messages else "failing"


def entry_status(entry: KnownFailure, outcomes: Iterable[Any]) -> str:
    """``failing`` (still known), ``passing`` (fixed: remove it) or ``not run``."""
    seen = [o.outcome for o in outcomes if entry.covers(o.requirement, o.model)]
    if "failed" in seen:
        return "failing"
    if "passed" in seen:
        return "passing"
    return "not run"


def baseline_summary(baseline: Baseline | None, outcomes: list[Any]) -> BaselineSummary | None:
    """What the JSON report says about the baseline: its entries and where each stands now."""
    if baseline is None:
        return None
    return {
        "source": baseline.source,
        "entries": [
            {**entry.as_dict(), "status": entry_status(entry, outcomes)}
            for entry in baseline.entries
        ],
    }

"""From test outcomes to requirement verdicts: the one place that decides "conformant".

A requirement can be proven by several tests (several probes, several models). It has failed if
any of them failed, passed if none failed and at least one passed, and was skipped otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from conformance.catalog import Catalog, Requirement

Status = Literal["passed", "failed", "skipped"]


@dataclass(frozen=True)
class TestOutcome:
    nodeid: str
    requirement: str
    model: str | None
    outcome: Status
    messages: tuple[str, ...] = ()


@dataclass
class RequirementVerdict:
    requirement: Requirement
    status: Status = "skipped"
    messages: list[str] = field(default_factory=list)
    tests: list[TestOutcome] = field(default_factory=list)
    models: dict[str, Status] = field(default_factory=dict)


def combine(statuses: list[Status]) -> Status:
    if "failed" in statuses:
        return "failed"
    if "passed" in statuses:
        return "passed"
    return "skipped"


def verdicts(catalog: Catalog, outcomes: list[TestOutcome]) -> list[RequirementVerdict]:
    """One verdict per catalog requirement, in catalog order, whether or not a test ran."""
    by_id = {r.id: RequirementVerdict(r) for r in catalog}
    for outcome in outcomes:
        verdict = by_id[catalog.get(outcome.requirement).id]
        verdict.tests.append(outcome)
        if outcome.outcome == "failed":
            verdict.messages.extend(outcome.messages)
    for verdict in by_id.values():
        verdict.status = combine([t.outcome for t in verdict.tests])
        per_model: dict[str, list[Status]] = {}
        for test in verdict.tests:
            per_model.setdefault(test.model or "", []).append(test.outcome)
        verdict.models = {model: combine(s) for model, s in per_model.items()}
    return list(by_id.values())


def is_conformant(results: list[RequirementVerdict], strict: bool) -> bool:
    """All MUST requirements pass (and, with strict, all SHOULD ones too); skips do not count."""
    levels = ("MUST", "SHOULD") if strict else ("MUST",)
    return not any(v.status == "failed" and v.requirement.level in levels for v in results)

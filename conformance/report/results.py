"""From test outcomes to requirement verdicts: the one place that decides "conformant".

A requirement can be proven by several tests (several probes, several models). It has failed if
any of them failed, passed if none failed and at least one passed, and was skipped otherwise.

A failure listed in the baseline (known failures) stays a failure in every report, marked known;
only the release gate looks past it: the gate passes when no failure is new.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from conformance.catalog import Catalog, Requirement
from conformance.report.shape import Evidence

Status = Literal["passed", "failed", "skipped"]


@dataclass(frozen=True)
class TestOutcome:
    nodeid: str
    requirement: str
    model: str | None
    outcome: Status
    messages: tuple[str, ...] = ()
    known: str | None = None  # a failure the baseline lists: its reason
    target: str = ""  # which target the test ran against (a label; several in merged reports)
    evidence: Evidence | None = field(default=None, compare=False)  # report.evidence


@dataclass
class RequirementVerdict:
    requirement: Requirement
    status: Status = "skipped"
    messages: list[str] = field(default_factory=list)
    tests: list[TestOutcome] = field(default_factory=list)
    models: dict[str, Status] = field(default_factory=dict)

    @property
    def new_failure(self) -> bool:
        """Failed, and not every failing test is a known failure."""
        return any(t.outcome == "failed" and not t.known for t in self.tests)

    @property
    def known_failure(self) -> bool:
        """Failed, and every failing test is a known failure."""
        return self.status == "failed" and not self.new_failure


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


def deciding_levels(strict: bool) -> tuple[str, ...]:
    return ("MUST", "SHOULD") if strict else ("MUST",)


def is_conformant(results: list[RequirementVerdict], strict: bool) -> bool:
    """All MUST requirements pass (and, with strict, all SHOULD ones too); skips do not count."""
    levels = deciding_levels(strict)
    return not any(v.status == "failed" and v.requirement.level in levels for v in results)


def gate_passes(results: list[RequirementVerdict], strict: bool) -> bool:
    """The release gate: no *new* failure at a deciding level (known failures are looked past).

    Without a baseline every failure is new, and the gate is exactly ``is_conformant``.
    """
    levels = deciding_levels(strict)
    return not any(v.new_failure and v.requirement.level in levels for v in results)

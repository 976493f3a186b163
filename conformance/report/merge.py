"""One report and one verdict from the JSON reports of sharded runs.

CI scales the suite the way it scales anything: a matrix of jobs, each running a shard (one
model, one target, or some requirement areas) and uploading its JSON report; a last job merges
them. The merged report recomputes every verdict from the union of the shards' tests, keeps each
test's target, model, known-failure mark and evidence, and lists the shards it came from. Its
latency figures are every run's, by target and model (``latency_merge`` says how).
"""

from __future__ import annotations

import time

from conformance.catalog import Catalog
from conformance.report.json_report import ReportError, build_report, outcomes_in, run_label
from conformance.report.latency_merge import merged_latency
from conformance.report.results import TestOutcome, gate_passes, is_conformant, verdicts
from conformance.report.shape import BaselineEntry, BaselineSummary, Report, ShardSummary


def shard_summary(report: Report) -> ShardSummary:
    """What the merged report keeps of one shard: where it ran, what it was, when."""
    target = report.get("target") or {}
    keys = (
        "tool",
        "catalog_version",
        "strict",
        "started_at",
        "duration_seconds",
        "profile",
        "seed",
    )
    return {
        "label": run_label(report),
        "target": target,
        "models": target.get("models", []),
        **{k: report[k] for k in keys if k in report},
        "requests_sent": report.get("requests_sent", 0),
        "baseline": (report.get("baseline") or {}).get("source"),
    }


def merge_reports(reports: list[Report], catalog: Catalog, *, strict: bool | None = None) -> Report:
    """The merged report. ``strict`` defaults to strict if any shard ran strict."""
    if not reports:
        raise ReportError("nothing to merge")
    shards = []
    for report in reports:
        # a merged report merges again: its shards come along
        shards += report.get("runs") or [shard_summary(report)]
    strict = any(bool(r.get("strict")) for r in reports) if strict is None else strict

    outcomes: dict[tuple[str, str | None, str], TestOutcome] = {}
    for report in reports:
        for outcome in outcomes_in(report, catalog):
            key = (outcome.target, outcome.model, outcome.nodeid)
            previous = outcomes.get(key)
            # overlapping shards: the worse outcome stands (a failure is never merged away)
            if previous is None or _rank(outcome) > _rank(previous):
                outcomes[key] = outcome
    results = verdicts(catalog, list(outcomes.values()))

    targets = list(dict.fromkeys(run_label(r) for r in reports))
    models = list(
        dict.fromkeys(m for r in reports for m in (r.get("target") or {}).get("models", []))
    )
    started = sorted(r.get("started_at", "") for r in reports if r.get("started_at"))
    baselines = [r["baseline"] for r in reports if r.get("baseline")]
    throttled = [t for r in reports for t in r.get("throttled", [])]
    first_target = reports[0].get("target") or {}
    target = (
        {**first_target, "models": models}
        if len(targets) == 1
        else {"name": " + ".join(targets), "base_url": None, "embedded": False, "models": models}
    )
    catalog_versions = {str(r.get("catalog_version")) for r in reports}
    latency = merged_latency(reports)  # conformance/report/latency_merge.py
    merged = build_report(
        results,
        catalog_version=catalog.version,
        target=target,
        strict=strict,
        conformant=is_conformant(results, strict),
        gate_passed=gate_passes(results, strict),
        started_at=started[0] if started else time.strftime("%Y-%m-%dT%H:%M:%S"),
        duration=sum(float(r.get("duration_seconds", 0)) for r in reports),
        requests_sent=sum(int(r.get("requests_sent", 0)) for r in reports),
        throttled=throttled,
        baseline=_merged_baseline(baselines),
        run={
            "merged_catalog_versions": sorted(catalog_versions),
            **({"latency": latency} if latency else {}),
        },
    )
    merged["runs"] = shards
    return merged


def _rank(outcome: TestOutcome) -> int:
    return {"skipped": 0, "passed": 1, "failed": 2}.get(outcome.outcome, 0)


def _merged_baseline(baselines: list[BaselineSummary]) -> BaselineSummary | None:
    """The shards' baselines as one: an entry failing anywhere is failing, else passing anywhere."""
    if not baselines:
        return None
    order = {"failing": 2, "passing": 1, "not run": 0}
    entries: dict[tuple, BaselineEntry] = {}
    for baseline in baselines:
        for entry in baseline.get("entries", []):
            key = (entry.get("requirement"), entry.get("model"), entry.get("reason"))
            previous = entries.get(key)
            if previous is None or order.get(entry.get("status"), 0) > order.get(
                previous.get("status"), 0
            ):
                entries[key] = dict(entry)
    sources = ", ".join(dict.fromkeys(str(b.get("source")) for b in baselines))
    return {"source": sources, "entries": list(entries.values())}

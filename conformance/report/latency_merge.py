"""The latency of a merged report: every run's figures kept, labelled by target and model.

Runs of different targets (one per provider, merged into one matrix) stand side by side: one
entry per target and model, labelled ``target · model`` (just the model when every run went to
one target, as when CI shards by model).

Runs of one target and model (sharded by area, say) are harder: percentiles cannot be combined
from percentiles (the median of two medians is the median of nothing measured). So a run's
report keeps, beside each model's figures, the values they were taken from (``measured``, see
``latency``), and merge takes those values together and computes the percentiles again: exactly
the figures one run with all those exchanges would show. It does so only for like with like,
runs whose figures were taken the same way (all from overlapping exchanges at one concurrency,
or all from ``--latency-samples``); runs taken differently, and runs whose report kept no values
(written before merge could pool them), keep their own figures, one entry each, labelled with
the shard they came from (``(shard 2)``: the second of the merged report's ``runs``).

Every entry says which shards it came from and how its figures were taken. A merged report whose
runs have no latency figures at all (older releases) gets no latency section, as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, cast

from conformance.report.json_report import run_label
from conformance.report.latency import (
    FIGURES,
    PERCENTILE_METHOD,
    LatencySection,
    MergedModelLatency,
    ModelLatency,
    Values,
    figures_of,
    joined_sources,
    measured_values,
)
from conformance.report.shape import Report

NO_FIGURES = "its report has no latency figures"


@dataclass(frozen=True)
class Piece:
    """One model's figures as one report gave them, before pooling."""

    target: str
    model: str
    figures: ModelLatency
    taken_from: Any  # "run", "samples", or None (no figures)
    concurrency: int | None
    shards: tuple[int, ...]  # 1-based, in the merged report's runs

    @cached_property
    def values(self) -> Values | None:
        return measured_values(self.figures)

    @property
    def manner(self) -> tuple[Any, int | None] | None:
        """How the figures were taken, when they can be pooled with others taken alike."""
        if self.taken_from not in ("run", "samples") or self.values is None:
            return None
        return (self.taken_from, None if self.taken_from == "samples" else self.concurrency)


def merged_latency(reports: list[Report]) -> LatencySection | None:
    """The merged report's ``latency``; None when no run has figures."""
    if not any((r.get("latency") or {}).get("models") for r in reports):
        return None
    pieces: list[Piece] = []
    shards = 0
    for report in reports:
        pieces += pieces_of(report, shards)
        shards += len(report.get("runs") or [report])
    groups: dict[tuple[str, str], list[Piece]] = {}
    for piece in pieces:
        groups.setdefault((piece.target, piece.model), []).append(piece)
    one_target = len({target for target, _ in groups}) == 1
    models: dict[str, ModelLatency] = {}
    for (target, model), group in groups.items():
        entries = _pooled(group)
        for entry in entries:
            label = model if one_target else f"{target} · {model}"
            if len(entries) > 1:
                label += f" ({_shards_label(entry['shards'])})"
            while label in models:  # a model named like a label: both kept
                label += " (again)"
            models[label] = entry
    return cast(LatencySection, _section(list(models.values()), shards) | {"models": models})


def pieces_of(report: Report, before: int) -> list[Piece]:
    """A report's figures per target and model; ``before``: shards of the reports before it."""
    section: dict[str, Any] = dict(report.get("latency") or {})
    entries: dict[str, Any] = section.get("models") or {}
    if entries and all(isinstance(e, dict) and "target" in e for e in entries.values()):
        return [  # a merged report, merged again
            Piece(
                str(e["target"]),
                str(e.get("model")),
                e,
                e.get("taken_from"),
                e.get("concurrency"),
                tuple(before + int(s) for s in e.get("shards") or [1]),
            )
            for e in entries.values()
        ]
    if entries:
        return [
            Piece(
                run_label(report),
                model,
                figures,
                section.get("taken_from"),
                section.get("concurrency"),
                (before + 1,),
            )
            for model, figures in entries.items()
        ]
    runs: list[Any] = list(report.get("runs") or [])  # an older merged report: say who has none
    described = runs or [{"label": run_label(report), "models": _models_of(report)}]
    return [
        Piece(str(run.get("label")), model, _no_figures(), None, None, (before + index,))
        for index, run in enumerate(described, 1)
        for model in run.get("models") or []
    ]


def _models_of(report: Report) -> list[str]:
    return list((report.get("target") or {}).get("models") or [])


def _no_figures() -> ModelLatency:
    empty: Values = {key: [] for key in FIGURES}
    figures = figures_of(empty, 0, 0, None)
    figures["no_data"] = NO_FIGURES
    del figures["measured"]  # nothing measured is not zero values measured: never pooled
    return figures


def _pooled(group: list[Piece]) -> list[MergedModelLatency]:
    """One target's model: pieces taken alike pooled into one entry, each other piece alone."""
    buckets: dict[Any, list[Piece]] = {}
    for index, piece in enumerate(group):
        buckets.setdefault(piece.manner or ("alone", index), []).append(piece)
    entries = [_entry(pieces) for pieces in buckets.values()]
    return sorted(entries, key=lambda entry: entry["shards"])


def _entry(pieces: list[Piece]) -> MergedModelLatency:
    first = pieces[0]
    figures: ModelLatency = first.figures
    if len(pieces) > 1:  # every piece has values here (its manner said so)
        values: Values = {key: [] for key in FIGURES}
        for piece in pieces:
            for key, numbers in (piece.values or {}).items():
                values[key] += numbers
        figures = figures_of(
            values,
            sum(int(p.figures.get("exchanges", 0)) for p in pieces),
            sum(int(p.figures.get("streams", 0)) for p in pieces),
            joined_sources(
                p.figures.get("tokens_per_second", {}).get("counted_from") for p in pieces
            ),
        )
    shards = sorted({shard for piece in pieces for shard in piece.shards})
    entry: dict[str, Any] = {
        "target": first.target,
        "model": first.model,
        "shards": shards,
        "taken_from": first.taken_from,
        "concurrency": first.concurrency,
        "how": _how(first, int(figures.get("exchanges", 0)), len(shards)),
    }
    # the figures after what says where they came from (a merged entry merged again keeps
    # the new shards), and the values last: a merged report merges again
    entry |= {k: v for k, v in figures.items() if k not in entry and k != "measured"}
    if "measured" in figures:
        entry["measured"] = figures["measured"]
    return cast(MergedModelLatency, entry)


def _how(piece: Piece, count: int, runs: int) -> str:
    """How an entry's figures were taken: "72 successful exchanges of 2 runs, overlapping,
    concurrency 4 in each"."""
    of = f" of {runs} runs" if runs > 1 else ""
    if piece.taken_from == "samples":
        return f"{count} successful streamed samples{of}, sent one at a time"
    if piece.taken_from == "run":
        each = " in each" if runs > 1 else ""
        return (
            f"{count} successful exchanges{of}, overlapping, concurrency {piece.concurrency}{each}"
        )
    return str(piece.figures.get("no_data") or NO_FIGURES)


def _shards_label(shards: list[int]) -> str:
    if len(shards) == 1:
        return f"shard {shards[0]}"
    return "shards " + ", ".join(map(str, shards))


def _section(entries: list[Any], runs: int) -> dict[str, Any]:
    """The section's own fields: how the figures were taken, when all entries agree."""
    kinds = {e["taken_from"] for e in entries if e["taken_from"] is not None}
    concurrencies = {e["concurrency"] for e in entries if e["taken_from"] == "run"}
    taken_from = kinds.pop() if len(kinds) == 1 else "mixed"
    merged = f"merged from {runs} run{'s' if runs != 1 else ''}"
    if taken_from == "samples":
        how = f"{merged}: sequential streamed samples"
    elif taken_from == "run" and len(concurrencies) == 1:
        how = f"{merged}: overlapping exchanges, concurrency {next(iter(concurrencies))}"
    else:
        how = f"{merged}, taken in different ways: see each entry"
    return {
        "taken_from": taken_from,
        "how": how,
        "concurrency": next(iter(concurrencies)) if len(concurrencies) == 1 else None,
        "percentiles": PERCENTILE_METHOD,
        "merged_from": runs,
    }

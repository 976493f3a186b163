"""Latency figures per model, from the timings the exchanges recorded: no extra requests.

What a user of a chat API feels is how long until something arrives and how fast text then
flows, so per model the report gives, from its successful exchanges (status 200, no transport
error or bound hit):

- time to first byte: the response's status line and headers arrived (``first_byte_at``);
- time to first token (streams): the first event whose delta carries non-empty content;
- the gap between two consecutive events of a stream (every dispatched event, ``[DONE]`` too);
- total time: request sent to the last byte read;
- completion tokens per second (streams): (tokens - 1) / (last content event - first content
  event), since the first token starts the clock and each later one costs one gap. Tokens are
  the stream's ``usage.completion_tokens`` when it reports them, else its content-bearing events;
  the figure says which.

Percentiles are nearest-rank: the p-th percentile of n sorted values is the value at rank
ceil(p/100 * n) (1-based), so it is always a value that was measured, never an interpolation.

A run overlaps its requests (``--concurrency``), which a slow server may answer more slowly than
one at a time, so the figures say how they were taken; ``--latency-samples N`` adds N sequential
streamed requests per model after the run, and the figures are then taken from those alone.

Percentiles cannot be combined from percentiles, so beside its figures each model keeps the
values they were taken from (``measured``: milliseconds rounded as the figures are, tokens per
second to 0.1; rounding keeps the order, so the percentile of the rounded values is the rounded
percentile). ``latency_merge`` takes several runs' values together for exact percentiles.

Pure functions over records and report dicts: ``latency_chart`` draws them, ``terminal`` and
``compare`` print them.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NotRequired, TypedDict

from conformance.records import Exchange, strict_json

SAMPLE_PREFIX = "latency_sample"  # the exchange names of --latency-samples requests
PERCENTILE_METHOD = "nearest-rank"
NO_DATA = "no data"
NO_VALUE = "\u2013"  # an en dash where a figure has no value

TokensSource = Literal["usage", "content events", "usage and content events"]


# ------------------------------------------------------------------------------ the shape


class Spread(TypedDict):
    """Milliseconds (or tokens per second); None where no exchange gave the figure."""

    p50: float | None
    p95: float | None
    max: NotRequired[float | None]


class TokenRate(TypedDict):
    p50: float | None
    streams: int  # streams the rate was measured on
    counted_from: TokensSource | None  # where the token counts came from


class Measured(TypedDict):
    """Every value behind one model's figures, sorted, space-separated (``measured_text``): one
    line each in the indented report, where a list would take a line per value."""

    time_to_first_byte_ms: str
    time_to_first_token_ms: str
    event_gap_ms: str
    total_ms: str
    tokens_per_second: str


class ModelLatency(TypedDict):
    exchanges: int  # successful exchanges the figures come from
    streams: int
    time_to_first_byte_ms: Spread
    time_to_first_token_ms: Spread
    event_gap_ms: Spread
    total_ms: Spread
    tokens_per_second: TokenRate
    no_data: NotRequired[str]  # why there are no figures: no successful exchange
    measured: NotRequired[Measured]  # absent in reports before merge could pool them


class MergedModelLatency(ModelLatency):
    """One entry of a merged report: one target's model, from one run or several pooled."""

    target: str
    model: str
    shards: list[int]  # 1-based positions in the merged report's ``runs``
    taken_from: Literal["run", "samples"] | None  # None: its report had no figures
    concurrency: int | None
    how: str


class LatencySection(TypedDict):
    """The JSON report's ``latency``."""

    taken_from: Literal["run", "samples", "mixed"]  # mixed: a merged report's runs differ
    how: str  # "40 exchanges, overlapping, concurrency 4" or "5 sequential samples per model"
    concurrency: int | None  # None: a merged report's runs differ
    percentiles: str
    models: dict[str, ModelLatency]  # a merged report's: MergedModelLatency, by label
    merged_from: NotRequired[int]  # runs, in a merged report


# ------------------------------------------------------------------------------ the maths


def percentile(values: Sequence[float], p: float) -> float | None:
    """The nearest-rank p-th percentile (0 < p <= 100); None for no values."""
    if not values:
        return None
    if not 0 < p <= 100:
        raise ValueError(f"a percentile is in (0, 100], got {p}")
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Timing:
    """What one successful exchange says about latency, in seconds."""

    model: str
    streamed: bool
    first_byte: float | None
    first_token: float | None
    gaps: tuple[float, ...]
    total: float
    tokens: int | None  # completion tokens, for the rate
    tokens_from: TokensSource | None
    generation: float | None  # first content event to last content event

    @property
    def tokens_per_second(self) -> float | None:
        if self.tokens is None or self.tokens < 2 or not self.generation:
            return None
        return (self.tokens - 1) / self.generation


def succeeded(exchange: Exchange) -> bool:
    return exchange.status == 200 and exchange.error is None and not exchange.deadline_hit


def model_of(exchange: Exchange) -> str | None:
    body = exchange.request.body
    model = body.get("model") if isinstance(body, dict) else None
    return model if isinstance(model, str) else None


def timing_of(exchange: Exchange) -> Timing | None:
    """The timing of a successful exchange of a named model; None for any other."""
    model = model_of(exchange)
    if model is None or not succeeded(exchange):
        return None
    if exchange.sse is None:
        return Timing(
            model, False, exchange.first_byte_at, None, (), exchange.elapsed, None, None, None
        )
    events = exchange.sse.events
    gaps = tuple(max(0.0, b.received_at - a.received_at) for a, b in itertools.pairwise(events))
    content_times: list[float] = []
    usage_tokens: int | None = None
    for event in events:
        chunk = _chunk(event.data)
        if _has_content(chunk):
            content_times.append(event.received_at)
        usage = chunk.get("usage")
        if isinstance(usage, dict) and _is_count(usage.get("completion_tokens")):
            usage_tokens = usage["completion_tokens"]
    tokens, source = (usage_tokens, "usage") if usage_tokens is not None else (None, None)
    if tokens is None and content_times:
        tokens, source = len(content_times), "content events"
    return Timing(
        model=model,
        streamed=True,
        first_byte=exchange.first_byte_at,
        first_token=content_times[0] if content_times else None,
        gaps=gaps,
        total=exchange.elapsed,
        tokens=tokens,
        tokens_from=source,
        generation=content_times[-1] - content_times[0] if content_times else None,
    )


def _chunk(data: str) -> dict[str, Any]:
    try:
        chunk = strict_json(data)
    except ValueError:
        return {}  # [DONE], or garbage the checks judge elsewhere
    return chunk if isinstance(chunk, dict) else {}


def _has_content(chunk: dict[str, Any]) -> bool:
    choices = chunk.get("choices")
    if not isinstance(choices, list):
        return False
    for choice in choices:
        delta = choice.get("delta") if isinstance(choice, dict) else None
        content = delta.get("content") if isinstance(delta, dict) else None
        if isinstance(content, str) and content:
            return True
    return False


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _all_ms(seconds: Iterable[float | None]) -> list[float]:
    """Milliseconds rounded as the figures are, for every value measured."""
    return [round(value * 1000, 1) for value in seconds if value is not None]


def _spread(values: Sequence[float], with_max: bool = False) -> Spread:
    spread: Spread = {"p50": percentile(values, 50), "p95": percentile(values, 95)}
    if with_max:
        spread["max"] = max(values) if values else None
    return spread


FIGURES = (
    "time_to_first_byte_ms",
    "time_to_first_token_ms",
    "event_gap_ms",
    "total_ms",
    "tokens_per_second",
)
Values = dict[str, list[float]]  # figure -> every value measured, rounded like the figure


def joined_sources(sources: Iterable[TokensSource | None]) -> TokensSource | None:
    """Where the token counts of several streams (or runs) came from, in one phrase."""
    found: set[str] = set()
    for source in sources:
        if source == "usage and content events":
            found |= {"usage", "content events"}
        elif source is not None:
            found.add(source)
    if found == {"usage"}:
        return "usage"
    if found == {"content events"}:
        return "content events"
    return "usage and content events" if found else None


def model_figures(timings: Sequence[Timing]) -> ModelLatency:
    """One model's figures from its timings; ``no_data`` when there are none."""
    streams = [t for t in timings if t.streamed]
    rates = [(r, t.tokens_from) for t in streams if (r := t.tokens_per_second) is not None]
    values: Values = {
        "time_to_first_byte_ms": _all_ms(t.first_byte for t in timings),
        "time_to_first_token_ms": _all_ms(t.first_token for t in streams),
        "event_gap_ms": _all_ms(gap for t in streams for gap in t.gaps),
        "total_ms": _all_ms(t.total for t in timings),
        "tokens_per_second": [round(rate, 1) for rate, _ in rates],
    }
    return figures_of(values, len(timings), len(streams), joined_sources(s for _, s in rates))


def figures_of(
    values: Values, exchanges: int, streams: int, counted_from: TokensSource | None
) -> ModelLatency:
    """The figures of these values (one run's, or several runs' together), with the values."""
    rates = values["tokens_per_second"]
    figures: ModelLatency = {
        "exchanges": exchanges,
        "streams": streams,
        "time_to_first_byte_ms": _spread(values["time_to_first_byte_ms"]),
        "time_to_first_token_ms": _spread(values["time_to_first_token_ms"]),
        "event_gap_ms": _spread(values["event_gap_ms"], with_max=True),
        "total_ms": _spread(values["total_ms"]),
        "tokens_per_second": {
            "p50": percentile(rates, 50),
            "streams": len(rates),
            "counted_from": counted_from,
        },
    }
    if not exchanges:
        figures["no_data"] = "no successful exchange"
    figures["measured"] = {
        "time_to_first_byte_ms": measured_text(values["time_to_first_byte_ms"]),
        "time_to_first_token_ms": measured_text(values["time_to_first_token_ms"]),
        "event_gap_ms": measured_text(values["event_gap_ms"]),
        "total_ms": measured_text(values["total_ms"]),
        "tokens_per_second": measured_text(rates),
    }
    return figures


def measured_text(values: Iterable[float]) -> str:
    """Values as one short line: sorted, space-separated, each read back exactly (305 for 305.0)."""
    return " ".join(repr(value).removesuffix(".0") for value in sorted(values))


def measured_values(figures: ModelLatency) -> Values | None:
    """The values behind one model's figures; None when its report kept none (an older release)
    or they do not read back (a hand-edited report): then its figures cannot be pooled."""
    measured = figures.get("measured")
    if not isinstance(measured, dict):
        return None
    values: Values = {}
    for key in FIGURES:
        text = measured.get(key)
        if not isinstance(text, str):
            return None
        try:
            numbers = [float(word) for word in text.split()]
        except ValueError:
            return None
        if not all(math.isfinite(n) and n >= 0 for n in numbers):
            return None
        values[key] = numbers
    return values


def latency_section(
    exchanges: Iterable[Exchange], models: Sequence[str], concurrency: int
) -> LatencySection:
    """The report's ``latency``: from the ``--latency-samples`` exchanges when there are any,
    else from every exchange of the run. Every model of the run gets an entry."""
    exchanges = list(exchanges)
    samples = [e for e in exchanges if e.name.startswith(SAMPLE_PREFIX)]
    chosen = samples or exchanges
    timings = [t for e in chosen if (t := timing_of(e)) is not None]
    names = list(dict.fromkeys([*models, *(t.model for t in timings)]))
    by_model = {name: model_figures([t for t in timings if t.model == name]) for name in names}
    if samples:
        per_model = len(samples) // max(1, len(models))
        how = f"{per_model} sequential streamed samples per model, one request at a time"
    else:
        how = f"{len(timings)} successful exchanges, overlapping, concurrency {concurrency}"
    return {
        "taken_from": "samples" if samples else "run",
        "how": how,
        "concurrency": concurrency,
        "percentiles": PERCENTILE_METHOD,
        "models": by_model,
    }


# ------------------------------------------------------------------------------ as text


def show_ms(value: float | None) -> str:
    """300 ms, 1.25 s; an en dash for no value."""
    if value is None:
        return NO_VALUE
    if value >= 1000:
        return f"{value / 1000:.2f} s"
    return f"{value:.0f} ms" if value >= 10 else f"{value:.1f} ms"


def show_pair(p50: float | None, p95: float | None) -> str:
    """p50/p95 with one unit: 305/331 ms, 0.77/1.20 s."""
    if p50 is None or p95 is None:
        return f"{show_ms(p50)}/{show_ms(p95)}"
    if max(p50, p95) >= 1000:
        return f"{p50 / 1000:.2f}/{p95 / 1000:.2f} s"
    return f"{_number(p50)}/{_number(p95)} ms"


def _number(ms: float) -> str:
    return f"{ms:.0f}" if ms >= 10 else f"{ms:.1f}"


def model_line(model: str, figures: ModelLatency) -> str:
    """One terminal line: every figure of one model (p50/p95)."""
    if figures.get("no_data"):
        return f"  {model}: {NO_DATA} ({figures['no_data']})"
    first_byte = figures["time_to_first_byte_ms"]
    first_token = figures["time_to_first_token_ms"]
    gap = figures["event_gap_ms"]
    total = figures["total_ms"]
    parts = [f"first byte {show_pair(first_byte['p50'], first_byte['p95'])}"]
    if figures["streams"]:
        parts += [
            f"first token {show_pair(first_token['p50'], first_token['p95'])}",
            f"event gap {show_pair(gap['p50'], gap['p95'])} (max {show_ms(gap.get('max'))})",
        ]
    parts.append(f"total {show_pair(total['p50'], total['p95'])}")
    rate = figures["tokens_per_second"]
    if rate["p50"] is not None:
        parts.append(f"{rate['p50']:g} tokens/s ({rate['counted_from']})")
    elif figures["streams"]:
        parts.append(f"tokens/s: {NO_DATA}")
    else:
        parts.append("no streams")
    return f"  {model}: " + " · ".join(parts)


def latency_lines(report: dict[str, Any]) -> list[tuple[str, str | None]]:
    """The terminal summary's latency lines (a heading, then one per model; a merged report's,
    one per target and model, each saying how it was taken); none for a report without figures
    (an older one)."""
    section = report.get("latency")
    if not section or not section.get("models"):
        return []
    heading = (
        f"latency (p50/p95, {section.get('percentiles', PERCENTILE_METHOD)}; "
        f"{section.get('how', '')}):"
    )
    lines: list[tuple[str, str | None]] = [(heading, None)]
    for model, figures in section["models"].items():
        line = model_line(model, figures)
        if figures.get("shards") and figures.get("taken_from"):  # merged: "of 2 runs", ...
            line += f" · {figures.get('how')}"
        lines.append((line, None))
    return lines

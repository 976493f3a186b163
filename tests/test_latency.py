"""The latency figures: the maths, what counts, and how the reports show them (no network but one
local exchange)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.exchange import ExchangeRunner, Limits, Target
from conformance.records import Exchange, RequestSpec, SseEvent, SseTranscript
from conformance.reference.config import ServerConfig
from conformance.reference.runner import running_server
from conformance.report.compare import compare, render_comparison, terminal_lines
from conformance.report.latency import (
    NO_DATA,
    SAMPLE_PREFIX,
    latency_lines,
    latency_section,
    model_figures,
    percentile,
    timing_of,
)
from conformance.report.latency_chart import latency_chart, latency_html
from conformance.report.latency_compare import latency_figures
from conformance.report.terminal import plain, summary_lines

MODEL = "m"


def _chunk(content: str | None = None, role: str | None = None, usage: int | None = None) -> str:
    delta = {k: v for k, v in (("role", role), ("content", content)) if v is not None}
    chunk: dict = {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta}]}
    if usage is not None:
        chunk = {
            "object": "chat.completion.chunk",
            "choices": [],
            "usage": {"completion_tokens": usage},
        }
    return json.dumps(chunk)


def stream(
    times_and_data: list[tuple[float, str]],
    *,
    first_byte: float = 0.1,
    total: float = 1.0,
    model: str = MODEL,
    status: int = 200,
    name: str = "stream",
    error: str | None = None,
) -> Exchange:
    events = tuple(
        SseEvent(data, None, None, None, f"data: {data}\n\n", index, 0, at)
        for index, (at, data) in enumerate(times_and_data)
    )
    return Exchange(
        name=name,
        url="http://127.0.0.1/v1/chat/completions",
        request=RequestSpec({"model": model, "stream": True}),
        request_headers={},
        status=status,
        sse=SseTranscript(events=events),
        error=error,
        elapsed=total,
        first_byte_at=first_byte,
    )


def completion(first_byte: float, total: float, model: str = MODEL, status: int = 200) -> Exchange:
    return Exchange(
        name="completion",
        url="http://127.0.0.1/v1/chat/completions",
        request=RequestSpec({"model": model}),
        request_headers={},
        status=status,
        body=b'{"choices": []}',
        elapsed=total,
        first_byte_at=first_byte,
    )


# ------------------------------------------------------------------------------ percentiles


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [
        ([15, 20, 35, 40, 50], 5, 15),  # rank ceil(0.25) = 1
        ([15, 20, 35, 40, 50], 30, 20),  # rank ceil(1.5) = 2
        ([15, 20, 35, 40, 50], 40, 20),  # rank 2 exactly
        ([15, 20, 35, 40, 50], 50, 35),  # rank ceil(2.5) = 3
        ([15, 20, 35, 40, 50], 100, 50),
        ([3, 1, 2, 4], 50, 2),  # rank 2 of the sorted values: no averaging
        (list(range(1, 21)), 95, 19),  # rank 19 of 20
        (list(range(1, 101)), 95, 95),
        ([7.5], 95, 7.5),
    ],
)
def test_percentiles_are_nearest_rank(values, p, expected):
    assert percentile(values, p) == expected


def test_no_values_have_no_percentile_and_p_is_bounded():
    assert percentile([], 50) is None
    with pytest.raises(ValueError):
        percentile([1.0], 0)


@given(st.lists(st.floats(0, 1e6), min_size=1), st.floats(0.1, 100), st.floats(0.1, 100))
def test_a_percentile_is_a_measured_value_and_grows_with_p(values, p, q):
    low, high = sorted((p, q))
    assert percentile(values, low) in values
    assert percentile(values, low) <= percentile(values, high)


# ------------------------------------------------------------------------------ one exchange


def test_a_stream_gives_gaps_first_token_and_a_rate_from_its_content_events():
    exchange = stream(
        [
            (0.10, _chunk(content="", role="assistant")),  # no content yet
            (0.13, _chunk(content="a")),
            (0.16, _chunk(content="b")),
            (0.19, _chunk(content="c")),
            (0.25, "[DONE]"),
        ]
    )
    timing = timing_of(exchange)
    assert timing is not None and timing.streamed
    assert timing.first_token == pytest.approx(0.13)
    assert timing.gaps == pytest.approx((0.03, 0.03, 0.03, 0.06))
    assert (timing.tokens, timing.tokens_from) == (3, "content events")
    assert timing.tokens_per_second == pytest.approx(2 / 0.06)  # 3 tokens, 2 gaps after the 1st


def test_a_stream_reporting_usage_is_counted_by_its_usage():
    exchange = stream(
        [(0.1, _chunk(content="ab")), (0.2, _chunk(content="cd")), (0.3, _chunk(usage=9))]
    )
    timing = timing_of(exchange)
    assert timing is not None
    assert (timing.tokens, timing.tokens_from) == (9, "usage")
    assert timing.tokens_per_second == pytest.approx(8 / 0.1)


@pytest.mark.parametrize(
    "exchange",
    [
        stream([(0.1, _chunk(content="a"))], status=500),
        stream([(0.1, _chunk(content="a"))], error="reading the response timed out"),
        completion(0.1, 0.2, status=400),
    ],
)
def test_only_successful_exchanges_count(exchange):
    assert timing_of(exchange) is None


# ------------------------------------------------------------------------------ per model


def test_figures_per_model_in_milliseconds():
    exchanges = [
        completion(0.30, 0.40),
        completion(0.32, 0.41),
        stream([(0.31, _chunk(content="a")), (0.34, _chunk(content="b"))], first_byte=0.31),
        stream([(0.30, _chunk(content="a")), (0.36, _chunk(content="b"))], first_byte=0.30),
    ]
    section = latency_section(exchanges, [MODEL], concurrency=4)
    figures = section["models"][MODEL]
    assert section["taken_from"] == "run"
    assert section["how"] == "4 successful exchanges, overlapping, concurrency 4"
    assert section["percentiles"] == "nearest-rank"
    assert (figures["exchanges"], figures["streams"]) == (4, 2)
    assert figures["time_to_first_byte_ms"] == {"p50": 300.0, "p95": 320.0}  # ranks 2 and 4
    assert figures["time_to_first_token_ms"] == {"p50": 300.0, "p95": 310.0}
    assert figures["event_gap_ms"] == {"p50": 30.0, "p95": 60.0, "max": 60.0}
    assert figures["tokens_per_second"]["counted_from"] == "content events"
    assert figures["tokens_per_second"]["streams"] == 2


def test_a_model_without_streams_has_request_figures_only():
    figures = model_figures([t for e in [completion(0.3, 0.5)] if (t := timing_of(e))])
    assert figures["streams"] == 0
    assert figures["time_to_first_token_ms"] == {"p50": None, "p95": None}
    assert figures["event_gap_ms"] == {"p50": None, "p95": None, "max": None}
    assert figures["tokens_per_second"] == {"p50": None, "streams": 0, "counted_from": None}
    line = latency_lines({"latency": {"how": "x", "models": {MODEL: figures}}})[1][0]
    assert "first byte 300/300 ms" in line and "no streams" in line and "first token" not in line


def test_a_model_without_a_successful_exchange_says_no_data_everywhere():
    section = latency_section([completion(0.1, 0.2, status=500)], [MODEL, "other"], 4)
    assert set(section["models"]) == {MODEL, "other"}
    assert section["models"][MODEL]["no_data"] == "no successful exchange"
    report = {"latency": section}
    lines = plain(latency_lines(report))
    assert f"{MODEL}: {NO_DATA}" in lines and f"other: {NO_DATA}" in lines
    assert latency_chart(section["models"]) == ""  # nothing to draw, and no crash
    assert NO_DATA in latency_html(report)


def test_samples_replace_the_run_figures_and_say_so():
    run = [completion(0.9, 1.0)]  # slow under load
    samples = [
        stream([(0.3, _chunk(content="a"))], first_byte=0.3, name=f"{SAMPLE_PREFIX}_{n}")
        for n in (1, 2)
    ]
    section = latency_section(run + samples, [MODEL], concurrency=4)
    assert section["taken_from"] == "samples"
    assert section["how"].startswith("2 sequential streamed samples per model")
    assert section["models"][MODEL]["exchanges"] == 2
    assert section["models"][MODEL]["time_to_first_byte_ms"]["p50"] == 300.0


# ------------------------------------------------------------------------------ reports


def _report(first_byte_ms: float, models: tuple[str, ...] = (MODEL,)) -> dict:
    exchanges = [
        stream(
            [(first_byte_ms / 1000, _chunk(content="a")), (first_byte_ms / 1000 + 0.03, "[DONE]")],
            first_byte=first_byte_ms / 1000,
            model=model,
        )
        for model in models
    ]
    return {
        "requirements": [],
        "summary": {},
        "target": {"name": f"t{first_byte_ms:g}", "models": list(models)},
        "latency": latency_section(exchanges, models, 4),
    }


def test_the_chart_is_well_formed_svg_with_hostile_model_names():
    hostile = 'a<b>&"c\x1b[31m\u202e'
    report = _report(300, (MODEL, hostile))
    svg = latency_chart(report["latency"]["models"])
    root = ElementTree.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert "\x1b" not in svg and "<b>" not in svg
    assert svg == latency_chart(report["latency"]["models"])  # deterministic
    assert "<script" not in svg and "href" not in svg  # nothing external
    ElementTree.fromstring(f"<div>{latency_html(report)}</div>")  # the section is XML too


def test_the_terminal_summary_has_one_line_per_model_and_none_without_figures():
    report = _report(300, (MODEL, "other"))
    text = plain(summary_lines(report))
    assert "latency (p50/p95, nearest-rank; 2 successful exchanges, overlapping" in text
    assert sum(line.startswith(("  m:", "  other:")) for line in text.splitlines()) == 2
    assert "latency" not in plain(summary_lines({"requirements": [], "summary": {}}))


def test_compare_shows_latency_side_by_side_with_deltas():
    from conformance.catalog import load_catalog

    reports = [_report(300), _report(450)]
    figures = latency_figures(reports)
    first_byte = next(f for f in figures if f.label == "first byte p50")
    assert first_byte.values == (300.0, 450.0)
    assert first_byte.shown(1) == "450 ms (+150 ms, +50%)"
    comparison = compare(reports, load_catalog())
    lines = terminal_lines(comparison)
    assert "Latency, compared with t300 (nearest-rank percentiles):" in lines
    assert any("first byte p50" in line and "+150 ms, +50%" in line for line in lines)
    page = render_comparison(comparison)
    assert "450 ms (+150 ms, +50%)" in page and 'id="cc-latency-table"' in page


def test_compare_of_reports_without_latency_shows_none():
    from conformance.catalog import load_catalog

    bare = {"requirements": [], "summary": {}, "target": {"models": [MODEL]}}
    comparison = compare([bare, dict(bare)], load_catalog())
    assert not any("Latency" in line for line in terminal_lines(comparison))
    assert "cc-latency" not in render_comparison(comparison)


# ------------------------------------------------------------------------------ the record


def test_an_exchange_records_when_its_headers_arrived():
    """The reference server sleeps its latency before the headers (``start_delay``): time to
    first byte measures that wait, and the body comes after."""
    key = "sk-latency-test-key-000000"
    config = ServerConfig(api_key=key, latency=0.2, token_interval=0.02)
    spec = RequestSpec(
        {"model": MODEL, "messages": [{"role": "user", "content": "hi"}]} | {"stream": True}
    )
    with running_server(config) as server:
        runner = ExchangeRunner(Target(server.base_url, key, Limits(deadline=10)), concurrency=1)
        try:
            exchange = runner.run("stream", spec)
        finally:
            runner.close()
    assert exchange.status == 200 and exchange.first_byte_at is not None
    assert 0.2 <= exchange.first_byte_at < 0.2 + 0.15
    assert exchange.first_byte_at <= exchange.events[0].received_at <= exchange.elapsed

"""A merged report keeps latency: each target's figures side by side, shards of one target and
model pooled into exact percentiles, older reports merged as before (no network)."""

from __future__ import annotations

import copy
import json
import xml.etree.ElementTree as ElementTree

from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.catalog import load_catalog
from conformance.records import Exchange, RequestSpec, SseEvent, SseTranscript
from conformance.report.compare import compare, render_comparison, terminal_lines
from conformance.report.latency import SAMPLE_PREFIX, latency_lines, latency_section
from conformance.report.latency_chart import latency_chart, latency_html
from conformance.report.latency_compare import latency_figures
from conformance.report.merge import merge_reports
from conformance.report.terminal import plain

CATALOG = load_catalog()
MERGED_ONLY = {"target", "model", "shards", "taken_from", "concurrency", "how"}


def exchange(first_byte: float, model: str = "m", gap: float = 0.03, name: str = "s") -> Exchange:
    """A successful stream: content at the first byte, a second token one gap later, [DONE]."""
    times = (first_byte, first_byte + gap, first_byte + 2 * gap)
    data = [json.dumps({"choices": [{"index": 0, "delta": {"content": "a"}}]})] * 2 + ["[DONE]"]
    events = tuple(
        SseEvent(d, None, None, None, f"data: {d}\n\n", i, 0, at)
        for i, (at, d) in enumerate(zip(times, data, strict=True))
    )
    return Exchange(
        name=name,
        url="http://127.0.0.1/v1/chat/completions",
        request=RequestSpec({"model": model, "stream": True}),
        request_headers={},
        status=200,
        sse=SseTranscript(events=events),
        elapsed=times[-1] + 0.001,
        first_byte_at=first_byte,
    )


def run_report(
    target: str, exchanges: list[Exchange], models: tuple[str, ...] = ("m",), concurrency: int = 4
) -> dict:
    """What a run writes, as far as merge and latency read it."""
    return {
        "catalog_version": CATALOG.version,
        "target": {"name": target, "base_url": None, "embedded": False, "models": list(models)},
        "requirements": [],
        "summary": {},
        "latency": latency_section(exchanges, models, concurrency),
    }


def without_merge_fields(entry: dict) -> dict:
    return {k: v for k, v in entry.items() if k not in MERGED_ONLY}


# ------------------------------------------------------------------------------ targets


def test_two_targets_keep_their_figures_side_by_side():
    fast = run_report("fast", [exchange(0.3), exchange(0.31)])
    slow = run_report("slow", [exchange(0.9), exchange(0.95)])
    merged = merge_reports([fast, slow], CATALOG)
    section = merged["latency"]
    assert list(section["models"]) == ["fast · m", "slow · m"]
    for label, run in (("fast · m", fast), ("slow · m", slow)):
        entry = section["models"][label]
        assert without_merge_fields(entry) == run["latency"]["models"]["m"]  # untouched
    assert section["models"]["slow · m"]["target"] == "slow"
    assert section["models"]["slow · m"]["shards"] == [2]  # the second of merged["runs"]
    assert section["models"]["slow · m"]["how"] == (
        "2 successful exchanges, overlapping, concurrency 4"
    )
    assert section["merged_from"] == 2 and section["taken_from"] == "run"
    lines = plain(latency_lines(merged))
    assert "merged from 2 runs: overlapping exchanges, concurrency 4" in lines
    assert "  fast · m: first byte 300/310 ms" in lines
    assert "  slow · m: first byte 900/950 ms" in lines
    assert lines.count("2 successful exchanges, overlapping, concurrency 4") == 2


def test_one_target_sharded_by_model_reads_like_one_run():
    one = run_report("gw", [exchange(0.3, "a")], models=("a",))
    two = run_report("gw", [exchange(0.5, "b")], models=("b",))
    section = merge_reports([one, two], CATALOG)["latency"]
    assert list(section["models"]) == ["a", "b"]  # the target is the report's own
    assert section["models"]["b"]["time_to_first_byte_ms"]["p50"] == 500.0


def test_the_html_section_is_xml_with_one_bar_group_per_target_and_model():
    hostile = 'gw<b>&"\x1b[31m\u202e'
    merged = merge_reports(
        [run_report(hostile, [exchange(0.3)]), run_report("other", [exchange(0.6)])], CATALOG
    )
    html = latency_html(merged)
    ElementTree.fromstring(f"<div>{html}</div>")  # parses, hostile name escaped
    assert "<b>" not in html and "\x1b" not in html
    assert "Taken from</th>" in html and "Target · model</th>" in html
    svg = ElementTree.fromstring(latency_chart(merged["latency"]["models"]))
    labels = [t.text or "" for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert labels.count("other · m") == 4  # one row in each panel (first byte, token, total, gap)
    assert sum(label.startswith("gw<b>&") for label in labels) == 4
    assert latency_chart(merged["latency"]["models"]) == latency_chart(
        merged["latency"]["models"]
    )  # deterministic


# ------------------------------------------------------------------------------ shards


def test_shards_of_one_target_and_model_pool_into_exact_percentiles():
    first = [exchange(0.1), exchange(0.2), exchange(0.3)]
    second = [exchange(0.4), exchange(0.5)]
    merged = merge_reports([run_report("gw", first), run_report("gw", second)], CATALOG)
    entry = merged["latency"]["models"]["m"]
    # the p50 of the five is 300 ms; the shards' own p50s are 200 and 500: no mean of those
    assert entry["time_to_first_byte_ms"] == {"p50": 300.0, "p95": 500.0}
    whole = latency_section(first + second, ("m",), 4)["models"]["m"]
    assert without_merge_fields(entry) == whole  # what one run of all five would report
    assert entry["shards"] == [1, 2]
    assert entry["how"] == "5 successful exchanges of 2 runs, overlapping, concurrency 4 in each"


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(0.001, 30), min_size=1, max_size=12),
    st.lists(st.floats(0.001, 0.5), min_size=1, max_size=12),
    st.integers(0, 12),
)
def test_pooled_figures_are_those_of_one_run_of_every_exchange(first_bytes, gaps, cut):
    exchanges = [
        exchange(at, gap=gap) for at, gap in zip(first_bytes, gaps * len(first_bytes), strict=False)
    ]
    shards = [exchanges[:cut], exchanges[cut:]]
    reports = [run_report("gw", shard) for shard in shards if shard]
    entry = merge_reports(reports, CATALOG)["latency"]["models"]["m"]
    assert without_merge_fields(entry) == latency_section(exchanges, ("m",), 4)["models"]["m"]


def test_shards_taken_differently_keep_their_own_figures_marked_by_shard():
    overlapping = run_report("gw", [exchange(0.9)])
    samples = [exchange(0.3, name=f"{SAMPLE_PREFIX}_{n}") for n in (1, 2)]
    sampled = run_report("gw", samples)
    other_concurrency = run_report("gw", [exchange(0.5)], concurrency=8)
    merged = merge_reports([overlapping, sampled, other_concurrency], CATALOG)
    section = merged["latency"]
    assert list(section["models"]) == ["m (shard 1)", "m (shard 2)", "m (shard 3)"]
    assert section["models"]["m (shard 2)"]["how"] == (
        "2 successful streamed samples, sent one at a time"
    )
    assert section["taken_from"] == "mixed" and section["concurrency"] is None
    assert section["how"] == "merged from 3 runs, taken in different ways: see each entry"
    lines = plain(latency_lines(merged))
    assert "  m (shard 1): first byte 900/900 ms" in lines


def test_a_merged_report_merges_again_and_still_pools_exactly():
    parts = [[exchange(0.1)], [exchange(0.2), exchange(0.6)], [exchange(0.3)]]
    reports = [run_report("gw", part) for part in parts]
    once = merge_reports(reports[:2], CATALOG)
    twice = merge_reports([once, reports[2]], CATALOG)
    entry = twice["latency"]["models"]["m"]
    assert entry["shards"] == [1, 2, 3] and len(twice["runs"]) == 3
    assert entry["how"] == "4 successful exchanges of 3 runs, overlapping, concurrency 4 in each"
    everything = [e for part in parts for e in part]
    assert without_merge_fields(entry) == latency_section(everything, ("m",), 4)["models"]["m"]


# ------------------------------------------------------------------------------ older reports


def test_reports_without_latency_merge_as_before():
    old = run_report("gw", [])
    del old["latency"]
    merged = merge_reports([old, copy.deepcopy(old)], CATALOG)
    assert "latency" not in merged
    assert latency_lines(merged) == [] and latency_html(merged) == ""


def test_an_older_shard_beside_a_newer_one_is_said_to_have_no_figures():
    new = run_report("gw", [exchange(0.3)])
    old = run_report("gw", [])
    del old["latency"]
    section = merge_reports([new, old], CATALOG)["latency"]
    assert list(section["models"]) == ["m (shard 1)", "m (shard 2)"]
    assert section["models"]["m (shard 2)"]["no_data"] == "its report has no latency figures"
    assert "measured" not in section["models"]["m (shard 2)"]


def test_figures_without_their_values_are_never_pooled():
    """A report from before the values were kept: its percentiles stand alone, by shard."""
    old = run_report("gw", [exchange(0.9)])
    del old["latency"]["models"]["m"]["measured"]
    new = run_report("gw", [exchange(0.3)])
    section = merge_reports([old, new], CATALOG)["latency"]
    assert [e["time_to_first_byte_ms"]["p50"] for e in section["models"].values()] == [900, 300]
    broken = copy.deepcopy(new)
    broken["latency"]["models"]["m"]["measured"]["total_ms"] = "fast"  # edited by hand
    assert len(merge_reports([broken, new], CATALOG)["latency"]["models"]) == 2


# ------------------------------------------------------------------------------ compare


def test_compare_matches_merged_reports_by_target_and_model():
    before = merge_reports(
        [run_report("a", [exchange(0.3)]), run_report("b", [exchange(0.6)])], CATALOG
    )
    after = merge_reports(
        [run_report("a", [exchange(0.45)]), run_report("b", [exchange(0.6)])], CATALOG
    )
    single = run_report("a", [exchange(0.3)])
    figures = latency_figures([before, after, single])
    first_byte = {f.model: f for f in figures if f.label == "first byte p50"}
    assert set(first_byte) == {"a · m", "b · m"}
    assert first_byte["a · m"].values == (300.0, 450.0, 300.0)  # the lone run found by target
    assert first_byte["a · m"].shown(1) == "450 ms (+150 ms, +50%)"
    assert first_byte["b · m"].values == (600.0, 600.0, None)
    comparison = compare([before, after], CATALOG)
    lines = terminal_lines(comparison)
    assert any(line.startswith("  a · m") for line in lines)
    assert any("+150 ms, +50%" in line for line in lines)
    page = render_comparison(comparison)
    assert "450 ms (+150 ms, +50%)" in page


def test_runs_of_different_hosts_still_compare_model_by_model():
    staging = run_report("staging", [exchange(0.3)])
    production = run_report("production", [exchange(0.6)])
    (first_byte,) = [
        f for f in latency_figures([staging, production]) if f.label.startswith("first byte p50")
    ]
    assert (first_byte.model, first_byte.values) == ("m", (300.0, 600.0))


def test_the_merge_command_writes_latency_to_the_json_html_and_terminal(tmp_path, capsys):
    from conformance.cli import main

    paths = []
    for name, at in (("a", 0.3), ("b", 0.6)):
        paths.append(tmp_path / f"{name}.json")
        paths[-1].write_text(json.dumps(run_report(name, [exchange(at)])))
    output = tmp_path / "merged" / "report.json"
    main(["merge", *map(str, paths), "-o", str(output)])
    assert "  b · m: first byte 600/600 ms" in capsys.readouterr().out
    assert set(json.loads(output.read_text())["latency"]["models"]) == {"a · m", "b · m"}
    page = output.with_suffix(".html").read_text()
    assert 'id="cc-latency"' in page and "b · m" in page
    again = tmp_path / "again.json"
    again.write_text(output.read_text())
    assert main(["compare", str(output), str(again), "-o", str(tmp_path / "c.html")]) == 0
    assert "b · m" in capsys.readouterr().out

"""The HTML report as a person reads it: its title, how each stream ended, repeated exchanges
folded, a merged report whose counts agree with its matrix, pytest-html's page around it.

Most tests render hand-built records and reports (fast); the last ones run the suite once.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from conformance.catalog import load_catalog
from conformance.cli import main
from conformance.records import Exchange, RequestSpec
from conformance.report.evidence import exchange_record
from conformance.report.html import counts_line, page_title, render_exchanges, report_page
from conformance.report.merge import merge_reports
from conformance.sse import SseParser

CHUNK = (
    'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m",'
    '"choices":[{"index":0,"delta":{"content":"%s"},"finish_reason":null}]}\n\n'
)


def streamed(
    name: str, words: list[str], *, done: bool, status: int = 200, **ending: object
) -> Exchange:
    """A finished streamed exchange: one chunk per word, then [DONE] if ``done``."""
    text = "".join(CHUNK % word for word in words) + ("data: [DONE]\n\n" if done else "")
    parser = SseParser()
    parser.feed(text.encode(), 0.01)
    return Exchange(
        name=name,
        url="http://h/v1/chat/completions",
        request=RequestSpec({"model": "m", "stream": True, "messages": [{"content": name}]}),
        request_headers={"content-type": "application/json"},
        status=status,
        headers={"content-type": "text/event-stream"},
        body=text.encode(),
        sse=parser.finish(0.02),
        elapsed=0.02,
        **ending,  # type: ignore[arg-type]
    )


def end_marker(page: str) -> str:
    found = re.findall(r'<li class="cc-end cc-end-(\w+)">.*?<p>(.*?)</p></li>', page)
    assert len(found) == 1, found
    kind, text = found[0]
    return f"{kind}: {html.unescape(text)}"


# ------------------------------------------------------------------------------ stream endings


def test_a_stream_with_done_ends_with_a_done_marker():
    record = exchange_record(streamed("s", ["a", "b"], done=True))
    assert record["stream"]["ended"] == "done"  # kept in the JSON report
    assert end_marker(render_exchanges([record])) == "done: ■ data: [DONE] received"


def test_a_stream_closed_without_done_says_so_after_its_last_event():
    record = exchange_record(streamed("s", ["a", "b"], done=False))
    assert record["stream"]["ended"] == "closed"
    page = render_exchanges([record])
    assert end_marker(page) == "closed: ■ connection closed without data: [DONE]"
    assert page.index("cc-end") > page.rindex("data: {")  # after the last event


@pytest.mark.parametrize(
    ("ending", "expected"),
    [
        (
            {"error": "the stream exceeded the 10 event limit", "error_type": "bound"},
            "bound: ■ stopped by the client at a bound — the stream exceeded the 10 event limit",
        ),
        (
            {"error": "the exchange did not end within the 5 s deadline",
             "error_type": "deadline", "deadline_hit": True},
            "deadline: ■ stopped at the deadline — the exchange did not end within the 5 s "
            "deadline",
        ),
        (
            {"error": "reading the response timed out (3 s without data)",
             "error_type": "ReadTimeout"},
            "timeout: ■ read timeout (the stream went silent) — reading the response timed out "
            "(3 s without data)",
        ),
        (
            {"error": "peer closed connection", "error_type": "RemoteProtocolError"},
            "broken: ■ connection broken — peer closed connection",
        ),
    ],
)  # fmt: skip
def test_a_stream_cut_short_names_the_bound_or_failure(ending, expected):
    record = exchange_record(streamed("s", ["a"], done=False, **ending))
    assert end_marker(render_exchanges([record])) == expected


def test_a_report_without_the_ended_field_still_gets_a_marker():
    """Reports written before ``ended`` existed: the ending is read from what they kept."""
    for done, kind in ((True, "done"), (False, "closed")):
        record = exchange_record(streamed("s", ["a"], done=done))
        del record["stream"]["ended"]
        assert end_marker(render_exchanges([record])).startswith(f"{kind}: ")


# ------------------------------------------------------------------------------ repeats


def test_alike_exchanges_are_folded_under_same_as_the_first():
    records = [
        exchange_record(streamed("stream", ["one", "two", "three"], done=False)),
        exchange_record(streamed("stream_stop", ["four"], done=False)),
        exchange_record(streamed("stream_cut", ["five", "six"], done=False)),
        exchange_record(streamed("stream_done", ["seven"], done=True)),  # ends otherwise
    ]
    page = render_exchanges(records)
    folds = re.findall(r'<details class="cc-repeat"><summary>(.*?)</summary>', page)
    assert len(folds) == 2
    said = [html.unescape(re.sub(r"<[^>]+>", "", f)) for f in folds]
    assert said[0] == "Exchange #2 stream_stop same as #1; differs: the request, 1 event (not 3)"
    assert said[1].startswith("Exchange #3 stream_cut same as #1")
    # the first and the one that ended otherwise are shown in full, outside any fold
    outside = re.sub(
        r'<details class="cc-repeat">.*?</details>(?=<(?:section|details)|$)', "", page
    )
    assert "Exchange #1 <code>stream</code>" in outside
    assert "Exchange #4 <code>stream_done</code>" in outside


def test_a_single_exchange_is_neither_numbered_nor_folded():
    page = render_exchanges([exchange_record(streamed("s", ["a"], done=True))])
    assert "Exchange <code>s</code>" in page and "cc-repeat" not in page


# ------------------------------------------------------------------------------ titles, counts


def report_of(target: dict, tests: dict[str, list[dict]]) -> dict:
    """A minimal JSON report: what ``merge`` reads."""
    return {
        "target": {"base_url": None, "embedded": False, **target},
        "started_at": "2026-12-06T08:41:21+00:00",
        "requirements": [{"id": rid, "tests": entries} for rid, entries in tests.items()],
    }


def test_the_page_title_names_verdict_target_models_and_date():
    catalog = load_catalog()
    failing = report_of(
        {"name": "gateway", "models": ["gpt-x"]},
        {"SSE-002": [{"nodeid": "a", "model": "gpt-x", "outcome": "failed"}]},
    )
    merged = merge_reports([failing], catalog)
    title = page_title(merged)
    assert (
        title == "NOT CONFORMANT · gateway (gpt-x) · 2026-12-06 08:41 UTC · chat-conformance report"
    )
    page = report_page(merged, "merged report")
    assert f"<title>{html.escape(page_title(merged, 'merged report'))}</title>" in page


def merged_shards(tmp_path: Path) -> Path:
    """Two shards given in the order zeta, alpha: SSE-003 could not be judged on zeta only."""
    zeta = report_of(
        {"name": "zeta", "models": ["m2"]},
        {
            "SSE-002": [{"nodeid": "t2", "model": "m2", "outcome": "failed"}],
            "SSE-003": [{"nodeid": "t3", "model": "m2", "outcome": "skipped",
                         "messages": ["no [DONE]; see SSE-002"]}],
        },
    )  # fmt: skip
    alpha = report_of(
        {"name": "alpha", "models": ["m1"]},
        {
            "SSE-002": [{"nodeid": "t2", "model": "m1", "outcome": "passed"}],
            "SSE-003": [{"nodeid": "t3", "model": "m1", "outcome": "passed"}],
        },
    )
    paths = []
    for name, report in (("zeta", zeta), ("alpha", alpha)):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(report))
        paths.append(str(path))
    output = tmp_path / "merged.json"
    assert main(["merge", *paths, "-o", str(output)]) == 1
    return output


def test_the_merged_report_counts_agree_with_its_matrix(tmp_path, capsys):
    page = merged_shards(tmp_path).with_suffix(".html").read_text("utf-8")
    assert "merged 2 reports:" in capsys.readouterr().out
    columns = re.findall(r'<th class="cc-col">(.*?)</th>', page)
    assert columns == ["zeta · m2", "alpha · m1"]  # the order the reports were given
    skip_cells = len(re.findall(r'class="cc-cell cc-skipped"', page))
    fail_cells = len(re.findall(r'class="cc-cell cc-failed"', page))
    assert (skip_cells, fail_cells) == (1, 1)
    box = html.unescape(re.search(r'id="cc-verdict">(.*?)</div>', page).group(1))
    listed = re.search(r"Skipped: could not be judged \((\d+) cells?\)", page)
    assert listed and int(listed.group(1)) == skip_cells
    assert f"({skip_cells} cell could not be judged)" in box
    # every requirement with a test: passed (SSE-003: passed on alpha), failed (SSE-002)
    assert "1 of 57 requirements passed" in box and "1 MUST failed" in box
    assert "0 skipped" in box


def test_one_report_merges_in_the_singular(tmp_path, capsys):
    shard = tmp_path / "one.json"
    shard.write_text(
        json.dumps(report_of({"name": "a", "models": ["m"]},
                             {"SSE-001": [{"nodeid": "t", "model": "m", "outcome": "passed"}]}))
    )  # fmt: skip
    assert main(["merge", str(shard), "-o", str(tmp_path / "m.json")]) == 0
    assert "merged 1 report:" in capsys.readouterr().out
    page = (tmp_path / "m.html").read_text("utf-8")
    assert "1 report — a: m" in page


def test_counts_say_one_known_failure_in_the_singular():
    report = {"requirements": [], "summary": {"known_failed": 1, "skipped": 0}}
    assert counts_line(report).endswith("· 1 known failure")


# ------------------------------------------------------------------------------ pytest-html's page


@pytest.mark.slow  # runs the suite (SSE only) once
def test_pytest_html_page_is_named_after_the_run_and_counts_every_test(tmp_path):
    code = main(["run", "--reports-dir", str(tmp_path), "--only", "SSE", "--reference-fault",
                 "no-done", "--", "-q"])  # fmt: skip
    assert code == 1
    page = (tmp_path / "report.html").read_text("utf-8")
    title = re.search(r"<title[^>]*>(.*?)</title>", page).group(1)
    assert title.startswith("NOT CONFORMANT · embedded reference server (")
    assert re.search(r"· \d{4}-\d\d-\d\d \d\d:\d\d UTC ·", title)
    # our count replaces pytest-html's, which leaves the skipped test out
    assert "4 tests took" in page and "2 passed, 1 failed, 1 skipped" in page
    blob = html.unescape(re.search(r'data-jsonblob="([^"]*)"', page).group(1))
    logs = [row["log"] for rows in json.loads(blob)["tests"].values() for row in rows]
    assert not any(log.startswith("('") for log in logs)  # no (path, line, reason) tuple
    assert any(log.startswith("Skipped: ") for log in logs)
    assert "cc-end cc-end-closed" in page

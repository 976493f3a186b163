"""The reports people read and CI gates on: HTML, JSON, JUnit, terminal, baseline, config file,
merge and compare.

Runs go through ``chat-conformance run`` in-process against the embedded reference server with
chosen faults, once per distinct set of options (cached for the module), and the tests read what
they wrote, as a person or a CI job would.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conformance.catalog import load_catalog
from conformance.cli import main
from conformance.config_file import ConfigError, find_config, load_config
from conformance.exchange import RequestSpec
from conformance.report import request_log
from conformance.report.baseline import (
    BaselineError,
    KnownFailure,
    baseline_toml,
    load_baseline,
)
from conformance.report.curl import build_command
from conformance.report.evidence import transcript_window
from conformance.report.html import render_sections
from conformance.report.json_report import outcomes_in
from conformance.report.merge import merge_reports

pytestmark = pytest.mark.slow  # CLI runs that write and merge reports

CATALOG = load_catalog()
HOSTILE_MODEL = "m<b>1</b>&'\""  # model names reach headers, anchors and attributes
# The areas of fixed probes: generated (random) requests stay out of these runs, so that what
# failed, and what changed between two runs, is known in advance.
FIXED_AREAS = ("AUTH", "REQ", "RESP", "PARAM", "STREAM", "SSE", "ERR")
ENV_VARIABLES = ("CHAT_CONFORMANCE_API_KEY", "CHAT_CONFORMANCE_BASE_URL", "CHAT_CONFORMANCE_MODEL")
# Every requirement ID ever released: each must still name a requirement (directly or as an
# alias), so that baselines, old reports and comparisons keep working across releases.
RELEASED_IDS = [
    "AUTH-001",
    "AUTH-002",
    "AUTH-003",
    "REQ-001",
    "REQ-002",
    "REQ-003",
    "REQ-004",
    "REQ-005",
    "REQ-006",
    "REQ-007",
    "REQ-008",
    "REQ-009",
    "REQ-010",
    "REQ-011",
    "REQ-012",
    "RESP-001",
    "RESP-002",
    "RESP-003",
    "RESP-004",
    "RESP-005",
    "RESP-006",
    "RESP-007",
    "RESP-008",
    "RESP-009",
    "RESP-010",
    "RESP-011",
    "PARAM-001",
    "PARAM-002",
    "PARAM-003",
    "PARAM-004",
    "PARAM-005",
    "PARAM-006",
    "STREAM-001",
    "STREAM-002",
    "STREAM-003",
    "STREAM-004",
    "STREAM-005",
    "STREAM-006",
    "STREAM-007",
    "STREAM-008",
    "STREAM-009",
    "SSE-001",
    "SSE-002",
    "SSE-003",
    "ERR-001",
    "ERR-002",
    "ERR-003",
]


@dataclass(frozen=True)
class Run:
    exit_code: int
    directory: Path

    @property
    def report(self) -> dict:
        return json.loads((self.directory / "report.json").read_text("utf-8"))

    @property
    def html(self) -> str:
        return (self.directory / "report.html").read_text("utf-8")

    def requirement(self, requirement_id: str) -> dict:
        return next(r for r in self.report["requirements"] if r["id"] == requirement_id)


def run_in_process(directory: Path, *options: str) -> int:
    """``chat-conformance run`` in-process, in ``directory`` (its config file, if any), quietly.

    The command exports the target and key for the suite; they are put back afterwards.
    """
    saved = {name: os.environ.get(name) for name in ENV_VARIABLES}
    try:
        with contextlib.chdir(directory):
            return main(["run", "--reports-dir", str(directory), *options, "--", "-q"])
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory):
    """Runs by label, each done once for the module."""
    done: dict[str, Run] = {}

    def run(label: str, *options: str) -> Run:
        if label not in done:
            if "--only" not in options:
                options = (*options, *(a for area in FIXED_AREAS for a in ("--only", area)))
            directory = tmp_path_factory.mktemp(label)
            done[label] = Run(run_in_process(directory, *options), directory)
        return done[label]

    return run


def failing_run(suite) -> Run:
    """Two models (one with a hostile name), a stream fault with event indexes, a SHOULD fault."""
    return suite(
        "failing",
        "--model", HOSTILE_MODEL, "--model", "m2",
        "--reference-fault", "finish-reason-twice", "--reference-fault", "error-detail",
    )  # fmt: skip


# ------------------------------------------------------------------------------ HTML


class Page(HTMLParser):
    """The elements of a page with their attributes, and its text."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, {k: v or "" for k, v in attrs}))

    def handle_data(self, data):
        self.text.append(data)

    def find(self, tag: str | None = None, **wanted: str) -> list[dict[str, str]]:
        found = []
        for name, attrs in self.elements:
            if tag and name != tag:
                continue
            if all(v in attrs.get(k.rstrip("_"), "").split() for k, v in wanted.items()):
                found.append(attrs)
        return found

    def by_id(self, element_id: str) -> dict[str, str] | None:
        return next((a for _, a in self.elements if a.get("id") == element_id), None)


def test_html_report_shows_verdict_matrix_and_evidence_of_each_failure(suite):
    run = failing_run(suite)
    assert run.exit_code == 1
    text = run.html
    page = Page(text)
    whole = "".join(page.text)

    assert page.by_id("cc-verdict") is not None
    assert "cc-bad" in page.by_id("cc-verdict")["class"]
    assert "NOT CONFORMANT" in whole
    # the matrix: one row per requirement, one column per model, grouped by area with levels
    assert len(page.find("td", class_="cc-id")) == len(CATALOG)
    assert len(page.find("tr", class_="cc-area")) == len({r.area for r in CATALOG})
    assert len(page.find("th", class_="cc-col")) == 2
    assert HOSTILE_MODEL in whole  # shown as text ...
    assert not page.find("b")  # ... never as markup
    assert len(page.find("span", class_="cc-MUST")) >= len(
        [r for r in CATALOG if r.level == "MUST"]
    )
    cells = page.find("td", class_="cc-cell")
    assert {"cc-passed", "cc-failed"} <= {c for cell in cells for c in cell["class"].split()}

    # every FAIL cell links to an article with the evidence
    links = [a["href"][1:] for a in page.find("a") if a.get("href", "").startswith("#cc-fail-")]
    articles = [a["id"] for a in page.find("article", class_="cc-failure")]
    failed = {r["id"] for r in run.report["requirements"] if r["status"] == "failed"}
    assert set(links) == set(articles)
    assert all(any(a.startswith(f"cc-fail-{r}-") for r in failed) for a in articles)
    assert len(articles) == 2 * len(failed)  # each failed on both models

    # a stream failure shows the transcript with the offending event marked, and the request
    assert page.find("li", class_="cc-marked")
    assert "◀ here" in whole
    assert '-H "Authorization: Bearer $API_KEY"' in whole
    assert "curl -sS -i -N" in whole
    assert "Expected" in whole and "Actual" in whole


def test_reports_are_self_contained_and_keep_the_key_out(suite):
    run = failing_run(suite)
    artifacts = {p.name: p.read_text("utf-8") for p in run.directory.iterdir() if p.is_file()}
    assert {"report.html", "report.json", "junit.xml"} <= set(artifacts)
    for name, text in artifacts.items():
        assert "sk-embedded-" not in text, name  # the embedded server's random key
    html = artifacts["report.html"]
    resources = re.findall(r'(?:src|srcset|action)\s*=\s*"([^"]*)"', html)
    resources += re.findall(r"url\(([^)]*)\)", html)
    resources += re.findall(r'<link[^>]*href="([^"]*)"', html)
    assert not [r for r in resources if re.match(r"\s*['\"]?(https?:)?//", r)]


def test_html_escapes_hostile_bodies_and_event_text():
    hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    report = {
        "target": {"base_url": "http://h/v1", "models": [hostile]},
        "summary": {},
        "requirements": [
            {
                "id": "SSE-002",
                "area": "SSE",
                "level": "MUST",
                "title": hostile,
                "statement": hostile,
                "status": "failed",
                "tests": [
                    {
                        "nodeid": hostile,
                        "model": hostile,
                        "outcome": "failed",
                        "messages": [hostile],
                        "evidence": {
                            "violations": [
                                {"message": hostile, "expected": hostile, "actual": hostile}
                            ],
                            "exchanges": [
                                {
                                    "name": hostile,
                                    "curl": hostile,
                                    "status": 200,
                                    "headers": {hostile: hostile},
                                    "stream": {
                                        "event_count": 1,
                                        "events": [{"index": 0, "raw": hostile, "marked": True}],
                                        "discarded_tail": hostile,
                                    },
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }
    rendered = render_sections(report)
    assert "<script>" not in rendered and "<img" not in rendered
    assert rendered.count("&lt;script&gt;") >= 8
    assert not Page(rendered).find("img")


def test_json_report_records_what_a_later_comparison_needs(suite):
    report = failing_run(suite).report
    assert report["tool"]["name"] == "chat-conformance" and report["tool"]["version"]
    assert report["catalog_version"] == CATALOG.version
    assert report["report_format"] == 1
    assert report["target"]["embedded"] is True
    assert report["target"]["models"] == [HOSTILE_MODEL, "m2"]
    assert report["started_at"] and report["duration_seconds"] > 0
    assert report["conformant"] is False and report["gate_passed"] is False
    stream = next(r for r in report["requirements"] if r["id"] == "STREAM-006")
    assert stream["models"] == {HOSTILE_MODEL: "failed", "m2": "failed"}
    evidence = stream["tests"][0]["evidence"]
    assert any(v["event_index"] is not None for v in evidence["violations"])
    exchange = evidence["exchanges"][0]
    assert exchange["stream"]["marked"] and exchange["request_headers"]["authorization"] == (
        "Bearer $API_KEY"
    )


def test_junit_names_carry_requirement_ids(suite):
    tree = ET.parse(failing_run(suite).directory / "junit.xml")
    names = [case.get("name") for case in tree.iter("testcase")]
    assert names and all(re.match(r"[A-Z]+-\d{3} test_", name) for name in names)
    failed = [c.get("name") for c in tree.iter("testcase") if c.find("failure") is not None]
    assert any(name.startswith("STREAM-006 ") for name in failed)


def test_terminal_summary_is_a_compact_table_of_failed_requirements(capsys, suite):
    capsys.readouterr()
    directory = suite("failing-terminal", "--reference-fault", "no-done").directory
    output = capsys.readouterr().out
    summary = output.split("chat-conformance ==")[-1]
    assert "areas   AUTH" in summary
    assert re.search(r"Failed requirements \(1\):\n  SSE-002 +MUST +\[stream\] the stream", summary)
    assert "PASS  AUTH-001" not in summary  # the full list only with -v
    assert "NOT CONFORMANT (default mode)" in summary
    assert (directory / "report.json").exists()


# ------------------------------------------------------------------------------ baseline

BASELINE = """
[[known-failure]]
requirement = "SSE-002"
reason = "the gateway drops [DONE] (GW-1)"
"""


@pytest.fixture(scope="module")
def baseline_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("baseline") / "known-failures.toml"
    path.write_text(BASELINE)
    return path


def test_a_known_failure_passes_the_gate_and_stays_visible(suite, baseline_file):
    without = suite("no-done", "--reference-fault", "no-done")
    assert without.exit_code == 1
    known = suite("no-done-known", "--reference-fault", "no-done", "--baseline", str(baseline_file))
    assert known.exit_code == 0
    report = known.report
    assert report["conformant"] is False and report["gate_passed"] is True
    entry = known.requirement("SSE-002")
    assert entry["status"] == "failed" and entry["known"] is True
    assert entry["tests"][0]["known"] == "the gateway drops [DONE] (GW-1)"
    assert report["summary"]["known_failed"] == 1
    assert report["baseline"]["entries"][0]["status"] == "failing"
    page = Page(known.html)
    assert page.find("td", class_="cc-known") and "GATE PASSED" in "".join(page.text)
    junit = ET.parse(known.directory / "junit.xml")
    case = next(c for c in junit.iter("testcase") if c.get("name").startswith("SSE-002 "))
    assert "known failure" in case.find("skipped").get("message")


def test_a_new_failure_fails_the_gate_even_with_a_baseline(suite, baseline_file):
    run = suite(
        "no-done-and-new",
        "--reference-fault", "no-done", "--reference-fault", "created-ms",
        "--baseline", str(baseline_file),
    )  # fmt: skip
    assert run.exit_code == 1
    assert run.requirement("SSE-002")["known"] is True
    assert run.requirement("RESP-004")["status"] == "failed"
    assert run.requirement("RESP-004")["known"] is False
    assert run.report["gate_passed"] is False


def test_a_baseline_entry_that_passes_now_is_reported_as_fixed(suite, baseline_file):
    run = suite("clean-with-baseline", "--baseline", str(baseline_file))
    assert run.exit_code == 0
    assert run.report["baseline"]["entries"][0]["status"] == "passing"
    assert "remove it from the baseline" in run.html


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[known-failure]]\nrequirement = "NOPE-1"\nreason = "r"\n', "not a requirement ID"),
        ('[[known-failure]]\nrequirement = "SSE-002"\n', "reason"),
        ('[[known-failure]]\nrequirement = "SSE-002"\nreason = "r"\nmodle = "x"\n', "modle"),
        ("[[known-failure]\n", "not valid TOML"),
    ],
)
def test_a_bad_baseline_is_one_line_and_exit_2(tmp_path, capsys, text, message):
    path = tmp_path / "known.toml"
    path.write_text(text)
    assert run_in_process(tmp_path, "--baseline", str(path)) == 2
    error = capsys.readouterr().err.strip()
    assert message in error and len(error.splitlines()) == 1


def test_baseline_entries_match_by_model_and_alias(tmp_path):
    path = tmp_path / "b.toml"
    entries = [
        KnownFailure("SSE-002", "m1", "only m1"),
        KnownFailure("sse-002", None, "all models"),
    ]
    path.write_text(baseline_toml(entries))
    baseline = load_baseline(path, CATALOG)
    assert baseline.match("SSE-002", "m1").reason == "only m1"
    assert baseline.match("SSE-002", "m2").reason == "all models"
    assert baseline.match("SSE-001", "m1") is None
    with pytest.raises(BaselineError):
        load_baseline(tmp_path / "missing.toml", CATALOG)


def test_baseline_command_writes_a_baseline_from_a_report(suite, tmp_path, capsys):
    report = suite("no-done", "--reference-fault", "no-done").directory / "report.json"
    output = tmp_path / "known.toml"
    assert main(["baseline", str(report), "-o", str(output)]) == 0
    baseline = load_baseline(output, CATALOG)
    assert [(e.requirement, e.model) for e in baseline.entries] == [("SSE-002", "conformance-echo")]


# ------------------------------------------------------------------------------ config file


def write_config(directory: Path, text: str, name: str = "chat-conformance.toml") -> Path:
    path = directory / name
    path.write_text(text)
    return path


def test_config_file_is_found_in_pyproject_and_validated(tmp_path):
    write_config(
        tmp_path,
        '[project]\nname = "x"\n\n[tool.chat-conformance.targets.staging]\n'
        'base-url = "https://gw.example/v1"\napi-key-env = "GW_KEY"\nmodels = ["a", "b"]\n',
        "pyproject.toml",
    )
    nested = tmp_path / "sub" / "dir"
    nested.mkdir(parents=True)
    path = find_config(nested)
    assert path == tmp_path / "pyproject.toml"
    target = load_config(path).target("staging")
    assert (target.base_url, target.api_key_env, target.models) == (
        "https://gw.example/v1",
        "GW_KEY",
        ("a", "b"),
    )
    with pytest.raises(ConfigError, match="no target 'prod'"):
        load_config(path).target("prod")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[targets.x]\napi-key = "sk-123"\n', "never read from the file"),
        ('api_key = "sk-123"\n', "never read from the file"),
        ('[targets.x]\nbase-urll = "http://h/v1"\n', "unknown setting 'base-urll'"),
        ('[targets.x]\nmodels = "gpt"\n', "wrong type"),
        ('default-target = "y"\n[targets.x]\n', "default-target"),
    ],
)
def test_a_bad_config_file_is_refused(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message):
        load_config(write_config(tmp_path, text))


def test_a_config_key_is_refused_by_the_cli_in_one_line(tmp_path, capsys):
    write_config(tmp_path, '[targets.x]\napi-key = "sk-secret-in-file"\n')
    assert run_in_process(tmp_path, "--target", "x") == 2
    error = capsys.readouterr().err
    assert "api-key-env" in error and "sk-secret-in-file" not in error


def test_target_reads_its_key_from_the_named_variable_only(tmp_path, monkeypatch, capsys):
    from conformance.reference.config import ServerConfig
    from conformance.reference.runner import running_server

    for name in ENV_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("MY_GW_KEY", raising=False)
    key = "sk-staging-0123456789abcdef"
    with running_server(ServerConfig(api_key=key)) as server:
        write_config(
            tmp_path,
            f'[targets.staging]\nbase-url = "{server.base_url}"\napi-key-env = "MY_GW_KEY"\n'
            'models = ["gw-model"]\nonly = ["AUTH"]\n',
        )
        assert run_in_process(tmp_path, "--target", "staging") == 2  # the variable is not set
        assert "$MY_GW_KEY" in capsys.readouterr().err
        monkeypatch.setenv("MY_GW_KEY", key)
        assert run_in_process(tmp_path, "--target", "staging") == 0
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["target"]["name"] == "staging"
    assert report["target"]["models"] == ["gw-model"]
    assert {r["id"] for r in report["requirements"] if r["status"] == "passed"} >= {"AUTH-003"}
    for artifact in tmp_path.iterdir():
        if artifact.is_file():
            assert key not in artifact.read_text("utf-8"), artifact.name


def test_flags_override_the_target_of_the_config_file(tmp_path):
    write_config(
        tmp_path,
        'strict = true\n[targets.local]\nmodels = ["from-file"]\nonly = ["ERR"]\n'
        'known-failures = [{ requirement = "ERR-001", reason = "FastAPI errors" }]\n',
    )
    fault = ("--target", "local", "--reference-fault", "error-detail")
    assert run_in_process(tmp_path, *fault) == 0  # strict, but the SHOULD failure is known
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["strict"] is True and report["target"]["models"] == ["from-file"]
    assert report["baseline"]["entries"][0]["requirement"] == "ERR-001"
    assert run_in_process(tmp_path, *fault, "--no-baseline") == 1
    assert run_in_process(tmp_path, *fault, "--no-baseline", "--no-strict", "--model", "flag") == 0
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["strict"] is False and report["target"]["models"] == ["flag"]


# ------------------------------------------------------------------------------ merge, compare


def test_shards_by_model_and_area_merge_into_one_report_and_verdict(suite, tmp_path, capsys):
    clean = suite("shard-m1", "--model", "m1", "--only", "SSE", "--only", "STREAM")
    broken = suite("shard-m2", "--model", "m2", "--only", "SSE", "--reference-fault", "no-done")
    area = suite("shard-resp", "--model", "m1", "--only", "RESP")
    shards = [r.directory / "report.json" for r in (clean, broken, area)]
    output = tmp_path / "merged.json"
    assert main(["merge", *map(str, shards), "-o", str(output)]) == 1
    merged = json.loads(output.read_text())
    assert len(merged["runs"]) == 3
    sse = next(r for r in merged["requirements"] if r["id"] == "SSE-002")
    assert sse["status"] == "failed" and sse["models"] == {"m1": "passed", "m2": "failed"}
    resp = next(r for r in merged["requirements"] if r["id"] == "RESP-001")
    assert resp["status"] == "passed"
    page = Page(output.with_suffix(".html").read_text())
    assert [c for c in page.find("th", class_="cc-col")]  # the matrix, one column per model
    assert page.find("article", class_="cc-failure")  # evidence travels through the merge
    assert "Failed requirements (1)" in capsys.readouterr().out
    # the clean shards alone pass
    assert main(["merge", str(shards[0]), str(shards[2]), "-o", str(tmp_path / "ok.json")]) == 0


def test_merge_refuses_what_is_not_a_report(tmp_path, capsys):
    (tmp_path / "x.json").write_text('{"hello": 1}')
    assert main(["merge", str(tmp_path / "x.json"), "-o", str(tmp_path / "m.json")]) == 2
    assert "not a chat-conformance JSON report" in capsys.readouterr().err


def test_compare_marks_newly_failing_and_newly_passing(suite, tmp_path, capsys):
    before = suite("release-1", "--reference-fault", "created-ms").directory / "report.json"
    after = suite("no-done", "--reference-fault", "no-done").directory / "report.json"
    output = tmp_path / "compare.html"
    assert main(["compare", str(before), str(after), "-o", str(output)]) == 0
    printed = capsys.readouterr().out
    assert re.search(r"Newly failing \(1\):\n  SSE-002", printed)
    assert re.search(r"Newly passing \(1\):\n  RESP-004", printed)
    page = Page(output.read_text())
    changed = page.find("td", class_="cc-changed")
    assert len(changed) == 2
    whole = "".join(page.text)
    assert "▼ FAIL" in whole and "▲ pass" in whole
    assert len(page.find("td", class_="cc-id")) == len(CATALOG)
    code = main(["compare", str(before), str(after), "-o", str(output), "--fail-on-new-failures"])
    assert code == 1


def test_renamed_requirements_are_found_through_their_aliases():
    for requirement_id in RELEASED_IDS:
        assert CATALOG.get(requirement_id)  # an ID once released never disappears
    renamed = CATALOG.requirements[0]
    old = {
        "target": {"embedded": True, "models": ["m"]},
        "requirements": [
            {
                "id": (renamed.aliases or (renamed.id,))[0],
                "tests": [{"nodeid": "t", "model": "m", "outcome": "failed"}],
            },
            {"id": "GONE-001", "tests": [{"nodeid": "u", "model": "m", "outcome": "failed"}]},
        ],
    }
    outcomes = outcomes_in(old, CATALOG)
    assert [(o.requirement, o.outcome) for o in outcomes] == [(renamed.id, "failed")]
    merged = merge_reports([old], CATALOG)
    assert merged["conformant"] is False


# ------------------------------------------------------------------------------ small pieces


def test_curl_reproduction_quotes_everything_and_keeps_the_key_a_variable():
    body = RequestSpec({"model": "m", "messages": [{"role": "user", "content": "it's"}]})
    command = build_command(
        "http://h/v1/chat/completions",
        "POST",
        {"content-type": "application/json", "authorization": "Bearer $API_KEY"},
        body.encoded_body(),
        stream=True,
    )
    assert '-H "Authorization: Bearer $API_KEY"' in command
    assert "-H 'Content-Type: application/json'" in command
    assert "-N" in command
    words = _shell_words(command)
    assert "Authorization: Bearer k" in words  # what bash makes of it, with API_KEY=k
    assert json.loads(words[-1])["messages"][0]["content"] == "it's"
    invalid = build_command("http://h/v1", "POST", {}, b"\xff{", stream=False)
    assert "$'\\xff{'" in invalid


def _shell_words(command: str) -> list[str]:
    """The curl arguments as bash reads them, with API_KEY=k."""
    script = f"API_KEY=k; set -- {command.removeprefix('curl')}\n"
    script += 'for w in "$@"; do printf "%s\\0" "$w"; done'
    out = subprocess.run(["bash", "-c", script], capture_output=True, check=True).stdout
    return [w.decode() for w in out.split(b"\0") if w]


def test_transcript_window_keeps_head_tail_and_marked_context():
    shown = transcript_window(100, {50})
    assert shown[:20] == list(range(20))
    assert [i for i in shown if i is not None and 40 < i < 60] == [48, 49, 50, 51, 52]
    assert shown[-5:] == [95, 96, 97, 98, 99]
    assert shown.count(None) == 2
    assert transcript_window(3, set()) == [0, 1, 2]


# ------------------------------------------------------------------------------ the browser


def chromium() -> str | None:
    return next(
        (
            shutil.which(n)
            for n in ("chromium", "chromium-browser", "google-chrome")
            if shutil.which(n)
        ),
        None,
    )


def headless(browser: str, profile: Path, *arguments: str) -> subprocess.CompletedProcess:
    flags = [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        f"--user-data-dir={profile}",
    ]  # fmt: skip
    return subprocess.run([browser, *flags, *arguments], capture_output=True, text=True, timeout=90)


@pytest.mark.skipif(chromium() is None, reason="no Chromium here (apt-get install chromium)")
def test_html_report_renders_in_a_real_browser(suite, tmp_path):
    """The report opens offline in Chromium: its script builds the results table, our section
    is on top, and a screenshot is taken (tests/README: look at it after a change)."""
    browser = chromium()
    page = (failing_run(suite).directory / "report.html").resolve().as_uri()
    dom = headless(browser, tmp_path / "profile-dom", "--dump-dom", page).stdout
    assert 'id="cc-verdict"' in dom and "NOT CONFORMANT" in dom
    assert dom.count('class="results-table-row') >= 2  # pytest-html's script ran offline
    assert dom.index('id="chat-conformance"') < dom.index('id="results-table"')
    screenshot = tmp_path / "report.png"
    headless(
        browser,
        tmp_path / "profile-shot",
        f"--screenshot={screenshot}",
        "--window-size=1400,2000",
        page,
    )
    data = screenshot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (1400, 2000)
    assert len(data) > 50_000  # a blank page compresses to a few kilobytes


def test_the_request_log_replays_exactly_what_the_run_sent(tmp_path):
    """One line per request in submission order, the exact body bytes, the key never."""
    log = tmp_path / "requests.jsonl"
    code = main(["run", "--only", "REQ", "--reports-dir", str(tmp_path), "--request-log", str(log)])
    assert code == 0
    records = request_log.read(log)
    report = json.loads((tmp_path / "report.json").read_text())
    assert len(records) == report["requests_sent"] > 0
    assert [r["n"] for r in records] == list(range(1, len(records) + 1))
    assert {r["auth"] for r in records} == {"valid"}
    malformed = [r for r in records if "raw_body_base64" in r]
    assert malformed and all(r["status"] == 400 for r in malformed)
    for record in records:
        body = request_log.request_body(record)
        if "body" in record:
            assert body == RequestSpec(body=record["body"]).encoded_body()
    assert "sk-embedded-" not in log.read_text()

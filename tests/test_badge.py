"""``chat-conformance badge``: the SVG is valid, accessible, self-contained and deterministic; the
colour and message follow the report's verdict; the shields.io endpoint JSON has its keys; the
command fails in one line with exit 2 on what is not a report."""

from __future__ import annotations

import copy
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conformance.catalog import load_catalog
from conformance.cli import main
from conformance.report import results as verdict_rules
from conformance.report.badge import (
    COLOURS,
    CONFORMANT,
    DEFAULT_LABEL,
    KNOWN_FAILURES,
    LABEL_COLOUR,
    NO_VERDICT,
    NOT_CONFORMANT,
    TEXT_COLOUR,
    badge_verdict,
    render,
    text_width,
)
from conformance.report.json_report import build_report, write_report
from conformance.report.merge import merge_reports
from conformance.report.shape import Report

CATALOG = load_catalog()
MUSTS = [r.id for r in CATALOG if r.level == "MUST"]
SHOULDS = [r.id for r in CATALOG if r.level == "SHOULD"]
SVG = "{http://www.w3.org/2000/svg}"


def report_of(
    *,
    failing: tuple[str, ...] = (),
    known: tuple[str, ...] = (),
    skipped: tuple[str, ...] = (),
    strict: bool = False,
    throttled: list[str] | None = None,
    target: str = "gateway",
    started_at: str = "2026-01-01T00:00:00",
) -> Report:
    """A report as a run writes it, one test per requirement, without running anything."""
    outcomes = []
    for requirement in CATALOG:
        rid = requirement.id
        outcome = "failed" if rid in failing + known else "skipped" if rid in skipped else "passed"
        outcomes.append(
            verdict_rules.TestOutcome(
                nodeid=f"test[{rid}]",
                requirement=rid,
                model="m",
                outcome=outcome,
                known="accepted (ticket 1)" if rid in known else None,
                target=target,
            )
        )
    results = verdict_rules.verdicts(CATALOG, outcomes)
    entries = [
        {"requirement": r, "model": None, "reason": "accepted", "status": "failing"} for r in known
    ]
    return build_report(
        results,
        catalog_version=CATALOG.version,
        target={"name": target, "base_url": None, "embedded": False, "models": ["m"]},
        strict=strict,
        conformant=verdict_rules.is_conformant(results, strict),
        gate_passed=verdict_rules.gate_passes(results, strict),
        started_at=started_at,
        duration=12.5,
        requests_sent=80,
        throttled=throttled,
        baseline={"source": "known.toml", "entries": entries} if known else None,
    )


def parsed(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def message_fill(svg: str) -> str:
    """The colour of the message side: the first shape, under the label."""
    return parsed(svg).findall(f"{SVG}rect")[0].get("fill")


def contrast(first: str, second: str) -> float:
    """WCAG 2 contrast ratio of two #rrggbb colours."""

    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


# ------------------------------------------------------------------------------------ the SVG


def test_the_svg_is_valid_xml_accessible_and_self_contained():
    svg = render(report_of())
    root = parsed(svg)
    expected = f"{DEFAULT_LABEL}: conformant · {len(MUSTS)}/{len(MUSTS)} MUST"
    assert root.get("role") == "img"
    assert root.get("aria-label") == expected
    assert root.find(f"{SVG}title").text == expected
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts == [DEFAULT_LABEL, expected.split(": ", 1)[1]]
    width = root.get("width")
    assert root.get("viewBox") == f"0 0 {width} 20"
    assert float(root.findall(f"{SVG}rect")[0].get("width")) == float(width)
    assert svg.isascii() and svg.endswith("</svg>\n")
    # nothing fetched: no link, no url(), no address but the SVG namespace
    assert "href" not in svg and "url(" not in svg and "@import" not in svg
    assert re.findall(r"https?://[^\"]*", svg) == ["http://www.w3.org/2000/svg"]


def test_each_text_fits_its_box():
    root = parsed(render(report_of(failing=(MUSTS[0],)), label="my gateway"))
    label_box = float(root.findall(f"{SVG}rect")[1].get("width"))
    total = float(root.get("width"))
    label, message = root.iter(f"{SVG}text")
    for text, start, box in ((label, 0, label_box), (message, label_box, total - label_box)):
        length = float(text.get("textLength"))
        assert length == text_width(text.text) / 10
        assert length + 10 <= box  # padding either side
        assert float(text.get("x")) == pytest.approx(start + box / 2, abs=0.05)


def test_same_report_same_bytes():
    report = report_of(failing=(MUSTS[1],))
    first = render(report).encode()
    assert render(copy.deepcopy(report)).encode() == first
    # when and how long the run took is not on the badge
    assert render(report_of(failing=(MUSTS[1],), started_at="2027-06-30T23:59:59")).encode() == (
        first
    )
    assert render(report, "shields") == render(copy.deepcopy(report), "shields")


def test_text_widths_come_from_the_table():
    assert text_width("") == 0
    assert text_width("W") > text_width("n") > text_width("i")
    assert text_width("ab") == pytest.approx(text_width("a") + text_width("b"), abs=1)
    assert text_width("日") > text_width("a")  # full width: one em
    assert text_width("e\u0301") == text_width("e")  # a combining accent adds nothing
    assert text_width("OpenAI API conformance", 22) == pytest.approx(
        2 * text_width("OpenAI API conformance"), abs=1
    )


def test_a_hostile_label_stays_one_line_of_valid_xml():
    label = 'a <b> & "c"\x00\x1b\n\tend 日本 \ud800'
    root = parsed(render(report_of(), label=label))
    assert next(root.iter(f"{SVG}text")).text == 'a <b> & "c" end 日本'
    assert root.get("aria-label").startswith('a <b> & "c" end')


def test_an_empty_label_leaves_the_message_alone():
    root = parsed(render(report_of(), label=""))
    assert [t.text for t in root.iter(f"{SVG}text")] == [root.get("aria-label")]
    assert len(root.findall(f"{SVG}rect")) == 1


# ------------------------------------------------------------------------------- the verdict


@pytest.mark.parametrize(
    ("case", "state", "message"),
    [
        ({}, CONFORMANT, f"conformant · {len(MUSTS)}/{len(MUSTS)} MUST"),
        (
            {"failing": (MUSTS[0], MUSTS[1])},
            NOT_CONFORMANT,
            f"not conformant · {len(MUSTS) - 2}/{len(MUSTS)} MUST",
        ),
        (
            {"known": (MUSTS[0],)},
            KNOWN_FAILURES,
            f"1 known failure · {len(MUSTS) - 1}/{len(MUSTS)} MUST",
        ),
        (
            {"known": (MUSTS[0],), "failing": (MUSTS[1],)},
            NOT_CONFORMANT,
            f"not conformant · {len(MUSTS) - 2}/{len(MUSTS)} MUST",
        ),
        # a SHOULD failure does not decide by default, and is not counted
        ({"failing": (SHOULDS[0],)}, CONFORMANT, f"conformant · {len(MUSTS)}/{len(MUSTS)} MUST"),
        # strict: SHOULD decides, and its tally is shown
        (
            {"failing": (SHOULDS[0],), "strict": True},
            NOT_CONFORMANT,
            f"not conformant · {len(MUSTS)}/{len(MUSTS)} MUST, "
            f"{len(SHOULDS) - 1}/{len(SHOULDS)} SHOULD",
        ),
        # skipped: in the total, not passed
        (
            {"skipped": (MUSTS[2],)},
            CONFORMANT,
            f"conformant · {len(MUSTS) - 1}/{len(MUSTS)} MUST",
        ),
        ({"throttled": ["probe-1"]}, NO_VERDICT, "no verdict · throttled"),
        ({"skipped": tuple(MUSTS)}, NO_VERDICT, "no verdict · nothing judged"),
    ],
)
def test_colour_and_message_follow_the_verdict(case, state, message):
    report = report_of(**case)
    verdict = badge_verdict(report)
    assert (verdict.state, verdict.message) == (state, message)
    assert message_fill(render(report)) == COLOURS[state]
    assert json.loads(render(report, "shields"))["color"] == COLOURS[state]


def test_the_four_states_have_four_colours_legible_under_white_text():
    assert len(set(COLOURS.values())) == 4
    for colour in [*COLOURS.values(), LABEL_COLOUR]:
        assert contrast(colour, TEXT_COLOUR) >= 4.5, colour  # WCAG AA, normal text


def test_a_setup_error_is_no_verdict():
    report = report_of()
    report["preflight"] = {"outcome": "setup", "message": "the key was refused"}
    assert badge_verdict(report).message == "no verdict · setup error"


def test_a_merged_report_gets_one_badge_for_all_its_targets():
    clean, broken = report_of(target="alpha"), report_of(target="beta", failing=(MUSTS[0],))
    both = merge_reports([clean, broken], CATALOG)
    verdict = badge_verdict(both)
    assert verdict.state == NOT_CONFORMANT  # conformant only if every target is
    assert verdict.message == f"not conformant · {len(MUSTS) - 1}/{len(MUSTS)} MUST · 2 targets"
    # shards of one target (by model or area) are one target
    one = merge_reports([report_of(target="alpha"), report_of(target="alpha")], CATALOG)
    assert badge_verdict(one).message == f"conformant · {len(MUSTS)}/{len(MUSTS)} MUST"


# ------------------------------------------------------------------------ the shields endpoint


def test_shields_json_has_the_endpoint_keys():
    document = json.loads(render(report_of(failing=(MUSTS[0],)), "shields"))
    assert list(document) == ["schemaVersion", "label", "message", "color"]
    assert document["schemaVersion"] == 1 and isinstance(document["schemaVersion"], int)
    assert document["label"] == DEFAULT_LABEL
    assert document["message"].startswith("not conformant · ")
    assert re.fullmatch(r"#[0-9a-f]{6}", document["color"])
    empty = json.loads(render(report_of(), "shields", label=""))
    assert empty["label"] == "" and empty["message"]  # shields: label may be empty, message not


# -------------------------------------------------------------------------------- the command


@pytest.fixture
def report_file(tmp_path: Path) -> Path:
    return write_report(report_of(failing=(MUSTS[0],)), tmp_path / "reports" / "report.json")


def test_badge_writes_svg_to_stdout_by_default(report_file, capsys):
    assert main(["badge", str(report_file)]) == 0  # a badge of a failing run is still a badge
    printed = capsys.readouterr()
    assert message_fill(printed.out) == COLOURS[NOT_CONFORMANT]
    assert printed.err == ""


def test_badge_writes_files_byte_for_byte_the_same(report_file, tmp_path, capsys):
    first, second = tmp_path / "out" / "a.svg", tmp_path / "out" / "b.svg"
    assert main(["badge", str(report_file), "-o", str(first)]) == 0
    assert main(["badge", str(report_file), "-o", str(second)]) == 0
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes() == render(report_of(failing=(MUSTS[0],))).encode()
    shields = tmp_path / "badge.json"
    arguments = ["badge", str(report_file), "--format", "shields", "--label", "gw", "-o"]
    assert main([*arguments, str(shields)]) == 0
    assert json.loads(shields.read_text())["label"] == "gw"
    assert "badge written to" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read"),
        ("{not json", "is not JSON"),
        ('{"hello": 1}', "is not a chat-conformance JSON report"),
    ],
)
def test_badge_refuses_what_is_not_a_report_in_one_line(tmp_path, capsys, content, message):
    path = tmp_path / "report.json"
    if content is not None:
        path.write_text(content)
    output = tmp_path / "badge.svg"
    assert main(["badge", str(path), "-o", str(output)]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("chat-conformance: error: ") and message in error
    assert len(error.splitlines()) == 1
    assert not output.exists()


def test_badge_command_as_users_run_it(report_file, run_cli):
    run = run_cli("badge", str(report_file), "--format", "shields")
    assert run.exit_code == 0, run.output
    assert json.loads(run.stdout)["color"] == COLOURS[NOT_CONFORMANT]
    missing = run_cli("badge", str(report_file.parent / "missing.json"))
    assert missing.exit_code == 2 and missing.stdout == ""
    assert "cannot read" in missing.stderr
    unknown = run_cli("badge", str(report_file), "--format", "png")
    assert unknown.exit_code == 2 and "invalid choice" in unknown.stderr


def test_the_readme_example_is_what_the_command_writes():
    readme = (Path(__file__).parent.parent / "README.md").read_text("utf-8")
    start = readme.index("### Badge")
    section = readme[start : readme.index("\n### ", start + 1)]
    example = section.split("```json\n", 1)[1].split("```", 1)[0]
    assert example == render(report_of(), "shields")
    assert "chat-conformance badge reports/report.json -o conformance.svg" in section
    assert "--format shields" in section

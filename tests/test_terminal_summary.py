"""The terminal summary and failure text (issue 14), from report dicts built as a run builds them:
the verdict last, one-line reasons that keep the value the target sent, "not run" for
requirements left out, and a failure shown as expected, actual and curl."""

from __future__ import annotations

from conformance.catalog import load_catalog
from conformance.checks import Violation
from conformance.report.failure_text import failure_block
from conformance.report.json_report import build_report
from conformance.report.results import TestOutcome as Outcome
from conformance.report.results import verdicts
from conformance.report.terminal import reason_line, session_lines, summary_lines

END_TURN = Violation(
    "choices[0].finish_reason is not documented",
    expected="stop | length | content_filter",
    actual="end_turn",
    exchange="completion",
).render()


def _report(outcomes: list[Outcome], **fields) -> dict:
    catalog = load_catalog()
    return build_report(
        verdicts(catalog, outcomes),
        catalog_version=catalog.version,
        target={"name": None, "base_url": "http://127.0.0.1:8000/v1", "embedded": True},
        strict=False,
        conformant=not any(o.outcome == "failed" for o in outcomes),
        started_at="2026-12-06T09:00:00+00:00",
        duration=2.5,
        requests_sent=87,
        **fields,
    )


def _outcome(requirement: str, outcome: str = "passed", *messages: str) -> Outcome:
    return Outcome(f"test_x[m-{requirement}]", requirement, "m", outcome, messages)  # type: ignore[arg-type]


def test_the_verdict_is_the_last_line_of_a_run_and_of_a_report():
    report = _report(
        [_outcome("RESP-009", "failed", END_TURN), _outcome("SSE-001")],
        throttled=None,
    )
    for lines in (
        session_lines(report),
        summary_lines(report),
        session_lines(report, verbose=True),
    ):
        assert lines[-1][0].startswith("NOT CONFORMANT (default mode): 1 passed, 1 MUST failed")
    texts = [text for text, _ in session_lines(report)]
    assert "target http://127.0.0.1:8000/v1: 87 requests sent in 2.5 s" in texts


def test_a_throttled_run_says_it_has_no_verdict_on_its_last_line():
    report = _report([_outcome("SSE-001")], throttled=["completion (m)"])
    text, colour = session_lines(report)[-1]
    assert text.startswith("NO VERDICT, the target throttled the run:") and colour == "red"
    assert any(t.startswith("THROTTLED: 1 request(s)") for t, _ in session_lines(report))


def test_the_failure_line_keeps_the_value_the_target_sent():
    report = _report([_outcome("RESP-009", "failed", END_TURN)])
    (line,) = [t for t, _ in summary_lines(report, width=120) if "RESP-009" in t]
    assert line.endswith(
        "[completion] choices[0].finish_reason is not documented; actual: end_turn"
    )
    (narrow,) = [t for t, _ in summary_lines(report, width=80) if "RESP-009" in t]
    assert len(narrow) <= 80 and narrow.endswith("choices[0].finish_reason is…; actual: end_turn")


def test_a_long_reason_is_cut_between_words_and_its_value_keeps_half_the_room():
    reason = "[completion] the completion does not match the response schema"
    actual = "$.choices[0].finish_reason: 'end_turn' is not one of ['stop', 'length']"
    line = reason_line(reason, actual, 90)
    assert len(line) <= 90
    shown_reason, shown_value = line.split("; actual: ")
    assert shown_reason.endswith("…") and reason.startswith(shown_reason[:-1])
    assert shown_reason[:-1] == reason[: len(shown_reason) - 1].rstrip()
    assert reason[len(shown_reason) - 1] == " "  # the cut fell between two words
    assert shown_value.startswith("$.choices[0].finish_reason: 'end_turn'")
    assert len(shown_value) >= 90 // 2


def test_could_not_be_judged_lists_each_reason_without_pytests_prefix():
    skipped = _outcome("STREAM-005", "skipped", "Skipped: stream: no choice in any chunk")
    report = _report([skipped, _outcome("SSE-001")])
    texts = [t for t, _ in summary_lines(report)]
    index = texts.index("Could not be judged (1):")
    assert texts[index + 1].split()[:2] == ["STREAM-005", "MUST"]
    assert texts[index + 1].endswith("stream: no choice in any chunk")


def test_verbose_lists_requirements_left_out_as_not_run_never_skip():
    report = _report([_outcome("SSE-001"), _outcome("SSE-002"), _outcome("SSE-003")])
    texts = [t for t, _ in summary_lines(report, verbose=True)]
    assert "AUTH - Authentication: not run" in texts
    assert any(t.startswith("  PASS  SSE-001") for t in texts)
    assert not [t for t in texts if t.split()[:1] == ["skip"]]
    partly = _report([_outcome("SSE-001")])
    texts = [t for t, _ in summary_lines(partly, verbose=True)]
    assert any(t.startswith("  -     SSE-002") for t in texts)


def test_a_failure_is_shown_as_expected_actual_and_the_request_to_send_again():
    requirement = load_catalog().get("RESP-009")
    evidence = {
        "violations": [],
        "exchanges": [
            {
                "name": "completion",
                "status": 200,
                "curl": "curl -sS -i http://x/v1 \\\n  -H 'A: b'",
            },
            {"name": "stop_string", "status": 200, "curl": "curl -sS -i http://x/v1"},
        ],
    }
    block = failure_block(requirement, "m", (END_TURN,), evidence)  # type: ignore[arg-type]
    assert block.splitlines() == [
        "RESP-009 MUST: finish_reason is stop, length or content_filter (model m)",
        "[completion] choices[0].finish_reason is not documented",
        "  Expected: stop | length | content_filter",
        "  Actual:   end_turn",
        "Reproduce [completion] (HTTP 200) with:",
        "  curl -sS -i http://x/v1 \\",
        "    -H 'A: b'",
        "(1 more exchange(s) in the HTML report)",
    ]
    generated = Violation("served?", reproduction="this minimal request:\ncurl ...").render()
    block = failure_block(load_catalog().get("GEN-001"), None, (generated,), evidence)  # type: ignore[arg-type]
    assert block.count("curl") == 1  # a generated request carries its own


def test_one_reason_shared_by_many_requirements_is_listed_once():
    reason = "Skipped: throttled, not a conformance verdict: the preflight still got 429"
    ids = ["AUTH-001", "AUTH-002", "AUTH-003", "AUTH-004", "SSE-001"]
    report = _report([_outcome(i, "skipped", reason) for i in ids])
    texts = [t for t, _ in summary_lines(report, width=120)]
    index = texts.index("Could not be judged (5):")
    assert texts[index + 1] == (
        "  5 requirements, AUTH-001 to SSE-001: throttled, not a conformance verdict: the "
        "preflight still got 429"
    )
    assert texts[index + 2].startswith("NOT CONFORMANT") or texts[index + 2].startswith(
        "CONFORMANT"
    )

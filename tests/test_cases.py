"""The checks tested as data, without a server: each case in tests/cases/ is what the fixed
probes recorded against one reference fault (or the conforming server, or a legal variation),
and the requirements the registered checks must fail on it: exactly the fault's targets, none
for the others. One short test, in the manner of the JSON-Schema-Test-Suite.

The cases are recorded by ``python -m tests.cases.record``; the faults about time and size
bounds and the generated-request faults are proven end to end by tests/test_fault_matrix.py.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from conformance.checks import NotApplicable, RequestRefused
from conformance.checks.registry import RegisteredCheck, registered
from conformance.records import Exchange, RequestSpec
from conformance.sse import SseParser

CASES = Path(__file__).parent / "cases"
CASE_FILES = sorted(CASES.glob("*/*.json"))


def rebuild(name: str, recorded: dict) -> Exchange:
    request = recorded["request"]
    raw = request.get("raw_body")
    spec = RequestSpec(
        body=request["body"],
        raw_body=base64.b64decode(raw) if raw else None,
        auth=request["auth"],
        reference_reply=request.get("reference_reply"),
    )
    body = (
        recorded["body"].encode("utf-8")
        if "body" in recorded
        else base64.b64decode(recorded["body_base64"])
    )
    transcript = None
    if spec.wants_stream and recorded["status"] is not None:
        parser = SseParser()
        parser.feed(body)
        transcript = parser.finish()
    return Exchange(
        name=name,
        url="http://127.0.0.1/v1/chat/completions",
        request=spec,
        request_headers={},
        status=recorded["status"],
        headers=recorded["headers"],
        body=body,
        sse=transcript,
        error=recorded["error"],
        error_type=recorded["error_type"],
        deadline_hit=recorded["deadline_hit"],
        attempts=recorded["attempts"],
        started_at=recorded["started_at"],
        elapsed=recorded["elapsed"],
    )


def failed(entry: RegisteredCheck, exchanges: dict[str, Exchange]) -> bool:
    """As the suite judges (conformance/suite/verdict.py): any violation fails."""
    judged = [exchanges[probe] for probe in entry.probes]
    if entry.together:
        calls = [lambda: entry.function(judged)]
    else:
        calls = [lambda exchange=exchange: entry.function(exchange) for exchange in judged]
    for call in calls:
        try:
            if call():
                return True
        except RequestRefused:
            return True
        except NotApplicable:
            continue
    return False


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda path: f"{path.parent.name}:{path.stem}")
def test_the_checks_fail_exactly_what_the_case_says(path: Path):
    case = json.loads(path.read_text("utf-8"))
    exchanges = {name: rebuild(name, recorded) for name, recorded in case["exchanges"].items()}
    suite_checks = [entry for entry in registered() if entry.probes]
    found = sorted({e.requirement for e in suite_checks if failed(e, exchanges)})
    assert found == case["failing"], case["description"]


def test_there_are_cases_for_faults_and_variations():
    kinds = {path.parent.name for path in CASE_FILES}
    assert kinds == {"faults", "servers", "variations"}
    assert len(CASE_FILES) > 60


def test_no_case_is_stale():
    """A case records the probes as they are built now; a changed probe needs a new recording
    (``python -m tests.cases.record``)."""
    from conformance.probes import PROBES

    for path in CASE_FILES:
        recorded = json.loads(path.read_text("utf-8"))["exchanges"]
        assert set(recorded) == set(PROBES), path.name
        for name, probe in PROBES.items():
            if probe.after is None and probe.build("conformance-echo").raw_body is None:
                body = probe.build("conformance-echo").body
                assert recorded[name]["request"]["body"] == body, (path.name, name)

"""The generated properties find what only some inputs bring out, shrink it to a minimal request,
and hold against the conforming server whatever the seed.

The properties run in process here, as the suite runs them (conformance.generated.properties:
served and friends), against the embedded reference server with one of the GEN faults switched on.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator

import pytest

from conformance.exchange import ExchangeRunner, Target
from conformance.generated.engine import Generation, PropertyResult, configure_storage
from conformance.generated.properties import error_bodies, refused, served
from conformance.probes import ERROR_PROBES, INVALID_PROBES, PROBES
from conformance.profiles import DEFAULT_PROFILE, PROFILES, GenerationSettings
from conformance.reference.config import ServerConfig
from conformance.reference.runner import running_server

# Whole GEN properties against the reference server, 20 seeds in a row.
pytestmark = pytest.mark.slow

MODEL = "conformance-echo"
KEY = "sk-generated-self-test-0123456789"
SIMPLEST = {"model": MODEL, "messages": [{"role": "system", "content": ""}], "max_tokens": 1}
SEEDS_IN_A_ROW = 20


@pytest.fixture(scope="module", autouse=True)
def hypothesis_home(tmp_path_factory):
    configure_storage(tmp_path_factory.mktemp("hypothesis"))


@contextlib.contextmanager
def runner_for(*faults: str) -> Iterator[ExchangeRunner]:
    with running_server(ServerConfig(api_key=KEY, faults=faults)) as server:
        runner = ExchangeRunner(Target(server.base_url, KEY))
        try:
            yield runner
        finally:
            runner.close()


def run_properties(
    runner: ExchangeRunner, seed: int, max_requests: int = 1000, hypothesis_dir=None
) -> tuple[Generation, dict[str, PropertyResult]]:
    """The five GEN properties as the suite runs them, with the default profile."""
    fixed = {e.name: e for e in runner.run_all((n, p.build(MODEL)) for n, p in PROBES.items())}
    profile = PROFILES[DEFAULT_PROFILE]
    options = GenerationSettings(profile, seed, max_requests, 16, 1024, hypothesis_dir)
    generation = Generation(runner, options, f"self-test {runner.target.base_url}")
    results = {
        "GEN-001": served(
            generation, MODEL, [e for n, e in fixed.items() if n not in ERROR_PROBES]
        ),
        "GEN-002": refused(generation, MODEL, [fixed[n] for n in INVALID_PROBES], convention=False),
        "GEN-003": refused(generation, MODEL, [], convention=True),
        "GEN-004": error_bodies(generation, MODEL, [fixed[n] for n in ERROR_PROBES]),
        "GEN-005": served(
            generation, MODEL, [e for n, e in fixed.items() if n not in ERROR_PROBES], nulls=True
        ),
    }
    return generation, results


def _body(result: PropertyResult):
    assert result.finding is not None, result.notes
    return result.finding.exchange.request.body


def _astral(text: str) -> bool:
    return any(ord(char) > 0xFFFF for char in text)


def _ends_with_assistant(body) -> bool:
    return body == {**SIMPLEST, "messages": [{"role": "assistant", "content": ""}]}


def _two_messages_first_astral(body) -> bool:
    first, last = body["messages"]
    return (
        {k: v for k, v in body.items() if k != "messages"} == {"model": MODEL, "max_tokens": 1}
        and len(first["content"]) == 1
        and _astral(first["content"])
        and last["content"] == ""
    )


# Each fault, the one requirement it breaks, and the shape of the minimal request.
FAULT_CASES = {
    "temperature-two-500": ("GEN-001", lambda body: body == {**SIMPLEST, "temperature": 2}),
    "assistant-last-500": ("GEN-001", _ends_with_assistant),
    "context-excuse": ("GEN-001", _ends_with_assistant),
    "stop-three-500": ("GEN-001", lambda body: body == {**SIMPLEST, "stop": [""] * 4}),
    "astral-history-500": ("GEN-001", _two_messages_first_astral),
    "coerce-top-p": ("GEN-002", lambda body: body == {**SIMPLEST, "top_p": "0"}),
    "top-p-clamped": ("GEN-003", lambda body: body == {**SIMPLEST, "top_p": 1.0000000000000002}),
    "null-refused": ("GEN-005", lambda body: body.get("stream", 0) is None and len(body) == 4),
    "framework-error-page": ("GEN-004", lambda body: not isinstance(body, dict)),
}


@pytest.mark.parametrize("fault", sorted(FAULT_CASES))
def test_each_fault_is_found_and_shrunk_to_a_minimal_request(fault):
    requirement, minimal = FAULT_CASES[fault]
    seeds = (1, 2, 3) if fault == "astral-history-500" else (1,)  # the others sit on an edge
    with runner_for(fault) as runner:
        for seed in seeds:
            _, results = run_properties(runner, seed)
            failed = {name for name, result in results.items() if result.finding}
            assert failed == {requirement}, (seed, {n: r.notes for n, r in results.items()})
            finding = results[requirement].finding
            assert finding.minimal
            body = _body(results[requirement])
            assert minimal(body), json.dumps(body, ensure_ascii=True)


def test_the_properties_hold_against_the_conforming_server_seed_after_seed():
    """20 runs in a row with different seeds: no flakiness. Measured: about 1 s a run."""
    started = time.monotonic()
    with runner_for() as runner:
        for seed in range(SEEDS_IN_A_ROW):
            generation, results = run_properties(runner, seed=1000 + seed)
            for name, result in results.items():
                assert result.finding is None, (seed, name, result.finding)
                assert result.judged == result.examples > 0, (seed, name, result.notes)
            assert generation.budget.refused == 0
    assert time.monotonic() - started < 180  # the time budget of this self-test


def test_the_request_budget_is_hard():
    with runner_for("astral-history-500") as runner:
        generation, results = run_properties(runner, seed=5, max_requests=30)
    assert generation.budget.sent <= 30
    assert any("budget" in note for result in results.values() for note in result.notes)


def test_the_example_database_replays_a_failure_first(tmp_path):
    with runner_for("astral-history-500") as runner:
        generation, first = run_properties(runner, seed=7, hypothesis_dir=tmp_path)
        assert first["GEN-001"].finding is not None
        assert any((tmp_path / "examples").iterdir())
        # Another seed, and only the edges plus one random example: the saved one comes first.
        options = GenerationSettings(PROFILES["quick"], 8, 1000, 16, 1024, tmp_path)
        again = Generation(runner, options, generation.namespace)
        fixed = [e for e in runner.run_all((n, PROBES[n].build(MODEL)) for n in ("completion",))]
        result = served(again, MODEL, fixed)
    assert result.finding is not None and _two_messages_first_astral(_body(result))


def test_a_run_leaves_no_hypothesis_directory_behind(tmp_path, run_cli):
    home = tmp_path / "home"
    environment = {**os.environ, "CHAT_CONFORMANCE_HYPOTHESIS_DIR": str(home)}
    environment.pop("HYPOTHESIS_STORAGE_DIRECTORY", None)
    arguments = ["run", "--only", "GEN", "--seed", "42", "--profile", "quick", "--", "-q"]
    completed = run_cli(*arguments, env=environment)
    assert completed.exit_code == 0, completed.output
    assert not (tmp_path / ".hypothesis").exists()
    assert home.is_dir()
    report = completed.report
    assert report["seed"] == 42 and report["generation"]["seed"] == 42
    assert report["generation"]["profile"] == "quick"
    assert "seed 42 (--seed 42 replays them)" in completed.stdout


def test_streams_that_never_end_hold_back_generated_streams(tmp_path, run_cli):
    """Generated requests are sent when the run starts, but streamed ones wait for the fixed
    probes: if those streams never end, none is sent (each would cost a whole deadline)."""
    log = tmp_path / "requests.jsonl"
    arguments = ["run", "--only", "GEN-001"]
    arguments += ["--reference-fault", "stream-forever", "--timeout", "2", "--read-timeout", "1"]
    arguments += ["--reports-dir", str(tmp_path), "--request-log", str(log), "--seed", "3"]
    completed = run_cli(*arguments, "--profile", "quick", "--", "-q")
    assert completed.exit_code in (0, 1), completed.output
    records = [json.loads(line) for line in log.read_text().splitlines()]
    generated = [r for r in records if r["name"].startswith("generated")]
    assert generated and not any(r["stream"] for r in generated)
    assert any(r["stream"] for r in records if not r["name"].startswith("generated"))
    report = completed.report
    (served_property,) = report["generation"]["properties"]
    assert any("STREAM-007" in note for note in served_property["notes"])
    assert report["generation"]["requests_sent"] == len(generated)
    assert completed.seconds < 60


def test_refusals_for_context_length_are_counted_never_failed():
    """A model with a small context (variation small-context) refuses long prompts with 400
    context_length_exceeded: legal, so GEN-001 holds and says how many it left unjudged."""
    counted = []
    with running_server(ServerConfig(api_key=KEY, variations=("small-context",))) as server:
        runner = ExchangeRunner(Target(server.base_url, KEY))
        try:
            fixed = [runner.run(n, PROBES[n].build(MODEL)) for n in ("completion", "stream")]
            for seed in range(1, 6):
                profile = PROFILES[DEFAULT_PROFILE]
                options = GenerationSettings(profile, seed, 1000, 16, None, None)
                generation = Generation(runner, options, f"small-context {seed}")
                result = served(generation, MODEL, fixed)
                assert result.finding is None, result.finding
                counted += [note for note in result.notes if "context length" in note]
        finally:
            runner.close()
    assert counted, "no generated prompt was long enough in 5 seeds"

"""The evidence that the suite is right both ways.

For every fault of the reference server, a full ``chat-conformance run`` against it fails exactly
the requirements the fault targets (no more: an extra failure means a sloppy fault or an
over-eager check). For every legal variation, the run passes every requirement, in strict mode.
Each run is a real subprocess of the CLI, as a user would run it; they run in parallel.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import pytest

from conformance.catalog import AREAS, load_catalog
from conformance.reference.faults import FAULTS
from conformance.reference.variations import VARIATIONS
from tests.cli_runs import CliRun, run_cli

pytestmark = pytest.mark.slow  # about 90 CLI runs, one per fault and variation

CATALOG = load_catalog()
# Short bounds: the stalling and endless faults must end quickly, the slow variation must pass.
# No SDK replays: the matrix judges verdicts, and each failing run would start the replay worker
# (tests/test_clients.py proves the replays).
BOUNDS = ["--timeout", "6", "--read-timeout", "2", "--no-client-replay"]


def run_suite(tmp: Path, label: str, *options: str) -> CliRun:
    return run_cli(
        "run", "--reports-dir", str(tmp / label), *BOUNDS, *options,
        "--", "-q", "--no-header", "-p", "no:randomly",
        cwd=tmp,
    )  # fmt: skip


QUICK = ("--profile", "quick")
FIXED_AREAS = tuple(area for area in AREAS if area != "GEN")


def fault_options(name: str) -> tuple[str, ...]:
    """A fault aimed at fixed probes runs without the generated half: its targets are all in
    the fixed areas, and generated requests would only slow the matrix down."""
    if any(target.startswith("GEN-") for target in FAULTS[name].targets):
        return ("--reference-fault", name)
    return ("--reference-fault", name, *(a for area in FIXED_AREAS for a in ("--only", area)))


@cache
def all_runs(tmp: Path) -> dict[str, CliRun]:
    jobs = {f"fault:{name}": fault_options(name) for name in FAULTS}
    for name in VARIATIONS:  # legal variations must hold for generated requests too
        jobs[f"variation:{name}"] = ("--reference-variation", name, "--strict", *QUICK)
    jobs["conforming"] = ("--strict",)
    workers = (os.cpu_count() or 2) + 1
    with ThreadPoolExecutor(workers) as pool:
        futures = {
            label: pool.submit(run_suite, tmp, label.replace(":", "-"), *options)
            for label, options in jobs.items()
        }
        return {label: future.result() for label, future in futures.items()}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, CliRun]:
    return all_runs(tmp_path_factory.mktemp("matrix"))


def test_the_conforming_server_passes_every_requirement_strictly(runs):
    result = runs["conforming"]
    assert result.exit_code == 0, result.output
    assert not result.failed and not result.skipped, result.output
    assert len(result.report["requirements"]) == len(CATALOG)


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_fault_fails_exactly_its_targets(runs, name):
    fault = FAULTS[name]
    result = runs[f"fault:{name}"]
    assert result.failed == set(fault.targets), result.output
    must = any(CATALOG.get(t).level == "MUST" for t in fault.targets)
    assert result.exit_code == (1 if must else 0), result.output


@pytest.mark.parametrize("name", sorted(VARIATIONS))
def test_legal_variation_passes_strictly(runs, name):
    result = runs[f"variation:{name}"]
    assert result.exit_code == 0, result.output
    assert not result.failed, result.output
    assert not result.skipped, result.output  # a skip would hide a check that could not judge


def test_every_requirement_is_proven_by_a_fault():
    proven = {target for fault in FAULTS.values() for target in fault.targets}
    unproven = [r.id for r in CATALOG if r.id not in proven]
    assert not unproven, f"no fault proves {unproven}"

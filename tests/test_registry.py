"""One requirement, one check, one path: the registry maps every catalog ID to its check(s)
and every check to catalog IDs, and the suite's tests are built from it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conformance.catalog import load_catalog
from conformance.checks.registry import registered, served_checks, suite_checks
from conformance.probes import PROBES
from tests.suite_inventory import suite_tests

CATALOG = load_catalog()
CHECK_MODULES = ["auth", "validation", "response", "parameters", "stream", "sse", "errors"]


def test_every_catalog_requirement_has_a_registered_check():
    checked = {entry.requirement for entry in registered()}
    missing = [r.id for r in CATALOG if r.id not in checked]
    assert missing == []


def test_every_registered_check_names_catalog_requirements_and_known_probes():
    ids = {r.id for r in CATALOG}
    for entry in registered():
        assert entry.requirement in ids, entry.name
        assert set(entry.also) <= ids, entry.name
        assert set(entry.probes) <= set(PROBES), entry.name
        assert entry.function.__module__.startswith("conformance.checks."), entry.name


def test_every_requirement_but_the_generated_ones_has_one_suite_test():
    tested = [requirement for _, requirement in suite_tests()]
    assert sorted(tested) == sorted(r.id for r in CATALOG)  # exactly one each
    for area in {r.area for r in CATALOG} - {"GEN"}:
        assert {c.requirement for c in suite_checks(area)} == {
            r.id for r in CATALOG if r.area == area
        }


def test_generated_requests_are_judged_by_registered_checks_only():
    names = {entry.requirement for entry in served_checks()}
    assert {"AUTH-003", "RESP-002", "STREAM-005", "SSE-002", "PARAM-003"} <= names


def test_a_grep_for_an_id_finds_its_check_where_it_is_written():
    """The decorator sits on the check: the ID and the function are in one file."""
    for entry in registered():
        if entry.requirement.startswith("REQ-") and entry.requirement != "REQ-012":
            continue  # registered from the probes' table (probes.INVALID_PROBES)
        source = sys.modules[entry.function.__module__].__file__
        with open(source, encoding="utf-8") as handle:
            assert f'"{entry.requirement}"' in handle.read(), entry.name


@pytest.mark.parametrize("module", [*CHECK_MODULES, "generated", "registry"])
def test_check_modules_import_no_network_code(module):
    code = f"import sys, conformance.checks.{module}; sys.exit('httpx' in sys.modules)"
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr

"""The catalog is the spine: every requirement is proven by a suite test, every test names a
requirement that exists, and IDs keep their shape."""

from __future__ import annotations

import re

import pytest

from conformance.catalog import AREAS, load_catalog, parse_catalog
from conformance.catalog_table import markdown_table
from tests.suite_inventory import suite_tests

CATALOG = load_catalog()


def test_ids_are_unique_and_well_formed():
    ids = [r.id for r in CATALOG]
    assert len(ids) == len(set(ids))
    for requirement in CATALOG:
        assert re.fullmatch(r"[A-Z]+-\d{3}", requirement.id), requirement.id
        assert requirement.area in AREAS, requirement.id
        assert requirement.statement and requirement.source and requirement.title


def test_should_requirements_say_they_are_conventions():
    for requirement in CATALOG:
        if requirement.level == "SHOULD":
            assert "convention" in requirement.source.lower(), requirement.id


def test_every_requirement_has_a_suite_test():
    proven = {requirement for _, requirement in suite_tests()}
    missing = [r.id for r in CATALOG if r.id not in proven]
    assert not missing, f"requirements without a test: {missing}"


def test_every_suite_test_names_a_known_requirement():
    unknown = [(test, req) for test, req in suite_tests() if req not in CATALOG]
    assert not unknown


def test_select_by_area_id_and_alias():
    assert CATALOG.select(["sse"]) == {"SSE-001", "SSE-002", "SSE-003", "SSE-004"}
    assert CATALOG.select(["RESP-004"]) == {"RESP-004"}
    with pytest.raises(KeyError):
        CATALOG.select(["NOPE-999"])
    renamed = parse_catalog(
        'catalog_version = "1"\n[[requirement]]\nid = "X-002"\nlevel = "MUST"\ntitle = "t"\n'
        'statement = "s"\nsource = "p"\naliases = ["X-001"]\n'
    )
    assert renamed.get("X-001").id == "X-002"


def test_bad_level_is_rejected():
    with pytest.raises(ValueError, match="level"):
        parse_catalog(
            'catalog_version = "1"\n[[requirement]]\nid = "X-001"\nlevel = "MAY"\n'
            'title = "t"\nstatement = "s"\nsource = "p"\n'
        )


def test_markdown_table_lists_every_requirement():
    table = markdown_table()
    assert all(f"| {r.id} |" in table for r in CATALOG)


def test_docs_requirements_table_is_current():
    from pathlib import Path

    from conformance.catalog_table import requirements_document

    committed = (Path(__file__).parent.parent / "docs" / "requirements.md").read_text("utf-8")
    assert committed == requirements_document(), (
        "docs/requirements.md is stale: run `chat-conformance requirements --faults "
        "> docs/requirements.md`"
    )

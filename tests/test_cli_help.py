"""The command explains itself: every subcommand has a description, every option a help text,
and ``serve --list`` reads as a table. Fast: argparse only, no run."""

from __future__ import annotations

import argparse

import pytest

from conformance.cli import build_parser, main, reference_listing


def subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


@pytest.mark.parametrize("name", sorted(subcommands()))
def test_every_subcommand_has_a_description_and_every_option_a_help_text(name):
    command = subcommands()[name]
    assert command.description, f"{name} has no description"
    missing = [
        "/".join(a.option_strings) or a.dest
        for a in command._actions
        if not a.help or a.help == argparse.SUPPRESS
    ]
    assert not missing, f"{name}: options without help: {missing}"


def test_the_top_level_options_have_help_texts():
    parser = build_parser()
    assert all(a.help for a in parser._actions if not isinstance(a, argparse._SubParsersAction))


def test_serve_help_names_host_and_port_with_their_defaults(capsys):
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    assert "--host HOST address to listen on (default: 127.0.0.1)" in text
    assert "--port PORT port to listen on (default: 8000)" in text


def test_requirements_help_describes_its_option(capsys):
    with pytest.raises(SystemExit):
        main(["requirements", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "requirement catalog" in text
    assert "--faults the whole docs/requirements.md" in text


def test_serve_list_keeps_its_columns_aligned():
    """Every description starts in one column: faults in theirs, variations in theirs."""
    from conformance.reference.faults import FAULTS
    from conformance.reference.variations import VARIATIONS

    lines = reference_listing(FAULTS.values(), VARIATIONS.values()).splitlines()

    def columns(entries) -> set[int]:
        return {
            len(line) - len(e.description)
            for e in entries
            for line in lines
            if line.endswith(e.description) and line.startswith("  ")
        }

    assert len(columns(FAULTS.values())) == 1
    assert len(columns(VARIATIONS.values())) == 1

"""Every option is declared once (``conformance/options.py``), and everything else follows it:
both help screens list it, the README's table is generated from it, a value's precedence is the
same for every option, and no default is written a second time."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import tokenize
from pathlib import Path
from types import SimpleNamespace

import pytest

from conformance.cli import build_parser, main
from conformance.options import (
    DEFAULTS,
    FILE_KEYS,
    OPTION,
    OPTIONS,
    BadVariable,
    fill_in,
    markdown_table,
    pytest_arguments,
    pytest_value,
    read_config_value,
    secret_environment,
)

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text("utf-8")


def test_every_run_flag_is_in_run_help(capsys):
    with pytest.raises(SystemExit) as exit:
        main(["run", "--help"])
    assert exit.value.code == 0
    shown = capsys.readouterr().out
    missing = [option.flag for option in OPTIONS if option.flag and option.flag not in shown]
    assert not missing


def test_every_pytest_option_is_in_pytest_help(tmp_path):
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--help"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    shown = set(re.findall(r"--[a-z][a-z0-9-]*", completed.stdout))
    assert not [option.pytest for option in OPTIONS if option.pytest and option.pytest not in shown]


def test_readme_option_table_is_current():
    begin = "<!-- options table: python -m conformance.options -->\n"
    committed = README[README.index(begin) + len(begin) : README.index("<!-- end of options")]
    assert committed == markdown_table() + "\n", (
        "README.md's option table is stale: paste the output of `python -m conformance.options`"
    )


def test_readme_config_section_names_every_key():
    start = README.index("### A config file for the runs you repeat")
    section = README[start : README.index("\n### ", start + 1)]
    example = section[section.index("```toml") : section.index("```\n", section.index("```toml"))]
    written = set(re.findall(r"^([a-z][a-z-]*) =", example, re.MULTILINE)) - {"default-target"}
    assert written <= set(FILE_KEYS)  # the example uses no key the file would refuse
    named = written | set(re.findall(r"`([a-z][a-z-]*)`", section))
    assert set(FILE_KEYS) <= named


DEFAULT_NUMBERS = {10, 60, 30, 1048576, 3, 16, 1024}


@pytest.mark.parametrize("module", ["cli.py", "plugin.py", "settings.py", "config_file.py"])
def test_no_default_is_written_again(module):
    source = (ROOT / "conformance" / module).read_text("utf-8")
    numbers = [
        (token.start[0], token.string)
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type == tokenize.NUMBER and float(token.string) in DEFAULT_NUMBERS
    ]
    assert not numbers, f"{module} repeats a default of conformance/options.py: {numbers}"


def test_help_texts_do_not_write_defaults():
    """The builders add "(default: ...)" from the table; a help text that wrote it would go
    stale the day the default changes."""
    for option in OPTIONS:
        value = option.default
        number = None if isinstance(value, bool | str | None) else str(value).removesuffix(".0")
        for text in filter(None, (option.help, option.pytest_help)):
            assert "default" not in text, option.name
            assert number is None or not re.search(rf"\b{number}\b", text), option.name


def test_the_bounds_and_generation_defaults_come_from_the_table():
    from conformance.exchange import Limits
    from conformance.strategies import RequestHints

    limits, hints = Limits(), RequestHints(("m",))
    assert (limits.connect_timeout, limits.read_timeout, limits.deadline) == (
        DEFAULTS["connect_timeout"],
        DEFAULTS["read_timeout"],
        DEFAULTS["timeout"],
    )
    assert (limits.max_bytes, limits.retries) == (DEFAULTS["max_bytes"], DEFAULTS["retries"])
    assert (hints.max_tokens, hints.max_prompt_tokens) == (
        DEFAULTS["gen_max_tokens"],
        DEFAULTS["gen_max_prompt_tokens"],
    )


def _run_arguments(*flags: str):
    from conformance.config_file import apply_to_run

    arguments = build_parser().parse_args(["run", *flags])
    arguments.key_source = None
    apply_to_run(arguments)
    fill_in(arguments)
    return arguments


def test_a_value_comes_from_the_flag_then_the_file_then_the_variable_then_the_default(
    tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    assert _run_arguments().concurrency == DEFAULTS["concurrency"]
    monkeypatch.setenv(OPTION["concurrency"].env, "3")
    assert _run_arguments().concurrency == 3
    (tmp_path / "chat-conformance.toml").write_text("concurrency = 2\ntimeout = '5s'\n")
    assert (_run_arguments().concurrency, _run_arguments().timeout) == (2, 5.0)
    assert _run_arguments("--concurrency", "5").concurrency == 5
    monkeypatch.setenv(OPTION["concurrency"].env, "many")  # unreadable: refused, never ignored
    (tmp_path / "chat-conformance.toml").unlink()
    with pytest.raises(BadVariable, match="CHAT_CONFORMANCE_CONCURRENCY='many'"):
        _run_arguments()


def test_pytest_reads_the_option_then_the_variable_then_the_default(monkeypatch):
    config = SimpleNamespace(option=SimpleNamespace(chat_concurrency=None, chat_model=None))
    assert pytest_value(config, "concurrency") == DEFAULTS["concurrency"]
    monkeypatch.setenv(OPTION["concurrency"].env, "7")
    monkeypatch.setenv(OPTION["models"].env, "a, b,")
    assert (pytest_value(config, "concurrency"), pytest_value(config, "models")) == (7, ["a", "b"])
    config.option.chat_concurrency = 2
    assert pytest_value(config, "concurrency") == 2


def test_the_url_and_key_reach_pytest_through_the_environment_only(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    key, url = "sk-never-on-a-command-line", "https://user:pass@gw.example/v1"
    arguments = _run_arguments("--api-key", key, "--base-url", url, "--model", "m")
    forwarded = " ".join(pytest_arguments(arguments))
    assert key not in forwarded and "user:pass" not in forwarded
    assert "--chat-model=m" in forwarded
    assert secret_environment(arguments) == {
        OPTION["api_key"].env: key,
        OPTION["base_url"].env: url,
    }


def test_forwarded_values_read_back_as_they_were():
    arguments = _run_arguments("--timeout", "0.01ms", "--retries", "0", "--model=-m")
    parser = build_parser()
    forwarded = pytest_arguments(arguments)
    assert "--chat-deadline=0.00001" in forwarded and "--chat-retries=0" in forwarded
    assert parser.parse_args(["run", "--timeout=0.00001"]).timeout == arguments.timeout


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("concurrency", 0, "must be > 0"),
        ("profile", "huge", "unknown profile"),
        ("seed", "7", "wrong type"),
        ("strict", 1, "wrong type"),
        ("only", ["STREAM", 2], "list of strings"),
        ("read-timeout", "soon", "not a duration"),
    ],
)
def test_the_file_reads_a_value_as_its_flag_does(key, value, message):
    with pytest.raises(ValueError, match=message) as error:
        read_config_value(key, value)
    assert str(error.value).startswith(key)


@pytest.mark.parametrize(
    ("variable", "value"),
    [("CHAT_CONFORMANCE_PROFILE", "standrd"), ("CHAT_CONFORMANCE_CONCURRENCY", "0")],
)
def test_a_variable_its_flag_would_refuse_stops_the_run(monkeypatch, capsys, variable, value):
    """A misspelt profile must not quietly run another profile: exit 2, one line."""
    monkeypatch.setenv(variable, value)
    assert main(["run"]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert variable in line and value in line

"""The config file never decides a run silently: a broken pyproject.toml stops the run, the
reports say which file and target a run used, and durations read as on the command line."""

from __future__ import annotations

import pytest

from conformance.config_file import ConfigError, load_config
from tests.cli_runs import clean_environment


def test_a_pyproject_toml_that_is_not_toml_stops_the_run(tmp_path, run_cli):
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.chat-conformance]\ndefault-target = "staging\n'
    )
    completed = run_cli("run", env=clean_environment())
    lines = completed.stderr.strip().splitlines()
    assert completed.exit_code == 2, completed.stdout[-2000:]
    assert len(lines) == 1 and "pyproject.toml is not valid TOML" in lines[0]
    assert "line 5" in lines[0] and str(tmp_path) in lines[0]
    assert not (tmp_path / "reports").exists()  # nothing ran


def test_a_pyproject_toml_without_our_table_is_no_config(tmp_path, run_cli):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    completed = run_cli("run", "--only", "SSE-002", env=clean_environment())
    assert completed.exit_code == 0, completed.stdout[-2000:] + completed.stderr
    assert "no config file" in completed.stdout
    assert completed.report["config_file"] is None


def test_the_reports_name_the_config_file_and_target(tmp_path, run_cli):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.chat-conformance]\ndefault-target = "local"\ntimeout = "90s"\n'
        '[tool.chat-conformance.targets.local]\nread-timeout = "1500ms"\nstrict = true\n'
    )
    completed = run_cli("run", "--only", "SSE-002", env=clean_environment())
    assert completed.exit_code == 0, completed.stdout[-2000:] + completed.stderr
    path = str(tmp_path / "pyproject.toml")
    lines = completed.stdout.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("chat-conformance "))
    header = " ".join(lines[first : first + 2])  # what is tested, then how
    assert "against local (the embedded reference server)" in header and f"config {path}" in header
    report = completed.report
    assert report["config_file"] == path and report["target"]["name"] == "local"


@pytest.mark.parametrize(
    ("written", "seconds"),
    [("90", 90.0), ("2.5", 2.5), ('"90s"', 90.0), ('"1500ms"', 1.5), ('"0.3"', 0.3)],
)
def test_durations_in_the_file_read_as_on_the_command_line(written, seconds, tmp_path):
    path = tmp_path / "chat-conformance.toml"
    path.write_text(f"timeout = {written}\n[targets.a]\nread-timeout = {written}\n")
    config = load_config(path)
    assert config.defaults.timeout == pytest.approx(seconds)
    assert config.targets["a"].timeout == pytest.approx(seconds)
    assert config.targets["a"].read_timeout == pytest.approx(seconds)


@pytest.mark.parametrize("written", ['"3min"', '"fast"', "0", '"0ms"', "-1", "true"])
def test_a_bad_duration_in_the_file_is_one_line_naming_the_key(written, tmp_path):
    path = tmp_path / "chat-conformance.toml"
    path.write_text(f"[targets.a]\ntimeout = {written}\n")
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert "timeout" in str(error.value) and str(path) in str(error.value)
    assert len(str(error.value).splitlines()) == 1

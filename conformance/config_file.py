"""The runs people repeat, as named targets in a TOML file.

``chat-conformance.toml`` (or ``[tool.chat-conformance]`` in ``pyproject.toml``), found in the
current directory or the nearest parent that has one::

    default-target = "staging"      # optional: used when --target is not given
    strict = false                  # settings here apply to every run ...

    [targets.staging]               # ... and a target's own settings win over them
    base-url = "https://gateway.staging.example.com/v1"
    api-key-env = "STAGING_GATEWAY_KEY"   # the NAME of the variable holding the key
    models = ["gpt-4o-mini", "claude-3-5-haiku"]
    known-failures = "conformance/known-failures.toml"   # or a list of inline tables
    profile = "ci"

A key is never read from the file, only from the environment variable it names: a file with
an ``api-key`` is refused. Paths are relative to the file. Command-line flags win over the file.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.options import DEFAULTS, FILE_KEYS, OPTION, read_config_value
from conformance.toml_file import read_toml

FILE_NAME = "chat-conformance.toml"
PYPROJECT = "pyproject.toml"
DEFAULT_KEY_ENV = OPTION["api_key"].env
FORBIDDEN = {"api-key", "api_key", "key", "token", "authorization"}


class ConfigError(ValueError):
    """The file cannot be used; one line naming the file and the key."""


@dataclass(frozen=True)
class TargetConfig:
    name: str
    source: Path  # the file it came from
    settings: dict[str, Any] = field(default_factory=dict)  # option name -> value, as read

    def __getattr__(self, name: str) -> Any:
        """A setting by its option's name (``target.timeout``); None when the file has none."""
        if name in OPTION:
            return self.settings.get(name)
        raise AttributeError(name)

    def api_key(self) -> str | None:
        """The key, from the environment variable the file names (never from the file)."""
        return os.environ.get(self.api_key_env or DEFAULT_KEY_ENV) or None


@dataclass(frozen=True)
class ConfigFile:
    path: Path
    targets: dict[str, TargetConfig] = field(default_factory=dict)
    default_target: str | None = None
    defaults: TargetConfig | None = None  # the top-level settings: a run without a target

    def target(self, name: str | None) -> TargetConfig | None:
        """The named target; without a name, the file's default target (or None)."""
        chosen = name or self.default_target
        if chosen is None:
            return None
        if chosen not in self.targets:
            known = ", ".join(sorted(self.targets)) or "none"
            raise ConfigError(f"{self.path}: no target {chosen!r} (targets: {known})")
        return self.targets[chosen]


def find_config(start: Path | None = None) -> Path | None:
    """``chat-conformance.toml``, or a ``pyproject.toml`` with a [tool.chat-conformance] table,
    in ``start`` or the nearest parent directory holding one."""
    directory = (start or Path.cwd()).resolve()
    for folder in (directory, *directory.parents):
        candidate = folder / FILE_NAME
        if candidate.is_file():
            return candidate
        pyproject = folder / PYPROJECT
        if pyproject.is_file() and _pyproject_table(pyproject) is not None:
            return pyproject
    return None


def _pyproject_table(path: Path) -> dict[str, Any] | None:
    """The [tool.chat-conformance] table. A pyproject.toml that is not valid TOML stops the run
    (it may hold the settings that matter): running on without them would test something else."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError:
        return None
    except tomllib.TOMLDecodeError as problem:
        raise ConfigError(
            f"{path} is not valid TOML: {problem} (a [tool.chat-conformance] table in it "
            f"would be ignored; fix the file, or name another with --config)"
        ) from None
    table = data.get("tool", {}).get("chat-conformance")
    return table if isinstance(table, dict) else None


def load_config(path: Path) -> ConfigFile:
    data = read_toml(path, ConfigError)
    where = str(path)
    if path.name == PYPROJECT:
        data = data.get("tool", {}).get("chat-conformance", {})
        where = f"{path} [tool.chat-conformance]"
    _refuse_keys(data, where)
    targets_table = data.get("targets", {})
    if not isinstance(targets_table, dict):
        raise ConfigError(f"{where}: 'targets' must be a table of [targets.NAME] tables")
    defaults = _settings(
        {k: v for k, v in data.items() if k not in ("targets", "default-target")}, path, where
    )
    default_target = data.get("default-target")
    if default_target is not None and default_target not in targets_table:
        raise ConfigError(f"{where}: default-target {default_target!r} is not a target")
    targets = {}
    for name, table in targets_table.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{where}: targets.{name} must be a table")
        _refuse_keys(table, f"{where} [targets.{name}]")
        own = _settings(table, path, f"{where} [targets.{name}]")
        targets[name] = TargetConfig(name, path, {**defaults, **own})
    return ConfigFile(path, targets, default_target, TargetConfig("", path, defaults))


def _refuse_keys(table: dict[str, Any], where: str) -> None:
    for key in table:
        if key.lower() in FORBIDDEN:
            raise ConfigError(
                f"{where}: '{key}' is not allowed: a key is never read from the file; "
                "name the environment variable that holds it with api-key-env"
            )


def _settings(table: dict[str, Any], path: Path, where: str) -> dict[str, Any]:
    """The table's settings by option name, each read as its flag reads it; paths are
    relative to the file."""
    settings = {}
    for key, value in table.items():
        if key not in FILE_KEYS:
            raise ConfigError(f"{where}: unknown setting {key!r} (known: {', '.join(FILE_KEYS)})")
        try:
            settings[FILE_KEYS[key].name] = read_config_value(key, value)
        except ValueError as problem:
            raise ConfigError(f"{where}: {problem}") from None
    if isinstance(settings.get("baseline"), str):
        settings["baseline"] = str((path.parent / settings["baseline"]).resolve())
    if "reports_dir" in settings:
        settings["reports_dir"] = str(path.parent / settings["reports_dir"])
    return settings


# ------------------------------------------------------------------ applying it to `run`


def apply_to_run(arguments: Any) -> None:
    """Fill the ``run`` arguments the user left out from the chosen target.

    Flags win over the file, the file over the environment variables (``options.fill_in``
    comes next). The key is put in ``arguments.api_key`` from the variable the target names.
    """
    path = Path(arguments.config) if getattr(arguments, "config", None) else find_config()
    if getattr(arguments, "config", None) and not path.is_file():
        raise ConfigError(f"--config: no such file: {path}")
    config = load_config(path) if path is not None else None
    arguments.config_file = str(path) if path is not None else None  # for the reports
    if arguments.target and config is None:
        raise ConfigError(
            f"--target {arguments.target}: no {FILE_NAME} (or [tool.chat-conformance] in "
            f"{PYPROJECT}) here or above; or name one with --config"
        )
    target = None
    if config is not None:
        target = config.target(arguments.target) or config.defaults
    if target is not None:
        _apply_target(arguments, target)


def _apply_target(arguments: Any, target: TargetConfig) -> None:
    arguments.target_name = target.name or None
    for name, value in target.settings.items():
        if name not in ("api_key_env", "baseline") and getattr(arguments, name) in (None, []):
            setattr(arguments, name, list(value) if isinstance(value, tuple) else value)
    if not arguments.api_key:
        arguments.api_key = target.api_key()
        arguments.key_source = target.api_key_env or DEFAULT_KEY_ENV  # named if refused
        if arguments.api_key is None and target.api_key_env and target.base_url:
            raise ConfigError(
                f"target {target.name!r} reads its key from ${target.api_key_env}, which is not set"
            )
    if target.baseline is not None and arguments.baseline is None and not arguments.no_baseline:
        reports_dir = arguments.reports_dir or DEFAULTS["reports_dir"]
        arguments.baseline = _baseline_file(target, reports_dir)


def _baseline_file(target: TargetConfig, reports_dir: str) -> str:
    """The target's known failures as a file: its own path, or inline entries written out
    next to the reports (so the run's inputs travel with its artifacts)."""
    if isinstance(target.baseline, str):
        return target.baseline
    from conformance.catalog import load_catalog
    from conformance.report.baseline import baseline_toml, parse_entries

    source = f"{target.source} [targets.{target.name}]"
    entries = parse_entries(target.baseline, source, load_catalog())
    path = Path(reports_dir) / f"known-failures.{target.name}.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(baseline_toml(entries, f"From {source}."), encoding="utf-8")
    return str(path)

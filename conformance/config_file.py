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

from conformance.durations import parse_duration
from conformance.toml_file import read_toml

FILE_NAME = "chat-conformance.toml"
PYPROJECT = "pyproject.toml"
DEFAULT_KEY_ENV = "CHAT_CONFORMANCE_API_KEY"

# key in the file -> (attribute, expected type); valid at the top level and in a target
SETTINGS: dict[str, tuple[str, type | tuple[type, ...]]] = {
    "base-url": ("base_url", str),
    "api-key-env": ("api_key_env", str),
    "models": ("models", list),
    "known-failures": ("known_failures", (str, list)),
    "profile": ("profile", str),
    "seed": ("seed", int),
    "strict": ("strict", bool),
    "only": ("only", list),
    "reports-dir": ("reports_dir", str),
    "concurrency": ("concurrency", int),
    "timeout": ("timeout", (int, float, str)),  # seconds, or "90s", "1500ms" as on the CLI
    "read-timeout": ("read_timeout", (int, float, str)),
}
DURATIONS = ("timeout", "read-timeout")
FORBIDDEN = {"api-key", "api_key", "key", "token", "authorization"}


class ConfigError(ValueError):
    """The file cannot be used; one line naming the file and the key."""


@dataclass(frozen=True)
class TargetConfig:
    name: str
    source: Path  # the file it came from
    base_url: str | None = None  # None: the embedded reference server
    api_key_env: str | None = None
    models: tuple[str, ...] = ()
    known_failures: str | list[dict[str, Any]] | None = None  # a path (resolved) or entries
    profile: str | None = None
    seed: int | None = None
    strict: bool | None = None
    only: tuple[str, ...] = ()
    reports_dir: str | None = None
    concurrency: int | None = None
    timeout: float | None = None
    read_timeout: float | None = None

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
    defaults = {k: v for k, v in data.items() if k not in ("targets", "default-target")}
    _check_keys(defaults, where)
    default_target = data.get("default-target")
    if default_target is not None and default_target not in targets_table:
        raise ConfigError(f"{where}: default-target {default_target!r} is not a target")
    targets = {}
    for name, table in targets_table.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{where}: targets.{name} must be a table")
        _refuse_keys(table, f"{where} [targets.{name}]")
        _check_keys(table, f"{where} [targets.{name}]")
        targets[name] = _target(name, path, {**defaults, **table})
    return ConfigFile(path, targets, default_target, _target("", path, defaults))


def _refuse_keys(table: dict[str, Any], where: str) -> None:
    for key in table:
        if key.lower() in FORBIDDEN:
            raise ConfigError(
                f"{where}: '{key}' is not allowed: a key is never read from the file; "
                "name the environment variable that holds it with api-key-env"
            )


def _check_keys(table: dict[str, Any], where: str) -> None:
    for key, value in table.items():
        if key not in SETTINGS:
            raise ConfigError(f"{where}: unknown setting {key!r} (known: {', '.join(SETTINGS)})")
        expected = SETTINGS[key][1]
        if not isinstance(value, expected) or (isinstance(value, bool) and expected is not bool):
            raise ConfigError(f"{where}: {key} has the wrong type ({type(value).__name__})")
        if key in DURATIONS:
            _duration(key, value, where)
    for key in ("models", "only"):
        if key in table and not all(isinstance(v, str) for v in table[key]):
            raise ConfigError(f"{where}: {key} must be a list of strings")


def _duration(key: str, value: int | float | str, where: str) -> float:
    """Seconds: a number, or a string with the CLI's units ("90s", "1500ms")."""
    try:
        seconds = parse_duration(value) if isinstance(value, str) else float(value)
    except ValueError as problem:
        raise ConfigError(f"{where}: {key}: {problem}") from None
    if not seconds > 0:
        raise ConfigError(f"{where}: {key} must be > 0 seconds, got {value!r}")
    return seconds


def _target(name: str, path: Path, table: dict[str, Any]) -> TargetConfig:
    values = {SETTINGS[key][0]: value for key, value in table.items()}
    for key in ("models", "only"):
        if key in values:
            values[key] = tuple(values[key])
    known = values.get("known_failures")
    if isinstance(known, str):
        values["known_failures"] = str((path.parent / known).resolve())
    if "reports_dir" in values:
        values["reports_dir"] = str(path.parent / values["reports_dir"])
    for key in DURATIONS:
        if key in table:
            values[SETTINGS[key][0]] = _duration(key, table[key], str(path))
    return TargetConfig(name=name, source=path, **values)


# ------------------------------------------------------------------ applying it to `run`

BUILT_IN = {"reports_dir": "reports", "timeout": 60.0, "read_timeout": 30.0}


def apply_to_run(arguments: Any) -> list[str]:
    """Fill the ``run`` arguments the user left out from the chosen target, then defaults.

    Flags win over the file, the file over the environment variables. Returns the pytest
    arguments only the file can add (the target's name, its known failures, ...). The key is
    put in ``arguments.api_key`` from the variable the target names.
    """
    path = Path(arguments.config) if getattr(arguments, "config", None) else find_config()
    if getattr(arguments, "config", None) and not path.is_file():
        raise ConfigError(f"--config: no such file: {path}")
    config = load_config(path) if path is not None else None
    arguments.config_used = str(path) if path is not None else None  # for the reports
    if arguments.target and config is None:
        raise ConfigError(
            f"--target {arguments.target}: no {FILE_NAME} (or [tool.chat-conformance] in "
            f"{PYPROJECT}) here or above; or name one with --config"
        )
    target = None
    if config is not None:
        target = config.target(arguments.target) or config.defaults
    extra: list[str] = []
    if target is not None:
        extra += _apply_target(arguments, target)
    for key, value in BUILT_IN.items():
        if getattr(arguments, key, None) is None:
            setattr(arguments, key, value)
    return extra


def _apply_target(arguments: Any, target: TargetConfig) -> list[str]:
    extra = ["--chat-target-name", target.name] if target.name else []
    for key in ("base_url", "strict", "reports_dir", "concurrency", "timeout", "read_timeout"):
        if getattr(arguments, key, None) is None and getattr(target, key) is not None:
            setattr(arguments, key, getattr(target, key))
    for key in ("model", "only"):
        value = target.models if key == "model" else target.only
        if not getattr(arguments, key, None) and value:
            setattr(arguments, key, list(value))
    if not arguments.api_key:
        arguments.api_key = target.api_key()
        arguments.api_key_source = target.api_key_env or DEFAULT_KEY_ENV  # named if refused
        if arguments.api_key is None and target.api_key_env and target.base_url:
            raise ConfigError(
                f"target {target.name!r} reads its key from ${target.api_key_env}, which is not set"
            )
    for key in ("profile", "seed"):
        value = getattr(target, key)
        if value is None:
            continue
        if hasattr(arguments, key):  # the command has the flag: the file fills it in
            if getattr(arguments, key) is None:
                setattr(arguments, key, value)
        else:
            extra += [f"--chat-{key}", str(value)]
    no_baseline = getattr(arguments, "no_baseline", False)
    if target.known_failures is not None and arguments.baseline is None and not no_baseline:
        arguments.baseline = _baseline_file(target, arguments.reports_dir or "reports")
    return extra


def _baseline_file(target: TargetConfig, reports_dir: str) -> str:
    """The target's known failures as a file: its own path, or inline entries written out
    next to the reports (so the run's inputs travel with its artifacts)."""
    if isinstance(target.known_failures, str):
        return target.known_failures
    from conformance.catalog import load_catalog
    from conformance.report.baseline import baseline_toml, parse_entries

    source = f"{target.source} [targets.{target.name}]"
    entries = parse_entries(target.known_failures, source, load_catalog())
    path = Path(reports_dir) / f"known-failures.{target.name}.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(baseline_toml(entries, f"From {source}."), encoding="utf-8")
    return str(path)

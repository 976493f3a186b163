"""Every option of a run, declared once: flag, pytest option, environment variable, config-file
key, type, default and help.

Like httpx's ``_config.py``, the defaults live here and nowhere else. ``chat-conformance run``'s
parser, the pytest plugin's options, the config file's keys, the environment fallbacks, the
forwarding from the CLI to pytest and ``exchange.Limits`` are built from ``OPTIONS``.

Where a value comes from, everywhere: a flag, then the config file (the CLI reads it), then the
``CHAT_CONFORMANCE_*`` variable, then the default here. A variable that does not parse stops the
run (``BadVariable``): a misspelt profile must not run another. Standard library only: the CLI
imports this for ``--help``.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from conformance.durations import parse_duration


@dataclass(frozen=True)
class Kind:
    """How a value is read from a flag's or a variable's text, or from a TOML value."""

    read: Callable[[Any], Any]  # text or TOML value -> the value; ValueError says why in a line
    toml: tuple[type, ...] = (str,)  # what the config file may hold
    show: Callable[[Any], str] = str  # as help writes it
    write: Callable[[Any], str] = str  # as the CLI passes it on to pytest
    many: bool = False  # a repeatable flag, a list in the file, comma-separated in a variable
    switch: str | None = None  # a flag without a value: "store_true", or "toggle" (--x/--no-x)
    choices: Callable[[], list[str]] | None = None
    separator: str = ","  # between the values of a repeatable option's variable


def _bounded(convert: Callable[[Any], Any], unit: str, inclusive: bool) -> Callable[[Any], Any]:
    def read(raw: Any) -> Any:
        value = convert(raw)
        if value < 0 or (value == 0 and not inclusive):
            raise ValueError(f"must be {'>=' if inclusive else '>'} 0{unit}, got {raw}")
        return value

    return read


def _integer(raw: Any) -> int:
    if not isinstance(raw, str):
        return raw
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"not a number: {raw!r}") from None


def _seconds(raw: Any) -> float:
    """``300ms``, ``0.3s``, a bare ``0.3`` (seconds), or a number from the config file."""
    return parse_duration(raw) if isinstance(raw, str) else float(raw)


def _write_seconds(value: float) -> str:
    from decimal import Decimal  # plain digits: the duration parser takes no exponent

    return f"{Decimal(repr(float(value))):f}"


SMALLEST_PROMPT_BOUND = 64  # tokens: room for the simplest requests and a few messages


def _prompt_bound(raw: Any) -> int:
    value = _integer(raw)
    if value != 0 and value < SMALLEST_PROMPT_BOUND:
        raise ValueError(f"must be 0 (no bound) or at least {SMALLEST_PROMPT_BOUND}, got {raw}")
    return value


def _on_or_off(raw: Any) -> bool:
    """A switch's variable: 1/true/yes/on or 0/false/no/off (``bool("off")`` would be True)."""
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"not on or off: {raw!r}")


def _profile_names() -> list[str]:
    from conformance.profiles import PROFILES

    return list(PROFILES)


def _profile(raw: str) -> str:
    if raw.strip() not in _profile_names():
        raise ValueError(f"unknown profile {raw!r}; choose one of {', '.join(_profile_names())}")
    return raw.strip()


TEXT = Kind(read=str)
TEXTS = Kind(read=str, many=True)
BASELINE = Kind(read=lambda raw: raw, toml=(str, list))  # the file may also list entries inline
INTEGER = Kind(read=_integer, toml=(int,))
POSITIVE_INT = Kind(read=_bounded(_integer, "", inclusive=False), toml=(int,))
NON_NEGATIVE_INT = Kind(read=_bounded(_integer, "", inclusive=True), toml=(int,))
DURATION = Kind(
    read=_bounded(_seconds, " seconds", inclusive=False),
    toml=(int, float, str),
    show=lambda seconds: f"{seconds:g} s",
    write=_write_seconds,
)
NON_NEGATIVE_DURATION = Kind(read=_bounded(_seconds, " seconds", inclusive=True))
SWITCH = Kind(read=bool, toml=(bool,), switch="store_true")
TOGGLE = Kind(read=_on_or_off, toml=(bool,), switch="toggle")
PROFILE = Kind(read=_profile, choices=_profile_names)
PROMPT_BOUND = Kind(read=_prompt_bound, toml=(int,))


def _header_reader(check: Callable[[str], str]) -> Callable[[Any], str]:
    def read(raw: Any) -> str:
        from conformance.request_headers import HeaderError

        try:
            return check(str(raw))
        except HeaderError as error:
            raise ValueError(str(error)) from None

    return read


def _auth_header(raw: Any) -> str:
    from conformance.request_headers import check_auth_header

    return _header_reader(check_auth_header)(raw)


def _header(raw: Any) -> str:
    from conformance.request_headers import parse_header

    return _header_reader(parse_header)(raw)


HEADER_NAME = Kind(read=_auth_header)
# A header value may hold a comma (Portkey's JSON config): the variable has one header a line.
HEADERS = Kind(read=_header, toml=(list, dict), many=True, separator="\n")


@dataclass(frozen=True)
class Option:
    name: str  # arguments.NAME in the CLI, the key of a target's settings
    help: str  # what it does; "(env ...; default: ...)" is added from the fields below
    kind: Kind = TEXT
    default: Any = None
    flag: str | None = None  # of chat-conformance run
    pytest: str | None = None  # the plugin adds the --chat- ones; others belong to other plugins
    env: str | None = None
    key: str | None = None  # in chat-conformance.toml
    metavar: str | None = None
    shown_default: str | None = None  # a default that is no value: derived, random, ...
    pytest_help: str | None = None  # when the pytest option means something else
    secret: bool = False  # CLI to pytest through the environment, never on a command line

    @property
    def dest(self) -> str | None:
        """The attribute of pytest's ``config.option`` holding it."""
        return self.pytest.lstrip("-").replace("-", "_") if self.pytest else None

    def help_text(self, for_pytest: bool = False) -> str:
        if for_pytest and self.pytest_help:
            return self.pytest_help
        many = {",": ", comma-separated", "\n": ", one a line"}.get(self.kind.separator, "")
        notes = [f"env {self.env}" + (many if self.kind.many else "")]
        if self.shown_default:
            notes.append(f"default: {self.shown_default}")
        elif self.default is not None and not self.kind.switch:
            notes.append(f"default: {self.kind.show(self.default)}")
        notes = notes if self.env else notes[1:]
        return f"{self.help} ({'; '.join(notes)})" if notes else self.help


ENV = "CHAT_CONFORMANCE_"
OPTIONS: tuple[Option, ...] = (
    Option(
        "base_url",
        "target URL up to and including /v1",
        flag="--base-url",
        pytest="--base-url",  # pytest-base-url's
        env=f"{ENV}BASE_URL",
        key="base-url",
        shown_default="the embedded reference server",
        secret=True,  # a URL may carry credentials
    ),
    Option(
        "api_key",
        "bearer key for the target",
        flag="--api-key",
        pytest="--chat-api-key",
        env=f"{ENV}API_KEY",
        secret=True,
    ),
    Option("api_key_env", "the NAME of the variable that holds the key", key="api-key-env"),
    Option(
        "auth_header",
        "the header that carries the key: Authorization gets 'Bearer KEY', any other the bare key "
        "(Azure OpenAI: api-key)",
        HEADER_NAME,
        default="Authorization",
        flag="--auth-header",
        pytest="--chat-auth-header",
        env=f"{ENV}AUTH_HEADER",
        key="auth-header",
        metavar="NAME",
    ),
    Option(
        "headers",
        "another header for every request, repeatable (Portkey's x-portkey-*); its value is "
        "shown only as $HEADER_NAME",
        HEADERS,
        flag="--header",
        pytest="--chat-header",
        env=f"{ENV}HEADERS",
        key="headers",
        metavar="'NAME: VALUE'",
        secret=True,  # a value may be a key (x-portkey-api-key)
    ),
    Option(
        "models",
        "model to test, repeatable",
        TEXTS,
        flag="--model",
        pytest="--chat-model",
        env=f"{ENV}MODEL",
        key="models",
        metavar="MODEL",
    ),
    Option(
        "strict",
        "SHOULD requirements decide conformance too",
        TOGGLE,
        default=False,
        flag="--strict",
        pytest="--chat-strict",
        key="strict",
    ),
    Option(
        "only",
        "run only these areas or requirement IDs (e.g. STREAM, SSE-002); repeatable",
        TEXTS,
        flag="--only",
        pytest="--chat-only",
        key="only",
        metavar="AREA|ID",
    ),
    Option(
        "target",
        "a target of chat-conformance.toml (or [tool.chat-conformance] in pyproject.toml)",
        flag="--target",
        metavar="NAME",
    ),
    Option(
        "config",
        "the config file",
        flag="--config",
        metavar="PATH",
        shown_default="found here or above",
    ),
    Option(
        "baseline",
        "known failures (TOML): reported, but only new failures exit 1",
        BASELINE,
        flag="--baseline",
        pytest="--chat-baseline",
        key="known-failures",
        metavar="PATH",
        pytest_help="known failures (TOML): reported as known, only new failures fail the run",
    ),
    Option("no_baseline", "ignore the target's known failures", SWITCH, flag="--no-baseline"),
    Option(
        "reports_dir",
        "where the reports go unless named one by one",
        default="reports",
        flag="--reports-dir",
        key="reports-dir",
    ),
    Option(
        "html",
        "self-contained HTML report",
        flag="--html",
        pytest="--html",  # pytest-html's
        metavar="PATH",
        shown_default="REPORTS_DIR/report.html",
    ),
    Option(
        "junitxml",
        "JUnit XML report",
        flag="--junitxml",
        pytest="--junit-xml",  # pytest's (also spelt --junitxml)
        metavar="PATH",
        shown_default="REPORTS_DIR/junit.xml",
    ),
    Option(
        "json",
        "JSON report",
        flag="--json",
        pytest="--chat-json",
        metavar="PATH",
        shown_default="REPORTS_DIR/report.json",
        pytest_help="write the JSON compliance report here",
    ),
    Option(
        "request_log",
        "write every request sent, one JSON line each, without the key",
        flag="--request-log",
        pytest="--chat-request-log",
        metavar="PATH",
        shown_default="none",
    ),
    Option(
        "concurrency",
        "requests in flight at once",
        POSITIVE_INT,
        default=4,
        flag="--concurrency",
        pytest="--chat-concurrency",
        env=f"{ENV}CONCURRENCY",
        key="concurrency",
    ),
    Option(
        "latency_samples",
        "after the run, N streamed requests per model sent one at a time: clean latency figures",
        NON_NEGATIVE_INT,
        default=0,
        flag="--latency-samples",
        pytest="--chat-latency-samples",
        env=f"{ENV}LATENCY_SAMPLES",
        key="latency-samples",
        metavar="N",
    ),
    Option(
        "client_replay",
        "replay every recorded response offline through the openai SDK (the clients extra) "
        "and report what the client did with it",
        TOGGLE,
        default=True,
        flag="--client-replay",
        pytest="--chat-client-replay",
        env=f"{ENV}CLIENT_REPLAY",
        key="client-replay",
        shown_default="on when the openai SDK is installed",
    ),
    Option(
        "timeout",
        "deadline for one whole exchange: 90, 90s, 1500ms",
        DURATION,
        default=60.0,
        flag="--timeout",
        pytest="--chat-deadline",
        key="timeout",
    ),
    Option(
        "read_timeout",
        "longest silence between bytes",
        DURATION,
        default=30.0,
        flag="--read-timeout",
        pytest="--chat-read-timeout",
        key="read-timeout",
    ),
    Option(
        "connect_timeout",
        "time to connect",
        DURATION,
        default=10.0,
        flag="--connect-timeout",
        pytest="--chat-connect-timeout",
    ),
    Option(
        "max_bytes",
        "largest response body after decoding, bytes",
        POSITIVE_INT,
        default=1024 * 1024,
        flag="--max-bytes",
        pytest="--chat-max-bytes",
    ),
    Option(
        "retries",
        "retries of a 429/503 answer, after Retry-After or a backoff",
        NON_NEGATIVE_INT,
        default=3,
        flag="--retries",
        pytest="--chat-retries",
    ),
    Option(
        "ca_bundle",
        "CA bundle to trust for the target's certificate (TLS is always verified)",
        flag="--ca-bundle",
        pytest="--chat-ca-bundle",
        metavar="PATH",
    ),
    Option(
        "reference_fault",
        "without --base-url: the embedded server breaks this rule (see serve --list)",
        TEXTS,
        flag="--reference-fault",
        pytest="--chat-reference-fault",
        metavar="NAME",
    ),
    Option(
        "reference_variation",
        "without --base-url: a legal but unusual embedded server (see serve --list)",
        TEXTS,
        flag="--reference-variation",
        pytest="--chat-reference-variation",
        metavar="NAME",
    ),
    Option(
        "profile",
        "how many requests to generate",
        PROFILE,
        default="standard",
        flag="--profile",
        pytest="--chat-profile",
        env=f"{ENV}PROFILE",
        key="profile",
    ),
    Option(
        "seed",
        "seed of the generated requests, to replay a run; in the report",
        INTEGER,
        flag="--seed",
        pytest="--chat-seed",
        env=f"{ENV}SEED",
        key="seed",
        shown_default="random",
    ),
    Option(
        "max_requests",
        "most generated requests in the run, shrinking included",
        NON_NEGATIVE_INT,
        flag="--max-requests",
        pytest="--chat-max-requests",
        env=f"{ENV}MAX_REQUESTS",
        shown_default="the profile's",
    ),
    Option(
        "gen_max_tokens",
        "max_tokens of generated valid requests is set and at most this; 0: as the schema allows",
        INTEGER,
        default=16,
        pytest="--chat-gen-max-tokens",
        env=f"{ENV}GEN_MAX_TOKENS",
    ),
    # Small local models have 2048 tokens of context (some 512): a generated prompt stays within
    # this bound whatever the tokenizer (strategies.prompt_tokens_bound counts a token a byte).
    Option(
        "gen_max_prompt_tokens",
        "generated prompts hold at most this many tokens, counted as UTF-8 bytes; 0: no bound",
        PROMPT_BOUND,
        default=1024,
        pytest="--chat-gen-max-prompt-tokens",
        env=f"{ENV}GEN_MAX_PROMPT_TOKENS",
    ),
    Option(
        "hypothesis_dir",
        "Hypothesis's directory: example database and caches; none: no database",
        pytest="--chat-hypothesis-dir",
        env=f"{ENV}HYPOTHESIS_DIR",
        metavar="DIR|none",
        shown_default="~/.cache/chat-conformance/hypothesis",
    ),
    Option(
        "target_name",
        "name of the target in the reports (chat-conformance run --target sets it)",
        pytest="--chat-target-name",
        metavar="NAME",
    ),
    Option(
        "key_source",
        "where the key came from, named when the target refuses it "
        "(chat-conformance run sets it: a variable's name or --api-key)",
        pytest="--chat-key-source",
        metavar="WHERE",
    ),
    Option(
        "config_file",
        "the config file the run used, for the reports (chat-conformance run sets it)",
        pytest="--chat-config-file",
        metavar="PATH",
    ),
)
OPTION: dict[str, Option] = {option.name: option for option in OPTIONS}
DEFAULTS: dict[str, Any] = {option.name: option.default for option in OPTIONS}
FILE_KEYS: dict[str, Option] = {option.key: option for option in OPTIONS if option.key}


def _unset(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == ()


# ------------------------------------------------------------------ builders


def argparse_type(kind: Kind) -> Callable[[str], Any]:
    """A kind as argparse's ``type=``: the reason of a refusal is argparse's one line."""

    def parse(text: str) -> Any:
        try:
            return kind.read(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return parse


def _arguments(option: Option, for_pytest: bool) -> dict[str, Any]:
    kind = option.kind
    # The CLI's defaults are left unset, so the config file and the variables can fill them in;
    # a pytest option has its default unless a variable comes before it.
    default = None if not for_pytest or option.env else option.default
    arguments: dict[str, Any] = {"help": option.help_text(for_pytest), "default": default}
    if kind.switch:
        # pytest's --chat-strict only turns on; a switch that is on by default turns off too
        toggle = kind.switch == "toggle" and (not for_pytest or option.default is True)
        arguments["action"] = argparse.BooleanOptionalAction if toggle else "store_true"
        arguments["default"] = None if toggle else False
    elif kind.many:
        arguments["action"] = "append"
        if kind.read is not str:
            arguments["type"] = argparse_type(kind)
    elif kind.choices:
        arguments["choices"] = kind.choices()
    elif kind is not TEXT:
        arguments["type"] = argparse_type(kind)
    if option.metavar and not kind.switch:
        arguments["metavar"] = option.metavar
    return arguments


def add_to_argparse(parser: argparse.ArgumentParser) -> None:
    """The options of ``chat-conformance run``."""
    for option in OPTIONS:
        if option.flag:
            parser.add_argument(option.flag, dest=option.name, **_arguments(option, False))


def add_to_pytest(group) -> None:
    """The plugin's ``--chat-`` options (``--base-url``, ``--html`` and ``--junitxml`` are other
    plugins')."""
    for option in OPTIONS:
        if option.pytest and option.pytest.startswith("--chat-"):
            group.addoption(option.pytest, **_arguments(option, True))


def read_config_value(key: str, raw: Any) -> Any:
    """A config-file value, read as its flag reads it; ValueError in one line naming the key."""
    kind = FILE_KEYS[key].kind
    expected = kind.toml if kind.many and dict in kind.toml else (list,) if kind.many else kind.toml
    if not isinstance(raw, expected) or (isinstance(raw, bool) and bool not in expected):
        raise ValueError(f"{key} has the wrong type ({type(raw).__name__})")
    if kind.many and isinstance(raw, dict):  # headers as a table: name = value
        raw = [f"{name}: {value}" for name, value in raw.items()]
    if kind.many:
        if not all(isinstance(item, str) for item in raw):
            raise ValueError(f"{key} must be a list of strings")
        try:
            return tuple(kind.read(item) for item in raw)
        except ValueError as problem:
            raise ValueError(f"{key}: {problem}") from None
    try:
        return kind.read(raw)
    except ValueError as problem:
        raise ValueError(f"{key}: {problem}") from None


class BadVariable(ValueError):
    """A CHAT_CONFORMANCE_* variable is set to a value its flag would refuse."""


def environment_value(option: Option) -> Any:
    """The option's variable, read as its flag; None when unset or empty. A value its flag
    would refuse raises ``BadVariable``: a misspelt profile must not run another profile."""
    text = os.environ.get(option.env, "").strip() if option.env else ""
    if not text:
        return None
    try:
        if option.kind.many:
            items = text.split(option.kind.separator)
            return [option.kind.read(item.strip()) for item in items if item.strip()]
        return option.kind.read(text)
    except ValueError as error:
        shown = "(hidden)" if option.secret else repr(text)
        raise BadVariable(f"{option.env}={shown}: {error}") from None


def pytest_value(config, name: str) -> Any:
    """An option's value in a pytest run: the option, else its variable, else the default."""
    option = OPTION[name]
    value = getattr(config.option, option.dest, None)
    if _unset(value):
        try:
            value = environment_value(option)
        except BadVariable as error:
            import pytest

            raise pytest.UsageError(str(error)) from None
    return option.default if _unset(value) else value


# ------------------------------------------------------------------ chat-conformance run -> pytest


def fill_in(arguments: argparse.Namespace) -> None:
    """What the flags and the config file left out of ``run``: the variable, else the default."""
    for option in OPTIONS:
        if option.flag and _unset(getattr(arguments, option.name, None)):
            value = environment_value(option)
            setattr(arguments, option.name, option.default if _unset(value) else value)


def pytest_arguments(arguments: argparse.Namespace) -> list[str]:
    """The run's values as pytest options; the secret ones go through ``secret_environment``.
    ``--option=value``: a value may start with '-' (a key source named "--api-key")."""
    result: list[str] = []
    for option in OPTIONS:
        value = getattr(arguments, option.name, None)
        on_by_default = option.kind.switch == "toggle" and option.default is True
        if value is False and option.pytest and on_by_default:
            result.append(f"--no-{option.pytest.removeprefix('--')}")  # --no-chat-client-replay
            continue
        if not option.pytest or option.secret or _unset(value) or value is False:
            continue
        if value is True:
            result.append(option.pytest)
            continue
        for item in value if option.kind.many else [value]:
            result.append(f"{option.pytest}={option.kind.write(item)}")
    return result


def secret_environment(arguments: argparse.Namespace) -> dict[str, str]:
    """The URL and the key, for pytest's environment: never on a command line."""
    values = {o: getattr(arguments, o.name, None) for o in OPTIONS if o.secret and o.env}
    return {
        o.env: o.kind.separator.join(value) if o.kind.many else value
        for o, value in values.items()
        if not _unset(value)
    }


# ------------------------------------------------------------------ the README's table


def markdown_table() -> str:
    """The options a variable or the config file sets, or that have a default (README)."""
    rows = [
        "| Flag | pytest option | Environment variable | Config key | Default |",
        "| --- | --- | --- | --- | --- |",
    ]
    for option in OPTIONS:
        if option.kind.switch:
            default = ("on" if option.default else "off") if option.key else ""
            default = option.shown_default or default
        else:
            shown = option.default is not None and option.kind.show(option.default)
            default = option.shown_default or shown or ""
        if not (option.env or option.key or default):
            continue
        names = [f"`{name}`" if name else "" for name in (option.flag, option.pytest)]
        names += [f"`{name}`" if name else "" for name in (option.env, option.key)]
        rows.append("| " + " | ".join([*names, default]) + " |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown_table())

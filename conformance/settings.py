"""What a run is pointed at and how it is bounded, read from pytest options and the environment.

One place turns options into settings so the CLI, the pytest plugin and the suite agree on
names, defaults and environment fallbacks (all three declared in ``conformance.options``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from conformance.exchange import Limits
from conformance.options import DEFAULTS, OPTION, pytest_value
from conformance.request_headers import DEFAULT_AUTH_HEADER, HeaderError, extra_headers

__all__ = ["EMBEDDED_MODEL", "Settings", "settings_from_pytest"]
EMBEDDED_MODEL = "conformance-echo"


@dataclass(frozen=True)
class Settings:
    base_url: str | None  # None: start the embedded reference server
    api_key: str | None = field(repr=False)
    models: tuple[str, ...]
    strict: bool = False
    only: tuple[str, ...] = ()
    concurrency: int = DEFAULTS["concurrency"]
    limits: Limits = field(default_factory=Limits)
    json_path: str | None = None
    request_log: str | None = None  # JSON lines of every request sent
    ca_bundle: str | None = None  # TLS is always verified; this adds a trusted CA bundle
    reference_faults: tuple[str, ...] = ()  # for the embedded server only
    reference_variations: tuple[str, ...] = ()
    key_source: str = OPTION["api_key"].env  # where the key came from, as messages name it
    auth_header: str = DEFAULT_AUTH_HEADER
    headers: tuple[tuple[str, str], ...] = field(default=(), repr=False)  # values may be secrets

    @property
    def embedded(self) -> bool:
        return self.base_url is None


def limits_from(value: Callable[[str], Any]) -> Limits:
    """The exchange bounds from the options' values (pytest's, or the CLI's arguments)."""
    return Limits(
        connect_timeout=value("connect_timeout"),
        read_timeout=value("read_timeout"),
        deadline=value("timeout"),
        max_bytes=value("max_bytes"),
        retries=value("retries"),
    )


def settings_from_pytest(config) -> Settings:
    def value(name: str):
        return pytest_value(config, name)

    base_url = value("base_url")
    models = tuple(value("models") or ())
    if not models and base_url is None:
        models = (EMBEDDED_MODEL,)
    limits = limits_from(value)
    flag_key = config.option.chat_api_key
    auth_header = value("auth_header")
    try:
        headers = extra_headers(value("headers") or (), auth_header)
    except HeaderError as error:
        import pytest

        raise pytest.UsageError(f"--chat-header: {error}") from None
    return Settings(
        base_url=base_url,
        api_key=value("api_key"),
        models=models,
        strict=value("strict"),
        only=tuple(value("only") or ()),
        concurrency=value("concurrency"),
        limits=limits,
        json_path=value("json"),
        request_log=value("request_log"),
        ca_bundle=value("ca_bundle"),
        reference_faults=tuple(value("reference_fault") or ()),
        reference_variations=tuple(value("reference_variation") or ()),
        key_source=value("key_source") or ("--chat-api-key" if flag_key else OPTION["api_key"].env),
        auth_header=auth_header,
        headers=headers,
    )

"""What a run is pointed at and how it is bounded, read from pytest options and the environment.

One place turns options into settings so the CLI, the pytest plugin and the suite agree on
names, defaults and environment fallbacks.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from conformance.environment import (
    DEFAULT_CONCURRENCY,
    ENV_API_KEY,
    ENV_BASE_URL,
    ENV_MODELS,
    env_concurrency,
    env_models,
)
from conformance.exchange import Limits

__all__ = ["DEFAULT_CONCURRENCY", "ENV_API_KEY", "ENV_BASE_URL", "ENV_MODELS", "Settings"]
EMBEDDED_MODEL = "conformance-echo"


@dataclass(frozen=True)
class Settings:
    base_url: str | None  # None: start the embedded reference server
    api_key: str | None = field(repr=False)
    models: tuple[str, ...]
    strict: bool = False
    only: tuple[str, ...] = ()
    concurrency: int = DEFAULT_CONCURRENCY
    limits: Limits = field(default_factory=Limits)
    json_path: str | None = None
    request_log: str | None = None  # JSON lines of every request sent
    ca_bundle: str | None = None  # TLS is always verified; this adds a trusted CA bundle
    reference_faults: tuple[str, ...] = ()  # for the embedded server only
    reference_variations: tuple[str, ...] = ()
    key_source: str = ENV_API_KEY  # where the key came from, as messages name it

    @property
    def embedded(self) -> bool:
        return self.base_url is None


def settings_from_pytest(config) -> Settings:
    option = config.option
    base_url = getattr(option, "base_url", None) or os.environ.get(ENV_BASE_URL) or None
    models = tuple(option.chat_model or ()) or env_models()
    if not models and base_url is None:
        models = (EMBEDDED_MODEL,)
    limits = Limits(
        connect_timeout=option.chat_connect_timeout,
        read_timeout=option.chat_read_timeout,
        deadline=option.chat_deadline,
        max_bytes=option.chat_max_bytes,
        retries=option.chat_retries,
    )
    return Settings(
        base_url=base_url,
        api_key=option.chat_api_key or os.environ.get(ENV_API_KEY) or None,
        models=models,
        strict=option.chat_strict,
        only=tuple(option.chat_only or ()),
        concurrency=option.chat_concurrency or env_concurrency(),
        limits=limits,
        json_path=option.chat_json,
        request_log=option.chat_request_log,
        ca_bundle=option.chat_ca_bundle,
        reference_faults=tuple(option.chat_reference_fault or ()),
        reference_variations=tuple(option.chat_reference_variation or ()),
        key_source=getattr(option, "chat_key_source", None)
        or ("--chat-api-key" if option.chat_api_key else ENV_API_KEY),
    )

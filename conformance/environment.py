"""The environment variables a run reads, in one place (imported by the CLI, so kept light)."""

from __future__ import annotations

import os

ENV_BASE_URL = "CHAT_CONFORMANCE_BASE_URL"
ENV_API_KEY = "CHAT_CONFORMANCE_API_KEY"
ENV_MODELS = "CHAT_CONFORMANCE_MODEL"  # comma-separated
ENV_CONCURRENCY = "CHAT_CONFORMANCE_CONCURRENCY"
DEFAULT_CONCURRENCY = 4


def env_models() -> tuple[str, ...]:
    return tuple(m.strip() for m in os.environ.get(ENV_MODELS, "").split(",") if m.strip())


def env_concurrency() -> int:
    value = os.environ.get(ENV_CONCURRENCY, "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else DEFAULT_CONCURRENCY

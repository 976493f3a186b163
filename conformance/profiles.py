"""How much the generated half of a run sends: profiles, seed, request budget, database location.

Read from pytest options with environment fallbacks (declared in ``conformance.options``), like
``conformance.settings``; kept free of heavy imports (the options read the profile names).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from conformance.options import DEFAULTS, pytest_value


@dataclass(frozen=True)
class Profile:
    """Random examples per model and property, on top of the explicit ones (the schema's edges,
    the simplest break of each rule), and the default request budget of a run."""

    name: str
    valid_examples: int
    invalid_examples: int
    max_requests: int


PROFILES: dict[str, Profile] = {
    profile.name: profile
    for profile in (
        Profile("quick", valid_examples=10, invalid_examples=10, max_requests=150),
        Profile("standard", valid_examples=40, invalid_examples=40, max_requests=500),
        Profile("thorough", valid_examples=300, invalid_examples=300, max_requests=4000),
    )
}
DEFAULT_PROFILE = DEFAULTS["profile"]


def default_hypothesis_dir() -> Path:
    """The user's cache directory, never the current one."""
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "chat-conformance" / "hypothesis"


@dataclass(frozen=True)
class GenerationSettings:
    profile: Profile
    seed: int
    max_requests: int  # generated requests in the whole run, shrinking included
    max_tokens: int | None  # generated valid requests set max_tokens <= this; None: any or none
    max_prompt_tokens: int | None  # generated prompts fit this many tokens; None: no bound
    hypothesis_dir: Path | None  # None: no example database


def generation_from_pytest(config) -> GenerationSettings:
    def value(name: str):
        return pytest_value(config, name)

    profile = PROFILES[value("profile")]
    option = config.option
    option.chat_profile = profile.name  # written back, like the seed, for the reports
    seed = value("seed")
    if seed is None:
        seed = option.chat_seed = secrets.randbelow(2**32)  # once per run: every reader agrees
    max_requests = value("max_requests")
    max_tokens, max_prompt = value("gen_max_tokens"), value("gen_max_prompt_tokens")
    return GenerationSettings(
        profile=profile,
        seed=seed,
        max_requests=profile.max_requests if max_requests is None else max(0, max_requests),
        max_tokens=max_tokens if max_tokens > 0 else None,
        max_prompt_tokens=max_prompt if max_prompt > 0 else None,
        hypothesis_dir=_directory(value("hypothesis_dir") or ""),
    )


def _directory(value: str) -> Path | None:
    if value.lower() == "none":
        return None
    return Path(value).expanduser() if value else default_hypothesis_dir()

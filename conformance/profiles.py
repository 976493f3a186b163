"""How much the generated half of a run sends: profiles, seed, request budget, database location.

Read from pytest options with environment fallbacks, like ``conformance.settings``; kept free of
heavy imports (the pytest plugin reads the profile names when it adds its options).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

ENV_PROFILE = "CHAT_CONFORMANCE_PROFILE"
ENV_SEED = "CHAT_CONFORMANCE_SEED"
ENV_MAX_REQUESTS = "CHAT_CONFORMANCE_MAX_REQUESTS"
ENV_GEN_MAX_TOKENS = "CHAT_CONFORMANCE_GEN_MAX_TOKENS"
ENV_GEN_MAX_PROMPT_TOKENS = "CHAT_CONFORMANCE_GEN_MAX_PROMPT_TOKENS"
ENV_HYPOTHESIS_DIR = "CHAT_CONFORMANCE_HYPOTHESIS_DIR"


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
DEFAULT_PROFILE = "standard"
DEFAULT_GEN_MAX_TOKENS = 16
# Small local models have 2048 tokens of context (some 512): a generated prompt stays within this
# bound whatever the tokenizer (strategies.prompt_tokens_bound counts a token per UTF-8 byte).
DEFAULT_GEN_MAX_PROMPT_TOKENS = 1024


def add_generation_options(group) -> None:
    """The pytest options of the generated half (called from the plugin's pytest_addoption)."""
    group.addoption(
        "--chat-profile",
        default=None,
        choices=list(PROFILES),
        help=f"how many requests to generate (env {ENV_PROFILE}; default {DEFAULT_PROFILE})",
    )
    group.addoption(
        "--chat-seed",
        type=int,
        default=None,
        help=f"seed of the generated requests, to replay a run (env {ENV_SEED}; default random)",
    )
    group.addoption(
        "--chat-max-requests",
        type=int,
        default=None,
        help="most generated requests in the run, shrinking included "
        f"(env {ENV_MAX_REQUESTS}; default: the profile's)",
    )
    group.addoption(
        "--chat-gen-max-tokens",
        type=int,
        default=None,
        help="max_tokens of generated valid requests is set and at most this; 0: as the schema "
        f"allows (env {ENV_GEN_MAX_TOKENS}; default {DEFAULT_GEN_MAX_TOKENS})",
    )
    group.addoption(
        "--chat-gen-max-prompt-tokens",
        type=int,
        default=None,
        help="generated prompts hold at most this many tokens, counted as UTF-8 bytes; 0: no "
        f"bound (env {ENV_GEN_MAX_PROMPT_TOKENS}; default {DEFAULT_GEN_MAX_PROMPT_TOKENS})",
    )
    group.addoption(
        "--chat-hypothesis-dir",
        default=None,
        metavar="DIR|none",
        help="Hypothesis's directory: example database and caches; none: no database "
        f"(env {ENV_HYPOTHESIS_DIR}; default ~/.cache/chat-conformance/hypothesis)",
    )


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


def _env_int(name: str) -> int | None:
    value = os.environ.get(name, "").strip()
    return int(value) if value.lstrip("-").isdigit() else None


def generation_from_pytest(config) -> GenerationSettings:
    option = config.option
    name = option.chat_profile or os.environ.get(ENV_PROFILE, "").strip() or DEFAULT_PROFILE
    if name not in PROFILES:
        raise ValueError(f"unknown profile {name!r}; choose one of {', '.join(PROFILES)}")
    profile = PROFILES[name]
    option.chat_profile = name  # written back, like the seed, for the reports
    seed = option.chat_seed if option.chat_seed is not None else _env_int(ENV_SEED)
    if seed is None:
        seed = option.chat_seed = secrets.randbelow(2**32)  # once per run: every reader agrees
    max_requests = option.chat_max_requests
    if max_requests is None:
        max_requests = _env_int(ENV_MAX_REQUESTS)
    max_tokens = option.chat_gen_max_tokens
    if max_tokens is None:
        max_tokens = _env_int(ENV_GEN_MAX_TOKENS)
    if max_tokens is None:
        max_tokens = DEFAULT_GEN_MAX_TOKENS
    max_prompt = option.chat_gen_max_prompt_tokens
    if max_prompt is None:
        max_prompt = _env_int(ENV_GEN_MAX_PROMPT_TOKENS)
    if max_prompt is None:
        max_prompt = DEFAULT_GEN_MAX_PROMPT_TOKENS
    directory = option.chat_hypothesis_dir or os.environ.get(ENV_HYPOTHESIS_DIR, "").strip()
    return GenerationSettings(
        profile=profile,
        seed=seed,
        max_requests=profile.max_requests if max_requests is None else max(0, max_requests),
        max_tokens=max_tokens if max_tokens > 0 else None,
        max_prompt_tokens=max_prompt if max_prompt > 0 else None,
        hypothesis_dir=_directory(directory),
    )


def _directory(value: str) -> Path | None:
    if value.lower() == "none":
        return None
    return Path(value).expanduser() if value else default_hypothesis_dir()

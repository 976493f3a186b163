"""Durations as people write them: ``90``, ``90s``, ``1500ms``, ``0.3``; one parser for the
command line and the config file (standard library only: the CLI imports it for ``--help``)."""

from __future__ import annotations

import re

_DURATION = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|s)?\s*")
EXAMPLES = "e.g. 300ms, 1.5s, 2"


def parse_duration(text: str) -> float:
    """Seconds from ``300ms``, ``0.3s`` or a bare ``0.3`` (seconds); ValueError otherwise."""
    match = _DURATION.fullmatch(text)
    if match is None:
        raise ValueError(f"not a duration: {text!r} ({EXAMPLES})")
    return float(match[1]) / (1000.0 if match[2] == "ms" else 1.0)

"""Reading a user's TOML file (config file, baseline) with one-line errors instead of tracebacks."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any


def read_toml(path: Path, error: type[Exception], what: str = "") -> dict[str, Any]:
    """The parsed file; an unreadable or invalid one raises ``error`` with a one-line message
    (``what`` names the file's role, e.g. "the baseline ")."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as problem:
        raise error(f"cannot read {what}{path}: {problem.strerror}") from None
    except tomllib.TOMLDecodeError as problem:
        raise error(f"{path} is not valid TOML: {problem}") from None

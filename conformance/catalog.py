"""The requirement catalog: every rule the suite checks, with a stable ID, a level and its source.

The catalog is data (``requirements.toml``) so that reports, docs and self-tests read the same list.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

Level = Literal["MUST", "SHOULD"]

AREAS: dict[str, str] = {
    "AUTH": "Authentication",
    "REQ": "Request validation",
    "RESP": "Non-streaming response",
    "PARAM": "Parameters",
    "STREAM": "Streaming chunks",
    "SSE": "Event-stream framing",
    "ERR": "Error bodies",
    "GEN": "Generated requests",
}


@dataclass(frozen=True)
class Requirement:
    id: str
    level: Level
    title: str
    statement: str
    source: str
    aliases: tuple[str, ...] = ()

    @property
    def area(self) -> str:
        return self.id.split("-", 1)[0]


@dataclass(frozen=True)
class Catalog:
    version: str
    requirements: tuple[Requirement, ...]

    def __iter__(self):
        return iter(self.requirements)

    def __len__(self) -> int:
        return len(self.requirements)

    def __contains__(self, requirement_id: object) -> bool:
        return requirement_id in self._by_id()

    def get(self, requirement_id: str) -> Requirement:
        """Look a requirement up by ID or by one of its old aliases."""
        try:
            return self._by_id()[requirement_id]
        except KeyError:
            raise KeyError(f"unknown requirement ID {requirement_id!r}") from None

    def select(self, patterns: list[str] | tuple[str, ...]) -> set[str]:
        """IDs matching areas (``STREAM``) or IDs (``SSE-002``), case-insensitive."""
        chosen: set[str] = set()
        for pattern in patterns:
            wanted = pattern.strip().upper()
            matched = {
                r.id for r in self.requirements if wanted in (r.area, r.id) or wanted in r.aliases
            }
            if not matched:
                raise KeyError(f"{pattern!r} names no requirement or area")
            chosen |= matched
        return chosen

    @cache  # noqa: B019 - the catalog is immutable and lives for the process
    def _by_id(self) -> dict[str, Requirement]:
        index = {r.id: r for r in self.requirements}
        for r in self.requirements:
            index.update(dict.fromkeys(r.aliases, r))
        return index


def parse_catalog(text: str) -> Catalog:
    data = tomllib.loads(text)
    requirements = []
    for entry in data["requirement"]:
        level = entry["level"]
        if level not in ("MUST", "SHOULD"):
            raise ValueError(f"{entry['id']}: level must be MUST or SHOULD, not {level!r}")
        requirements.append(
            Requirement(
                id=entry["id"],
                level=level,
                title=entry["title"],
                statement=entry["statement"],
                source=entry["source"],
                aliases=tuple(entry.get("aliases", ())),
            )
        )
    return Catalog(version=str(data["catalog_version"]), requirements=tuple(requirements))


@cache
def load_catalog() -> Catalog:
    """The catalog shipped inside the package."""
    text = resources.files("conformance").joinpath("requirements.toml").read_text("utf-8")
    return parse_catalog(text)

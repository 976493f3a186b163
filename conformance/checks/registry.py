"""Which check proves which requirement: the one table from the catalog to the suite.

A check is registered where it is written, with the requirement it proves and when it applies:

    @check("STREAM-005", probes=STREAMS, applies=streamed)
    def first_delta_has_role(exchange): ...

- ``probes``: the fixed probes the suite judges with it, each on its own (``together``: all in
  one call, for a rule across exchanges such as unique ids). The suite's test for the
  requirement is built from this (``conformance/suite/by_requirement.py``).
- ``applies``: the generated requests it judges too (GEN-001, GEN-005), by their body; ``also``
  names further requirements a generated verdict stands for (one stop check for three).
- ``on_refusals``: it judges refused generated requests too (GEN-004).
- ``kind="property"``: a GEN property's judge; its suite test is written by hand
  (``conformance/suite/test_generated.py``), because a property draws its own requests.

Grep a requirement ID and its whole path shows: the catalog entry, this decorator on the check,
the suite test (its id is the requirement ID), the report cell. ``tests/test_registry.py``
requires every catalog ID to have a check and every check a catalog ID.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

Applies = Callable[[Any], bool]
Kind = Literal["exchange", "property"]

CHECK_MODULES = ("auth", "validation", "response", "parameters", "stream", "sse", "errors")
PROPERTY_MODULES = ("generated",)


def any_request(body: Any) -> bool:
    return True


def streamed(body: Any) -> bool:
    return isinstance(body, dict) and body.get("stream") is True


def not_streamed(body: Any) -> bool:
    return isinstance(body, dict) and body.get("stream") is not True


def stop_given(body: Any) -> bool:
    return isinstance(body, dict) and bool(body.get("stop"))


def max_tokens_given(body: Any) -> bool:
    return isinstance(body, dict) and "max_tokens" in body


@dataclass(frozen=True)
class RegisteredCheck:
    """A check, the requirement it proves, and what it judges."""

    requirement: str
    function: Callable[..., Any]
    probes: tuple[str, ...] = ()
    together: bool = False
    applies: Applies | None = None
    also: tuple[str, ...] = ()
    on_refusals: bool = False
    kind: Kind = "exchange"

    @property
    def area(self) -> str:
        return self.requirement.rsplit("-", 1)[0]

    @property
    def label(self) -> str:
        return "/".join((self.requirement, *self.also))

    @property
    def name(self) -> str:
        return f"{self.label} ({self.function.__name__})"

    @property
    def level(self) -> str:
        from conformance.catalog import load_catalog

        return load_catalog().get(self.requirement).level


_REGISTRY: list[RegisteredCheck] = []


def check(
    requirement: str,
    *,
    probes: tuple[str, ...] = (),
    together: bool = False,
    applies: Applies | None = None,
    also: tuple[str, ...] = (),
    on_refusals: bool = False,
    kind: Kind = "exchange",
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the decorated function as a check of ``requirement`` (decorators stack)."""

    def register(function: Callable[..., Any]) -> Callable[..., Any]:
        entry = RegisteredCheck(
            requirement, function, tuple(probes), together, applies, also, on_refusals, kind
        )
        _REGISTRY.append(entry)
        return function

    return register


def registered() -> tuple[RegisteredCheck, ...]:
    """Every registered check, in catalog order (registration order within a requirement)."""
    for module in CHECK_MODULES + PROPERTY_MODULES:
        importlib.import_module(f"conformance.checks.{module}")
    from conformance.catalog import load_catalog

    order = {r.id: index for index, r in enumerate(load_catalog().requirements)}
    return tuple(sorted(_REGISTRY, key=lambda c: order.get(c.requirement, len(order))))


def suite_checks(area: str) -> tuple[RegisteredCheck, ...]:
    """The checks of an area that judge fixed probes: one suite test each."""
    return tuple(c for c in registered() if c.area == area and c.probes)


def served_checks() -> tuple[RegisteredCheck, ...]:
    """The checks that judge generated served exchanges (GEN-001, GEN-005)."""
    return tuple(c for c in registered() if c.applies is not None)


def refusal_checks() -> tuple[RegisteredCheck, ...]:
    """The checks that judge refused generated exchanges (GEN-004)."""
    return tuple(c for c in registered() if c.on_refusals)

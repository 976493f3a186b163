"""The fault registry: each fault names the catalog requirements it breaks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..behaviour import Behaviour


@dataclass(frozen=True)
class Fault:
    """A deliberate departure from the contract, as some real gateway makes it.

    `behaviour` is a Behaviour subclass overriding the few steps that break `targets`; everything
    else stays conforming, so a checker that flags any other requirement is itself wrong.
    """

    name: str
    targets: tuple[str, ...]
    description: str
    behaviour: type[Behaviour]


FAULTS: dict[str, Fault] = {}


def fault(
    name: str, *targets: str, description: str
) -> Callable[[type[Behaviour]], type[Behaviour]]:
    """Register the decorated Behaviour subclass as the fault `name`."""

    def register(cls: type[Behaviour]) -> type[Behaviour]:
        if name in FAULTS:
            raise ValueError(f"fault {name!r} is defined twice")
        FAULTS[name] = Fault(name, targets, description, cls)
        return cls

    return register

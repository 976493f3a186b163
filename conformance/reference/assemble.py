"""Combine the faults and variations a config names into one behaviour class."""

from __future__ import annotations

from .behaviour import Behaviour
from .config import ServerConfig
from .faults import FAULTS
from .variations import VARIATIONS, expand_variations


def behaviour_class(
    faults: tuple[str, ...] = (), variations: tuple[str, ...] = ()
) -> type[Behaviour]:
    """Faults come first in the method resolution order, so each one breaks the final result,
    after every variation has shaped it; the conforming Behaviour sits at the bottom."""
    unknown = [name for name in faults if name not in FAULTS]
    unknown += [name for name in variations if name not in VARIATIONS]
    if unknown:
        raise ValueError(f"unknown fault or variation: {', '.join(unknown)}")
    mixins = [FAULTS[name].behaviour for name in dict.fromkeys(faults)]
    mixins += [VARIATIONS[name].behaviour for name in expand_variations(variations)]
    if not mixins:
        return Behaviour
    name = "+".join([*faults, *variations])
    return type(f"Behaviour[{name}]", (*mixins, Behaviour), {})


def build_behaviour(config: ServerConfig) -> Behaviour:
    return behaviour_class(config.faults, config.variations)(config)

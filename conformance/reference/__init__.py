"""The embedded reference server: a small, deterministic, fully conforming implementation.

It echoes the last message back, so every answer is predictable. Switches make it break exactly
one documented rule (`FAULTS`) or behave legally but unusually (`VARIATIONS`):

    with running_server(ServerConfig(faults=("no-done",), variations=("split-writes",))) as server:
        httpx.post(f"{server.base_url}/chat/completions", ...)
"""

from .app import ReferenceApp
from .assemble import behaviour_class, build_behaviour
from .behaviour import Behaviour
from .config import DEFAULT_API_KEY, ServerConfig
from .faults import FAULTS, Fault, fault
from .runner import RunningServer, running_server, serve
from .variations import VARIATIONS, Variation

__all__ = [
    "DEFAULT_API_KEY",
    "FAULTS",
    "VARIATIONS",
    "Behaviour",
    "Fault",
    "ReferenceApp",
    "RunningServer",
    "ServerConfig",
    "Variation",
    "behaviour_class",
    "build_behaviour",
    "fault",
    "running_server",
    "serve",
]

"""How a reference server instance is set up: its key, its deliberate faults and variations."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_API_KEY = "sk-reference-key"


@dataclass(frozen=True)
class ServerConfig:
    """Everything that changes what the reference server sends.

    `auth_header` is where the key is read: `Bearer <key>` in Authorization, else the bare key.
    `faults` break exactly one documented rule each; `variations` are legal but unusual. Both are
    names from `FAULTS` and `VARIATIONS`. `latency` is slept before every response starts,
    `token_interval` between stream events; `seed` drives every pseudo-random choice (such as
    where `split-writes` cuts the byte stream), so a run can be replayed byte for byte.
    """

    api_key: str = DEFAULT_API_KEY
    auth_header: str = "Authorization"  # any other header (Azure's api-key) holds the bare key
    faults: tuple[str, ...] = ()
    variations: tuple[str, ...] = ()
    latency: float = 0.0
    token_interval: float = 0.0
    seed: int = 0
    max_body_bytes: int = 1024 * 1024

    def __post_init__(self) -> None:
        # Tolerate a list from a caller or a CLI parser; the dataclass stays hashable.
        object.__setattr__(self, "faults", tuple(self.faults))
        object.__setattr__(self, "variations", tuple(self.variations))
        if self.latency < 0 or self.token_interval < 0:
            raise ValueError("latency and token_interval must not be negative")

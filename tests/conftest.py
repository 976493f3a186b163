"""Shared by the self-tests."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _keep_the_environment() -> Iterator[None]:
    """``chat-conformance run`` hands the URL and key to pytest through the environment; a test
    that calls ``main`` in-process must not leave them to the tests after it."""
    saved = {k: v for k, v in os.environ.items() if k.startswith("CHAT_CONFORMANCE_")}
    yield
    for name in [k for k in os.environ if k.startswith("CHAT_CONFORMANCE_")]:
        del os.environ[name]
    os.environ.update(saved)

"""Every test here runs the suite against a real third-party server: mark them all, so that
``-m "not real_servers"`` leaves them out and ``-m real_servers`` picks only them."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(item.path).parents:
            item.add_marker(pytest.mark.real_servers)

"""Which suite test proves which requirement, read from the markers without running anything."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import conformance.suite


def suite_tests() -> list[tuple[str, str]]:
    """(module.test_name, requirement ID) for every test function of the suite."""
    found = []
    for module_info in pkgutil.iter_modules(conformance.suite.__path__):
        if not module_info.name.startswith("test_"):
            continue
        module = importlib.import_module(f"conformance.suite.{module_info.name}")
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if not name.startswith("test_"):
                continue
            for mark in getattr(function, "pytestmark", []):
                if mark.name == "requirement":
                    found.append((f"{module_info.name}.{name}", mark.args[0]))
                if mark.name == "parametrize":  # tests built from the registry
                    for case in mark.args[1]:
                        found += [
                            (f"{module_info.name}.{name}[{case.id}]", m.args[0])
                            for m in getattr(case, "marks", ())
                            if m.name == "requirement"
                        ]
    return found

"""PARAM: max_tokens, stop and stream do what the Body Parameters say.

The checks, and the probes each judges, are registered in conformance/checks/parameters.py
(``@check("PARAM-...", probes=...)``); one test per requirement is built from them.
"""

from conformance.suite.by_requirement import area_tests

test_param = area_tests("PARAM")

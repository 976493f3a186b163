"""RESP: the non-streaming completion (Response, Response Fields).

The checks, and the probes each judges, are registered in conformance/checks/response.py
(``@check("RESP-...", probes=...)``); one test per requirement is built from them.
"""

from conformance.suite.by_requirement import area_tests

test_resp = area_tests("RESP")

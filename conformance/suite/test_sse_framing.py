"""SSE: the event-stream framing, parsed by the WHATWG rules clients apply.

The checks, and the probes each judges, are registered in conformance/checks/sse.py
(``@check("SSE-...", probes=...)``); one test per requirement is built from them.
"""

from conformance.suite.by_requirement import area_tests

test_sse = area_tests("SSE")

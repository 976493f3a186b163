"""REQ: a request that breaks the documented body format is refused with a 4xx.

Each probe is one rule away from a valid request (see conformance.probes), so a refusal can only
be for that rule, and a 2xx or 5xx shows the rule is not enforced.

The checks, and the probes each judges, are registered in conformance/checks/validation.py
(``@check("REQ-...", probes=...)``); one test per requirement is built from them.
"""

from conformance.suite.by_requirement import area_tests

test_req = area_tests("REQ")

"""AUTH: 'Authorization | Yes | Bearer your_api_key'.

The checks, and the probes each judges, are registered in conformance/checks/auth.py
(``@check("AUTH-...", probes=...)``); one test per requirement is built from them.
"""

from conformance.suite.by_requirement import area_tests

test_auth = area_tests("AUTH")

"""ERR: the OpenAI-style error body (a convention: the documentation does not describe errors).

Judged on every refused request of the auth and request-validation probes.

The checks, and the probes each judges, are registered in conformance/checks/errors.py
(``@check("ERR-...", probes=...)``); one test per requirement is built from them.
"""

from conformance.suite.by_requirement import area_tests

test_err = area_tests("ERR")

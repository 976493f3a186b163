"""STREAM: the chunks of a streamed completion (Streaming, Streaming Response).

Every structural check runs over all three streaming probes: a plain stream, one ended by a stop
sequence, one cut by max_tokens.

The checks, and the probes each judges, are registered in conformance/checks/stream.py
(``@check("STREAM-...", probes=...)``); one test per requirement is built from them.
"""

from conformance.suite.by_requirement import area_tests

test_stream = area_tests("STREAM")

"""The conformance suite users run: one module per catalog area, each test one requirement.

Run it with ``chat-conformance run`` or ``pytest --pyargs conformance.suite --base-url URL``.
"""

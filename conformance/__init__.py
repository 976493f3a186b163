"""chat-conformance: prove, rule by rule, that a chat-completions API is OpenAI-compatible.

The pieces, in the order a request flows through them::

    catalog      requirements: id, level, statement, source passage (requirements.toml)
    schemas      the contract's JSON Schemas (schemas/*.json)
    probes       the named requests the suite sends
    strategies   requests generated from the request schema: valid, one rule away (Hypothesis)
    generated/   generated requests: the engine (sent, shrunk) and the GEN properties;
                 profiles: how many
    records      frozen records: request, exchange, finished SSE transcript (no network code)
    redaction    secrets out of records and text
    exchange     bounded HTTP exchanges: limits, retries, the runner (the only sender)
    sse          the WHATWG event-stream parser
    checks/      pure check functions, one module per area
    suite/       the pytest modules users run, one per area
    plugin       pytest options, markers, verdicts and report hooks
    report/      verdicts; JSON, HTML and terminal reports; baseline, merge, compare
    config_file  named targets in chat-conformance.toml
    reference/   the embedded reference server, its faults and legal variations
    cli          ``chat-conformance run`` / ``serve`` / ``merge`` / ``compare`` / ``baseline``

Kept free of imports so that ``chat-conformance --help`` starts fast.
"""

__version__ = "0.1.0"

"""Generated requests: the GEN half of a run.

    engine       draws examples with Hypothesis, sends them through the ExchangeRunner within
                 the request budget, keeps failing ones in the example database, shrinks a
                 failure to a minimal request
    properties   GEN-001 to GEN-005: what each requirement draws, and which checks judge it

What is drawn comes from ``conformance.strategies``; what judges an exchange from
``conformance.checks.generated``; how a failure is shown from ``conformance.report.reproduction``.
"""

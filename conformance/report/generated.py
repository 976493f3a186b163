"""The generated half of a run, for people reading a terminal or a CI log."""

from __future__ import annotations

from conformance.report.shape import GenerationSummary


def generation_lines(summary: GenerationSummary) -> list[str]:
    """The seed and the budget (so a run can be replayed), each property's notes (what it left
    out and why, refusals for context length), then each failing property's minimal request as
    a curl command, with the response that broke the rule."""
    seed = summary["seed"]
    reached = " (budget reached: some examples were not sent)" if summary["budget_reached"] else ""
    lines = [
        f"generated requests: profile {summary['profile']}, seed {seed} "
        f"(--seed {seed} replays them), {summary['requests_sent']} sent of at most "
        f"{summary['max_requests']}{reached}"
    ]
    for result in summary["properties"]:
        lines += [f"{result['property']}: {note}" for note in result.get("notes", [])]
        if not result["failed"]:
            continue
        shrunk = "minimal request" if result["minimal"] else "failing request (not shrunk)"
        lines.append(f"{result['property']}: {shrunk}:")
        lines += ["  " + line for line in result["request"].splitlines()]
        lines += ["  " + line for line in result["response"].splitlines()]
    return lines

"""Reports of a run: requirement verdicts, the JSON report and the terminal summary."""

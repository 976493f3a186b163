"""``chat-conformance merge | compare | baseline | badge``: work on JSON reports after the runs.

Exit codes follow ``run``: 0 the (merged) gate passes, 1 it does not, 2 the command could not
do its work (a file that is not a report, a bad path), with one line on stderr. Imports wait
until a command runs, so ``chat-conformance --help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_OK, EXIT_FAILED, EXIT_CANNOT_RUN = 0, 1, 2


class CommandError(Exception):
    """The command cannot do its work; the message is the one line the user sees."""


def add_commands(commands: argparse._SubParsersAction) -> None:
    merge = commands.add_parser(
        "merge",
        help="merge the JSON reports of sharded runs into one report and one verdict",
        description="Merge JSON reports (CI shards: by model, target or area) into one JSON "
        "and HTML report. Exits 0 when the merged gate passes, 1 when not. A directory stands "
        "for every *.json below it.",
    )
    merge.add_argument("reports", nargs="+", metavar="REPORT", help="JSON reports or directories")
    merge.add_argument(
        "-o", "--output", default="reports/report.json", help="merged JSON (default: %(default)s)"
    )
    merge.add_argument("--html", metavar="PATH", help="HTML report (default: OUTPUT with .html)")
    merge.add_argument(
        "--strict", action="store_true", help="SHOULD decides too (default: as the shards ran)"
    )

    compare = commands.add_parser(
        "compare",
        help="render several JSON reports as one matrix and show what changed",
        description="Compare JSON reports (providers, or releases of one gateway). The first "
        "is the reference: cells of the others are marked newly failing or newly passing.",
    )
    compare.add_argument("reports", nargs="+", metavar="REPORT", help="two or more JSON reports")
    compare.add_argument(
        "-o", "--output", default="reports/compare.html", help="HTML (default: %(default)s)"
    )
    compare.add_argument(
        "--label", action="append", help="a name per report, in order (default: its target)"
    )
    compare.add_argument(
        "--fail-on-new-failures",
        action="store_true",
        help="exit 1 when a report fails what the reference passed",
    )

    baseline = commands.add_parser(
        "baseline",
        help="write a known-failures file from the failures of a JSON report",
        description="Start a baseline: every failing (requirement, model) of the report becomes "
        "a known failure; edit the reasons, commit the file, run with --baseline.",
    )
    baseline.add_argument("report", metavar="REPORT", help="a JSON report")
    baseline.add_argument("-o", "--output", metavar="PATH", help="default: standard output")

    from conformance.report.badge import DEFAULT_LABEL, FORMATS  # small: no heavy imports

    badge = commands.add_parser(
        "badge",
        help="draw a README badge (SVG, or shields.io endpoint JSON) from a JSON report",
        description="Write a badge with the report's verdict and MUST passed/total: a static "
        "SVG, or with --format shields the JSON a shields.io endpoint badge reads. Exits 0 "
        "whatever the verdict.",
    )
    badge.add_argument("report", metavar="REPORT", help="a JSON report (a merged one too)")
    badge.add_argument("-o", "--output", metavar="PATH", help="default: standard output")
    badge.add_argument("--format", choices=FORMATS, default=FORMATS[0], help="default: svg")
    badge.add_argument(
        "--label", default=DEFAULT_LABEL, help="the left side (default: %(default)s)"
    )


def run_command(arguments: argparse.Namespace) -> int:
    from conformance.report.baseline import BaselineError
    from conformance.report.json_report import ReportError

    try:
        if arguments.command == "merge":
            return merge_command(arguments)
        if arguments.command == "compare":
            return compare_command(arguments)
        if arguments.command == "badge":
            return badge_command(arguments)
        return baseline_command(arguments)
    except (CommandError, ReportError, BaselineError) as problem:
        print(f"chat-conformance: error: {problem}", file=sys.stderr)
        return EXIT_CANNOT_RUN


def report_paths(given: list[str]) -> list[Path]:
    paths: list[Path] = []
    for name in given:
        path = Path(name)
        if path.is_dir():
            found = sorted(path.rglob("*.json"))
            if not found:
                raise CommandError(f"no *.json report in {path}")
            paths += found
        elif path.is_file():
            paths.append(path)
        else:
            raise CommandError(f"no such file: {path}")
    return list(dict.fromkeys(paths))


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def merge_command(arguments: argparse.Namespace) -> int:
    from conformance.catalog import load_catalog
    from conformance.report.html import plural, report_page
    from conformance.report.json_report import load_report, write_report
    from conformance.report.merge import merge_reports
    from conformance.report.terminal import plain, summary_lines

    output = Path(arguments.output)
    paths = [p for p in report_paths(arguments.reports) if p.resolve() != output.resolve()]
    reports = [load_report(path) for path in paths]
    merged = merge_reports(reports, load_catalog(), strict=True if arguments.strict else None)
    write_report(merged, output)
    html_path = Path(arguments.html) if arguments.html else output.with_suffix(".html")
    _write(html_path, report_page(merged, "merged report"))
    print(f"merged {plural(len(reports), 'report')}: {output}, {html_path}")
    print(plain(summary_lines(merged)))
    if merged.get("complete") is False:
        print("chat-conformance: error: a shard was throttled; no verdict", file=sys.stderr)
        return EXIT_CANNOT_RUN
    return EXIT_OK if merged.get("gate_passed") else EXIT_FAILED


def compare_command(arguments: argparse.Namespace) -> int:
    from conformance.catalog import load_catalog
    from conformance.report.compare import NEWLY_FAILING, compare, render_comparison
    from conformance.report.compare import terminal_lines as comparison_lines
    from conformance.report.json_report import load_report

    paths = report_paths(arguments.reports)
    if len(paths) < 2:
        raise CommandError("compare needs at least two JSON reports")
    if arguments.label and len(arguments.label) > len(paths):
        raise CommandError(f"{len(arguments.label)} labels for {len(paths)} reports")
    reports = [load_report(path) for path in paths]
    stems = [p.stem for p in paths]  # file names tell apart two reports of one target
    names = [p.stem if stems.count(p.stem) == 1 else f"{p.parent.name}/{p.stem}" for p in paths]
    comparison = compare(reports, load_catalog(), arguments.label, names)
    output = Path(arguments.output)
    _write(output, render_comparison(comparison))
    print("\n".join(comparison_lines(comparison)))
    print(f"comparison written to {output}")
    regressed = bool(comparison.of_kind(NEWLY_FAILING))
    return EXIT_FAILED if arguments.fail_on_new_failures and regressed else EXIT_OK


def baseline_command(arguments: argparse.Namespace) -> int:
    from conformance.catalog import load_catalog
    from conformance.report.baseline import baseline_toml, entries_from_report
    from conformance.report.html import plural
    from conformance.report.json_report import load_report, run_label

    report = load_report(arguments.report)
    entries = entries_from_report(report, load_catalog())
    header = (
        f"Written by chat-conformance baseline from {arguments.report}\n"
        f"(target {run_label(report)}, started {report.get('started_at', '?')}).\n"
        "Replace each reason with why the failure is accepted (a ticket, a decision)."
    )
    text = baseline_toml(entries, header)
    if arguments.output:
        _write(Path(arguments.output), text)
        written = plural(len(entries), "known failure")
        print(f"{written} written to {arguments.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def badge_command(arguments: argparse.Namespace) -> int:
    from conformance.report.badge import render
    from conformance.report.json_report import load_report

    text = render(load_report(arguments.report), arguments.format, arguments.label)
    if arguments.output:
        path = Path(arguments.output)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))  # the same bytes on every platform
        print(f"{arguments.format} badge written to {path}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK

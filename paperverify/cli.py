"""The `paperverify` command.

  paperverify report [--out DIR] [--format md,html,csv,json] [--framework keras|torch|all] [--paper ID]
                     [--tables DIR ...]
  paperverify tables [--tables DIR ...] [--check DIR]

Exit codes: 0 everything matches (or is a recorded erratum), 1 a mismatch or an error, 2 a usage or
table-data error.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from paperverify.registry import FRAMEWORKS
from paperverify.tables import TableValidationError, check_paper, default_roots, load_claims, paper_folders


def _roots(extra: Sequence[str] | None) -> list[Path]:
    return [*default_roots(), *(Path(folder) for folder in extra or [])]


def report(args: argparse.Namespace) -> int:
    from paperverify import report as reports
    from paperverify.runner import run

    frameworks = list(FRAMEWORKS) if args.framework == "all" else [args.framework]
    formats = [name.strip() for name in args.format.split(",") if name.strip()]
    unknown = sorted(set(formats) - set(reports.FORMATS))
    if unknown:
        print(f"paperverify: unknown formats {unknown}; expected some of {list(reports.FORMATS)}", file=sys.stderr)
        return 2
    claims = load_claims(_roots(args.tables))
    if args.paper:
        missing = sorted(set(args.paper) - {claim.source.paper for claim in claims})
        if missing:
            print(f"paperverify: no claims for paper(s) {missing}", file=sys.stderr)
            return 2
        claims = [claim for claim in claims if claim.source.paper in args.paper]

    def progress(done: int, total: int, config: object, framework: str) -> None:
        print(f"[{done}/{total}] probing {config} with {framework}", file=sys.stderr, flush=True)

    verdicts = run(claims, frameworks, progress)
    document = reports.build([(claim, f) for claim in claims for f in frameworks], verdicts, frameworks)
    _print_terminal(document, frameworks)
    for path in reports.write(document, Path(args.out), formats):
        print(f"wrote {path}")
    return 1 if reports.failed(document) else 0


def _print_terminal(document: dict, frameworks: list[str]) -> None:
    """Every claim with its printed value, each framework's measured value, and the status."""
    by_claim: dict[str, dict[str, dict]] = {}
    for item in document["records"]:
        by_claim.setdefault(item["claim"], {})[item["framework"]] = item
    rows = []
    for claim_id, results in by_claim.items():
        statuses = {item["status"] for item in results.values()}
        status = next((s for s in ("error", "mismatch", "skipped", "erratum") if s in statuses), "match")
        first = next(iter(results.values()))
        cells = [results[f]["measured"] or results[f]["status"] if f in results else "" for f in frameworks]
        rows.append([claim_id, first["printed"], *cells, status])
        for framework, item in results.items():
            if item["status"] in ("mismatch", "error") and item["detail"]:
                rows.append(["", f"  {framework}: {item['detail']}", *[""] * len(frameworks), ""])
    _print_table(["claim", "paper", *frameworks, "status"], rows)
    summary = document["summary"]
    counts = ", ".join(f"{summary[s]} {s}" for s in ("match", "erratum", "mismatch", "error", "skipped"))
    print(f"\n{document['claims_loaded']} claims × {len(frameworks)} framework(s): {counts}")
    for item in document["divergences"]:
        print(
            f"first divergence: {item['paper']} {item['label']}, {item['variant']} [{item['framework']}]: "
            f"at {item['point']} expected {item['expected']}, found {item['measured']}"
        )
    for problem in document["problems"]:
        print(f"PROBLEM: {problem}")


def tables(args: argparse.Namespace) -> int:
    if args.check:
        _, problems = check_paper(Path(args.check))
        for problem in problems:
            print(problem)
        print(f"{args.check}: {len(problems)} problem(s)" if problems else f"{args.check}: OK")
        return 2 if problems else 0
    rows = []
    problems = []
    for folder in paper_folders(_roots(args.tables)):
        paper, found = check_paper(folder)
        problems.extend(found)
        if paper is None:
            continue
        counts = Counter(claim.source.table for claim in paper.claims)
        for table in paper.tables:
            rows.append([paper.id, table.get("id", "?"), table.get("label", "?"), str(counts[table.get("id")])])
    _print_table(["paper", "table", "label", "claims"], rows)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 2 if problems else 0


def _print_table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for index, row in enumerate([header, *rows]):
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
        if index == 0:
            print("  ".join("-" * width for width in widths))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `paperverify` console script."""
    parser = argparse.ArgumentParser(prog="paperverify", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    report_parser = commands.add_parser("report", help="check every claim and print paper vs measured values")
    report_parser.add_argument("--framework", choices=[*FRAMEWORKS, "all"], default="all")
    report_parser.add_argument("--out", default="report", help="folder for the report files (default: report)")
    report_parser.add_argument("--format", default="json,md,csv,html", help="comma-separated (default: all four)")
    report_parser.add_argument("--paper", action="append", help="only this paper id (repeatable)")
    report_parser.add_argument("--tables", action="append", help="an extra folder of reference tables")
    report_parser.set_defaults(func=report)
    tables_parser = commands.add_parser("tables", help="list papers, tables and claim counts")
    tables_parser.add_argument("--tables", action="append", help="an extra folder of reference tables")
    tables_parser.add_argument("--check", metavar="DIR", help="validate one paper folder and print every problem")
    tables_parser.set_defaults(func=tables)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except TableValidationError as err:
        print(f"paperverify: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

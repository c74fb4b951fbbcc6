"""The `paperverify` command.

  paperverify report [--framework keras|torch|all] [--paper ID] [--tables DIR ...]
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
    from paperverify.runner import run

    frameworks = list(FRAMEWORKS) if args.framework == "all" else [args.framework]
    claims = load_claims(_roots(args.tables))
    if args.paper:
        claims = [claim for claim in claims if claim.source.paper in args.paper]
        if not claims:
            print(f"paperverify: no claims for paper(s) {args.paper}", file=sys.stderr)
            return 2

    def progress(done: int, total: int, config: object, framework: str) -> None:
        print(f"[{done}/{total}] probing {config} with {framework}", file=sys.stderr, flush=True)

    verdicts = run(claims, frameworks, progress)
    by_claim: dict[str, dict[str, object]] = {}
    for verdict in verdicts:
        by_claim.setdefault(verdict.claim, {})[verdict.framework] = verdict
    header = ["claim", "paper", *frameworks, "status"]
    rows = []
    for claim in claims:
        results = by_claim[claim.id]
        statuses = {results[f].status for f in frameworks}
        status = "mismatch" if "mismatch" in statuses else "error" if "error" in statuses else statuses.pop()
        cells = [results[f].measured or results[f].status for f in frameworks]
        rows.append([claim.id, claim.printed, *cells, status])
        for framework in frameworks:
            verdict = results[framework]
            if verdict.status in ("mismatch", "error") and verdict.detail:
                rows.append(["", f"  {framework}: {verdict.detail}", *[""] * len(frameworks), ""])
    _print_table(header, rows)
    counts = Counter(verdict.status for verdict in verdicts)
    summary = ", ".join(f"{counts[status]} {status}" for status in ("match", "erratum", "mismatch", "error"))
    print(f"\n{len(claims)} claims × {len(frameworks)} framework(s): {summary}")
    return 1 if counts["mismatch"] or counts["error"] else 0


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

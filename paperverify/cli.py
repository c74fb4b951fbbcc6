"""The `paperverify` command: report, check, conformance, sanity, diff, tables, reference.

Every command and option: docs/cli.md, which `paperverify reference` prints from the parser below.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from paperverify import cache, frameworks, schema
from paperverify.check import CheckError
from paperverify.claims import TableValidationError
from paperverify.closeness import ATOL, RTOL
from paperverify.frameworks import NAMES
from paperverify.registry import FRAMEWORKS
from paperverify.report import ReportError
from paperverify.stagemap import StageMap, StageMapError
from paperverify.tables import check_paper, load_claims, paper_folders, with_shipped
from paperverify.thirdparty import ThirdPartyError


def _roots(extra: Sequence[str] | None) -> list[Path]:
    return with_shipped(extra or [])


def report(args: argparse.Namespace) -> int:
    from paperverify import report as reports
    from paperverify.runner import run
    from paperverify.sanity import coverage

    frameworks = list(FRAMEWORKS) if args.framework == "all" else [args.framework]
    formats = _formats(args.format)
    claims = load_claims(_roots(args.tables))
    if args.paper:
        missing = sorted(set(args.paper) - {claim.source.paper for claim in claims})
        if missing:
            print(f"paperverify: no claims for paper(s) {missing}", file=sys.stderr)
            return 2
        claims = [claim for claim in claims if claim.source.paper in args.paper]
    _writable(Path(args.out))

    with _progress("probing") as step:

        def probing(done: int, total: int, config: object, framework: str) -> None:
            step(done, total, f"{config} [{framework}]")

        verdicts = run(claims, frameworks, probing, jobs=args.jobs)
    document = reports.build([(claim, f) for claim in claims for f in frameworks], verdicts, frameworks)
    document["coverage"] = coverage(_roots(args.tables), {claim.source.paper for claim in claims})
    _print_terminal(document, frameworks, every=args.verbose)
    for path in reports.write(document, Path(args.out), formats):
        print(f"wrote {path}")
    return 1 if reports.failed(document) else 0


def check(args: argparse.Namespace) -> int:
    from paperverify import ahead
    from paperverify import report as reports
    from paperverify.check import hint_of, parse_kinds, verify
    from paperverify.stagemap import parse_entries
    from paperverify.stagemap import read as read_map
    from paperverify.targets import load_target, parse_kwargs
    from paperverify.thirdparty import known

    formats = _formats(args.format)
    if args.report:
        _writable(Path(args.report))
    if args.write_map and not Path(args.write_map).parent.is_dir():
        raise UsageError(f"cannot write the map into {args.write_map}: no such folder")
    stage_map = parse_entries(args.map or [])
    if args.map_file:
        stage_map = read_map(Path(args.map_file)).merged(stage_map)
    kwargs = parse_kwargs(args.kwarg or [])
    entry = known(args.target, args.paper, kwargs)
    if entry is not None:
        stage_map = entry.stage_map.merged(stage_map)
        print(
            f"{args.target} is a known {entry.source} model: using its stage map and "
            f"{len(entry.deviations)} recorded deviation(s) (paperverify/thirdparty/)",
            file=sys.stderr,
        )
    if args.equivalence:
        return _equivalence(args, kwargs, stage_map, entry.variant if entry else None)
    variant = args.variant or (entry.variant if entry else None)
    hint = hint_of(args.target)
    with ahead.probing(args.target, args.framework, args.paper, variant, args.tables or [], hint):
        verb = "reading" if ":" not in args.target and frameworks.reading(Path(args.target)) else "building"
        print(f"{verb} {args.target} without weights ...", file=sys.stderr, flush=True)
        model, framework, label = load_target(args.target, kwargs, args.framework)
        print(f"probing {label} ({framework}) against {args.paper} ...", file=sys.stderr, flush=True)
        same = entry is not None and parse_kwargs(entry.kwargs) == kwargs
        result = verify(
            model,
            paper=args.paper,
            variant=variant,
            stage_map=stage_map,
            input_size=args.input_size,
            tables=args.tables or [],
            deviations=entry.deviations if entry else (),
            name=args.target,
            config=parse_kwargs(args.config, "--config") if args.config else dict(entry.config) if same else None,
            invariants=entry.invariants if same else (),
            kinds=parse_kinds(args.kind or []),
        )
    print(f"{args.target} [{framework}] against {args.paper}, variant {result.variant}\n")
    if result.configuration:
        print(result.configuration, end="\n\n")
    if result.alignment is not None:
        print("\n".join(result.alignment.summary()), end="\n\n")
        if args.write_map:
            _write_map(Path(args.write_map), result.alignment.as_map())
    elif args.write_map:
        print(f"no map written to {args.write_map}: the model's names already give every point", file=sys.stderr)
    _print_terminal(result.report, [framework])
    if args.report:
        for path in reports.write(result.report, Path(args.report), formats):
            print(f"wrote {path}")
    return 0 if result.ok else 1


def _equivalence(args: argparse.Namespace, kwargs: dict, stage_map: StageMap, known_variant: str | None) -> int:
    """`check --equivalence`: build TARGET with its weights and compare it with our implementation."""
    from paperverify.check import hint_of, parse_kinds, select_claims
    from paperverify.equivalence import equivalence
    from paperverify.targets import load_target, parse_kwargs

    hint = hint_of(args.target)
    variant = (
        args.variant or known_variant or select_claims(args.paper, None, args.tables or [], hint)[0].config.variant
    )
    print(f"building {args.target} with weights ...", file=sys.stderr, flush=True)
    model, _, _ = load_target(args.target, kwargs, args.framework, weights=True)
    print(f"comparing it with our {variant} ...", file=sys.stderr, flush=True)
    options, kinds = parse_kwargs(args.option or []), parse_kinds(args.kind or [])
    try:
        result = equivalence(
            model,
            paper=args.paper,
            variant=variant,
            stage_map=stage_map,
            options=options,
            reference_framework=args.reference_framework,
            input_size=args.input_size,
            rtol=args.rtol,
            atol=args.atol,
            name=args.target,
            kinds=kinds,
        )
    except CheckError:
        raise
    except Exception as err:  # the model ran into a case the check does not handle: an error, not a verdict
        print(
            f"paperverify: the equivalence check of {args.target} failed ({type(err).__name__}: {err}); nothing was "
            "compared. This is a limit of paperverify, not a verdict on your model: please report it with the model",
            file=sys.stderr,
        )
        return 1
    print(result.describe())
    return 0 if result.equivalent else 1


def conformance(args: argparse.Namespace) -> int:
    from paperverify import report as reports
    from paperverify.thirdparty import run_conformance

    formats = _formats(args.format)
    _writable(Path(args.out or f"conformance/{args.source}"))

    with _progress("checking") as step:
        document = run_conformance(args.source, step)
    _print_terminal(document, document["frameworks"], every=args.verbose)
    for path in reports.write(document, Path(args.out or f"conformance/{args.source}"), formats):
        print(f"wrote {path}")
    return 1 if reports.failed(document) else 0


def _write_map(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as err:
        raise UsageError(f"cannot write the map into {path}: {err.strerror or err}") from err
    print(f"wrote {path}")


def _positive(text: str) -> int:
    """An argument that must be a whole number of at least 1 (an input side, a number of workers)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number. Received: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1. Received: {value}")
    return value


@contextlib.contextmanager
def _progress(what: str) -> Iterator[Callable[[int, int, str], None]]:
    """A progress bar on stderr for long work; `step(done, total, label)` says item `done` of `total` starts."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True)) as bar:
        task = bar.add_task(what, total=None)

        def step(done: int, total: int, label: str) -> None:
            bar.update(task, total=total, completed=done - 1, description=f"{what} {label}")

        try:
            yield step
        except BaseException:
            bar.live.transient = True  # an interrupted or failed run leaves no bar: its one line says what happened
            raise
        bar.update(task, completed=bar.tasks[task].total or 0, description=what)


def _writable(out: Path) -> None:
    """A report folder that cannot be written is a usage error before any work, not after the whole run."""
    from paperverify import report as reports

    try:
        reports.writable(out)
    except OSError as err:
        raise UsageError(f"cannot write the report into {out}: {err.strerror or err}") from err


def _cache_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help=f"neither read nor write the trace cache ({cache.DIRECTORY_VARIABLE}, default ~/.cache/paperverify)",
    )


def _formats(text: str) -> list[str]:
    from paperverify.report import FORMATS

    formats = [name.strip() for name in text.split(",") if name.strip()]
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise UsageError(f"unknown formats {unknown}; expected some of {list(FORMATS)}")
    return formats


class UsageError(ValueError):
    """A command-line option that cannot be used (exit code 2)."""


def _print_terminal(document: dict, frameworks: list[str], every: bool = True) -> None:
    """The claims with their printed value, each framework's measured value, and the status: every claim, or
    (`every` False, a whole catalogue) the matrix of passing claims per architecture and framework and only the
    claims that do not pass in some framework; then the summary, first divergences and problems."""
    from paperverify.compare import FAILING, PASSING, SUMMARY_ORDER

    by_claim: dict[str, dict[str, dict]] = {}
    for item in document["records"]:
        by_claim.setdefault(item["claim"], {})[item["framework"]] = item
    if not every:
        _print_matrix(document["matrix"], frameworks)
    rows: list[list[str] | str] = []
    for claim_id, results in by_claim.items():
        statuses = {item["status"] for item in results.values()}
        if not every and statuses <= set(PASSING):
            continue
        status = next((s for s in ("error", "mismatch", "skipped", "deviation", "erratum") if s in statuses), "match")
        first = next(iter(results.values()))
        cells = [results[f]["measured"] or results[f]["status"] if f in results else "" for f in frameworks]
        printed = " / ".join(first["printed"].splitlines())  # a box of stacked layers (Xception's Figure 5)
        rows.append([claim_id, printed, *cells, status])
        for framework, item in results.items():
            if item["status"] in (*FAILING, "deviation") and item["detail"]:
                rows.append(f"    {framework}: {item['detail']}")
    if rows or every:
        _print_table(["claim", "paper", *frameworks, "status"], rows)
    if not every:
        shown = "only the claims that do not pass are listed" if rows else "every claim passes"
        print(f"({shown}; -v lists every claim)")
    summary = document["summary"]
    counts = ", ".join(f"{summary[s]} {s}" for s in SUMMARY_ORDER if summary[s] or s != "deviation")
    print(f"\n{document['claims_loaded']} claims × {len(frameworks)} framework(s): {counts}")
    for item in document["divergences"]:
        print(
            f"first divergence: {item['paper']} {item['label']}, {item['variant']} [{item['framework']}]: "
            f"at {item['point']} expected {item['expected']}, found {item['measured']}"
        )
    for problem in document["problems"]:
        print(f"PROBLEM: {problem}")


def _print_matrix(matrix: list[dict], frameworks: list[str]) -> None:
    """Passing claims of the total, per architecture and framework."""
    cells = {(cell["architecture"], cell["framework"]): f"{cell['matched']}/{cell['total']}" for cell in matrix}
    architectures = sorted({architecture for architecture, _ in cells})
    rows = [[name, *(cells.get((name, framework), "-") for framework in frameworks)] for name in architectures]
    _print_table(["architecture", *frameworks], rows)
    print()


def sanity(args: argparse.Namespace) -> int:
    from paperverify.sanity import coverage, coverage_row, problems

    roots = [Path(folder) for folder in args.tables] if args.tables else None
    found = problems(roots, thirdparty=roots is None)
    for problem in found:
        print(problem)
    if not found:
        _print_table(["paper", "transcribed (claims)", "left out"], [coverage_row(item) for item in coverage(roots)])
    print(f"sanity: {len(found)} problem(s)" if found else "sanity: OK")
    return 2 if found else 0


def diff(args: argparse.Namespace) -> int:
    """What changed between two report.json files; exit 1 on a regression."""
    from paperverify import report as reports

    old, new = reports.load(args.old), reports.load(args.new)
    found = reports.diff(old, new)
    print(f"{args.old}: {len(old['records'])} checks; {args.new}: {len(new['records'])} checks")
    for title, changes in (
        ("regressions (failing now, not before)", found.regressions),
        ("fixed", found.fixed),
        ("added", found.added),
        ("removed", found.removed),
        ("other status changes", found.changed),
    ):
        print(f"{title}: {len(changes)}")
        for change in changes:
            print(f"  {change}")
    return 1 if found.regressions else 0


def tables(args: argparse.Namespace) -> int:
    if args.schema:
        print(schema.reference(), end="")
        return 0
    if args.status:
        from paperverify.sanity import status

        print(status(_roots(args.tables)), end="")
        return 0
    if args.check:
        _, problems = check_paper(Path(args.check))
        for problem in problems:
            print(problem)
        print(f"{args.check}: {len(problems)} problem(s)" if problems else f"{args.check}: OK")
        return 2 if problems else 0
    rows = []
    problems: list[object] = []
    seen: dict[str, Path] = {}
    for folder in paper_folders(_roots(args.tables)):
        paper, found = check_paper(folder)
        problems.extend(found)
        if paper is None:
            continue
        if paper.id in seen:  # as load_claims says it, so `tables` and `report` follow one rule
            problems.append(f"{folder / 'paper.toml'}: paper id {paper.id!r} is also used by {seen[paper.id]}")
            continue
        seen[paper.id] = folder
        counts = Counter(claim.source.table for claim in paper.claims)
        for table in paper.tables:
            rows.append([paper.id, table.get("id", "?"), table.get("label", "?"), str(counts[table.get("id")])])
        rows.extend([paper.id, "–", label, f"left out: {reason}"] for label, reason in paper.left_out.items())
    _print_table(["paper", "table", "label", "claims"], rows)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 2 if problems else 0


def _print_table(header: list[str], rows: Sequence[list[str] | str]) -> None:
    """Columns sized to the cells; a row given as a string (a detail line) is printed as it is."""
    cells = [header, *(row for row in rows if not isinstance(row, str))]
    widths = [max(len(str(row[i])) for row in cells) for i in range(len(header))]
    for index, row in enumerate([header, *rows]):
        if isinstance(row, str):
            print(row)
            continue
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
        if index == 0:
            print("  ".join("-" * width for width in widths))


#: What the exit status says, for every command (docs/cli.md).
EXIT_CODES = (
    (
        0,
        "everything matches (or is a recorded erratum or deviation; with --equivalence, the model computes what "
        "ours computes)",
    ),
    (1, "a mismatch or an error (with --equivalence, not equivalent; diff: a check fails that did not before)"),
    (2, "a usage or table-data error (a target that cannot be loaded, an unknown paper or variant, a broken table)"),
    (130, "interrupted; no report was written or replaced"),
)


def reference(parser: argparse.ArgumentParser) -> str:
    """The command-line reference in Markdown (docs/cli.md), read from `parser`: each command's arguments,
    what they mean, their choices and defaults."""
    lines = [
        "# Command-line reference",
        "",
        "Generated from `paperverify/cli.py` by `paperverify reference`; do not edit by hand. How to use `check`,",
        "with examples: [checking-your-model.md](checking-your-model.md).",
        "",
        "| Exit status | Meaning |",
        "|---|---|",
        *(f"| {code} | {meaning} |" for code, meaning in EXIT_CODES),
    ]
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {choice.dest: choice.help for choice in commands._choices_actions}
    for name, command in commands.choices.items():
        lines += ["", f"## `paperverify {name}`", "", command.description or helps[name]]
        arguments = [a for a in command._actions if not isinstance(a, argparse._HelpAction)]
        if arguments:
            lines += ["", "| Argument | Meaning |", "|---|---|"]
            lines += [f"| {_argument(action)} | {_meaning(action)} |" for action in arguments]
    return "\n".join(lines) + "\n"


def _argument(action: argparse.Action) -> str:
    if not action.option_strings:
        return f"`{action.dest.upper()}`"
    takes = action.nargs != 0
    metavar = action.metavar or (
        "{" + ",".join(map(str, action.choices)) + "}" if action.choices else action.dest.upper()
    )
    names = ", ".join(f"`{option}{' ' + metavar if takes else ''}`" for option in action.option_strings)
    return (
        names
        + (" (required)" if action.required else "")
        + (" (repeatable)" if isinstance(action, argparse._AppendAction) else "")
    )


def _meaning(action: argparse.Action) -> str:
    text = (action.help or "").replace("|", "\\|")
    if action.choices and not action.option_strings:
        text += f" ({', '.join(map(str, action.choices))})"
    if action.default not in (None, False, argparse.SUPPRESS) and "default" not in text:
        text += f" (default: {action.default})"
    return text


def parser() -> argparse.ArgumentParser:
    """The `paperverify` command line: every command, its arguments and what each does."""
    parser = argparse.ArgumentParser(prog="paperverify", description="hold implementations to their papers' tables")
    commands = parser.add_subparsers(dest="command", required=True)
    report_parser = commands.add_parser("report", help="check every claim and print paper vs measured values")
    report_parser.add_argument(
        "--framework", choices=[*FRAMEWORKS, "all"], default="all", help="check our implementations in this framework"
    )
    report_parser.add_argument("--out", default="report", help="folder for the report files (default: report)")
    report_parser.add_argument("--format", default="json,md,csv,html", help="comma-separated (default: all four)")
    report_parser.add_argument("--paper", action="append", help="only this paper id")
    report_parser.add_argument("--tables", action="append", help="an extra folder of reference tables")
    report_parser.add_argument(
        "-v", "--verbose", action="store_true", help="list every claim, not only those that do not pass"
    )
    report_parser.add_argument(
        "--jobs",
        type=_positive,
        help="worker processes that build and probe (default: one per core, or none when everything is cached)",
    )
    _cache_option(report_parser)
    report_parser.set_defaults(func=report)
    check_parser = commands.add_parser(
        "check",
        help="check your own model against a paper's tables",
        description="Build TARGET without weights and check it against every claim of a paper's tables for "
        "one variant; print the discrepancy table and the first divergence.",
    )
    check_parser.add_argument(
        "target",
        help="package.module:callable, path/to/file.py:callable, or a saved model (Keras: .keras, .h5; ONNX: .onnx)",
    )
    check_parser.add_argument("--paper", required=True, help="paper id, e.g. he2016_resnet (see `paperverify tables`)")
    check_parser.add_argument("--variant", help="the paper's variant, e.g. resnet50 (default: inferred from TARGET)")
    check_parser.add_argument(
        "--framework", choices=["auto", *NAMES], default="auto", help="the framework TARGET is written in"
    )
    check_parser.add_argument(
        "--input-size", type=_positive, help="input side for a PyTorch model (default: the paper's)"
    )
    check_parser.add_argument(
        "--map", action="append", metavar="PAPER_POINT=LAYER", help="line a paper point up with the model's layers"
    )
    check_parser.add_argument(
        "--map-file", metavar="FILE", help="a map file (TOML, as --write-map writes it); --map entries override it"
    )
    check_parser.add_argument(
        "--write-map",
        metavar="FILE",
        help="write the alignment used (model layer -> paper point) as a map file to edit and pass to --map-file",
    )
    check_parser.add_argument("--kwarg", action="append", metavar="K=V", help="keyword argument for the callable")
    check_parser.add_argument(
        "--config",
        action="append",
        metavar="K=V",
        help="check only the claims of this configuration (alpha=0.5, input_size=160; default: inferred from the "
        "model's parameters)",
    )
    check_parser.add_argument(
        "--kind",
        action="append",
        metavar="CLASS=KIND",
        help="the layer kind of one of the model's classes the probe cannot tell (qualified or bare class name), "
        "e.g. mypkg.blocks.Shuffle=channel_shuffle; kinds: docs/counting.md",
    )
    check_parser.add_argument("--report", metavar="DIR", help="also write the report files into DIR")
    check_parser.add_argument("--format", default="json,md,csv,html", help="formats for --report (default: all)")
    check_parser.add_argument("--tables", action="append", help="an extra folder of reference tables")
    check_parser.add_argument(
        "--equivalence",
        action="store_true",
        help="build TARGET with weights, copy them into our implementation of the variant, run both and compare "
        "every named point and layer; compare what every layer reads (the wiring)",
    )
    check_parser.add_argument(
        "--reference-framework", choices=FRAMEWORKS, help="our implementation's framework (default: TARGET's)"
    )
    check_parser.add_argument("--option", action="append", metavar="K=V", help="option for our builder (shortcut='A')")
    check_parser.add_argument(
        "--rtol",
        type=float,
        default=RTOL,
        help=f"with --equivalence: largest difference relative to the outputs' magnitude (default {RTOL:g})",
    )
    check_parser.add_argument(
        "--atol",
        type=float,
        default=ATOL,
        help=f"with --equivalence: absolute floor added to the bound, for outputs near zero (default {ATOL:g})",
    )
    _cache_option(check_parser)
    check_parser.set_defaults(func=check)
    conformance_parser = commands.add_parser(
        "conformance", help="check the third-party models whose papers have reference tables"
    )
    conformance_parser.add_argument(
        "source", choices=["keras-applications", "torchvision"], help="the library whose models are checked"
    )
    conformance_parser.add_argument("--out", help="folder for the report files (default: conformance/SOURCE)")
    conformance_parser.add_argument("--format", default="json,md,csv,html", help="comma-separated (default: all)")
    conformance_parser.add_argument(
        "-v", "--verbose", action="store_true", help="list every claim, not only those that do not pass"
    )
    conformance_parser.set_defaults(func=conformance)
    sanity_parser = commands.add_parser(
        "sanity", help="check the shipped tables and third-party lists as a whole (provenance, units, errata)"
    )
    sanity_parser.add_argument("--tables", action="append", help="check these table folders instead")
    sanity_parser.set_defaults(func=sanity)
    diff_parser = commands.add_parser(
        "diff", help="what changed between two report.json files (exit 1 when a check fails that did not before)"
    )
    diff_parser.add_argument("old", help="the earlier report.json")
    diff_parser.add_argument("new", help="the later report.json")
    diff_parser.set_defaults(func=diff)
    tables_parser = commands.add_parser("tables", help="list papers, tables and claim counts")
    tables_parser.add_argument("--tables", action="append", help="an extra folder of reference tables")
    tables_parser.add_argument("--check", metavar="DIR", help="validate one paper folder and print every problem")
    tables_parser.add_argument(
        "--schema", action="store_true", help="print the paper.toml reference (docs/paper-toml.md) and exit"
    )
    tables_parser.add_argument(
        "--status", action="store_true", help="print the status table of every paper (docs/status.md) and exit"
    )
    tables_parser.set_defaults(func=tables)
    reference_parser = commands.add_parser("reference", help="print this command-line reference (docs/cli.md)")
    reference_parser.set_defaults(func=lambda _: print(reference(parser), end="") or 0)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `paperverify` console script."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # before a target module imports TensorFlow
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    args = parser().parse_args(argv)
    try:
        with cache.disabled() if getattr(args, "no_cache", False) else contextlib.nullcontext():
            return args.func(args)
    except (TableValidationError, UsageError, CheckError, StageMapError, ThirdPartyError, ReportError) as err:
        print(f"paperverify: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("paperverify: interrupted; no report was written or replaced", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

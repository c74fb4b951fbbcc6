"""The discrepancy report: one JSON document (the source of truth) rendered to Markdown, CSV and HTML.

The schema of `report.json` (version `SCHEMA`; version 1 called a record's `offset` `deviation`), every key
with an example and what it means: docs/report.md, which tests/test_report.py keeps to the keys `build` writes.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from paperverify import __version__
from paperverify.claims import Claim
from paperverify.compare import FAILING, PASSING, SKIPPED, STATUSES, SUMMARY_ORDER, Verdict
from paperverify.sanity import coverage_row

if TYPE_CHECKING:
    import pandas

SCHEMA = 2
FORMATS = ("json", "md", "csv", "html")
#: Quantities whose claims describe a point along the network, in table order: where divergence is traced.
POINTWISE = ("output_shape", "input_shape", "structure", "stride")
CSV_FIELDS = (
    "claim", "framework", "status", "paper", "architecture", "arxiv", "table", "label", "page", "row", "column",
    "file", "quote", "quantity", "variant", "point", "config", "printed", "expected", "measured", "offset",
    "relative", "tolerance", "tolerance_reason", "erratum", "notes", "detail",
)  # fmt: skip


def record(claim: Claim, verdict: Verdict) -> dict[str, Any]:
    """One report record: the claim's citation and configuration with its verdict in one framework."""
    source = claim.source
    return {
        "claim": claim.id,
        "framework": verdict.framework,
        "status": verdict.status,
        "paper": source.paper,
        "architecture": source.architecture,
        "arxiv": source.arxiv,
        "table": source.table,
        "label": source.label,
        "page": source.page,
        "row": source.row,
        "column": source.column,
        "file": _relative_file(source.file, source.paper),
        "quote": source.quote,
        "quantity": claim.quantity,
        "variant": claim.config.variant,
        "point": claim.point,
        "config": str(claim.config),
        "printed": claim.printed,
        "expected": verdict.expected,
        "measured": verdict.measured,
        "offset": verdict.offset,
        "relative": verdict.relative,
        "tolerance": verdict.tolerance,
        "tolerance_reason": claim.tolerance_reason,
        "erratum": asdict(claim.erratum) if claim.erratum else None,
        "notes": list(claim.notes),
        "detail": verdict.detail,
    }


def build(
    checks: Sequence[tuple[Claim, str]],
    verdicts: Iterable[Verdict],
    frameworks: Sequence[str],
    generated: datetime | None = None,
    subject: str = "paperverify implementations",
) -> dict[str, Any]:
    """The report for the expected (claim, framework) checks; a missing, unexpected or repeated verdict is a
    problem shown in the report itself."""
    by_key: dict[tuple[str, str], Verdict] = {}
    problems = []
    for verdict in verdicts:
        key = (verdict.claim, verdict.framework)
        if key in by_key:
            problems.append(f"claim {verdict.claim} [{verdict.framework}] was reported more than once")
        by_key[key] = verdict
    records = []
    for claim, framework in checks:
        verdict = by_key.get((claim.id, framework))
        if verdict is None:
            problems.append(f"claim {claim.id} [{framework}] was loaded but never reported")
            continue
        records.append(record(claim, verdict))
    expected_keys = {(claim.id, framework) for claim, framework in checks}
    for claim_id, framework in sorted(set(by_key) - expected_keys):
        problems.append(f"claim {claim_id} [{framework}] was reported but is not among the claims loaded")
    if len(records) != len(checks) or len(by_key) != len(checks):
        problems.insert(0, f"{len(checks)} checks loaded but {len(by_key)} reported")
    return {
        "schema": SCHEMA,
        "paperverify": __version__,
        "generated": (generated or datetime.now(timezone.utc)).isoformat(timespec="seconds"),
        "subject": subject,
        "frameworks": list(frameworks),
        "claims_loaded": len({claim.id for claim, _ in checks}),
        "checks_loaded": len(checks),
        "summary": _summary(records),
        "matrix": _matrix(records, frameworks),
        "divergences": _divergences(records),
        "problems": problems,
        "records": records,
    }


def failed(report: dict[str, Any]) -> bool:
    """Whether the report holds a mismatch, an error, or a problem (exit code 1)."""
    summary = report["summary"]
    return bool(any(summary[status] for status in FAILING) or report["problems"])


class ReportError(ValueError):
    """A file that is not a paperverify report.json."""


def load(path: Path | str) -> dict[str, Any]:
    """A report.json, read and checked to hold records of claim, framework and status; ReportError naming the
    file otherwise."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as err:
        raise ReportError(f"{path}: cannot read it ({err.strerror or err})") from err
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ReportError(f"{path}: not a JSON document ({err})") from err
    records = document.get("records") if isinstance(document, dict) else None
    if not isinstance(records, list) or not all(
        isinstance(item, dict) and {"claim", "framework", "status"} <= item.keys() for item in records
    ):
        raise ReportError(f"{path}: expected a paperverify report.json, whose records name claim, framework, status")
    return document


def dataframe(report: dict[str, Any]) -> pandas.DataFrame:
    """A report's records as a pandas DataFrame, one row per claim and framework (pandas must be installed)."""
    import pandas

    return pandas.DataFrame.from_records(report["records"])


@dataclass(frozen=True)
class Change:
    """One check (claim, framework) whose status differs between two reports; None where it is absent."""

    claim: str
    framework: str
    old: str | None
    new: str | None

    def __str__(self) -> str:
        return f"{self.claim} [{self.framework}]: {self.old or 'absent'} -> {self.new or 'absent'}"


@dataclass
class ReportDiff:
    """What changed between two reports, each check in one list: regressions (failing now, not before: newly
    mismatching, erroring, or added failing), fixed (failing before, passing now), added and removed (the
    rest), and the other status changes."""

    regressions: list[Change] = field(default_factory=list)
    fixed: list[Change] = field(default_factory=list)
    added: list[Change] = field(default_factory=list)
    removed: list[Change] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)


def diff(old: dict[str, Any], new: dict[str, Any]) -> ReportDiff:
    """The checks whose status changed from report `old` to report `new`, in `new`'s order, then `old`'s."""
    before = {(item["claim"], item["framework"]): item["status"] for item in old["records"]}
    after = {(item["claim"], item["framework"]): item["status"] for item in new["records"]}
    found = ReportDiff()
    for key in [*after, *(key for key in before if key not in after)]:
        was, now = before.get(key), after.get(key)
        if was == now:
            continue
        change = Change(*key, was, now)
        if now in FAILING and was not in FAILING:
            found.regressions.append(change)
        elif was in FAILING and now in PASSING:
            found.fixed.append(change)
        elif was is None:
            found.added.append(change)
        elif now is None:
            found.removed.append(change)
        else:
            found.changed.append(change)
    return found


def _summary(records: list[dict[str, Any]]) -> dict[str, int]:
    counts = dict.fromkeys(STATUSES, 0)
    for item in records:
        counts[item["status"]] += 1
    return {**counts, "total": len(records)}


def _matrix(records: list[dict[str, Any]], frameworks: Sequence[str]) -> list[dict[str, Any]]:
    cells: dict[tuple[str, str], list[int]] = {}
    for item in records:
        cell = cells.setdefault((item["architecture"], item["framework"]), [0, 0])
        cell[0] += item["status"] in PASSING
        cell[1] += 1
    order = {framework: index for index, framework in enumerate(frameworks)}
    return [
        {"architecture": architecture, "framework": framework, "matched": matched, "total": total}
        for (architecture, framework), (matched, total) in sorted(
            cells.items(), key=lambda i: (i[0][0], order[i[0][1]])
        )
    ]


def _divergences(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per table, variant and framework, the first pointwise claim (in table order) that does not match."""
    first: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for item in records:
        if item["quantity"] not in POINTWISE or item["status"] not in FAILING:
            continue
        key = (item["paper"], item["table"], item["variant"], item["framework"])
        if key not in first:
            first[key] = {
                "paper": item["paper"],
                "table": item["table"],
                "label": item["label"],
                "variant": item["variant"],
                "framework": item["framework"],
                "claim": item["claim"],
                "point": item["point"],
                "quantity": item["quantity"],
                "expected": item["expected"],
                "measured": item["measured"],
                "detail": item["detail"],
            }
    return list(first.values())


def _relative_file(file: str, paper: str) -> str:
    parts = Path(file).parts
    return "/".join(parts[parts.index(paper) :]) if paper in parts else Path(file).name


def render_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def render_csv(report: dict[str, Any]) -> str:
    """One row per claim and framework; erratum and notes flattened to text."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for item in report["records"]:
        row = dict(item)
        row["erratum"] = erratum_text(item["erratum"])
        row["notes"] = " | ".join(item["notes"])
        writer.writerow({key: _inert("" if value is None else value) for key, value in row.items()})
    return buffer.getvalue()


#: A cell a spreadsheet would run as a formula starts with one of these (`=cmd|' /C calc'!A0`).
_FORMULA = re.compile(r"^(?:[=@\t\r]|[+-](?![0-9.]))")


def _inert(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula, with an apostrophe before it (the JSON keeps the text);
    a signed number (`+57973248 (+1.53%)`) is left as it is."""
    return f"'{value}" if isinstance(value, str) and _FORMULA.match(value) else value


def erratum_text(erratum: dict[str, str] | None) -> str:
    """One line for a recorded erratum: what was printed, the correction, the reason and the citation."""
    if not erratum:
        return ""
    return (
        f"printed {erratum['printed']}, corrected {erratum['corrected']}: {erratum['reason']} [{erratum['citation']}]"
    )


#: A pull-request comment's limit on GitHub (characters): the Markdown summary stays within it.
MARKDOWN_LIMIT = 65_536
#: Where the checks the summary does not list are, named in its last line.
_FULL_REPORT = "report.html (every check, with filters), report.json and report.csv beside this file"
_CHECK_HEADER = ["claim", "framework", "printed", "expected", "measured", "offset", "tolerance", "source"]


def render_markdown(report: dict[str, Any], limit: int = MARKDOWN_LIMIT) -> str:
    """A summary sized for a pull-request comment or a CI step summary (at most `limit` characters): the counts,
    the matrix, every mismatch and error, the first divergences, the errata and widened tolerances once per
    claim with the frameworks they hold for, recorded deviations and skips; matches are counted, not listed.
    A section that would overflow the limit lists what fits and says how many rows it left to the full report."""
    summary = report["summary"]
    frameworks = report["frameworks"]
    passed = sum(summary[status] for status in PASSING)
    counts = ", ".join(
        f"{summary[status]} {status}" for status in SUMMARY_ORDER if summary[status] or status != "deviation"
    )
    head = [
        "# paperverify report",
        "",
        f"**{passed} of {report['checks_loaded']} checks match the papers** ({report['claims_loaded']} claims, "
        f"{', '.join(frameworks)}): {counts}.",
        "",
    ]
    if report["subject"] != "paperverify implementations":
        head[1:1] = ["", f"Checked: {_md(report['subject'])}"]
    matrix = {(cell["architecture"], cell["framework"]): cell for cell in report["matrix"]}
    table = ["| architecture | " + " | ".join(frameworks) + " |", "|---|" + "---|" * len(frameworks)]
    for architecture in sorted({architecture for architecture, _ in matrix}):
        cells = []
        for framework in frameworks:
            cell = matrix.get((architecture, framework))
            mark = "" if cell is None else ("✅ " if cell["matched"] == cell["total"] else "❌ ")
            cells.append("–" if cell is None else f"{mark}{cell['matched']}/{cell['total']}")
        table.append(f"| {architecture} | " + " | ".join(cells) + " |")
    table.append("")
    records = report["records"]
    by_status: dict[str, list[dict[str, Any]]] = {}
    for item in records:
        by_status.setdefault(item["status"], []).append(item)
    widened = _by_claim([item for item in records if item["tolerance_reason"]])
    sections = [
        (
            "Mismatches and errors",
            [*_CHECK_HEADER, "detail"],
            [_check_row(item) for item in records if item["status"] in FAILING],
        ),
        (
            "First divergence",
            ["table", "variant", "framework", "first point", "expected", "found", "detail"],
            [
                _row([f"{item['paper']} {item['label']}", item["variant"], item["framework"], item["point"],
                      item["expected"], item["measured"], item["detail"]])
                for item in report["divergences"]
            ],
        ),
        (
            "Errata (checked against the corrected value)",
            ["claim", "frameworks", "printed", "expected", "measured", "source", "erratum"],
            [_claim_row(group) for group in _by_claim(by_status.get("erratum", []))],
        ),
        (
            "Recorded deviations of the model from the paper",
            [*_CHECK_HEADER, "detail"],
            [_check_row(item) for item in by_status.get("deviation", [])],
        ),
        ("Skipped", [*_CHECK_HEADER, "detail"], [_check_row(item) for item in by_status.get(SKIPPED, [])]),
        (
            "Widened tolerances",
            ["claim", "frameworks", "tolerance", "reason"],
            [
                _row([f"`{group[0]['claim']}`", _frameworks(group), group[0]["tolerance"],
                      group[0]["tolerance_reason"]])
                for group in widened
            ],
        ),
        (
            "Coverage of the papers",
            ["paper", "transcribed (claims)", "left out (the reasons: report.html, report.json)"],
            [_row(coverage_row(item)) for item in report.get("coverage", [])],
        ),
        (
            "Models checked",
            ["model", "paper", "variant", "notes"],
            [
                _row([f"`{model['target']}`", model["paper"], model["variant"], " ".join(model["notes"])])
                for model in report.get("models", [])
            ],
        ),
    ]  # fmt: skip
    matches = len(by_status.get("match", []))
    tail = [f"{matches} matching checks are counted above, not listed. The full report: {_FULL_REPORT}."]
    budget = limit - _length(head) - _length(table) - _length(tail)
    problems = [_row([problem]) for problem in report["problems"]]
    body = _bounded("Problems", ["problem"], problems, budget) if problems else []
    body += table
    for title, header, rows in sections:
        if rows:
            body += _bounded(title, header, rows, budget + _length(table) - _length(body))
    return "\n".join(head + body + tail) + "\n"


def _length(lines: list[str]) -> int:
    """Characters of `lines` joined by newlines, one each."""
    return sum(len(line) + 1 for line in lines)


def _bounded(title: str, header: list[str], rows: list[str], budget: int) -> list[str]:
    """A section `## title` with a table of `rows` under `header`: as many rows as fit in `budget` characters,
    the rest counted with where they are."""
    lines = [f"## {title}", "", _row(header), "|" + "---|" * len(header)]
    for index, row in enumerate(rows):
        rest = f"… and {len(rows) - index} more: see the full report."
        if _length(lines) + len(row) + 1 + len(rest) + 3 > budget:
            if index == 0:
                lines = [f"## {title}", ""]
                rest = f"{len(rows)}, not listed here: see the full report."
            return [*lines, "", rest, ""] if _length(lines) + len(rest) + 3 <= budget else []
        lines.append(row)
    return [*lines, ""]


def _row(cells: list[Any]) -> str:
    return "| " + " | ".join(_md(str(cell)) for cell in cells) + " |"


def _by_claim(items: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Checks grouped by claim, its frameworks in report order, claims in first-seen order."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        groups.setdefault(item["claim"], []).append(item)
    return list(groups.values())


def _frameworks(group: list[dict[str, Any]]) -> str:
    return ", ".join(item["framework"] for item in group)


def _source(item: dict[str, Any]) -> str:
    page = f", p. {item['page']}" if item["page"] is not None else ""
    return f"{item['label']}{page}, row {item['row']}, column {item['column']}"


def _check_row(item: dict[str, Any]) -> str:
    """One check: its claim, framework, values, source and detail."""
    return _row([
        f"`{item['claim']}`", item["framework"], item["printed"], item["expected"], item["measured"], item["offset"],
        item["tolerance"], _source(item), item["detail"],
    ])  # fmt: skip


def _claim_row(group: list[dict[str, Any]]) -> str:
    """One erratum claim checked in several frameworks: its frameworks, and its measured value once if they agree."""
    first = group[0]
    measured = {item["measured"] for item in group}
    value = first["measured"] if len(measured) == 1 else "; ".join(f"{i['framework']}: {i['measured']}" for i in group)
    return _row([
        f"`{first['claim']}`", _frameworks(group), first["printed"], first["expected"], value, _source(first),
        erratum_text(first["erratum"]),
    ])  # fmt: skip


def _md(text: str) -> str:
    """Text safe in a Markdown table cell: pipes escaped, no raw HTML, one line."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|").replace("\n", " ")


def writable(out: Path) -> None:
    """Check, before any work, that the report can be written into `out` (created if missing); OSError naming it
    otherwise."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=out, prefix=".writable-"):
        pass


def write(report: dict[str, Any], out: Path, formats: Iterable[str] = FORMATS) -> list[Path]:
    """Write the report in each format into `out` (created if missing); returns the files written. The set is
    written whole or not at all: every file is rendered to a temporary name first, then each is renamed into
    place, so an interrupted run never leaves a new report.json beside an old report.md."""
    formats = list(formats)
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise ValueError(f"unknown report formats {unknown}; expected some of {list(FORMATS)}")
    out.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[Path, Path]] = []
    try:
        for name in formats:
            path = out / f"report.{name}"
            temporary = out / f".report.{name}.{os.getpid()}.tmp"
            temporary.write_text(_renderer(name)(report), encoding="utf-8")
            staged.append((temporary, path))
    except BaseException:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
        raise
    for temporary, path in staged:
        os.replace(temporary, path)
    return [path for _, path in staged]


def _renderer(name: str) -> Callable[[dict[str, Any]], str]:
    if name == "html":
        from paperverify.html import render_html

        return render_html
    return {"json": render_json, "md": render_markdown, "csv": render_csv}[name]

"""Sanity of the shipped data (`paperverify sanity`, `tox -e sanity`): beyond what the loader validates
cell by cell, the tables and third-party lists as a whole.

- every paper folder loads without a problem (schema, every row mapped, unique ids, parseable cells);
- provenance is never empty: title, authors, year, venue, the arXiv id and version of an arXiv paper, the
  input size's source;
  every table's label, every grid table's page (unless [paper] unpaginated says the source has none) and caption;
- units are declared: a paper with multiply-add or FLOP claims states its counting convention, and every
  parameter, multiply-add or FLOP value its unit (so a changed unit is an error, not a silent rescaling);
- every table declares how many claims its cells make (so a lost cell or row is an error);
- every erratum and widened tolerance matches a claim (one on an unchecked column would silently do nothing);
- every third-party model names a paper variant with claims, and every recorded deviation matches a claim id.

`coverage` says, per paper, which printed tables are transcribed (with their claims) and which are left out,
with the reason (`[paper] left_out`): `paperverify sanity` prints it, and the report carries it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from paperverify.claims import Claim
from paperverify.tables import check_paper, default_roots, paper_folders

PROVENANCE = ("title", "authors", "year", "venue", "input_size_source")
#: Quantities printed at a scale (×10^9, M): their unit must be declared, so a changed unit is an error.
SCALED = frozenset(
    {"params", "macs", "flops", "connections", "layer_params", "layer_weights", "layer_macs", "layer_connections"}
)


def problems(roots: Iterable[Path] | None = None, thirdparty: bool = True) -> list[str]:
    """Every sanity problem of the tables under `roots` (default: the shipped ones), one line each."""
    found: list[str] = []
    claims: list[Claim] = []
    papers: dict[str, Path] = {}
    for root in roots or ():
        if not root.is_dir():
            found.append(f"{root}: expected a folder of reference tables. Received: no such folder")
        elif not paper_folders([root]):
            found.append(f"{root}: expected paper folders (each with a paper.toml). Received: none")
    for folder in paper_folders(default_roots() if roots is None else roots):
        paper, loader_problems = check_paper(folder)
        found += [str(problem) for problem in loader_problems]
        if paper is None:
            continue
        sidecar = folder / "paper.toml"
        if paper.id in papers:
            found.append(f"{sidecar}: paper id {paper.id!r} is also used by {papers[paper.id]}")
        papers[paper.id] = folder
        claims += paper.claims
        for key in (*PROVENANCE, *(("arxiv", "arxiv_version") if "arxiv" in paper.meta else ())):
            if not paper.meta.get(key):
                found.append(f"{sidecar}: [paper] {key} is empty or missing (provenance is required)")
        if any(claim.quantity in ("macs", "flops") for claim in paper.claims) and not paper.meta.get("macs_convention"):
            found.append(
                f"{sidecar}: [paper] macs_convention is missing: say what the paper's FLOPs or mult-adds count"
            )
        for claim in paper.claims:
            if claim.quantity in SCALED and claim.unit is None:
                found.append(
                    f"{claim.source.file}, row {claim.source.row!r}, column {claim.source.column!r}: "
                    f"declare the unit of this {claim.quantity} value (unit = ... on its row or column in paper.toml, "
                    "or a unit column in a statements table)"
                )
        for table in paper.tables:
            where = f"{sidecar}: table {table.get('id')!r}"
            if not isinstance(table.get("claims"), int):
                found.append(f"{where}: declare how many claims its cells make (claims = N), so none can vanish")
            if not table.get("label"):
                found.append(f"{where}: label is empty")
            paged = table.get("page") or "unpaginated" in paper.meta
            if table.get("kind") == "grid" and not (paged and table.get("caption")):
                found.append(f"{where}: a printed table needs its page and caption")
            cells = {(c.source.row, c.source.column) for c in paper.claims if c.source.table == table.get("id")}
            for section in ("errata", "tolerances"):
                for entry in table.get(section, []):
                    if (entry.get("row"), entry.get("column")) not in cells:
                        found.append(
                            f"{where}: the {section} entry for row {entry.get('row')!r}, column "
                            f"{entry.get('column')!r} matches no claim (is the column checked?)"
                        )
    if thirdparty:
        found += _thirdparty_problems(claims)
    return found


def coverage(roots: Iterable[Path] | None = None, papers: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Per paper under `roots` (default: the shipped tables; only `papers` if given), what of it is transcribed and
    what is left out: `{"paper", "transcribed": [{"table", "claims"}], "left_out": [{"table", "reason"}]}`, so the
    remaining gap is visible (`paperverify sanity`, the report)."""
    wanted = None if papers is None else set(papers)
    found = []
    for folder in paper_folders(default_roots() if roots is None else roots):
        paper, _ = check_paper(folder)
        if paper is None or (wanted is not None and paper.id not in wanted):
            continue
        counts = Counter(claim.source.table for claim in paper.claims)
        transcribed = [{"table": table.get("label", "?"), "claims": counts[table.get("id")]} for table in paper.tables]
        left_out = [{"table": label, "reason": reason} for label, reason in paper.left_out.items()]
        found.append({"paper": paper.id, "transcribed": transcribed, "left_out": left_out})
    return found


def coverage_row(item: dict[str, Any], reasons: bool = False) -> list[str]:
    """One paper's coverage as [paper, its transcribed tables with their claims, its left-out tables (with the
    reasons if `reasons`)]."""
    transcribed = ", ".join(f"{table['table']} ({table['claims']})" for table in item["transcribed"])
    left = [f"{table['table']}: {table['reason']}" if reasons else table["table"] for table in item["left_out"]]
    return [item["paper"], transcribed, ("; " if reasons else ", ").join(left) or "none recorded"]


def status(roots: Iterable[Path] | None = None) -> str:
    """The status table as Markdown (docs/status.md, `paperverify tables --status`): per paper, its architecture,
    the variants of it its claims check, its claims, those checked against an erratum's correction and those within
    a widened tolerance, its printed cells left unchecked ([[tables.unchecked]]) and the printed tables it leaves
    out; then the totals."""
    from paperverify import frameworks, registry

    lines = [
        "| architecture | paper | variants | claims | errata | widened | unchecked cells | left out |",
        "|---|---|---|---|---|---|---|---|",
    ]
    total = 0
    loaded = [paper for paper, _ in map(check_paper, paper_folders(default_roots() if roots is None else roots))]
    papers = sorted((paper for paper in loaded if paper is not None), key=lambda paper: (paper.meta["year"], paper.id))
    for paper in papers:
        meta, claims = paper.meta, paper.claims
        total += len(claims)
        own = sorted(
            {c.config.variant for c in claims if registry.get(c.config.variant).architecture == meta["architecture"]}
        )
        unchecked = sum(len(table.get("unchecked", [])) for table in paper.tables)
        cells = [
            meta["architecture"],
            _citation(meta),
            ", ".join(f"`{variant}`" for variant in own),
            str(len(claims)),
            str(sum(1 for claim in claims if claim.erratum)),
            str(sum(1 for claim in claims if claim.tolerance_reason)),
            str(unchecked),
            ", ".join(paper.left_out) or "none",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    checks = len(frameworks.BUILDING) * total
    names = " and ".join(frameworks.BUILDING)
    lines += ["", f"{len(papers)} papers, {total:,} claims, each checked in {names}: {checks:,} checks."]
    return "\n".join(lines) + "\n"


def _citation(meta: dict[str, Any]) -> str:
    """`He et al., arXiv 1512.03385v1`; `Simonyan & Zisserman, ...`; the venue of a paper not on arXiv."""
    surnames = [author.split()[-1] for author in meta["authors"]]
    who = surnames[0] if len(surnames) == 1 else " & ".join(surnames) if len(surnames) == 2 else f"{surnames[0]} et al."
    where = f"arXiv {meta['arxiv']}{meta.get('arxiv_version', '')}" if "arxiv" in meta else meta.get("venue", "")
    return f"{who}, {where.split(';')[0]}"


def _thirdparty_problems(claims: list[Claim]) -> list[str]:
    from paperverify.thirdparty import SOURCES, ThirdPartyError, load

    found = []
    ids = [claim.id for claim in claims]
    variants = {(claim.source.paper, claim.config.variant) for claim in claims}
    for source in sorted(SOURCES):
        try:
            entries = load(source)
        except ThirdPartyError as err:
            found.append(str(err))
            continue
        for entry in entries:
            if (entry.paper, entry.variant) not in variants:
                found.append(f"{source} {entry.target}: no claims for {entry.paper} variant {entry.variant!r}")
            for kind, recorded in (("deviation", entry.deviations), ("invariant", entry.invariants)):
                for pattern in (pattern for record in recorded for pattern in record.claims):
                    if not any(fnmatchcase(claim_id, pattern) for claim_id in ids):
                        found.append(f"{source} {entry.target}: recorded {kind} {pattern!r} matches no claim id")
    return found

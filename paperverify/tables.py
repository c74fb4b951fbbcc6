"""Load reference tables (`reference_tables/<paper>/paper.toml` + CSV files) into claims.

Everything is validated; every problem names the file, row and column, what was expected and what was
received. Tables are data only: TOML and CSV, read with the standard library, never evaluated.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import tomllib

from paperverify import registry
from paperverify.printed import Interval, PrintedValueError, parse_number, parse_shape
from paperverify.structure import LayerSpec, parse_structure

#: Quantities a claim can state. Numeric ones compare within a tolerance, the others exactly.
NUMERIC_QUANTITIES = frozenset(
    {"params", "macs", "flops", "connections", "depth", "layer_params", "layer_macs", "layer_connections", "stride"}
)
POINT_QUANTITIES = frozenset({"output_shape", "structure", "layer_params", "layer_macs", "layer_connections", "stride"})
QUANTITIES = NUMERIC_QUANTITIES | POINT_QUANTITIES
#: Whole numbers that admit no rounding: a network has 34 weight layers, a block downsamples by 2.
EXACT_QUANTITIES = frozenset({"depth", "stride"})

TABLE_KINDS = ("grid", "statements")
STATEMENT_COLUMNS = ("page", "location", "quote", "variant", "quantity", "value")
#: Optional in a statements table: the named point a statement is about (e.g. `conv3_x.conv3_1`).
STATEMENT_POINT = "point"

_PAPER_KEYS = {
    "id",
    "title",
    "authors",
    "year",
    "venue",
    "arxiv",
    "arxiv_version",
    "publication",
    "pages",
    "architecture",
    "macs_convention",
    "input_size",
    "input_size_source",
}
_PAPER_REQUIRED = ("id", "title", "authors", "year", "architecture", "input_size")
_TABLE_KEYS = {
    "id",
    "kind",
    "file",
    "label",
    "page",
    "caption",
    "row_key",
    "transcription",
    "added_columns",
    "columns",
    "rows",
    "tolerances",
    "errata",
}
_COLUMN_KEYS = {"check", "reason", "quantity", "variants", "variant", "config", "config_reason"}
_ROW_KEYS = {"point", "layers", "exclude", "quantity", "config", "config_reason"}
_TOLERANCE_KEYS = {"row", "column", "absolute", "reason", "citation"}
_ERRATUM_KEYS = {"row", "column", "printed", "corrected", "reason", "citation"}


class TableError(ValueError):
    """One problem in a reference table, located by file, row and column."""

    def __init__(self, file: Path | str, message: str, *, row: str | None = None, column: str | None = None) -> None:
        self.file, self.row, self.column, self.message = str(file), row, column, message
        where = [self.file]
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column!r}")
        super().__init__(f"{', '.join(where)}: {message}")


class TableValidationError(ValueError):
    """All the problems found in one or more table folders."""

    def __init__(self, problems: list[TableError]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"{len(problems)} problem(s) in the reference tables:\n{lines}")


@dataclass(frozen=True)
class Config:
    """What to build and probe: a variant, the input size, and builder options (sorted pairs)."""

    variant: str
    input_size: int
    options: tuple[tuple[str, Any], ...] = ()

    def kwargs(self) -> dict[str, Any]:
        return dict(self.options)

    def __str__(self) -> str:
        extra = "".join(f", {key}={value!r}" for key, value in self.options)
        return f"{self.variant}(input_size={self.input_size}{extra})"


@dataclass(frozen=True)
class Source:
    """Where a claim was printed."""

    paper: str
    architecture: str
    arxiv: str
    table: str
    label: str
    page: int | None
    file: str
    row: str
    column: str
    quote: str | None = None
    #: A paper not on arXiv (`arxiv` empty): where it was published, as `[paper] publication` gives it.
    publication: str = ""

    def __str__(self) -> str:
        page = f", p. {self.page}" if self.page is not None else ""
        where = f"arXiv {self.arxiv}" if self.arxiv else self.publication
        return f"{where}, {self.label}{page}, row {self.row!r}, column {self.column!r}"


@dataclass(frozen=True)
class Erratum:
    printed: str
    corrected: str
    reason: str
    citation: str


@dataclass(frozen=True)
class Claim:
    """One checkable cell: what the paper printed about one quantity of one configuration."""

    id: str
    quantity: str
    printed: str
    expected: Interval | tuple[int, ...] | tuple[LayerSpec, ...]
    tolerance: str
    config: Config
    source: Source
    point: str | None = None
    layers: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    erratum: Erratum | None = None
    notes: tuple[str, ...] = ()
    tolerance_reason: str = ""


@dataclass
class Paper:
    """A paper's metadata and every claim its tables make."""

    id: str
    folder: Path
    meta: dict[str, Any]
    tables: list[dict[str, Any]]
    claims: list[Claim] = field(default_factory=list)


def default_roots() -> list[Path]:
    """The reference tables shipped with paperverify (installed), or those of the source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "reference_tables", here.parent / "reference_tables"):
        if candidate.is_dir():
            return [candidate]
    raise FileNotFoundError(f"no reference_tables folder next to {here} or in {here.parent}")


def paper_folders(roots: Iterable[Path] | None = None) -> list[Path]:
    """Every paper folder (one holding paper.toml) under the roots, sorted by name."""
    folders = []
    for root in default_roots() if roots is None else roots:
        root = Path(root)
        if (root / "paper.toml").is_file():
            folders.append(root)
        else:
            folders.extend(path.parent for path in root.glob("*/paper.toml"))
    return sorted(folders, key=lambda path: path.name)


def check_paper(folder: Path, known_variants: Iterable[str] | None = None) -> tuple[Paper | None, list[TableError]]:
    """Load one paper folder, returning it (None if unreadable) and every problem found."""
    loader = _Loader(Path(folder), set(registry.variants() if known_variants is None else known_variants))
    paper = loader.load()
    return paper, loader.problems


def load_claims(roots: Iterable[Path] | None = None, known_variants: Iterable[str] | None = None) -> list[Claim]:
    """Every claim of every paper under the roots; TableValidationError listing all problems."""
    claims: list[Claim] = []
    problems: list[TableError] = []
    seen: dict[str, str] = {}
    for folder in paper_folders(roots):
        paper, found = check_paper(folder, known_variants)
        problems.extend(found)
        if paper is None:
            continue
        if paper.id in seen:
            problems.append(
                TableError(folder / "paper.toml", f"paper id {paper.id!r} is also used by {seen[paper.id]}")
            )
        seen[paper.id] = str(folder)
        claims.extend(paper.claims)
    if problems:
        raise TableValidationError(problems)
    return claims


class _Cell(NamedTuple):
    """One checkable cell: where it stands, what it holds, and what it is a claim about."""

    row: str
    line: int
    column: str
    text: str
    quantity: str
    variant: str


class _Loader:
    def __init__(self, folder: Path, known_variants: set[str]) -> None:
        self.folder = folder
        self.known_variants = known_variants
        self.problems: list[TableError] = []

    def problem(self, file: Path | str, message: str, row: str | None = None, column: str | None = None) -> None:
        self.problems.append(TableError(file, message, row=row, column=column))

    def load(self) -> Paper | None:
        sidecar = self.folder / "paper.toml"
        if not sidecar.is_file():
            self.problem(sidecar, "expected a paper.toml describing the paper and its tables. Received: no such file")
            return None
        try:
            data = tomllib.loads(sidecar.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
            self.problem(sidecar, f"expected valid TOML. Received: {err}")
            return None
        meta = data.get("paper")
        if not isinstance(meta, dict):
            self.problem(sidecar, "expected a [paper] section with title, authors, arxiv, ... Received: none")
            return None
        self.unknown_keys(sidecar, "[paper]", meta, _PAPER_KEYS)
        for key in _PAPER_REQUIRED:
            if key not in meta:
                self.problem(sidecar, f"[paper] needs {key!r}. Received: keys {sorted(meta)}")
        if not ({"arxiv", "arxiv_version"} <= set(meta) or "publication" in meta):
            self.problem(
                sidecar,
                "[paper] needs 'arxiv' and 'arxiv_version', or for a paper not on arXiv 'publication' "
                f"(journal, volume, issue, year). Received: keys {sorted(meta)}",
            )
        if meta.get("id") != self.folder.name:
            self.problem(
                sidecar,
                f"[paper] id must equal the folder name {self.folder.name!r}. Received: {meta.get('id')!r}",
            )
        self.unknown_keys(sidecar, "top level", data, {"paper", "tables"})
        if "input_size" in meta and not isinstance(meta["input_size"], int):
            self.problem(sidecar, f"[paper] input_size must be an integer. Received: {meta['input_size']!r}")
        if not isinstance(meta.get("input_size"), int):
            meta["input_size"] = 0
        tables = data.get("tables", [])
        if not isinstance(tables, list) or not all(isinstance(table, dict) for table in tables):
            self.problem(sidecar, f"expected [[tables]] entries. Received: tables = {tables!r}")
            return None
        if not tables:
            self.problem(sidecar, "expected at least one [[tables]] entry. Received: none")
        paper = Paper(id=self.folder.name, folder=self.folder, meta=meta, tables=tables)
        table_ids: set[str] = set()
        for index, table in enumerate(tables):
            where = f"[[tables]] #{index + 1}"
            self.unknown_keys(sidecar, where, table, _TABLE_KEYS)
            table_id = table.get("id")
            if not table_id:
                self.problem(sidecar, f"{where} needs an 'id'. Received: keys {sorted(table)}")
                continue
            if table_id in table_ids:
                self.problem(sidecar, f"table id {table_id!r} is used twice")
            table_ids.add(table_id)
            paper.claims.extend(self.load_table(paper, table))
        ids: set[str] = set()
        for claim in paper.claims:
            if claim.id in ids:
                self.problem(sidecar, f"two cells make the same claim id {claim.id!r}; give their rows distinct keys")
            ids.add(claim.id)
        return paper

    def unknown_keys(self, file: Path, where: str, section: dict[str, Any], allowed: set[str]) -> None:
        for key in sorted(set(section) - allowed):
            self.problem(file, f"{where}: unknown key {key!r}. Expected one of {sorted(allowed)}")

    def load_table(self, paper: Paper, table: dict[str, Any]) -> list[Claim]:
        sidecar = self.folder / "paper.toml"
        where = f"table {table['id']!r}"
        for key in ("kind", "file", "label", "row_key"):
            if key not in table:
                self.problem(sidecar, f"{where} needs {key!r}. Received: keys {sorted(table)}")
                return []
        if table["kind"] not in TABLE_KINDS:
            self.problem(sidecar, f"{where}: kind must be one of {list(TABLE_KINDS)}. Received: {table['kind']!r}")
            return []
        if table["kind"] == "grid" and not isinstance(table.get("page"), int):
            self.problem(sidecar, f"{where}: a grid table needs its page (an integer). Received: {table.get('page')!r}")
        path = self.folder / table["file"]
        if not path.is_file():
            self.problem(path, f"{where} declares this file. Received: no such file")
            return []
        header, rows = self.read_csv(path, table["row_key"])
        if header is None:
            return []
        for name in table.get("columns", {}):
            self.unknown_keys(sidecar, f"{where} column {name!r}", table["columns"][name], _COLUMN_KEYS)
        for name, row in table.get("rows", {}).items():
            self.unknown_keys(sidecar, f"{where} row {name!r}", row, _ROW_KEYS)
            if name not in rows:
                self.problem(path, f"paper.toml declares row {name!r}; no row of the CSV has that key", row=name)
        adjustments = self.adjustments(path, table, header, rows)
        builder = self.grid_claims if table["kind"] == "grid" else self.statement_claims
        return list(builder(paper, table, path, header, rows, adjustments))

    def read_csv(self, path: Path, row_key: str) -> tuple[list[str] | None, dict[str, tuple[int, dict[str, str]]]]:
        try:
            with path.open(encoding="utf-8", newline="") as handle:
                records = list(csv.reader(handle))
        except (UnicodeDecodeError, csv.Error) as err:
            self.problem(path, f"expected a UTF-8 CSV file. Received: {err}")
            return None, {}
        if not records:
            self.problem(path, "expected a header row. Received: an empty file")
            return None, {}
        header = [name.strip() for name in records[0]]
        if row_key not in header:
            self.problem(path, f"expected the row key column {row_key!r}. Received: columns {header}", column=row_key)
            return None, {}
        for name in {name for name in header if header.count(name) > 1}:
            self.problem(path, "a column header appears twice", column=name)
        rows: dict[str, tuple[int, dict[str, str]]] = {}
        for line, record in enumerate(records[1:], start=2):
            if not any(cell.strip() for cell in record):
                continue
            if len(record) != len(header):
                self.problem(path, f"expected {len(header)} cells. Received: {len(record)}", row=f"on line {line}")
                continue
            cells = {name: cell.strip() for name, cell in zip(header, record, strict=True)}
            key = cells[row_key]
            if not key:
                self.problem(path, "expected a row key. Received: an empty cell", row=f"on line {line}", column=row_key)
            elif key in rows:
                self.problem(
                    path,
                    f"duplicate row key {key!r} (first on line {rows[key][0]})",
                    row=f"{key!r} (line {line})",
                    column=row_key,
                )
            else:
                rows[key] = (line, cells)
        return header, rows

    def adjustments(
        self,
        path: Path,
        table: dict[str, Any],
        header: list[str],
        rows: dict[str, tuple[int, dict[str, str]]],
    ) -> dict[tuple[str, str], dict[str, Any]]:
        """Widened tolerances and errata by (row, column), each validated against the CSV."""
        sidecar = self.folder / "paper.toml"
        found: dict[tuple[str, str], dict[str, Any]] = {}
        for section, keys, required in (
            ("tolerances", _TOLERANCE_KEYS, ("row", "column", "absolute", "reason", "citation")),
            ("errata", _ERRATUM_KEYS, ("row", "column", "printed", "corrected", "reason", "citation")),
        ):
            for entry in table.get(section, []):
                self.unknown_keys(sidecar, f"table {table['id']!r} {section}", entry, keys)
                missing = [key for key in required if not str(entry.get(key, "")).strip()]
                if missing:
                    self.problem(
                        sidecar,
                        f"a {section} entry needs {missing} (a reason and a citation are required). Received: {entry}",
                    )
                    continue
                row, column = entry["row"], entry["column"]
                if row not in rows or column not in header:
                    self.problem(path, f"the {section} entry names a cell that does not exist", row=row, column=column)
                    continue
                cell = rows[row][1][column]
                if section == "errata" and cell != entry["printed"]:
                    self.problem(
                        path,
                        f"erratum says the paper printed {entry['printed']!r}. Received: the cell holds {cell!r}",
                        row=row,
                        column=column,
                    )
                    continue
                found.setdefault((row, column), {})[section] = entry
        return found

    def variant_ok(self, path: Path, variant: str, row: str, column: str) -> bool:
        if variant in self.known_variants:
            return True
        self.problem(
            path,
            f"the cell maps to model variant {variant!r}, which no implementation registers. "
            f"Registered variants: {sorted(self.known_variants)}",
            row=row,
            column=column,
        )
        return False

    def grid_claims(self, paper, table, path, header, rows, adjustments) -> Iterator[Claim]:
        sidecar = self.folder / "paper.toml"
        columns = table.get("columns", {})
        added = table.get("added_columns", {})
        for name in header:
            if name not in columns and name not in added and name != table["row_key"]:
                self.problem(
                    sidecar,
                    f"CSV column {name!r} is not declared in table {table['id']!r} columns or added_columns",
                    column=name,
                )
        for name in columns:
            if name not in header:
                self.problem(path, f"paper.toml declares column {name!r}. Received: CSV columns {header}", column=name)
        variant_columns = {name: spec["variant"] for name, spec in columns.items() if "variant" in spec}
        row_specs = table.get("rows", {})
        for key, (line, cells) in rows.items():
            row_spec = row_specs.get(key)
            if row_spec is None:
                self.problem(
                    sidecar,
                    f"CSV row {key!r} (line {line}) has no [tables.rows.{key}] entry saying what it states",
                    row=key,
                )
                continue
            for column in header:
                spec = columns.get(column)
                text = cells[column]
                if spec is None or not text or spec.get("check", True) is False:
                    continue
                if "quantity" in spec:
                    quantity = spec["quantity"]
                    wanted = spec.get("variants", "all")
                    targets = (
                        [(v, columns[c]) for c, v in variant_columns.items()]
                        if wanted == "all"
                        else [(v, {}) for v in wanted]
                    )
                elif "variant" in spec:
                    quantity = row_spec.get("quantity")
                    targets = [(spec["variant"], spec)]
                else:
                    self.problem(
                        sidecar,
                        "a checked column needs a 'quantity' or a 'variant' (or check = false with a reason)",
                        column=column,
                    )
                    continue
                for variant, column_spec in targets:
                    cell = _Cell(key, line, column, text, quantity, variant)
                    yield from self.make_claim(
                        paper, table, path, cell, configs=(column_spec, row_spec), row_spec=row_spec,
                        adjustment=adjustments.get((key, column), {}),
                    )  # fmt: skip

    def statement_claims(self, paper, table, path, header, rows, adjustments) -> Iterator[Claim]:
        missing = [name for name in STATEMENT_COLUMNS if name not in header]
        for name in missing:
            self.problem(path, f"a statements table needs column {name!r}. Received: columns {header}", column=name)
        if missing:
            return
        for name in sorted(set(header) - {table["row_key"], *STATEMENT_COLUMNS, STATEMENT_POINT}):
            self.problem(path, f"unknown column in a statements table; expected {list(STATEMENT_COLUMNS)}", column=name)
        row_specs = table.get("rows", {})
        for key, (line, cells) in rows.items():
            row_spec = row_specs.get(key, {})
            try:
                page = int(cells["page"])
            except ValueError:
                self.problem(path, f"expected a page number. Received: {cells['page']!r}", row=key, column="page")
                continue
            for column in ("location", "quote", "value"):
                if not cells[column]:
                    self.problem(path, "expected a non-empty cell (provenance is required)", row=key, column=column)
            if not cells["value"]:
                continue
            variants = [variant.strip() for variant in cells["variant"].split(";")]
            for variant in variants:
                cell = _Cell(key, line, "value", cells["value"], cells["quantity"], variant)
                yield from self.make_claim(
                    paper, table, path, cell, configs=(row_spec,), row_spec=row_spec,
                    adjustment=adjustments.get((key, "value"), {}), page=page, quote=cells["quote"],
                    location=cells["location"], point=cells.get(STATEMENT_POINT) or None, shared=len(variants) > 1,
                )  # fmt: skip

    def make_claim(
        self,
        paper: Paper,
        table: dict[str, Any],
        path: Path,
        cell: _Cell,
        *,
        configs: tuple[dict[str, Any], ...],
        row_spec: dict[str, Any],
        adjustment: dict[str, Any],
        page: int | None = None,
        quote: str | None = None,
        location: str | None = None,
        point: str | None = None,
        shared: bool = False,
    ) -> Iterator[Claim]:
        row, column, text, quantity, variant = cell.row, cell.column, cell.text, cell.quantity, cell.variant
        where = f"{row!r} (line {cell.line})"
        if quantity not in QUANTITIES:
            self.problem(
                path,
                f"unknown quantity {quantity!r}. Expected one of {sorted(QUANTITIES)}",
                row=where,
                column=column,
            )
            return
        if not self.variant_ok(path, variant, where, column):
            return
        point = row_spec.get("point") or point
        if quantity in POINT_QUANTITIES and not point:
            self.problem(
                self.folder / "paper.toml",
                f"quantity {quantity!r} needs a named point: add point = ... to the row",
                row=row,
            )
            return
        erratum = adjustment.get("errata")
        value_text = erratum["corrected"] if erratum else text
        try:
            expected, tolerance = self.expectation(quantity, value_text, adjustment.get("tolerances"))
        except PrintedValueError as err:
            self.problem(path, str(err), row=where, column=column)
            return
        options: dict[str, Any] = {}
        notes = []
        for spec in configs:
            options.update(spec.get("config", {}))
            if "config_reason" in spec:
                notes.append(spec["config_reason"])
        table_id = table["id"]
        if table["kind"] == "statements":
            claim_id = f"{paper.id}/{table_id}/{row}" + (f"/{variant}" if shared else "")
        elif quantity in POINT_QUANTITIES:
            claim_id = f"{paper.id}/{table_id}/{variant}/{row}/{quantity}"
        else:
            claim_id = f"{paper.id}/{table_id}/{variant}/{quantity}"
        yield Claim(
            id=claim_id,
            quantity=quantity,
            printed=text,
            expected=expected,
            tolerance=tolerance,
            config=Config(variant, paper.meta["input_size"], tuple(sorted(options.items()))),
            source=Source(
                paper=paper.id,
                architecture=str(paper.meta.get("architecture", "?")),
                arxiv=f"{paper.meta['arxiv']}{paper.meta.get('arxiv_version', '')}" if "arxiv" in paper.meta else "",
                table=table_id,
                label=table["label"] if location is None else location,
                page=table.get("page") if page is None else page,
                file=str(path),
                row=row,
                column=column,
                quote=quote,
                publication=str(paper.meta.get("publication", "")),
            ),
            point=point,
            layers=tuple(row_spec.get("layers", [point] if point else [])),
            exclude=tuple(row_spec.get("exclude", [])),
            erratum=Erratum(erratum["printed"], erratum["corrected"], erratum["reason"], erratum["citation"])
            if erratum
            else None,
            notes=tuple(notes),
            tolerance_reason=_widening_reason(adjustment.get("tolerances")),
        )

    @staticmethod
    def expectation(quantity: str, text: str, widened: dict[str, Any] | None) -> tuple[Any, str]:
        if quantity == "output_shape":
            return parse_shape(text), "exact"
        if quantity == "structure":
            return parse_structure(text), "exact"
        number = parse_number(text)
        if widened is not None:
            absolute = parse_number(widened["absolute"]).value
            return number.interval(absolute), f"±{widened['absolute']} (widened)"
        if quantity in EXACT_QUANTITIES:
            if number.value != number.value.to_integral():
                raise PrintedValueError(f"a {quantity} is a whole number. Received: {text!r}")
            return Interval.exactly(number.value), "exact"
        return number.interval(), f"printed precision ±{number.precision()}"


def _widening_reason(widened: dict[str, Any] | None) -> str:
    """Why a tolerance was widened, with its citation; empty for a tolerance from the printed precision."""
    return "" if widened is None else f"{' '.join(widened['reason'].split())} [{widened['citation']}]"

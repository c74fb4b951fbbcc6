"""A reference table's cells made claims: each cell of a checked row and column (a grid) or each statement, its
printed value parsed, its expectation and tolerance set, its errata, widened tolerances and unchecked entries
applied; every problem collected, located by file, row and column (paperverify.tables reads paper.toml and the
CSV files and hands their rows here).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

from paperverify import quantities, schema
from paperverify.claims import Claim, Config, Erratum, Paper, Source, TableError
from paperverify.printed import Interval, PrintedValueError, parse_activations, parse_number, parse_shape, unit_of
from paperverify.structure import MAX_REPEAT, parse_structure

#: Quantities a claim can state (paperverify.quantities): numeric ones compare within a tolerance, exact ones
#: are whole numbers that admit no rounding, point ones are stated at a named point.
QUANTITIES = frozenset(quantities.QUANTITIES)
NUMERIC_QUANTITIES = frozenset(name for name, q in quantities.QUANTITIES.items() if q.numeric)
POINT_QUANTITIES = frozenset(name for name, q in quantities.QUANTITIES.items() if q.needs_point)
EXACT_QUANTITIES = frozenset(name for name, q in quantities.QUANTITIES.items() if q.exact)

#: How a column's K, M, G suffixes scale: powers of 1000 (the default) or of 1024.
PREFIXES = ("decimal", "binary")

STATEMENT_COLUMNS = ("page", "location", "quote", "variant", "quantity", "value")
#: Optional in a statements table: the named point a statement is about (e.g. `conv3_x.conv3_1`), and the
#: unit its value is printed in (`×10^9`, `M`, or empty for a plain count), checked against every value.
STATEMENT_POINT = "point"
STATEMENT_UNIT = "unit"

#: A grid column's or row's unit as a power of ten: `scale = "10^6"` for a table printed "in millions".
_SCALE = re.compile(r"^10\^(?P<exponent>[+-]?\d+)$")
#: The entries of a table in paper.toml that adjust single cells, by section, and their schemas.
ENTRIES = {"tolerances": schema.TOLERANCE, "errata": schema.ERRATUM, "unchecked": schema.UNCHECKED}


class _Cell(NamedTuple):
    """One checkable cell: where it stands, what it holds, and what it is a claim about."""

    row: str
    line: int
    column: str
    text: str
    quantity: str
    variant: str


class CellReader:
    """Turns one paper folder's table cells into claims, collecting every problem (`problems`)."""

    def __init__(self, folder: Path, known_variants: set[str]) -> None:
        self.folder = folder
        self.known_variants = known_variants
        self.problems: list[TableError] = []
        self.empty_cells: list[tuple[str, str]] = []

    def problem(self, file: Path | str, message: str, row: str | None = None, column: str | None = None) -> None:
        self.problems.append(TableError(file, message, row=row, column=column))

    def unknown_keys(self, file: Path, where: str, section: dict[str, Any], allowed: set[str]) -> None:
        for key in sorted(set(section) - allowed):
            self.problem(file, f"{where}: unknown key {key!r}. Expected one of {sorted(allowed)}")

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
        for section, entries in ENTRIES.items():
            for entry in table.get(section, []):
                self.unknown_keys(sidecar, f"table {table['id']!r} {section}", entry, entries.names)
                missing = [key for key in entries.required if not str(entry.get(key, "")).strip()]
                if missing:
                    self.problem(
                        sidecar,
                        f"a [[tables.{section}]] entry needs {missing} (a reason, and a citation but for an unchecked "
                        f"cell, are required). Received: {entry}",
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
                if section == "errata" and entry["corrected"].strip() == entry["printed"].strip():
                    self.problem(
                        sidecar,
                        f"an erratum corrects a misprint: its corrected value must differ from the printed one. "
                        f"Received: {entry['corrected']!r} for both (row {row!r}, column {column!r})",
                    )
                    continue
                if section in found.get((row, column), {}):
                    self.problem(
                        sidecar,
                        f"two {section} entries for one cell (row {row!r}, column {column!r}): keep one",
                    )
                    continue
                if found.get((row, column)) and "unchecked" in (section, *found[(row, column)]):
                    self.problem(
                        sidecar,
                        f"an unchecked cell has no tolerance or erratum (row {row!r}, column {column!r}): keep one",
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
            if row_spec.get("check", True) is False:
                continue
            for column in header:
                spec = columns.get(column)
                text = cells[column]
                skipped = "unchecked" in adjustments.get((key, column), {})
                if spec is None or spec.get("check", True) is False or skipped:
                    continue
                if not text:
                    self.empty_cells.append((key, column))
                    continue
                if "quantity" in spec and "variant" in row_spec:  # a row about one model (configuration)
                    quantity = spec["quantity"]
                    targets = [(row_spec["variant"], {}, spec)]
                elif "quantity" in spec:
                    quantity = spec["quantity"]
                    wanted = spec.get("variants", "all")
                    targets = (
                        [(v, columns[c]) for c, v in variant_columns.items()]
                        if wanted == "all"
                        else [(v, {}) for v in wanted]
                    )
                    targets = [(v, column_spec, spec) for v, column_spec in targets]
                elif "variant" in spec:
                    quantity = row_spec.get("quantity")
                    targets = [(spec["variant"], spec, {})]
                else:
                    self.problem(
                        sidecar,
                        "a checked column needs a 'quantity' or a 'variant' (or check = false with a reason)",
                        column=column,
                    )
                    continue
                scale = spec.get("scale", row_spec.get("scale"))
                column_point = row_spec.get("points", {}).get(column)
                for variant, column_spec, quantity_spec in targets:
                    cell = _Cell(key, line, column, text, quantity, variant)
                    yield from self.make_claim(
                        paper, table, path, cell, configs=(column_spec, quantity_spec, row_spec), row_spec=row_spec,
                        adjustment=adjustments.get((key, column), {}), column_point=column_point,
                        binary=spec.get("prefixes") == "binary", scale=scale,
                        unit=row_spec.get("unit", spec.get("unit", "" if scale is not None else None)),
                        claim_name=spec.get("claim_name"),
                    )  # fmt: skip

    def statement_claims(self, paper, table, path, header, rows, adjustments) -> Iterator[Claim]:
        missing = [name for name in STATEMENT_COLUMNS if name not in header]
        for name in missing:
            self.problem(path, f"a statements table needs column {name!r}. Received: columns {header}", column=name)
        if missing:
            return
        for name in sorted(set(header) - {table["row_key"], *STATEMENT_COLUMNS, STATEMENT_POINT, STATEMENT_UNIT}):
            self.problem(path, f"unknown column in a statements table; expected {list(STATEMENT_COLUMNS)}", column=name)
        row_specs = table.get("rows", {})
        for key, (line, cells) in rows.items():
            row_spec = row_specs.get(key, {})
            where = f"{key!r} (line {line})"
            unchecked = row_spec.get("check", True) is False
            if "unpaginated" in paper.meta:  # an HTML rendering: nothing to cite but the location
                page = None
                if cells["page"]:
                    self.problem(
                        path,
                        f"expected an empty cell ([paper] unpaginated). Received: {cells['page']!r}",
                        row=where,
                        column="page",
                    )
                    continue
            else:
                page_text = cells["page"].strip()
                if not (page_text.isascii() and page_text.isdigit() and int(page_text) >= 1):
                    self.problem(path, f"expected a page number. Received: {cells['page']!r}", row=where, column="page")
                    continue
                page = int(page_text)
            for column in ("location", "quote") if unchecked else ("location", "quote", "value"):
                if not cells[column]:
                    self.problem(path, "expected a non-empty cell (provenance is required)", row=where, column=column)
            if unchecked or not cells["value"] or "unchecked" in adjustments.get((key, "value"), {}):
                continue
            variants = [variant.strip() for variant in cells["variant"].split(";")]
            for variant in variants:
                cell = _Cell(key, line, "value", cells["value"], cells["quantity"], variant)
                yield from self.make_claim(
                    paper, table, path, cell, configs=(row_spec,), row_spec=row_spec,
                    adjustment=adjustments.get((key, "value"), {}), page=page, quote=cells["quote"],
                    location=cells["location"], point=cells.get(STATEMENT_POINT) or None, shared=len(variants) > 1,
                    unit=cells.get(STATEMENT_UNIT),
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
        unit: str | None = None,
        scale: str | None = None,
        column_point: str | None = None,
        binary: bool = False,
        claim_name: str | None = None,
    ) -> Iterator[Claim]:
        row, column, text, quantity, variant = cell.row, cell.column, cell.text, cell.quantity, cell.variant
        where = f"{row!r} (line {cell.line})"
        if unit is not None and quantity in NUMERIC_QUANTITIES:
            try:
                found = unit_of(text)
            except PrintedValueError as err:
                self.problem(path, str(err), row=where, column=column)
                return
            if found != "".join(unit.split()):
                self.problem(
                    path,
                    f"expected a value printed in {unit or 'plain units (no scale)'!r}, the unit paper.toml declares "
                    f"for it. Received: {text!r}. Fix the cell, or the declared unit if the paper prints another",
                    row=where,
                    column=column,
                )
                return
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
        point = column_point or row_spec.get("point") or point
        if quantity in POINT_QUANTITIES and not point and not row_spec.get("layers"):
            self.problem(
                self.folder / "paper.toml",
                f"quantity {quantity!r} needs a named point: add point = ... (or layers = [...]) to the row",
                row=row,
            )
            return
        erratum, widened = adjustment.get("errata"), adjustment.get("tolerances")
        sidecar = self.folder / "paper.toml"
        if widened is not None and quantity not in NUMERIC_QUANTITIES:
            self.problem(
                sidecar,
                f"a tolerance widens a printed number's interval; a {quantity} is no number, so none applies. "
                "Remove the [[tables.tolerances]] entry",
                row=row,
                column=column,
            )
            return
        if widened is not None:
            try:
                if parse_number(str(widened["absolute"]), binary=binary).value <= 0:
                    raise PrintedValueError(f"expected a positive width. Received: {widened['absolute']!r}")
            except PrintedValueError as err:
                self.problem(sidecar, f"the tolerance's absolute: {err}", row=row, column=column)
                return
        if erratum is not None:
            try:
                self.expectation(quantity, erratum["corrected"], None, scale=scale, binary=binary)
            except PrintedValueError as err:
                self.problem(sidecar, f"the erratum's corrected value: {err}", row=row, column=column)
                return
        value_text = erratum["corrected"] if erratum else text
        try:
            expected, tolerance = self.expectation(quantity, value_text, widened, scale=scale, binary=binary)
        except PrintedValueError as err:
            self.problem(path, str(err), row=where, column=column)
            return
        if quantity == "structure":
            repeat = row_spec.get("repeat", 1)
            expected = expected * (repeat if isinstance(repeat, int) and 1 <= repeat <= MAX_REPEAT else 1)
        options: dict[str, Any] = {}
        notes = []
        for spec in configs:
            options.update(spec.get("config", {}))
            if "config_reason" in spec:
                notes.append(spec["config_reason"])
        # A config's `input_size` is the resolution the model is probed at; the probes hand it to a builder that
        # takes an `input_size` (MobileNet's fixed average-pool window), not to one that does not (EfficientNet).
        configured = "input_size" in options
        input_size = options.pop("input_size", paper.meta["input_size"])
        if not schema.matches(input_size, int) or input_size <= 0:
            if not configured:  # the [paper] input_size, reported once where it is written
                return
            self.problem(
                self.folder / "paper.toml", f"config input_size must be a positive integer. Received: {input_size!r}",
                row=row, column=column,
            )  # fmt: skip
            return
        table_id = table["id"]
        name = claim_name or quantity
        if table["kind"] == "statements":
            claim_id = f"{paper.id}/{table_id}/{row}" + (f"/{variant}" if shared else "")
        elif column_point:
            claim_id = f"{paper.id}/{table_id}/{variant}/{column_point}/{name}"
        elif quantity in POINT_QUANTITIES or "variant" in row_spec:
            claim_id = f"{paper.id}/{table_id}/{variant}/{row}/{name}"
        else:
            claim_id = f"{paper.id}/{table_id}/{variant}/{name}"
        yield Claim(
            id=claim_id,
            quantity=quantity,
            printed=text,
            expected=expected,
            tolerance=tolerance,
            config=Config(variant, input_size, tuple(sorted(options.items()))),
            source=Source(
                paper=paper.id,
                architecture=str(paper.meta.get("architecture", "?")),
                arxiv=f"{paper.meta['arxiv']}{paper.meta.get('arxiv_version', '')}" if "arxiv" in paper.meta else "",
                venue=str(paper.meta.get("venue", "")),
                leaves_open=tuple(paper.meta.get("leaves_open", ())),
                table=table_id,
                label=table["label"] if location is None else location,
                page=table.get("page") if page is None else page,
                file=str(path),
                row=row,
                column=column,
                quote=quote,
            ),
            point=point,
            layers=(point,) if column_point else tuple(row_spec.get("layers", [point] if point else [])),
            exclude=() if column_point else tuple(row_spec.get("exclude", [])),
            erratum=Erratum(erratum["printed"], erratum["corrected"], erratum["reason"], erratum["citation"])
            if erratum
            else None,
            notes=tuple(notes),
            tolerance_reason=_widening_reason(adjustment.get("tolerances")),
            unit=unit,
        )

    @staticmethod
    def expectation(
        quantity: str, text: str, widened: dict[str, Any] | None, scale: str | None = None, binary: bool = False
    ) -> tuple[Any, str]:
        if quantity in ("output_shape", "input_shape"):
            return parse_shape(text), "exact"
        if quantity == "structure":
            return parse_structure(text), "exact"
        if quantity == "activation":
            return parse_activations(text), "exact"
        if quantity == "stride" and "×" in text:  # a square patch or window, "32 × 32" (MLP-Mixer, Table 1)
            sides = set(parse_shape(text))
            if len(sides) != 1:
                raise PrintedValueError(f"a stride printed as a window must be square (P×P). Received: {text!r}")
            return Interval.exactly(Decimal(sides.pop())), "exact"
        number = parse_number(text, binary=binary)
        if scale is not None:
            unit = _SCALE.match(str(scale))
            if unit is None:
                raise PrintedValueError(f"expected scale = '10^k' (e.g. '10^6' for millions). Received: {scale!r}")
            number = number.scaled(int(unit["exponent"]))
        if widened is not None:
            absolute = parse_number(widened["absolute"], binary=binary).value
            return number.interval(absolute), f"±{widened['absolute']} (widened)"
        if quantity in EXACT_QUANTITIES:
            if unit_of(text):
                raise PrintedValueError(
                    f"a {quantity} is a plain whole number, printed without a scale. Received: {text!r}"
                )
            if number.value != number.value.to_integral():
                raise PrintedValueError(f"a {quantity} is a whole number. Received: {text!r}")
            return Interval.exactly(number.value), "exact"
        return number.interval(), f"printed precision ±{number.precision()}"


def _widening_reason(widened: dict[str, Any] | None) -> str:
    """Why a tolerance was widened, with its citation; empty for a tolerance from the printed precision."""
    return "" if widened is None else f"{' '.join(widened['reason'].split())} [{widened['citation']}]"

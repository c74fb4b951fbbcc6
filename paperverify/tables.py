"""Load reference tables (`reference_tables/<paper>/paper.toml` + CSV files) into claims.

Everything is validated; every problem names the file, row and column, what was expected and what was
received. Tables are data only: TOML and CSV, read with the standard library, never evaluated.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import tomllib

from paperverify import registry, schema
from paperverify.cells import ENTRIES, PREFIXES, CellReader
from paperverify.claims import (
    CONVENTIONS,
    Claim,
    Paper,
    TableError,
    TableValidationError,
)
from paperverify.csvtable import not_a_file, read_csv
from paperverify.structure import MAX_REPEAT

TABLE_KINDS = ("grid", "statements")
_Schema = dict[str, Any]
#: Builder options a `config` may set: plain scalars (they become keyword arguments).
_CONFIG_VALUE = (str, int, float, bool)
#: The largest number a table's config may hand a builder (a middle flow repeated 3,000,000 times, an input of
#: a million pixels a side: neither builds here).
MAX_OPTION = 10_000
#: A plain name for a table id: no path separator, no `..`.
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


def default_roots() -> list[Path]:
    """The reference tables shipped with paperverify (installed), or those of the source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "reference_tables", here.parent / "reference_tables"):
        if candidate.is_dir():
            return [candidate]
    raise FileNotFoundError(f"no reference_tables folder next to {here} or in {here.parent}")


def with_shipped(extra: Iterable[Path | str] = ()) -> list[Path]:
    """The shipped tables' folder and the extra ones, each folder once (naming the shipped folder again, or one
    folder twice, adds nothing)."""
    roots: dict[Path, Path] = {}
    for root in [*default_roots(), *(Path(folder) for folder in extra)]:
        roots.setdefault(root.resolve(), root)
    return list(roots.values())


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
    """Load one paper folder, returning it (None if unreadable) and every problem found. A folder whose files
    hold the same bytes as at an earlier call (in this process) is not parsed again."""
    folder = Path(folder)
    known = frozenset(registry.variants() if known_variants is None else known_variants)
    where = "" if folder.is_absolute() else str(Path.cwd())  # a relative folder's claims name relative files
    paper, problems = _parsed(str(folder), where, known, _contents(folder))
    if paper is not None:
        paper = replace(paper, claims=list(paper.claims), tables=list(paper.tables))
    return paper, list(problems)


@functools.lru_cache(maxsize=64)
def _parsed(
    folder: str, cwd: str, known: frozenset[str], contents: bytes
) -> tuple[Paper | None, tuple[TableError, ...]]:
    """`check_paper`'s work, for one folder as given, the working directory a relative one is read from, the
    variants known and the digest of its files (`_contents`), which is what makes the result the same."""
    loader = _Loader(Path(folder), set(known))
    paper = loader.load()
    return paper, tuple(_once(loader.problems))


def _contents(folder: Path) -> bytes:
    """A digest of every file under `folder`: its path, then its bytes or, if it is no regular file or cannot be
    read, what it is or why (a FIFO, a link loop, no permission: what the loader will report)."""
    digest = hashlib.blake2b(digest_size=16)
    for directory, folders, files in os.walk(folder):
        folders.sort()
        for name in sorted(files):
            path = os.path.join(directory, name)
            digest.update(path.encode("utf-8", "surrogateescape") + b"\0")
            try:
                mode = os.stat(path).st_mode
                if stat.S_ISREG(mode):
                    with open(path, "rb") as handle:
                        digest.update(handle.read())
                else:  # a FIFO would block the read
                    digest.update(f"not a file: {stat.S_IFMT(mode)}".encode())
            except OSError as err:
                digest.update(f"unreadable: {type(err).__name__}".encode())
            digest.update(b"\0")
    return digest.digest()


def _once(problems: list[TableError]) -> list[TableError]:
    """Each problem once, in the order first found, with how many times it was found (one bad input_size
    shared by a hundred cells is one line, not a hundred)."""
    counts: dict[str, int] = {}
    first: dict[str, TableError] = {}
    for problem in problems:
        counts[str(problem)] = counts.get(str(problem), 0) + 1
        first.setdefault(str(problem), problem)
    return [
        problem
        if counts[key] == 1
        else TableError(
            problem.file, f"{problem.message} ({counts[key]} times)", row=problem.row, column=problem.column
        )
        for key, problem in first.items()
    ]


def load_claims(
    roots: Iterable[Path] | None = None, known_variants: Iterable[str] | None = None, paper: str | None = None
) -> list[Claim]:
    """Every claim of every paper under the roots, or of the paper `paper` alone (its folder is named after its id;
    no other paper is read); TableValidationError listing all problems."""
    claims: list[Claim] = []
    problems: list[TableError] = []
    seen: dict[str, str] = {}
    for root in default_roots() if roots is None else roots:
        problems.extend(_orphans(Path(root)))
    for folder in paper_folders(roots):
        if paper is not None and folder.name != paper:
            continue
        found, problems_found = check_paper(folder, known_variants)
        problems.extend(problems_found)
        if found is None:
            continue
        if found.id in seen:
            problems.append(
                TableError(folder / "paper.toml", f"paper id {found.id!r} is also used by {seen[found.id]}")
            )
        seen[found.id] = str(folder)
        claims.extend(found.claims)
    if problems:
        raise TableValidationError(problems)
    return claims


def _is_report(folder: Path) -> bool:
    """Whether `folder` holds a paperverify report (its one CSV file is report.csv), not tables: `--out` inside a
    tables folder does not break the next run."""
    return [path.name for path in folder.glob("*.csv")] == ["report.csv"]


def _orphans(root: Path) -> list[TableError]:
    """A tables folder that holds no paper, or a paper folder whose paper.toml is missing."""
    if (root / "paper.toml").is_file():
        return []
    if not root.is_dir():
        return [TableError(root, "expected a folder of reference tables. Received: no such folder")]
    problems = [
        TableError(folder / "paper.toml", "expected a paper.toml beside these CSV files. Received: no such file")
        for folder in sorted(p for p in root.iterdir() if p.is_dir())
        if not (folder / "paper.toml").is_file() and any(folder.glob("*.csv")) and not _is_report(folder)
    ]
    if not problems and not any(root.glob("*/paper.toml")):
        if any(root.glob("*.csv")):
            problems.append(
                TableError(root / "paper.toml", "expected a paper.toml beside these CSV files. Received: no such file")
            )
        else:
            problems.append(TableError(root, "expected paper folders (each with a paper.toml). Received: none"))
    return problems


class _Loader(CellReader):
    """Reads one paper folder: its paper.toml validated against the schema, then each table's cells as claims."""

    def load(self) -> Paper | None:
        sidecar = self.folder / "paper.toml"
        missing = not_a_file(sidecar)
        if missing:
            self.problem(sidecar, f"expected a paper.toml describing the paper and its tables. Received: {missing}")
            return None
        try:
            text = sidecar.read_text(encoding="utf-8-sig")  # any line ends, CR alone included, read as LF
            data = tomllib.loads(text)
        except OSError as err:
            self.problem(sidecar, f"cannot read the file: {err.strerror or err}")
            return None
        except RecursionError:
            self.problem(sidecar, "expected valid TOML. Received: arrays or tables nested too deep to read")
            return None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
            self.problem(sidecar, f"expected valid TOML. Received: {err}")
            return None
        if text and not text.endswith("\n"):
            self.problem(sidecar, "expected the file to end with a line break. Received: none (a truncated file?)")
        meta = data.get("paper")
        if not isinstance(meta, dict):
            self.problem(sidecar, "expected a [paper] section with title, authors, arxiv, ... Received: none")
            return None
        self.unknown_keys(sidecar, "[paper]", meta, schema.PAPER.names)
        missing = [key for key in schema.PAPER.required if key not in meta]
        if "arxiv" in meta and "arxiv_version" not in meta:
            missing.append("arxiv_version")  # an arXiv paper is cited with its version, any other by its venue
        if "arxiv" not in meta and "venue" not in meta:
            missing.append("arxiv (with arxiv_version) or venue")
        for key in missing:
            self.problem(sidecar, f"[paper] needs {key!r}. Received: keys {sorted(meta)}")
        if meta.get("id") != self.folder.name:
            self.problem(
                sidecar,
                f"[paper] id must equal the folder name {self.folder.name!r}. Received: {meta.get('id')!r}",
            )
        self.unknown_keys(sidecar, "top level", data, {"paper", "tables"})
        if not self.typed(sidecar, "[paper]", meta, schema.PAPER.types):
            return None
        if "input_size" in meta and not meta["input_size"] > 0:
            self.problem(
                sidecar, f"[paper] input_size must be a positive integer. Received: input_size = {meta['input_size']!r}"
            )
        if "year" in meta and not 1 <= meta["year"] <= 9999:
            self.problem(sidecar, f"[paper] year is a year of publication. Received: year = {meta['year']!r}")
        for convention in meta.get("leaves_open", []):
            if convention not in CONVENTIONS:
                self.problem(
                    sidecar,
                    f"[paper] leaves_open names what a paper may leave open, one of {sorted(CONVENTIONS)}. "
                    f"Received: {convention!r}",
                )
        if meta.get("leaves_open") and not meta.get("leaves_open_source", "").strip():
            self.problem(
                sidecar, "[paper] leaves_open needs leaves_open_source: where the paper shows it (quote and page)"
            )
        left_out = meta.get("left_out", {})
        for label, reason in left_out.items():
            if not isinstance(reason, str) or not reason.strip():
                self.problem(
                    sidecar,
                    f"[paper] left_out maps a printed table the tables leave out to the reason why. Received: "
                    f"{label!r} = {reason!r}",
                )
        meta.setdefault("input_size", 0)  # reported missing above; the tables are still checked
        tables = data.get("tables", [])
        if not isinstance(tables, list) or not all(isinstance(table, dict) for table in tables):
            self.problem(sidecar, f"expected [[tables]] entries. Received: tables = {tables!r}")
            return None
        if not tables:
            self.problem(sidecar, "expected at least one [[tables]] entry. Received: none")
        paper = Paper(id=self.folder.name, folder=self.folder, meta=meta, tables=tables)
        both = sorted(set(left_out) & {table.get("label") for table in tables})
        if both:
            self.problem(sidecar, f"[paper] left_out names tables that are transcribed too: {both}")
        table_ids: set[str] = set()
        for index, table in enumerate(tables):
            where = f"[[tables]] #{index + 1}"
            self.unknown_keys(sidecar, where, table, schema.TABLE.names)
            if not self.table_typed(sidecar, f"{where} ({table.get('id', '?')})", table):
                continue
            table_id = table.get("id")
            if not table_id:
                self.problem(sidecar, f"{where} needs an 'id'. Received: keys {sorted(table)}")
                continue
            if not _PLAIN_NAME.fullmatch(str(table_id)):
                self.problem(
                    sidecar, f"{where}: id must be a plain name (letters, digits, _ . -). Received: {table_id!r}"
                )
                continue
            if table_id in table_ids:
                self.problem(sidecar, f"table id {table_id!r} is used twice")
            table_ids.add(table_id)
            paper.claims.extend(self.load_table(paper, table))
        files = [table.get("file") for table in tables if isinstance(table, dict)]
        for file in sorted({file for file in files if files.count(file) > 1}, key=str):
            self.problem(sidecar, f"two [[tables]] entries declare {file!r}: its claims would count twice; keep one")
        declared = set(files)
        for path in sorted(self.folder.glob("*.csv")):
            if path.name not in declared:
                self.problem(path, "no [[tables]] entry in paper.toml declares this CSV file (a truncated paper.toml?)")
        ids: set[str] = set()
        for claim in paper.claims:
            if claim.id in ids:
                self.problem(sidecar, f"two cells make the same claim id {claim.id!r}; give their rows distinct keys")
            ids.add(claim.id)
        return paper

    def inside(self, path: Path, sidecar: Path, where: str, name: str) -> bool:
        """Whether a file a table names lies inside the paper's folder (never read from anywhere else)."""
        try:
            inside = path.resolve().is_relative_to(self.folder.resolve())
        except (OSError, RuntimeError) as err:  # a symbolic link loop
            self.problem(sidecar, f"{where}: cannot resolve file {name!r}: {err}")
            return False
        if Path(name).is_absolute() or ".." in Path(name).parts or not inside:
            self.problem(sidecar, f"{where}: file must name a file inside the paper's folder. Received: {name!r}")
            return False
        return True

    def unchecked_keys(self, file: Path, section: dict[str, Any], **where: str) -> None:
        """A row or column with check = false makes no claim, so it takes nothing but its reason and, for a
        column, the variant it names for the rows' claims (a stray key there is most likely another entry's,
        whose section header was lost)."""
        allowed = {"check", "reason", "variant"} if "column" in where else {"check", "reason"}
        stray = sorted(set(section) - allowed) if section.get("check", True) is False else []
        if stray:
            self.problem(
                file,
                f"check = false makes no claim, so only a reason goes with it. Received: {', '.join(stray)}; "
                "if they belong to another entry, restore its section header",
                **where,
            )

    def typed(self, file: Path, where: str, section: dict[str, Any], types: _Schema) -> bool:
        """Whether every known key of `section` has its schema type; a problem for each that does not."""
        ok = True
        for key, expected in types.items():
            if key in section and not schema.matches(section[key], expected):
                self.problem(
                    file,
                    f"{where}: {key} must be {schema.describe(expected)}. Received: {section[key]!r} "
                    f"({type(section[key]).__name__})",
                )
                ok = False
        return ok

    def table_typed(self, sidecar: Path, where: str, table: dict[str, Any]) -> bool:
        """Every type in one [[tables]] entry: its keys, its columns, rows, tolerances and errata."""
        ok = self.typed(sidecar, where, table, schema.TABLE.types)
        for section, types in (("columns", schema.COLUMN.types), ("rows", schema.ROW.types)):
            for name, spec in table.get(section, {}).items() if isinstance(table.get(section), dict) else ():
                label = f"{where} {section[:-1]} {name!r}"
                if not isinstance(spec, dict):
                    self.problem(sidecar, f"{label} must be a table of keys. Received: {spec!r}")
                    ok = False
                    continue
                ok = self.typed(sidecar, label, spec, types) and ok
                points = spec.get("points", {})
                if isinstance(points, dict) and not all(isinstance(point, str) for point in points.values()):
                    self.problem(sidecar, f"{label}: points maps a column to a named point. Received: {points!r}")
                    ok = False
                config = spec.get("config", {})
                if isinstance(config, dict) and not all(isinstance(v, _CONFIG_VALUE) for v in config.values()):
                    self.problem(sidecar, f"{label}: config values must be strings or numbers. Received: {config!r}")
                    ok = False
                elif isinstance(config, dict):
                    large = {k: v for k, v in config.items() if isinstance(v, int | float) and abs(v) > MAX_OPTION}
                    if large:
                        self.problem(
                            sidecar,
                            f"{label}: config values are at most {MAX_OPTION} (a larger network could not be built "
                            f"here). Received: {large}",
                        )
                        ok = False
        added = table.get("added_columns", {})
        if isinstance(added, dict) and not all(isinstance(text, str) for text in added.values()):
            self.problem(
                sidecar, f"{where} added_columns: each value must say why the column was added. Received: {added!r}"
            )
            ok = False
        for section in ("tolerances", "errata", "unchecked"):
            for entry in table.get(section, []) if isinstance(table.get(section), list) else ():
                if isinstance(entry, dict):
                    ok = self.typed(sidecar, f"{where} {section} entry", entry, ENTRIES[section].types) and ok
        return ok

    def load_table(self, paper: Paper, table: dict[str, Any]) -> list[Claim]:
        sidecar = self.folder / "paper.toml"
        before = len(self.problems)
        where = f"table {table['id']!r}"
        for key in ("kind", "file", "label", "row_key"):
            if key not in table:
                self.problem(sidecar, f"{where} needs {key!r}. Received: keys {sorted(table)}")
                return []
        if table["kind"] not in TABLE_KINDS:
            self.problem(sidecar, f"{where}: kind must be one of {list(TABLE_KINDS)}. Received: {table['kind']!r}")
            return []
        if "unpaginated" in paper.meta:
            if "page" in table:
                self.problem(
                    sidecar,
                    f"{where}: [paper] unpaginated says the source has no page numbers. Received: page = "
                    f"{table['page']!r} (remove it, or remove unpaginated)",
                )
        elif table["kind"] == "grid" and not isinstance(table.get("page"), int):
            self.problem(sidecar, f"{where}: a grid table needs its page (an integer). Received: {table.get('page')!r}")
        elif isinstance(table.get("page"), int) and table["page"] < 1:
            self.problem(sidecar, f"{where}: a page is a positive integer. Received: page = {table['page']!r}")
        path = self.folder / table["file"]
        if not self.inside(path, sidecar, where, table["file"]):
            return []
        missing = not_a_file(path)
        if missing:
            self.problem(path, f"{where} declares this file. Received: {missing}")
            return []
        header, rows = read_csv(path, table["row_key"], self.problem)
        if header is None:
            return []
        for name in table.get("columns", {}):
            self.unknown_keys(sidecar, f"{where} column {name!r}", table["columns"][name], schema.COLUMN.names)
            self.unchecked_keys(sidecar, table["columns"][name], column=name)
        for name, row in table.get("rows", {}).items():
            self.unknown_keys(sidecar, f"{where} row {name!r}", row, schema.ROW.names)
            if name not in rows:
                self.problem(path, f"paper.toml declares row {name!r}; no row of the CSV has that key", row=name)
            if row.get("check", True) is False and not str(row.get("reason", "")).strip():
                self.problem(sidecar, "a row with check = false needs a reason", row=name)
            self.unchecked_keys(sidecar, row, row=name)
            if isinstance(row.get("repeat", 1), int) and not 1 <= row.get("repeat", 1) <= MAX_REPEAT:
                self.problem(
                    sidecar, f"repeat must be an integer from 1 to {MAX_REPEAT}. Received: {row['repeat']!r}", row=name
                )
            for column in row.get("points", {}):
                if column not in header:
                    self.problem(sidecar, f"points names column {column!r}. Received: CSV columns {header}", row=name)
        for name, column in table.get("columns", {}).items():
            prefixes = column.get("prefixes", "decimal")
            if prefixes not in PREFIXES:
                self.problem(sidecar, f"prefixes must be one of {list(PREFIXES)}. Received: {prefixes!r}", column=name)
            elif prefixes == "binary" and not str(column.get("prefixes_reason", "")).strip():
                self.problem(sidecar, "binary prefixes (K = 1024) need a prefixes_reason", column=name)
        adjustments = self.adjustments(path, table, header, rows)
        builder = self.grid_claims if table["kind"] == "grid" else self.statement_claims
        self.empty_cells = []
        claims = list(builder(paper, table, path, header, rows, adjustments))
        declared = table.get("claims")
        if declared is not None and declared != len(claims) and len(self.problems) == before:
            empty = ", ".join(f"({row!r}, {column!r})" for row, column in self.empty_cells) or "none"
            self.problem(
                path,
                f"paper.toml declares {declared} claims for table {table['id']!r}; its cells make {len(claims)}. "
                f"A cell or row was lost or added. Empty cells in checked columns: {empty}",
            )
        return claims

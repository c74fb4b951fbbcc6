"""What reference tables become: claims (one checkable cell each), where each was printed, what it is about,
and the problems found reading the tables, each located by file, row and column (paperverify.tables reads them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from paperverify.printed import Interval
from paperverify.structure import LayerSpec

#: What a paper may leave open (`[paper] leaves_open`, with the words or figure that show it in
#: `leaves_open_source`): our implementation's choice there is not the paper's, and the equivalence check runs
#: ours with the user's. Name -> what it is.
LRN_CONSTANTS = "lrn_constants"
CONVENTIONS = {
    LRN_CONSTANTS: "the size, α, β and k of local response normalisation",
}


class TableError(ValueError):
    """One problem in a reference table, located by file, row and column."""

    def __init__(self, file: Path | str, message: str, *, row: str | None = None, column: str | None = None) -> None:
        row, column, message = (None if x is None else _one_line(x) for x in (row, column, message))
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
        extra = "".join(
            f", {key}={value!r}" for key, value in self.options if (key, value) != ("input_size", self.input_size)
        )
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
    venue: str = ""
    #: What the paper leaves open (`CONVENTIONS`).
    leaves_open: tuple[str, ...] = ()

    def __str__(self) -> str:
        page = f", p. {self.page}" if self.page is not None else ""
        origin = f"arXiv {self.arxiv}" if self.arxiv else self.venue
        return f"{origin}, {self.label}{page}, row {self.row!r}, column {self.column!r}"


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
    unit: str | None = None  # the unit paper.toml declares for the printed value (None: not declared)


@dataclass
class Paper:
    """A paper's metadata and every claim its tables make."""

    id: str
    folder: Path
    meta: dict[str, Any]
    tables: list[dict[str, Any]]
    claims: list[Claim] = field(default_factory=list)

    @property
    def left_out(self) -> dict[str, str]:
        """The printed tables not transcribed, each with why (`[paper] left_out`)."""
        return dict(self.meta.get("left_out", {}))


def _one_line(text: str) -> str:
    """A problem is one line: line breaks inside a cell (a stray quote joins lines) are shown escaped."""
    return text.replace("\r", "\\r").replace("\n", "\\n")

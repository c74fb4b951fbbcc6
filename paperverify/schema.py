"""The paper.toml schema, declared once as data: every section's keys, their TOML types, which are required and
what each means. paperverify.tables validates from it; docs/paper-toml.md is generated from it
(`paperverify tables --schema > docs/paper-toml.md`, and a test keeps the two the same).

A key's type is a Python type, a tuple of the types it may have, or `("list", type)` for a list of that type.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Key:
    """One key of a section."""

    name: str
    type: Any
    description: str
    required: bool = False


@dataclass(frozen=True)
class Section:
    """One kind of TOML table in paper.toml, and its keys."""

    header: str
    description: str
    keys: tuple[Key, ...]

    @property
    def names(self) -> set[str]:
        return {key.name for key in self.keys}

    @property
    def types(self) -> dict[str, Any]:
        return {key.name: key.type for key in self.keys}

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(key.name for key in self.keys if key.required)


_CHECK = Key("check", bool, "`false`: the printed cells make no claim (a label, a hyper-parameter); needs `reason`.")
_REASON = Key("reason", str, "Why `check = false`: what the cells are, and where they are held instead.")
_QUANTITY = Key(
    "quantity", str, "The quantity the cells state (paperverify.quantities: `params`, `output_shape`, ...)."
)
_VARIANT = Key("variant", str, "The registered variant the cells are about (`resnet50`).")
_CONFIG = Key(
    "config", dict, "Builder options the claims need, plain scalars (`{ alpha = 0.75, input_size = 192 }`); "
    "`input_size` is the resolution the claim is probed at."
)  # fmt: skip
_CONFIG_REASON = Key("config_reason", str, "Where the paper says so: every `config` needs one.")
_UNIT = Key(
    "unit", str, 'The unit every value is printed in (`×10^9`, `M`, `""` for a plain count); another is an error.'
)
_SCALE = Key("scale", str, "A power of ten the printed numbers are in (`\"10^6\"` for a table 'in millions').")
_ROW = Key("row", str, "The row key of the cell.", required=True)
_COLUMN = Key("column", str, "The column header of the cell.", required=True)
_ENTRY_REASON = Key("reason", str, "Why: the arithmetic or the words that show it.", required=True)
_CITATION = Key("citation", str, "Where in the paper (or another source) the reason is found.", required=True)

PAPER = Section(
    "[paper]",
    "The paper: its provenance, conventions and what it leaves out.",
    (
        Key("id", str, "The folder's name: `<firstauthor><year>_<arch>` (`he2016_resnet`).", required=True),
        Key("title", str, "The title as printed.", required=True),
        Key("authors", ("list", str), "Every author, in the printed order.", required=True),
        Key("year", int, "The year of the version transcribed.", required=True),
        Key("venue", str, "Journal or proceedings (volume, issue, year) for a paper not on arXiv."),
        Key("arxiv", str, "The arXiv identifier (`1512.03385`)."),
        Key("arxiv_version", str, "The arXiv version transcribed (`v1`): every page cited is that version's."),
        Key("pages", str, "How the PDF's page index maps to printed page numbers, where they differ."),
        Key("unpaginated", str, "Why the source has no page numbers (an HTML rendering): tables then give no page."),
        Key("architecture", str, "The registered architecture its variants belong to (`resnet`).", required=True),
        Key("macs_convention", str, "What the paper's FLOPs or Mult-Adds count, with the words that say it."),
        Key("input_size", int, "The input side claims are checked at unless a `config` says otherwise.", required=True),
        Key("input_size_source", str, "The sentence or figure that states the input size."),
        Key("leaves_open", ("list", str), 'What the paper leaves to the implementation (`"lrn_constants"`).'),
        Key("leaves_open_source", str, "Where the paper shows what it leaves open."),
        Key("left_out", dict, 'Printed tables not transcribed: label -> why (`{ "Tables 2-5" = "error rates" }`).'),
    ),
)
TABLE = Section(
    "[[tables]]",
    "One transcribed table: a CSV beside paper.toml, `grid` (rows × columns as printed) or `statements` (one "
    "printed sentence or number a row).",
    (
        Key("id", str, "The table's id in claim ids (`table1`): a plain name.", required=True),
        Key("kind", str, "`grid` or `statements`.", required=True),
        Key("file", str, "The CSV, inside the paper's folder.", required=True),
        Key("label", str, "The label the paper prints (`Table 1`, `Figure 5`).", required=True),
        Key("page", int, "The PDF page it is printed on (a grid table needs it unless `[paper] unpaginated`)."),
        Key("caption", str, "The caption, verbatim."),
        Key("row_key", str, "The CSV column holding each row's key.", required=True),
        Key("transcription", str, "How the table was read: rendered page, notation, internal arithmetic checked."),
        Key("added_columns", dict, "Each CSV column the transcriber added (the row key): name -> why."),
        Key("columns", dict, 'What each column states: `[tables.columns."NAME"]` sections.'),
        Key("rows", dict, "What each row states: `[tables.rows.KEY]` sections; every CSV row needs one."),
        Key("tolerances", ("list", dict), "Widened tolerances: `[[tables.tolerances]]` entries."),
        Key("errata", ("list", dict), "Recorded misprints: `[[tables.errata]]` entries."),
        Key("unchecked", ("list", dict), "Single cells left unchecked: `[[tables.unchecked]]` entries."),
        Key("claims", int, "How many claims the cells make: a lost or added cell is then an error."),
    ),
)
COLUMN = Section(
    '[tables.columns."NAME"]',
    "What a grid column's cells state.",
    (
        _CHECK,
        _REASON,
        _QUANTITY,
        Key("variants", (str, ("list", str)), "The variants a column of every variant is about (with `quantity`)."),
        _VARIANT,
        _CONFIG,
        _CONFIG_REASON,
        _UNIT,
        _SCALE,
        Key("prefixes", str, "`decimal` (K, M, G are powers of 1000, the default) or `binary` (powers of 1024)."),
        Key("prefixes_reason", str, "Why the prefixes are binary."),
        Key("claim_name", str, "The claim id's last part where two columns state one quantity of a row."),
    ),
)
ROW = Section(
    "[tables.rows.KEY]",
    "What a row states: a named point, the layers under it, or a model configuration.",
    (
        _CHECK,
        _REASON,
        Key("point", str, "The named point (layer prefix) the row is about (`conv3_x`)."),
        Key("points", dict, "A point per column, where each column's cell is about another point: header -> point."),
        Key("layers", ("list", str), "The named points a claim covers (several, or one other than `point`)."),
        Key("exclude", ("list", str), "Points left out of `layers`; `*` stands for any part of a name (`*.se`)."),
        _QUANTITY,
        _CONFIG,
        _CONFIG_REASON,
        _UNIT,
        _SCALE,
        Key("variant", str, "The variant a row of a table of models is about; its quantity columns check it."),
        Key("repeat", int, "A printed repeat beside the row (`5×`): the structure cell is expected that many times."),
    ),
)
TOLERANCE = Section(
    "[[tables.tolerances]]",
    "A tolerance wider than the printed precision, for one cell.",
    (_ROW, _COLUMN, Key("absolute", str, "The half-width, printed as the cell is (`0.1×10^9`, `1B`).", True),
     _ENTRY_REASON, _CITATION),
)  # fmt: skip
ERRATUM = Section(
    "[[tables.errata]]",
    "A misprint: the cell is checked against the corrected value.",
    (_ROW, _COLUMN, Key("printed", str, "The cell as printed.", required=True),
     Key("corrected", str, "The value the arithmetic shows was meant.", required=True), _ENTRY_REASON, _CITATION),
)  # fmt: skip
UNCHECKED = Section(
    "[[tables.unchecked]]",
    "One cell of a checked row and column that cannot be checked (a figure counted in a way the paper does not say).",
    (_ROW, _COLUMN, _ENTRY_REASON),
)

#: Every section, in the order a paper.toml holds them.
SECTIONS = (PAPER, TABLE, COLUMN, ROW, TOLERANCE, ERRATUM, UNCHECKED)


def matches(value: Any, kind: Any) -> bool:
    """Whether a TOML value has the type `kind` (a bool is no integer)."""
    if isinstance(kind, tuple) and kind and kind[0] == "list":
        return isinstance(value, list) and all(matches(item, kind[1]) for item in value)
    if isinstance(kind, tuple):
        return any(matches(value, option) for option in kind)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def describe(kind: Any) -> str:
    """A type in words: `a string`, `a list of strings`, `a string or a list of strings`."""
    if isinstance(kind, tuple) and kind and kind[0] == "list":
        return f"a list of {_NOUNS[kind[1]]}s"
    if isinstance(kind, tuple):
        return " or ".join(describe(option) for option in kind)
    return "true or false" if kind is bool else f"{'an' if kind is int else 'a'} {_NOUNS[kind]}"


_NOUNS = {str: "string", int: "integer", bool: "boolean", dict: "table", list: "list"}


def reference() -> str:
    """The schema as Markdown: a table of keys per section."""
    lines = [
        "# paper.toml reference",
        "",
        "Generated from `paperverify/schema.py` by `paperverify tables --schema`; do not edit by hand. How to use",
        "these keys, with examples: [adding-a-paper.md](adding-a-paper.md).",
    ]
    for section in SECTIONS:
        lines += ["", f"## `{section.header}`", "", section.description, "", "| key | type | required | meaning |",
                  "|---|---|---|---|"]  # fmt: skip
        lines += [
            f"| `{key.name}` | {describe(key.type)} | {'yes' if key.required else ''} | {key.description} |"
            for key in section.keys
        ]
    return "\n".join(lines) + "\n"

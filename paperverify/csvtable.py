"""Reading a reference table's CSV file: UTF-8 text with LF or CRLF line ends, a header naming the row key column,
one row per key; every problem located by file, line or row, and column."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

#: How a reader reports a problem: (file, message, row=..., column=...).
Problem = Callable[..., None]
#: A table's rows by row key: the line each starts on and its cells by column.
Rows = dict[str, tuple[int, dict[str, str]]]

#: A CSV whose lines end in a carriage return alone (as old Mac editors saved them).
CR_ONLY = "expected lines ending in LF or CRLF. Received: line ends of a carriage return alone (save it again as LF)"


def not_a_file(path: Path) -> str:
    """Why `path` is not a regular file to read ('' when it is)."""
    try:
        if path.is_file():
            return ""
        if path.is_dir():
            return "a folder, not a file"
        if path.is_symlink():
            return "a symbolic link to nothing"
        return "no such file" if not path.exists() else "not a regular file (a FIFO or a device?)"
    except OSError as err:  # a symbolic link loop, a permission denied on the folder
        return f"cannot be read ({err.strerror or err})"


def read_csv(path: Path, row_key: str, problem: Problem) -> tuple[list[str] | None, Rows]:
    """The header and the rows (by row key: line number and cells, stripped) of a CSV file, every problem handed to
    `problem`: (None, {}) where the file cannot be read as a whole; a bad row is reported and left out."""
    try:
        raw = path.read_bytes()
    except OSError as err:
        problem(path, f"cannot read the file: {err.strerror or err}")
        return None, {}
    try:
        # CRLF line ends read as LF, inside a quoted multi-line cell too (Xception's Figure 5 boxes).
        text = raw.decode("utf-8-sig").replace("\r\n", "\n")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        problem(
            path,
            f"expected UTF-8 text. Received: byte {raw[err.start : err.start + 1]!r} that is not UTF-8 "
            "(save the file as UTF-8)",
            row=f"on line {line}",
        )
        return None, {}
    if "\r" in text:
        problem(path, CR_ONLY)
        return None, {}
    if text and not text.endswith("\n"):
        problem(
            path,
            "expected the file to end with a line break. Received: a last line without one (a truncated file?)",
            row=f"on line {text.count(chr(10)) + 1}",
        )
        return None, {}
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        records = list(reader)
    except csv.Error as err:
        problem(path, f"expected a CSV file. Received: {err}", row=f"on line {reader.line_num}")
        return None, {}
    if not records:
        problem(path, "expected a header row. Received: an empty file")
        return None, {}
    header = [name.strip() for name in records[0]]
    if row_key not in header:
        problem(path, f"expected the row key column {row_key!r}. Received: columns {header}", column=row_key)
        return None, {}
    for name in {name for name in header if header.count(name) > 1}:
        problem(path, "a column header appears twice", column=name)
    rows: Rows = {}
    for line, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue
        if len(record) != len(header):
            problem(path, f"expected {len(header)} cells. Received: {len(record)}", row=f"on line {line}")
            continue
        cells = {name: cell.strip() for name, cell in zip(header, record, strict=True)}
        key = cells[row_key]
        if not key:
            problem(path, "expected a row key. Received: an empty cell", row=f"on line {line}", column=row_key)
        elif key in rows:
            problem(
                path,
                f"duplicate row key {key!r} (first on line {rows[key][0]})",
                row=f"{key!r} (line {line})",
                column=row_key,
            )
        else:
            rows[key] = (line, cells)
    return header, rows

"""Damaged reference tables: every kind of damage either gives one-line errors that name the file (and the
row and column where the damage sits), or, for harmless changes (a byte-order mark, CRLF line ends), loads
exactly the same claims. Never a traceback, never a claim that silently disappears or changes.

Hypothesis picks the shipped paper folder, the file and the place each damage hits. `DAMAGES` is the
catalogue; docs/reliability.md lists it.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from paperverify.claims import Claim, TableValidationError
from paperverify.tables import default_roots, load_claims, paper_folders
from tests.examples import folder_examples

FOLDERS = paper_folders(default_roots())
#: Each shipped paper's claims, loaded once: what an undamaged copy loads.
SHIPPED = {folder.name: load_claims([folder]) for folder in FOLDERS}


@dataclass(frozen=True)
class Expect:
    """What the errors must name: the file, and each of `where` (a row key, a line, a column) in one line."""

    file: str | tuple[str, ...]
    where: tuple[str, ...] = ()


NEUTRAL = None  # the damage changes nothing a claim depends on: the same claims must load

Damage = Callable[[Path, st.DataObject], "Expect | None"]
DAMAGES: dict[str, Damage] = {}


def damage(name: str) -> Callable[[Damage], Damage]:
    def register(function: Damage) -> Damage:
        DAMAGES[name] = function
        return function

    return register


# --- helpers ----------------------------------------------------------------------------------------


def _csvs(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.csv"))


def _read(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def _write(path: Path, rows: list[list[str]]) -> None:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def _pick_csv(folder: Path, data: st.DataObject) -> tuple[Path, list[list[str]]]:
    path = data.draw(st.sampled_from(_csvs(folder)), label="csv")
    return path, _read(path)


def _checked_cells(folder: Path) -> set[tuple[str, str, str]]:
    """The cells of an undamaged copy of a shipped paper that make claims."""
    return {(Path(c.source.file).name, c.source.row, c.source.column) for c in SHIPPED[folder.name]}


def _pick_cell(folder: Path, data: st.DataObject, pattern: str = r".") -> tuple[Path, list[list[str]], int, int]:
    """A checked cell whose text matches `pattern`: (path, rows, row index, column index). Every shipped
    table keeps its row key in the first column."""
    checked = _checked_cells(folder)
    options = []
    for path in _csvs(folder):
        rows = _read(path)
        for i, row in enumerate(rows[1:], start=1):
            for j, text in enumerate(row):
                if (path.name, row[0], rows[0][j]) in checked and re.search(pattern, text):
                    options.append((path, i, j))
    assume(options)
    path, i, j = data.draw(st.sampled_from(options), label="cell")
    return path, _read(path), i, j


def _cell_expect(path: Path, rows: list[list[str]], i: int, j: int) -> Expect:
    return Expect(path.name, (repr(rows[i][0]), f"line {i + 1}", repr(rows[0][j])))


def _edit_cell(folder: Path, data: st.DataObject, pattern: str, edit: Callable[[str], str]) -> Expect:
    path, rows, i, j = _pick_cell(folder, data, pattern)
    rows[i][j] = edit(rows[i][j])
    _write(path, rows)
    return _cell_expect(path, rows, i, j)


def _toml(folder: Path) -> Path:
    return folder / "paper.toml"


def _edit_toml_line(folder: Path, data: st.DataObject, pattern: str, replacement: str) -> Expect:
    """Replace one line matching `pattern` (drawn among them) by the regex `replacement`."""
    path = _toml(folder)
    lines = path.read_text(encoding="utf-8").split("\n")
    options = [i for i, line in enumerate(lines) if re.match(pattern, line)]
    assume(options)
    i = data.draw(st.sampled_from(options), label="line")
    lines[i] = re.sub(pattern, replacement, lines[i])
    path.write_text("\n".join(lines), encoding="utf-8")
    return Expect(("paper.toml", ".csv"))  # the sidecar, or the cells the broken declaration governs


# --- cells --------------------------------------------------------------------------------------------


@damage("cell emptied")
def _(folder: Path, data: st.DataObject) -> Expect:
    path, rows, i, j = _pick_cell(folder, data)
    rows[i][j] = ""
    _write(path, rows)
    return Expect(path.name)


@damage("cell removed (row one cell short)")
def _(folder: Path, data: st.DataObject) -> Expect:
    path, rows, i, j = _pick_cell(folder, data)
    del rows[i][j]
    _write(path, rows)
    return Expect(path.name, (f"line {i + 1}",))


@damage("cell added (row one cell long)")
def _(folder: Path, data: st.DataObject) -> Expect:
    path, rows, i, j = _pick_cell(folder, data)
    rows[i].insert(j, "7")
    _write(path, rows)
    return Expect(path.name, (f"line {i + 1}",))


for _name, _pattern, _edit in [
    ("number: digit 0 as letter O", r"\d0|0\d|^0", lambda t: t.replace("0", "O", 1)),
    ("number: digit 1 as letter l", r"1", lambda t: t.replace("1", "l", 1)),
    ("number: decimal comma", r"\d\.\d", lambda t: re.sub(r"(\d)\.(\d)", r"\1,\2", t, count=1)),
    ("number: doubled decimal point", r"\d\.\d", lambda t: t.replace(".", "..", 1)),
    ("number: exponent cut off", r"×10\^\d", lambda t: re.sub(r"×10\^\d+", "×10^", t)),
    ("number: trailing word", r"^\d[\d.,]*(×10\^\d+)?$", lambda t: t + " FLOPs"),
    ("number: leading sign", r"^\d[\d.,]*(×10\^\d+)?$", lambda t: "~" + t),
    ("unit: exponent changed", r"×10\^9", lambda t: t.replace("×10^9", "×10^6")),
    ("unit: scale written as G", r"×10\^9", lambda t: t.replace("×10^9", "G")),
    ("unit: scale dropped", r"×10\^\d", lambda t: re.sub(r"\s*×10\^\d+", "", t)),
    ("unit: scale added to a count", r"^\d+$", lambda t: t + "M"),
    ("shape: last side dropped", r"^\d+×\d+", lambda t: t.rsplit("×", 1)[0] + "×"),
    ("shape: ASCII x for ×", r"^\d+×\d+", lambda t: t.replace("×", "x")),
    ("shape: side missing", r"^\d+×\d+", lambda t: "×" + t.split("×", 1)[1]),
    ("structure: bracket not closed", r"\]", lambda t: t.replace("]", "", 1)),
    ("structure: repeat ASCII x", r"\] ×\d", lambda t: t.replace("] ×", "] x", 1)),
    ("structure: kernel not square", r"\d×\d, \d", lambda t: re.sub(r"(\d)×\d", r"\1×", t, count=1)),
    ("structure: layer garbled", r"\d+-d fc|max pool|conv\d-\d", lambda t: t.replace("fc", "fx").replace("max", "mx")),
]:
    DAMAGES[_name] = lambda folder, data, p=_pattern, e=_edit: _edit_cell(folder, data, p, e)


@damage("cell: NUL byte")
def _(folder: Path, data: st.DataObject) -> Expect:
    path, rows, i, j = _pick_cell(folder, data)
    rows[i][j] = rows[i][j][:1] + "\x00" + rows[i][j][1:]
    _write(path, rows)
    return Expect(path.name)


@damage("cell: stray quote")
def _(folder: Path, data: st.DataObject) -> Expect:
    path, _, i, _ = _pick_cell(folder, data)
    text = path.read_text(encoding="utf-8").split("\n")
    text[i] = '"' + text[i]
    path.write_text("\n".join(text), encoding="utf-8")
    return Expect(path.name)


# --- rows, columns, headers ---------------------------------------------------------------------------


@damage("header renamed")
def _(folder: Path, data: st.DataObject) -> Expect:
    path, rows = _pick_csv(folder, data)
    j = data.draw(st.integers(0, len(rows[0]) - 1), label="column")
    name = rows[0][j]
    rows[0][j] = name + " (2)"
    _write(path, rows)
    return Expect("", (name,))


@damage("header changed case")
def _(folder: Path, data: st.DataObject) -> Expect:
    path, rows = _pick_csv(folder, data)
    j = data.draw(st.integers(0, len(rows[0]) - 1), label="column")
    assume(rows[0][j] != rows[0][j].swapcase())
    rows[0][j] = rows[0][j].swapcase()
    _write(path, rows)
    return Expect(path.name)


@damage("row duplicated")
def _(folder: Path, data: st.DataObject) -> Expect:
    path, rows = _pick_csv(folder, data)
    i = data.draw(st.integers(1, len(rows) - 1), label="row")
    rows.insert(i, list(rows[i]))
    _write(path, rows)
    return Expect(path.name, ("duplicate row key", repr(rows[i][0])))


@damage("row deleted")
def _(folder: Path, data: st.DataObject) -> Expect:
    path, rows = _pick_csv(folder, data)
    i = data.draw(st.integers(1, len(rows) - 1), label="row")
    key = rows[i][0]
    del rows[i]
    _write(path, rows)
    return Expect(path.name) if "quote" in rows[0] else Expect(path.name, (repr(key),))


@damage("row key changed (printed table)")
def _(folder: Path, data: st.DataObject) -> Expect:
    # A statement's key is only its label: renamed, its value is still checked under the new id, and an
    # erratum, tolerance or deviation that names the old key fails. A printed table's rows are declared.
    path, rows = _pick_csv(folder, data)
    assume("quote" not in rows[0])
    i = data.draw(st.integers(1, len(rows) - 1), label="row")
    rows[i][0] = rows[i][0] + "_b"
    _write(path, rows)
    return Expect("", (repr(rows[i][0]),))


@damage("row key emptied")
def _(folder: Path, data: st.DataObject) -> Expect:
    path, rows = _pick_csv(folder, data)
    i = data.draw(st.integers(1, len(rows) - 1), label="row")
    rows[i][0] = ""
    _write(path, rows)
    return Expect(path.name, (f"line {i + 1}",))


@damage("row shifted by one column")
def _(folder: Path, data: st.DataObject) -> Expect:
    path, rows = _pick_csv(folder, data)
    i = data.draw(st.integers(1, len(rows) - 1), label="row")
    assume(len(set(rows[i])) > 1)
    rows[i] = rows[i][1:] + rows[i][:1]
    _write(path, rows)
    return Expect("")


@damage("header row deleted")
def _(folder: Path, data: st.DataObject) -> Expect:
    path, rows = _pick_csv(folder, data)
    _write(path, rows[1:])
    return Expect(path.name)


# --- files and encodings ------------------------------------------------------------------------------


@damage("CSV emptied")
def _(folder: Path, data: st.DataObject) -> Expect:
    path, _ = _pick_csv(folder, data)
    path.write_text("", encoding="utf-8")
    return Expect(path.name, ("empty",))


@damage("CSV deleted")
def _(folder: Path, data: st.DataObject) -> Expect:
    path, _ = _pick_csv(folder, data)
    path.unlink()
    return Expect(path.name, ("no such file",))


@damage("CSV saved as Latin-1")
def _(folder: Path, data: st.DataObject) -> Expect:
    path, _ = _pick_csv(folder, data)
    text = path.read_text(encoding="utf-8")
    assume(any(ord(ch) > 127 for ch in text))
    path.write_bytes(text.encode("latin-1", errors="replace"))
    return Expect(path.name, ("UTF-8", "line"))


@damage("CSV: invalid byte")
def _(folder: Path, data: st.DataObject) -> Expect:
    path, _ = _pick_csv(folder, data)
    raw = path.read_bytes()
    at = data.draw(st.integers(0, len(raw)), label="offset")
    path.write_bytes(raw[:at] + b"\xff" + raw[at:])
    line = raw[:at].count(b"\n") + 1
    return Expect(path.name, (f"line {line}",))


@damage("CSV truncated")
def _(folder: Path, data: st.DataObject) -> Expect:
    path, _ = _pick_csv(folder, data)
    text = path.read_text(encoding="utf-8")
    at = data.draw(st.integers(0, len(text.rstrip()) - 1), label="offset")
    path.write_text(text[:at], encoding="utf-8")
    return Expect("")


@damage("undeclared CSV beside the tables")
def _(folder: Path, data: st.DataObject) -> Expect:
    path, _ = _pick_csv(folder, data)
    shutil.copy(path, folder / f"{path.stem} copy.csv")
    return Expect(f"{path.stem} copy.csv", ("no [[tables]] entry",))


@damage("byte-order mark (harmless)")
def _(folder: Path, data: st.DataObject) -> None:
    path = data.draw(st.sampled_from([*_csvs(folder), _toml(folder)]), label="file")
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    return NEUTRAL


@damage("CRLF line ends (harmless)")
def _(folder: Path, data: st.DataObject) -> None:
    path, _ = _pick_csv(folder, data)
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    return NEUTRAL


@damage("blank lines and spaces around cells (harmless)")
def _(folder: Path, data: st.DataObject) -> None:
    path, rows = _pick_csv(folder, data)
    _write(path, [[f" {cell} " if cell else cell for cell in row] for row in rows] + [[], []])
    return NEUTRAL


# --- statements ---------------------------------------------------------------------------------------


def _statement_edit(folder: Path, data: st.DataObject, column: str, edit: Callable[[str], str]) -> Expect:
    files = [p for p in _csvs(folder) if column in _read(p)[0] and "quote" in _read(p)[0]]
    assume(files)
    path = data.draw(st.sampled_from(files), label="statements")
    rows = _read(path)
    j = rows[0].index(column)
    i = data.draw(st.integers(1, len(rows) - 1), label="row")
    assume(edit(rows[i][j]) != rows[i][j])
    rows[i][j] = edit(rows[i][j])
    _write(path, rows)
    return Expect(path.name, (repr(rows[i][0]),))


for _name, _column, _edit in [
    ("statement: page not a number", "page", lambda t: "p. " + t),
    ("statement: quote emptied", "quote", lambda t: ""),
    ("statement: location emptied", "location", lambda t: ""),
    ("statement: value emptied", "value", lambda t: ""),
    ("statement: variant unknown", "variant", lambda t: t + "x"),
    ("statement: quantity unknown", "quantity", lambda t: "g" + t),
    ("statement: unit changed", "unit", lambda t: "×10^6" if t else "K"),
]:
    DAMAGES[_name] = lambda folder, data, c=_column, e=_edit: _statement_edit(folder, data, c, e)


# --- paper.toml ---------------------------------------------------------------------------------------

for _name, _pattern, _replacement in [
    ("toml: input_size as text", r"^input_size = (\d+)$", r'input_size = "\1"'),
    ("toml: page as text", r"^page = (\d+)$", r'page = "\1"'),
    ("toml: year as text", r"^year = (\d+)$", r'year = "\1"'),
    ("toml: authors as one string", r"^authors = \[.*\]$", 'authors = "Somebody"'),
    ("toml: arxiv_version as a number", r'^arxiv_version = "v(\d+)"$', r"arxiv_version = \1"),
    ("toml: claims as text", r"^claims = (\d+)$", r'claims = "\1"'),
    ("toml: claims count off by one", r"^claims = (\d+)$", r"claims = 1\1"),
    ("toml: check as text", r"^check = false$", 'check = "false"'),
    ("toml: variant unknown", r'^variant = "(\w+)"$', r'variant = "\1_v2"'),
    ("toml: quantity unknown", r'^quantity = "(\w+)"$', r'quantity = "giga\1"'),
    ("toml: table kind unknown", r'^kind = "(\w+)"$', r'kind = "\1s"'),
    ("toml: file renamed", r'^file = "(\w+)\.csv"$', r'file = "\1_old.csv"'),
    ("toml: row_key renamed", r'^row_key = "(\w+)"$', r'row_key = "\1s"'),
    ("toml: config value a list", r'^config = \{ (\w+) = "(\w+)" \}$', r'config = { \1 = ["\2"] }'),
    ("toml: point a list", r'^point = "([\w.]+)"$', r'point = ["\1"]'),
    ("toml: layers a string", r"^layers = \[.*\]$", 'layers = "avgpool"'),
    ("toml: key misspelt", r"^quantity = ", "quantitiy = "),
    ("toml: paper id changed", r'^id = "(\w+_\w+)"$', r'id = "\1x"'),
    ("toml: unit changed", r'^unit = "(.+)"$', r'unit = "\1 0"'),
    ("toml: row section renamed", r"^\[tables\.rows\.([\w.\"]+)\]$", r"[tables.rows.\1x]"),
    ("toml: column section renamed", r'^\[tables\.columns\."(.+)"\]$', r'[tables.columns."\1 "]'),
    ("toml: tolerance reason removed", r"^reason = ", "reasons = "),
    ("toml: string not closed", r'^(\w+) = "([^"]*)"$', r'\1 = "\2'),
]:
    DAMAGES[_name] = lambda folder, data, p=_pattern, r=_replacement: _edit_toml_line(folder, data, p, r)


@damage("toml: duplicate table id")
def _(folder: Path, data: st.DataObject) -> Expect:
    """The statements table takes the id of the paper's first table (`table1`, `figure5`)."""
    first = re.findall(r'^id = "(\w+)"$', _toml(folder).read_text(encoding="utf-8"), flags=re.MULTILINE)[1]
    assume(first != "text")
    return _edit_toml_line(folder, data, r'^id = "text"$', f'id = "{first}"')


@damage("toml: section header deleted")
def _(folder: Path, data: st.DataObject) -> Expect:
    return _edit_toml_line(folder, data, r"^\[tables\.(rows|columns)\..*\]$", "")


@damage("toml: truncated")
def _(folder: Path, data: st.DataObject) -> Expect:
    path = _toml(folder)
    text = path.read_text(encoding="utf-8")
    at = data.draw(st.integers(0, len(text.rstrip()) - 1), label="offset")
    assume(text[at:].strip() and not text[at:].lstrip().startswith("#"))
    path.write_text(text[:at], encoding="utf-8")
    return Expect("")


@damage("toml: emptied")
def _(folder: Path, data: st.DataObject) -> Expect:
    _toml(folder).write_text("", encoding="utf-8")
    return Expect("paper.toml", ("[paper]",))


@damage("toml: deleted")
def _(folder: Path, data: st.DataObject) -> Expect:
    _toml(folder).unlink()
    return Expect("paper.toml", ("no such file",))


@damage("toml: saved as Latin-1")
def _(folder: Path, data: st.DataObject) -> Expect:
    path = _toml(folder)
    path.write_bytes(path.read_text(encoding="utf-8").encode("latin-1", errors="replace"))
    return Expect("paper.toml")


# --- the property -------------------------------------------------------------------------------------


def _summary(claims: list[Claim]) -> list[tuple]:
    return sorted((c.id, c.printed, str(c.expected), str(c.config), c.tolerance, c.point) for c in claims)


ORIGINAL = {name: _summary(claims) for name, claims in SHIPPED.items()}


@pytest.mark.parametrize("kind", sorted(DAMAGES))
@folder_examples
@given(data=st.data())
def test_damage_is_an_error_naming_its_place_or_harmless(kind: str, data: st.DataObject) -> None:
    source = data.draw(st.sampled_from(FOLDERS), label="paper")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / source.name
        shutil.copytree(source, folder)
        expect = DAMAGES[kind](folder, data)
        try:
            claims = load_claims([folder])
        except TableValidationError as err:
            lines = [str(problem) for problem in err.problems]
            assert lines, "an error without problems"
            assert all("\n" not in line and str(folder) in line for line in lines), lines
            if expect is not NEUTRAL:
                files = (expect.file,) if isinstance(expect.file, str) else expect.file
                named = [line for line in lines if any(file in line for file in files)]
                assert named, (expect, lines)
                assert any(all(part in line for part in expect.where) for line in named), (expect, lines)
            else:
                pytest.fail(f"a harmless change was refused: {lines}")
            return
        assert _summary(claims) == ORIGINAL[source.name], f"{kind}: claims changed without an error"


def test_the_catalogue_has_at_least_fifty_kinds_of_damage_and_the_documents_count_them() -> None:
    """The README and docs/reliability.md say how many kinds there are; a kind added or removed updates both."""
    from pathlib import Path

    root = Path(__file__).parent.parent
    assert len(DAMAGES) >= 50
    for document in (root / "README.md", root / "docs" / "reliability.md"):
        assert f"{len(DAMAGES)} kinds of damage" in document.read_text(encoding="utf-8"), document

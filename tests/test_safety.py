"""Safety: reference tables are only data, and `check` imports only the module the user names."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from paperverify.check import CheckError
from paperverify.claims import TableValidationError
from paperverify.tables import load_claims
from paperverify.targets import load_target
from tests.test_tables import SIDECAR

HOSTILE_CELLS = [
    "__import__('pathlib').Path('PWNED').touch()",
    "{{7*7}}",
    "$(touch PWNED)",
    "!!python/object/apply:os.system ['touch PWNED']",
    "cos\nsystem\n(S'touch PWNED'\ntR.",  # a pickle opcode stream
]


@pytest.mark.parametrize("cell", HOSTILE_CELLS, ids=["python", "template", "shell", "yaml", "pickle"])
def test_a_table_cell_is_never_executed(cell: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "demo2016_net"
    folder.mkdir()
    (folder / "paper.toml").write_text(SIDECAR, encoding="utf-8")
    escaped = cell.replace('"', '""')
    (folder / "table1.csv").write_text(f'row,output size,50-layer\nconv1,112×112,"{escaped}"\nflops,,"{escaped}"\n')
    with pytest.raises(TableValidationError) as raised:
        load_claims([folder])
    assert "table1.csv, row 'conv1' (line 2), column '50-layer'" in str(raised.value)
    assert not (tmp_path / "PWNED").exists()


def test_a_sidecar_value_is_never_executed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "demo2016_net"
    folder.mkdir()
    sidecar = SIDECAR.replace("input_size = 224", "input_size = \"__import__('os').system('touch PWNED')\"")
    (folder / "paper.toml").write_text(sidecar, encoding="utf-8")
    (folder / "table1.csv").write_text('row,output size,50-layer\nconv1,112×112,"7×7, 64, stride 2"\n')
    with pytest.raises(TableValidationError, match="input_size must be an integer"):
        load_claims([folder])
    assert not (tmp_path / "PWNED").exists()


def test_check_imports_only_the_named_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "target_module.py").write_text("def build():\n    return 42\n", encoding="utf-8")
    (tmp_path / "neighbour_module.py").write_text(
        "from pathlib import Path\nPath(__file__).with_name('IMPORTED').touch()\n", encoding="utf-8"
    )
    (tmp_path / "__init__.py").write_text("from pathlib import Path\nPath(__file__).with_name('INIT').touch()\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(CheckError, match=r"one of keras\.Model, onnx\.ModelProto, torch\.nn\.Module"):
        load_target(f"{tmp_path / 'target_module.py'}:build", {}, "torch")
    assert not (tmp_path / "IMPORTED").exists() and not (tmp_path / "INIT").exists()
    assert "neighbour_module" not in sys.modules

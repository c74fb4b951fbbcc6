"""The command line: exit codes, the table check, and an installed package finding its tables."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from paperverify.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_tables_lists_papers_and_claim_counts(capsys) -> None:
    assert main(["tables"]) == 0
    out = capsys.readouterr().out
    assert "he2016_resnet  table1  Table 1" in out and "75" in out


def test_tables_check_of_a_valid_folder_says_ok(capsys) -> None:
    assert main(["tables", "--check", str(ROOT / "reference_tables" / "he2016_resnet")]) == 0
    assert capsys.readouterr().out.strip().endswith(": OK")


def test_tables_check_prints_every_problem_and_exits_2(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "broken2020_net"
    folder.mkdir()
    (folder / "paper.toml").write_text('[paper]\nid = "broken2020_net"\n', encoding="utf-8")
    assert main(["tables", "--check", str(folder)]) == 2
    out = capsys.readouterr().out
    assert "[paper] needs 'title'" in out and "at least one [[tables]]" in out


def test_report_exits_2_on_bad_table_data(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "broken2020_net"
    folder.mkdir()
    (folder / "paper.toml").write_text("not toml [", encoding="utf-8")
    assert main(["report", "--framework", "torch", "--tables", str(tmp_path), "--out", str(tmp_path)]) == 2
    assert "expected valid TOML" in capsys.readouterr().err


def test_report_exits_2_for_an_unknown_paper(capsys) -> None:
    assert main(["report", "--framework", "torch", "--paper", "nobody2099_net", "--out", "unused"]) == 2


def test_report_exits_0_when_every_claim_matches_and_writes_every_format(tmp_path: Path, capsys) -> None:
    assert main(["report", "--framework", "torch", "--out", str(tmp_path), "--format", "json,md,csv"]) == 0
    assert "103 claims × 1 framework(s): 103 match" in capsys.readouterr().out
    assert sorted(path.name for path in tmp_path.iterdir()) == ["report.csv", "report.json", "report.md"]


def test_report_exits_2_for_an_unknown_format(tmp_path: Path, capsys) -> None:
    assert main(["report", "--out", str(tmp_path), "--format", "pdf"]) == 2
    assert "unknown formats ['pdf']" in capsys.readouterr().err


def test_the_installed_package_finds_its_tables(tmp_path: Path) -> None:
    """Run from an unrelated folder, so the package is imported as installed (a wheel under tox)."""
    code = "from paperverify.tables import default_roots, load_claims; print(default_roots()[0], len(load_claims()))"
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    root, count = result.stdout.split()
    assert Path(root).name == "reference_tables" and int(count) == 103

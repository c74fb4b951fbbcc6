"""The command line: exit codes, the table check, and an installed package finding its tables."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from paperverify.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_tables_lists_papers_and_claim_counts(capsys) -> None:
    assert main(["tables"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"he2016_resnet +table1 +Table 1 +75\n", out)
    assert re.search(r"lecun1998_lenet5 +text +Sec. II and Fig. 2 +29\n", out)


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
    # ResNet's 103 claims and LeNet-5's 29, of which 2 are recorded errata.
    assert "132 claims × 1 framework(s): 130 match, 2 erratum" in capsys.readouterr().out
    assert sorted(path.name for path in tmp_path.iterdir()) == ["report.csv", "report.json", "report.md"]


def test_report_exits_2_for_an_unknown_format(tmp_path: Path, capsys) -> None:
    assert main(["report", "--out", str(tmp_path), "--format", "pdf"]) == 2
    assert "unknown formats ['pdf']" in capsys.readouterr().err


def test_the_installed_package_finds_its_tables(tmp_path: Path) -> None:
    """Run from an unrelated folder, so the package is imported as installed (a wheel under tox)."""
    code = "from paperverify.tables import default_roots, load_claims; print(default_roots()[0], len(load_claims()))"
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    root, count = result.stdout.split()
    assert Path(root).name == "reference_tables" and int(count) == 103 + 29  # he2016_resnet, lecun1998_lenet5


def test_report_names_the_first_divergence_and_exits_1(tmp_path: Path, capsys) -> None:
    """A table whose conv3_x and conv4_x sizes disagree with the model: the first point named is conv3_x."""
    from tests.test_tables import SIDECAR

    folder = tmp_path / "tables" / "demo2016_net"
    folder.mkdir(parents=True)
    rows = '\n[tables.rows.conv3_x]\npoint = "conv3_x"\nquantity = "structure"\n'
    rows += '\n[tables.rows.conv4_x]\npoint = "conv4_x"\nquantity = "structure"\n'
    (folder / "paper.toml").write_text(SIDECAR + rows, encoding="utf-8")
    (folder / "table1.csv").write_text(
        "row,output size,50-layer\n"
        'conv1,112×112,"7×7, 64, stride 2"\n'
        'conv3_x,14×14,"[1×1, 128; 3×3, 128; 1×1, 512] ×4"\n'
        'conv4_x,7×7,"[1×1, 256; 3×3, 256; 1×1, 1024] ×6"\n'
        "flops,,3.9×10^9\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    args = ["report", "--framework", "torch", "--tables", str(folder.parent), "--out", str(out), "--format", "json"]
    assert main([*args, "--paper", "demo2016_net"]) == 1
    printed = capsys.readouterr().out
    assert (
        "first divergence: demo2016_net Table 1, resnet50 [torch]: at conv3_x expected 14×14, found 28×28×512"
        in printed
    )
    document = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert [item["point"] for item in document["divergences"]] == ["conv3_x"]

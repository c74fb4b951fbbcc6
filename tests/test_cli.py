"""The command line: exit codes, the table check, and an installed package finding its tables."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from paperverify.cli import main
from paperverify.tables import load_claims

ROOT = Path(__file__).resolve().parents[1]


def test_tables_lists_papers_and_claim_counts(capsys) -> None:
    assert main(["tables"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^he2016_resnet +table1 +Table 1 +75$", out, re.MULTILINE), out


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


def test_report_exits_2_for_an_unknown_paper(tmp_path: Path, capsys) -> None:
    out = tmp_path / "report"
    assert main(["report", "--framework", "torch", "--paper", "nobody2099_net", "--out", str(out)]) == 2
    assert not out.exists(), "a usage error leaves nothing behind"


def test_report_exits_0_when_every_claim_matches_and_writes_every_format(tmp_path: Path, capsys) -> None:
    args = ["report", "--framework", "torch", "--paper", "he2016_resnet", "--out", str(tmp_path)]
    assert main([*args, "--format", "json,md,csv"]) == 0
    out = capsys.readouterr().out
    assert "161 claims × 1 framework(s): 160 match, 1 erratum" in out
    assert "161/161" in out and "(every claim passes; -v lists every claim)" in out  # the matrix, no claim listed
    assert "he2016_resnet/table1/resnet50/conv1/output_shape" not in out
    assert sorted(path.name for path in tmp_path.iterdir()) == ["report.csv", "report.json", "report.md"]
    summary = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "## Coverage of the papers" in summary
    transcribed = "Table 1 (75), Table 6 (12), Text and figures (74)"
    assert f"| he2016_resnet | {transcribed} | Tables 2-5, Tables 7-14 |" in summary


def test_report_exits_2_for_an_unknown_format(tmp_path: Path, capsys) -> None:
    assert main(["report", "--out", str(tmp_path), "--format", "pdf"]) == 2
    assert "unknown formats ['pdf']" in capsys.readouterr().err


def test_the_installed_package_finds_its_tables(tmp_path: Path) -> None:
    """Run from an unrelated folder, so the package is imported as installed (a wheel under tox)."""
    code = "from paperverify.tables import default_roots, load_claims; print(default_roots()[0], len(load_claims()))"
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    root, count = result.stdout.split()
    assert Path(root).name == "reference_tables" and int(count) == len(load_claims())


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
    # Only what does not pass is listed, under the matrix; -v lists the matching conv1 claims too.
    assert "demo2016_net/table1/resnet50/conv3_x/output_shape" in printed and "(only the claims that do not" in printed
    assert "demo2016_net/table1/resnet50/conv1/output_shape" not in printed
    assert main([*args, "--paper", "demo2016_net", "-v"]) == 1
    assert "demo2016_net/table1/resnet50/conv1/output_shape" in capsys.readouterr().out
    document = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert [item["point"] for item in document["divergences"]] == ["conv3_x"]


def test_an_output_folder_that_cannot_be_written_is_a_usage_error_before_any_work(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    import paperverify.runner as runner

    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder", encoding="utf-8")
    ran = []
    monkeypatch.setattr(runner, "run", lambda *args, **kwargs: ran.append(True))
    assert main(["report", "--paper", "lecun1998_lenet5", "--out", str(blocked / "report")]) == 2
    assert ran == [] and "cannot write the report into" in capsys.readouterr().err


def test_an_interrupt_exits_130_with_one_line_and_keeps_the_old_report(tmp_path: Path, capsys, monkeypatch) -> None:
    import paperverify.runner as runner

    (tmp_path / "report.json").write_text("{}", encoding="utf-8")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "run", interrupted)
    assert main(["report", "--paper", "lecun1998_lenet5", "--out", str(tmp_path)]) == 130
    assert capsys.readouterr().err.strip() == "paperverify: interrupted; no report was written or replaced"
    assert (tmp_path / "report.json").read_text(encoding="utf-8") == "{}"


def test_a_report_set_is_written_whole_or_not_at_all(tmp_path: Path, monkeypatch) -> None:
    from paperverify import report

    (tmp_path / "report.json").write_text("old", encoding="utf-8")
    document = json.loads((ROOT / "tests" / "golden" / "report_fixture.json").read_text(encoding="utf-8"))

    def broken(_document):
        raise RuntimeError("the Markdown renderer failed")

    monkeypatch.setattr(report, "render_markdown", broken)
    with pytest.raises(RuntimeError, match="the Markdown renderer failed"):
        report.write(document, tmp_path, ["json", "md"])
    assert (tmp_path / "report.json").read_text(encoding="utf-8") == "old"  # not replaced alone
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]  # no temporary file left


def test_an_input_size_below_one_is_a_usage_error(capsys) -> None:
    for size in ("0", "-5", "big"):
        try:
            main(["check", "implementations.torch.resnet:resnet18", "--paper", "he2016_resnet", "--input-size", size])
        except SystemExit as exit:
            assert exit.code == 2
        else:
            raise AssertionError(f"--input-size {size} was accepted")
    assert "expected at least 1. Received: 0" in capsys.readouterr().err


def test_sanity_fails_on_a_missing_or_empty_tables_folder(tmp_path: Path, capsys) -> None:
    assert main(["sanity", "--tables", str(tmp_path / "nowhere")]) == 2
    assert "no such folder" in capsys.readouterr().out
    assert main(["sanity", "--tables", str(tmp_path)]) == 2
    assert "expected paper folders" in capsys.readouterr().out


def test_naming_the_shipped_tables_again_adds_nothing_and_a_paper_twice_is_an_error(tmp_path: Path, capsys) -> None:
    """`tables` and `report` follow one rule: a folder given twice (the shipped one, wherever it is installed)
    counts once; another folder holding a paper the shipped tables hold is an error naming both, in both."""
    from paperverify.tables import default_roots

    assert main(["tables", "--tables", str(default_roots()[0])]) == 0
    out = capsys.readouterr().out
    assert len(re.findall(r"^he2016_resnet +table1 ", out, re.MULTILINE)) == 1
    copy = tmp_path / "he2016_resnet"
    copy.mkdir()
    for name in ("paper.toml", "table1.csv", "statements.csv"):
        (copy / name).write_bytes((default_roots()[0] / "he2016_resnet" / name).read_bytes())
    assert main(["tables", "--tables", str(tmp_path)]) == 2
    assert "paper id 'he2016_resnet' is also used by" in capsys.readouterr().err
    assert main(["report", "--tables", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    assert "paper id 'he2016_resnet' is also used by" in capsys.readouterr().err


def test_a_report_written_inside_a_tables_folder_does_not_break_the_next_run(tmp_path: Path, capsys) -> None:
    from tests.test_tables import CSV, SIDECAR, write

    tables = tmp_path / "tables"
    write(tables / "demo2016_net", sidecar=SIDECAR, table=CSV)
    args = ["report", "--framework", "torch", "--paper", "demo2016_net", "--tables", str(tables)]
    first = main([*args, "--out", str(tables / "report")])
    second = main([*args, "--out", str(tables / "report")])
    capsys.readouterr()
    assert first == second == 0 and (tables / "report" / "report.csv").is_file()


def test_the_command_line_reference_is_generated_from_the_parser(capsys) -> None:
    """docs/cli.md is what `paperverify reference` prints from the parser: after a change to an option,
    regenerate it (`paperverify reference > docs/cli.md`)."""
    assert main(["reference"]) == 0
    printed = capsys.readouterr().out
    assert printed == (Path(__file__).resolve().parents[1] / "docs" / "cli.md").read_text(encoding="utf-8")
    for option in ("--paper ID", "--kind CLASS=KIND", "--write-map FILE", "--no-cache"):
        assert f"`{option.split()[0]}" in printed, option

"""`paperverify sanity`: the shipped data passes; each kind of whole-table problem is found."""

from __future__ import annotations

from pathlib import Path

import pytest

from paperverify.cli import main
from paperverify.sanity import problems
from tests.test_tables import CSV, SIDECAR


def test_the_shipped_tables_and_thirdparty_lists_are_sane(capsys: pytest.CaptureFixture[str]) -> None:
    """No problem; each paper's coverage is printed, then OK."""
    assert main(["sanity"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1] == "sanity: OK"
    assert lines[0].split() == ["paper", "transcribed", "(claims)", "left", "out"]
    assert any(
        line.startswith("howard2017_mobilenet ") and line.endswith("Table 11, Table 13, Table 14") for line in lines
    )
    assert len(lines) == 2 + 15 + 1  # header, rule, a row per paper, OK


def test_each_whole_table_problem_is_found(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "demo2016_net"
    folder.mkdir()
    sidecar = SIDECAR.replace('title = "Demo"', 'title = ""') + (
        '\n[tables.columns."layer name"]\ncheck = false\nreason = "a label"\n'
        '\n[[tables.errata]]\nrow = "conv1"\ncolumn = "layer name"\nprinted = "conv1"\ncorrected = "conv2"\n'
        'reason = "demo"\ncitation = "demo"\n'
    )
    (folder / "paper.toml").write_text(sidecar, encoding="utf-8")
    (folder / "table1.csv").write_text(
        CSV.replace("row,output size,", "row,layer name,output size,")
        .replace("conv1,", "conv1,conv1,")
        .replace("flops,", "flops,,"),
        encoding="utf-8",
    )
    found = problems([tmp_path], thirdparty=False)
    text = "\n".join(found)
    assert "[paper] title is empty or missing" in text
    assert "[paper] venue is empty or missing" in text
    assert "[paper] macs_convention is missing" in text
    assert "a printed table needs its page and caption" in text
    assert "the errata entry for row 'conv1', column 'layer name' matches no claim" in text
    assert "table 'table1': declare how many claims its cells make (claims = N)" in text
    assert "row 'flops', column '50-layer': declare the unit of this macs value" in text
    assert main(["sanity", "--tables", str(tmp_path)]) == 2
    assert "problem(s)" in capsys.readouterr().out


def test_a_deviation_or_model_that_matches_nothing_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    from dataclasses import replace

    from paperverify import thirdparty
    from paperverify.check import Deviation

    entry = thirdparty.load("keras-applications")[0]
    stale = replace(entry, deviations=(Deviation(("he2016_resnet/table9/*",), "gone", "nowhere"),))
    orphan = replace(entry, target="keras.applications:ResNet18", variant="resnet18v2")
    monkeypatch.setattr(thirdparty, "load", lambda source: [stale, orphan])
    text = "\n".join(problems())
    assert "recorded deviation 'he2016_resnet/table9/*' matches no claim id" in text
    assert "keras.applications:ResNet18: no claims for he2016_resnet variant 'resnet18v2'" in text


def test_coverage_shows_each_papers_transcribed_and_left_out_tables() -> None:
    """Issue 21's gap made visible: MobileNet's Tables 1-10 and 12 transcribed with their claims, Tables 11, 13 and
    14 left out with the reasons its paper.toml gives."""
    from paperverify.sanity import coverage
    from paperverify.tables import load_claims

    [mobilenet] = coverage(papers=["howard2017_mobilenet"])
    labels = [item["table"] for item in mobilenet["transcribed"]]
    assert labels[:11] == [*(f"Table {n}" for n in range(1, 11)), "Table 12"]
    claims = [claim for claim in load_claims() if claim.source.paper == "howard2017_mobilenet"]
    assert sum(item["claims"] for item in mobilenet["transcribed"]) == len(claims)
    assert [item["table"] for item in mobilenet["left_out"]] == ["Table 11", "Table 13", "Table 14"]
    assert all(item["reason"] for item in mobilenet["left_out"])

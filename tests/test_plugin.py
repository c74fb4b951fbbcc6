"""The pytest plugin, run in a subprocess with pytester: verdicts ride on test reports, the controller writes
one report, `pytest -n 2` gives the same report as a serial run (non-ASCII claim ids included), extra table
folders join the run, a report problem fails it, and an unrelated suite loads no claim and needs no xdist."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_tables import SIDECAR

pytest_plugins = ("pytester",)

# A user's own table: resnet50's conv1 output (right) and multiply-adds (deliberately wrong: mismatch).
USER_TABLE = """\
row,output size,50-layer
conv1,112×112,"7×7, 64, stride 2"
flops,,9.9×10^9
"""

TEST_FILE = """
from paperverify.claims import Claim


def test_claim(pv_claim: Claim, pv_framework: str, pv_judge) -> None:
    assert pv_judge(pv_claim, pv_framework).status in ("match", "erratum")
"""


@pytest.fixture
def user_tables(tmp_path: Path) -> Path:
    folder = tmp_path / "tables" / "demo2016_net"
    folder.mkdir(parents=True)
    (folder / "paper.toml").write_text(SIDECAR, encoding="utf-8")
    (folder / "table1.csv").write_text(USER_TABLE, encoding="utf-8")
    return folder.parent


def run(pytester: pytest.Pytester, tables: Path, out: Path, *extra: str) -> pytest.RunResult:
    pytester.makepyfile(test_user=TEST_FILE)
    return pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--pv-framework", "torch", "--pv-tables", str(tables),
        "-k", "demo2016_net or resnet18/conv", "--pv-report", str(out), "--pv-format", "json,md", *extra,
    )  # fmt: skip


def load(out: Path) -> dict:
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    report.pop("generated")
    return report


def test_serial_and_xdist_runs_give_the_same_report(pytester: pytest.Pytester, user_tables: Path) -> None:
    """A row key with non-ASCII characters (pytest escapes them in node ids) is reported alike both ways."""
    folder = user_tables / "demo2016_net"
    (folder / "table1.csv").write_text(USER_TABLE.replace("conv1,", "conv1_tête,"), encoding="utf-8")
    sidecar = SIDECAR.replace("[tables.rows.conv1]", '[tables.rows."conv1_tête"]')
    (folder / "paper.toml").write_text(sidecar, encoding="utf-8")
    serial, parallel = pytester.path / "serial", pytester.path / "parallel"
    first = run(pytester, user_tables, serial)
    second = run(pytester, user_tables, parallel, "-n", "2")
    assert first.ret == second.ret == pytest.ExitCode.TESTS_FAILED
    report = load(serial)
    assert report == load(parallel)
    assert (serial / "report.md").read_text(encoding="utf-8").split("\n", 3)[2:] == (
        (parallel / "report.md").read_text(encoding="utf-8").split("\n", 3)[2:]
    )
    assert report["problems"] == []
    statuses = {(item["claim"], item["status"]) for item in report["records"]}
    assert ("demo2016_net/table1/resnet50/macs", "mismatch") in statuses
    assert ("demo2016_net/table1/resnet50/conv1_tête/output_shape", "match") in statuses
    assert report["checks_loaded"] == len(report["records"]) == report["summary"]["total"]


def test_the_user_table_claims_run_and_a_mismatch_fails(pytester: pytest.Pytester, user_tables: Path) -> None:
    """Also without pytest-xdist, whose hook the plugin implements (optionally)."""
    result = run(pytester, user_tables, pytester.path / "out", "-p", "no:xdist")
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()
    # resnet18's output size and structure at conv1, conv2_pool, conv2_x ... conv5_x; the 3 demo claims
    result.assert_outcomes(passed=6 * 2 + 2, failed=1)
    result.stdout.fnmatch_lines(["FAILED *test_claim?demo2016_net/table1/resnet50/macs?torch??*"])


def test_everything_matching_exits_0(pytester: pytest.Pytester, user_tables: Path) -> None:
    table = user_tables / "demo2016_net" / "table1.csv"
    table.write_text(USER_TABLE.replace("9.9×10^9", "3.8×10^9"), encoding="utf-8")
    sidecar = table.parent / "paper.toml"
    widened = (
        '\n[[tables.tolerances]]\nrow = "flops"\ncolumn = "50-layer"\nabsolute = "0.1×10^9"\n'
        'reason = "r"\ncitation = "c"\n'
    )
    sidecar.write_text(SIDECAR + widened, encoding="utf-8")
    assert run(pytester, user_tables, pytester.path / "out").ret == pytest.ExitCode.OK


def test_a_broken_table_is_a_usage_error_naming_the_cell(pytester: pytest.Pytester, user_tables: Path) -> None:
    table = user_tables / "demo2016_net" / "table1.csv"
    table.write_text(USER_TABLE.replace("9.9×10^9", "lots"), encoding="utf-8")
    result = run(pytester, user_tables, pytester.path / "out")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*table1.csv, row 'flops' (line 3), column '50-layer': expected a number*"])


UNRELATED = """
def test_arithmetic() -> None:
    assert 1 + 1 == 2
"""

# Makes any reading of a paper's tables fail loudly, to show that an unrelated run reads none (`check_paper`
# is looked up in paperverify.tables at each call, however `load_claims` was imported).
NO_TABLES = """
import paperverify.tables


def _refuse(*args, **kwargs):
    raise RuntimeError("a paper's tables were read")


paperverify.tables.check_paper = _refuse
"""


@pytest.mark.parametrize("xdist", [("-p", "no:xdist"), ("-n", "2")], ids=["no-xdist", "xdist"])
def test_an_unrelated_suite_loads_no_claim_and_passes(pytester: pytest.Pytester, xdist: tuple[str, str]) -> None:
    pytester.makepyfile(test_unrelated=UNRELATED)
    pytester.makeconftest(NO_TABLES)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *xdist)
    assert result.ret == pytest.ExitCode.OK, result.stdout.str() + result.stderr.str()
    result.assert_outcomes(passed=1)
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()


REPORTED_TWICE = """
from paperverify.claims import Claim


def test_claim(pv_claim: Claim, pv_framework: str, pv_judge) -> None:
    pv_judge(pv_claim, pv_framework)


def test_the_same_claims_again(pv_claim: Claim, pv_framework: str, pv_judge) -> None:
    pv_judge(pv_claim, pv_framework)
"""


def test_a_report_problem_fails_the_run(pytester: pytest.Pytester, user_tables: Path) -> None:
    """Every claim judged by two tests: each is reported twice, which the report names as a problem."""
    pytester.makepyfile(test_user=REPORTED_TWICE)
    out = pytester.path / "out"
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--pv-framework", "torch", "--pv-tables", str(user_tables),
        "-k", "demo2016_net and conv1", "--pv-report", str(out), "--pv-format", "json",
    )  # fmt: skip
    result.assert_outcomes(passed=4)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert load(out)["problems"]
    result.stdout.fnmatch_lines(["*REPORT PROBLEM*"])


def test_an_unknown_format_or_an_unwritable_report_folder_stops_the_run_before_it_starts(
    pytester: pytest.Pytester, user_tables: Path
) -> None:
    result = run(pytester, user_tables, pytester.path / "out", "--pv-format", "json,xls")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--pv-format: unknown formats *xls*"])
    blocked = pytester.path / "a-file"
    blocked.write_text("not a folder", encoding="utf-8")
    result = run(pytester, user_tables, blocked / "out")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--pv-report: cannot write the report into*"])

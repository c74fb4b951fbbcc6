"""Rendering the report: golden files from a fixed JSON fixture, CSV round-trip through pandas, and the
checks-loaded-versus-reported invariant.

Regenerate the golden files only deliberately: `pytest tests/test_report.py --regen-golden`.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import re
from pathlib import Path

import pytest

from paperverify import report
from paperverify.compare import Verdict
from paperverify.html import render_html
from paperverify.tables import load_claims

GOLDEN = Path(__file__).parent / "golden"
FIXTURE = json.loads((GOLDEN / "report_fixture.json").read_text(encoding="utf-8"))
RENDERERS = {
    "md": report.render_markdown,
    "csv": report.render_csv,
    "json": report.render_json,
    "html": render_html,
}


@pytest.mark.parametrize("name", sorted(RENDERERS))
def test_rendering_matches_the_golden_file(name: str, request: pytest.FixtureRequest) -> None:
    rendered = RENDERERS[name](FIXTURE)
    golden = GOLDEN / f"report.{name}"
    if request.config.getoption("--regen-golden"):
        golden.write_text(rendered, encoding="utf-8")
    assert rendered == golden.read_text(encoding="utf-8"), f"{golden} differs; rerun with --regen-golden if intended"


def test_markdown_puts_failures_first_then_divergence_errata_and_counts_the_matches() -> None:
    text = report.render_markdown(FIXTURE)
    order = ["## Problems", "| architecture |", "## Mismatches and errors", "## First divergence", "## Errata"]
    positions = [text.index(heading) for heading in order]
    assert positions == sorted(positions)
    assert text.index("## Skipped") < text.index("4 matching checks are counted above, not listed")
    assert "he2016_resnet/table1/resnet50/conv3_x/output_shape` | torch" in text
    assert "conv1/output_shape" not in text  # a match
    assert "\\| &lt;b&gt;&amp;&lt;/b&gt;" in text  # pipes and raw HTML in a cell are escaped


def _catalogue(failing: int) -> dict:
    """The fixture grown to a catalogue's size: 1,300 claims in two frameworks, `failing` of them mismatching,
    39 errata with a widened tolerance each, the rest matching, every cell as long as the fixture's."""
    template: dict[str, dict] = {}
    for item in FIXTURE["records"]:
        template.setdefault(item["status"], item)
    records = []
    for index in range(1300):
        status = "mismatch" if index < failing else "erratum" if index < failing + 39 else "match"
        for framework in ("keras", "torch"):
            item = copy.deepcopy(template[status])
            item.update(claim=f"{item['claim']}/{index}", framework=framework)
            if status == "erratum":
                item.update(tolerance_reason=template["deviation"]["tolerance_reason"])
            records.append(item)
    summary = {status: sum(item["status"] == status for item in records) for status in report.STATUSES}
    totals = {"summary": {**summary, "total": len(records)}, "checks_loaded": len(records), "claims_loaded": 1300}
    return {**FIXTURE, **totals, "records": records, "problems": []}


def test_a_catalogue_summary_fits_a_pull_request_comment_and_lists_errata_once_per_claim() -> None:
    text = report.render_markdown(_catalogue(failing=3))
    assert len(text) <= report.MARKDOWN_LIMIT
    assert "more: see the full report" not in text  # everything that does not match is listed
    assert text.count("`he2016_resnet/text/table1_caption_conv3_1/resnet50/7` | keras, torch |") == 2  # + tolerance
    assert text.count("| `he2016_resnet/table1/resnet50/conv3_x/output_shape/1` | ") == 2  # one per framework


def test_a_summary_with_more_failures_than_fit_stops_at_the_limit_and_says_how_many_it_left_out() -> None:
    text = report.render_markdown(_catalogue(failing=1000))
    assert len(text) <= report.MARKDOWN_LIMIT
    listed = text.count("/conv3_x/output_shape/")
    left = int(re.search(r"… and (\d+) more: see the full report", text).group(1))
    assert listed + left == 2000 and listed > 100
    assert text.rstrip().endswith("report.json and report.csv beside this file.")
    small = report.render_markdown(_catalogue(failing=1000), limit=3000)
    assert len(small) <= 3000 and "| architecture |" in small


def test_csv_read_back_by_pandas_equals_the_json() -> None:
    pandas = pytest.importorskip("pandas", reason="pandas is in the test extra: pip install paperverify[test]")
    frame = pandas.read_csv(io.StringIO(report.render_csv(FIXTURE)), keep_default_na=False, dtype=str)
    assert list(frame.columns) == list(report.CSV_FIELDS)
    assert len(frame) == len(FIXTURE["records"])
    for row, item in zip(frame.to_dict("records"), FIXTURE["records"], strict=True):
        for field in report.CSV_FIELDS:
            value = item[field]
            if field == "erratum":
                value = report.erratum_text(value)
            elif field == "notes":
                value = " | ".join(value)
            text = "" if value is None else str(value)
            # A cell a spreadsheet would run as a formula is exported with an apostrophe before it.
            inert = f"'{text}" if re.match(r"[=@\t\r]|[+-](?![0-9.])", text) else text
            assert row[field] == inert, field


def test_cells_a_spreadsheet_would_run_are_neutralised_in_the_csv_only() -> None:
    """`=cmd|' /C calc'!A0` in a detail stays text in the JSON and gets an apostrophe in the CSV; a signed
    offset such as `+57973248 (+1.53%)` is a number and stays as it is."""
    document = copy.deepcopy(FIXTURE)
    document["records"][0]["detail"] = "=cmd|' /C calc'!A0"
    document["records"][0]["offset"] = "+57973248 (+1.53%)"
    rows = list(csv.DictReader(io.StringIO(report.render_csv(document))))
    assert rows[0]["detail"] == "'=cmd|' /C calc'!A0" and rows[0]["offset"] == "+57973248 (+1.53%)"
    assert json.loads(report.render_json(document))["records"][0]["detail"] == "=cmd|' /C calc'!A0"


def test_csv_loads_into_pandas_as_is() -> None:
    pandas = pytest.importorskip("pandas", reason="pandas is in the test extra: pip install paperverify[test]")
    frame = pandas.read_csv(io.StringIO(report.render_csv(FIXTURE)))
    assert frame["page"].dtype.kind == "i" and frame["relative"].dtype.kind == "f"
    assert set(frame["status"]) == {"match", "mismatch", "erratum", "deviation", "error", "skipped"}


def _checks():
    claims = load_claims()[:3]
    return claims, [(claim, framework) for claim in claims for framework in ("keras", "torch")]


def _verdict(claim_id: str, framework: str) -> Verdict:
    return Verdict(claim_id, framework, "match", "p", "e", "m", "", "exact")


def test_a_missing_verdict_is_a_problem_in_the_report() -> None:
    claims, checks = _checks()
    verdicts = [_verdict(claim.id, framework) for claim, framework in checks[:-1]]
    document = report.build(checks, verdicts, ["keras", "torch"])
    assert document["problems"][0] == "6 checks loaded but 5 reported"
    assert f"claim {claims[-1].id} [torch] was loaded but never reported" in document["problems"]
    assert report.failed(document)


def test_an_unexpected_or_repeated_verdict_is_a_problem() -> None:
    _, checks = _checks()
    verdicts = [_verdict(claim.id, framework) for claim, framework in checks]
    verdicts += [verdicts[0], _verdict("nobody/table/x/macs", "torch")]
    problems = report.build(checks, verdicts, ["keras", "torch"])["problems"]
    assert any("reported more than once" in problem for problem in problems)
    assert "claim nobody/table/x/macs [torch] was reported but is not among the claims loaded" in problems


def test_every_check_appears_exactly_once() -> None:
    _, checks = _checks()
    verdicts = [_verdict(claim.id, framework) for claim, framework in checks]
    document = report.build(checks, verdicts, ["keras", "torch"])
    keys = [(item["claim"], item["framework"]) for item in document["records"]]
    assert len(keys) == len(set(keys)) == len(checks) and document["problems"] == []
    assert not report.failed(document)


def test_the_documented_schema_names_every_key_a_report_holds() -> None:
    """docs/report.md's report.json block lists every key `build` writes (records, summary, matrix, a divergence)
    and `paperverify report` adds (coverage), and no other."""
    from paperverify.sanity import coverage

    claims = [claim for claim in load_claims() if claim.quantity == "output_shape"][:2]
    checks = [(claim, "torch") for claim in claims]
    verdicts = [Verdict(claims[0].id, "torch", "mismatch", "28×28", "28×28", "56×56×512", "", "exact")]
    verdicts.append(_verdict(claims[1].id, "torch"))
    document = report.build(checks, verdicts, ["torch"])
    document["coverage"] = coverage(papers={claims[0].source.paper})
    assert document["divergences"] and document["coverage"]

    def keys(value: object) -> set[str]:
        if isinstance(value, dict):
            return set(value) | {key for item in value.values() for key in keys(item)}
        if isinstance(value, list):
            return {key for item in value for key in keys(item)}
        return set()

    text = (Path(__file__).resolve().parents[1] / "docs" / "report.md").read_text(encoding="utf-8")
    block = text.split("## report.json", 1)[1].split("```", 2)[1]
    assert set(re.findall(r'"(\w+)":', block)) == keys(document)


def _records(*items: tuple[str, str, str]) -> dict:
    return {
        "records": [{"claim": claim, "framework": framework, "status": status} for claim, framework, status in items]
    }


def test_diff_sorts_every_changed_check_into_one_list() -> None:
    old = _records(
        ("a", "torch", "match"), ("b", "torch", "mismatch"), ("c", "keras", "match"), ("d", "torch", "match")
    )
    new = _records(
        ("a", "torch", "mismatch"),  # a regression
        ("b", "torch", "erratum"),  # fixed
        ("c", "keras", "skipped"),  # another change
        ("e", "torch", "error"),  # added, failing: a regression too
        ("f", "torch", "match"),  # added
    )  # d is removed
    found = report.diff(old, new)
    assert [(c.claim, c.old, c.new) for c in found.regressions] == [("a", "match", "mismatch"), ("e", None, "error")]
    assert [(c.claim, c.old, c.new) for c in found.fixed] == [("b", "mismatch", "erratum")]
    assert [c.claim for c in found.added] == ["f"] and [(c.claim, c.old) for c in found.removed] == [("d", "match")]
    assert [str(c) for c in found.changed] == ["c [keras]: match -> skipped"]
    assert report.diff(new, new) == report.ReportDiff()


def test_paperverify_diff_exits_1_on_a_regression_and_2_on_what_is_no_report(tmp_path: Path, capsys) -> None:
    from paperverify.cli import main

    old, new, other = tmp_path / "old.json", tmp_path / "new.json", tmp_path / "other.json"
    old.write_text(json.dumps(FIXTURE), encoding="utf-8")
    worse = copy.deepcopy(FIXTURE)
    first = next(item for item in worse["records"] if item["status"] == "match")
    first["status"] = "mismatch"
    new.write_text(json.dumps(worse), encoding="utf-8")
    assert main(["diff", str(old), str(new)]) == 1
    assert f"  {first['claim']} [{first['framework']}]: match -> mismatch" in capsys.readouterr().out
    assert main(["diff", str(new), str(old)]) == 0
    assert "fixed: 1" in capsys.readouterr().out
    other.write_text('{"records": [{"claim": "x"}]}', encoding="utf-8")
    assert main(["diff", str(old), str(other)]) == 2
    assert "expected a paperverify report.json" in capsys.readouterr().err


def test_a_report_loads_into_a_dataframe(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text(json.dumps(FIXTURE), encoding="utf-8")
    frame = report.dataframe(report.load(path))
    assert len(frame) == len(FIXTURE["records"]) and {"claim", "framework", "status"} <= set(frame.columns)
    assert (frame["status"] == "match").sum() == FIXTURE["summary"]["match"]

"""The HTML report: self-contained, complete, escaped, filterable, plotted and deterministic."""

from __future__ import annotations

import copy
import re
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from paperverify import report
from paperverify.compare import STATUSES
from paperverify.html import render_html

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
DIVERGENCE_KEYS = (
    "paper", "table", "label", "variant", "framework", "claim", "point", "quantity", "expected", "measured", "detail",
)  # fmt: skip
INJECTED = "<script>alert(1)</script> & \"double\" 'single' a×b"


@dataclass
class Node:
    """An element of the parsed page; children are nodes and text."""

    tag: str
    attrs: dict[str, str | None]
    children: list[Node | str] = field(default_factory=list)

    def iter(self):
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter()

    def text(self) -> str:
        return "".join(child if isinstance(child, str) else child.text() for child in self.children)

    def find_all(self, tag: str, **attrs: str) -> list[Node]:
        return [
            node
            for node in self.iter()
            if node.tag == tag and all(attrs[key] in (node.attrs.get(key) or "").split() for key in attrs)
        ]


class _TreeBuilder(HTMLParser):
    """Builds the element tree and records every end tag that does not close the innermost open element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if self.stack[-1].tag == tag:
            self.stack.pop()
        else:
            self.errors.append(f"</{tag}> closes <{self.stack[-1].tag}> at {self.getpos()}")

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(page: str) -> Node:
    """The page's element tree; fails unless every element is closed in order."""
    builder = _TreeBuilder()
    builder.feed(page)
    builder.close()
    assert builder.errors == []
    assert [node.tag for node in builder.stack] == ["#document"], "unclosed elements"
    return builder.root


def _record(claim: str, framework: str, status: str, relative: float | None = None, **fields: Any) -> dict[str, Any]:
    paper = claim.split("/")[0]
    item = {
        "claim": claim, "framework": framework, "status": status, "paper": paper,
        "architecture": "resnet" if paper.startswith("he") else "vgg", "arxiv": "1512.03385v1", "table": "table1",
        "label": "Table 1", "page": 5, "row": "flops", "column": "50-layer", "file": f"{paper}/table1.csv",
        "quote": None, "quantity": "macs", "variant": "resnet50", "point": None,
        "config": "resnet50(input_size=224, shortcut='B')", "printed": "3.8×10^9",
        "expected": "[3700000000, 3900000000)", "measured": "3857973248", "offset": "+57973248 (+1.53%)",
        "relative": relative, "tolerance": "±0.1×10^9", "erratum": None, "notes": [], "detail": "",
    }  # fmt: skip
    item.update(fields)
    return item


def fixture_report() -> dict[str, Any]:
    """A report with every status, an off-scale deviation, errata, problems, divergences and hostile text."""
    shape = {"quantity": "output_shape", "point": "conv3_x", "expected": "28×28", "measured": "56×56×512"}
    missing = {**shape, "measured": "", "offset": "", "detail": "named point missing: conv3_x"}
    erratum = {"printed": "138M", "corrected": "133M", "reason": "sum of <layers> & biases", "citation": "Errata p. 2"}
    records = [
        _record("he2016_resnet/table1/resnet18/macs", "keras", "mismatch", 0.8, detail=INJECTED),
        _record("he2016_resnet/table1/resnet18/macs", "torch", "mismatch", -0.12),
        _record("he2016_resnet/table1/resnet34/conv3_x/output_shape", "keras", "mismatch", **shape),
        _record("he2016_resnet/table1/resnet34/conv3_x/output_shape", "torch", "error", **missing),
        _record("he2016_resnet/table1/resnet50/macs", "keras", "match", 0.0153),
        _record("he2016_resnet/table1/resnet50/macs", "torch", "deviation", 0.0621, detail="recorded deviation: v1.5"),
        _record("simonyan2015_vgg/table2/vgg16/params", "keras", "erratum", 0.0, erratum=erratum),
        _record("simonyan2015_vgg/table2/vgg16/params", "torch", "erratum", 0.0, erratum=erratum),
        _record("simonyan2015_vgg/table2/vgg19/params", "keras", "skipped", detail="<keras> lacks LRN"),
        _record("simonyan2015_vgg/table2/vgg19/params", "torch", "match", -0.004),
        _record(
            "simonyan2015_vgg/text/sec2_depth", "keras", "match", 0.0, label='Sec. 2 & "Config"', quote="<b>19</b>"
        ),
    ]
    divergences = [{key: item[key] for key in DIVERGENCE_KEYS} for item in records[2:4]]
    counts = Counter(item["status"] for item in records)
    return {
        "schema": 1,
        "paperverify": "0.1.0",
        "generated": "2026-11-22T03:00:00+00:00",
        "subject": "paperverify implementations",
        "frameworks": ["keras", "torch"],
        "claims_loaded": 6,
        "summary": {**{status: counts[status] for status in STATUSES}, "total": len(records)},
        "matrix": [
            {"architecture": "resnet", "framework": "keras", "matched": 1, "total": 3},
            {"architecture": "resnet", "framework": "torch", "matched": 1, "total": 3},
            {"architecture": "vgg", "framework": "keras", "matched": 2, "total": 3},
            {"architecture": "vgg", "framework": "torch", "matched": 2, "total": 2},
        ],
        "divergences": divergences,
        "problems": ["claim simonyan2015_vgg/table2/vgg19/depth [torch] was loaded but never reported <b>"],
        "coverage": [
            {
                "paper": "he2016_resnet",
                "transcribed": [{"table": "Table 1", "claims": 4}],
                "left_out": [{"table": "Tables 2-5", "reason": "error rates <i>trained</i>"}],
            },
            {"paper": "simonyan2015_vgg", "transcribed": [{"table": "Table 2", "claims": 2}], "left_out": []},
        ],
        "records": records,
    }


def empty_report() -> dict[str, Any]:
    return {
        "schema": 1, "paperverify": "0.1.0", "generated": "2026-11-22T03:00:00+00:00", "frameworks": ["keras"],
        "subject": "paperverify implementations",
        "claims_loaded": 0, "summary": {**dict.fromkeys(STATUSES, 0), "total": 0}, "matrix": [],
        "divergences": [], "problems": [], "records": [],
    }  # fmt: skip


@pytest.fixture(scope="module")
def page() -> str:
    return render_html(fixture_report())


@pytest.fixture(scope="module")
def tree(page: str) -> Node:
    return parse(page)


def _rows(tree: Node) -> list[Node]:
    (table,) = [node for node in tree.iter() if node.attrs.get("id") == "records"]
    return [row for row in table.find_all("tr") if "data-status" in row.attrs]


def _points(tree: Node) -> list[Node]:
    (figure,) = tree.find_all("figure", id="plot")
    return figure.find_all("g", **{"class": "pt"})


def _facets(tree: Node) -> list[Node]:
    (figure,) = tree.find_all("figure", id="plot")
    return figure.find_all("figure", **{"class": "facet"})


def _numeric(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [item for item in records if isinstance(item["relative"], float)]


def test_the_page_is_one_well_formed_html5_document(page: str, tree: Node) -> None:
    assert page.startswith("<!DOCTYPE html>\n")
    assert [node.tag for node in tree.children if isinstance(node, Node)] == ["html"]
    assert len(tree.find_all("table")) == 4 and len(tree.find_all("figure", id="plot")) == 1


@pytest.mark.parametrize("make", [fixture_report, empty_report])
def test_the_page_references_nothing_outside_itself(make) -> None:
    page = render_html(make())
    assert not re.search(r"https?:|//|url\(|@import", page, re.IGNORECASE)
    tree = parse(page)
    for node in tree.iter():
        assert node.tag not in ("link", "img", "iframe", "object", "embed", "base")
        for name, value in node.attrs.items():
            if name in ("src", "href", "xlink:href", "action", "srcset", "poster", "data"):
                assert (value or "").startswith("#"), f"<{node.tag} {name}={value!r}>"
    assert all("src" not in node.attrs for node in tree.find_all("script"))


def test_every_record_appears_once_with_its_status_as_text(tree: Node) -> None:
    records = fixture_report()["records"]
    rows = _rows(tree)
    cells = [[cell.text() for cell in row.find_all("td")] for row in rows]
    assert Counter((row[0], row[1]) for row in cells) == Counter((r["claim"], r["framework"]) for r in records)
    assert len(rows) == len(records)
    (table,) = [node for node in tree.iter() if node.attrs.get("id") == "records"]
    for claim in {item["claim"] for item in records}:
        assert table.text().count(claim) == sum(item["claim"] == claim for item in records)
    assert all(row[2] == attrs.attrs["data-status"] for row, attrs in zip(cells, rows, strict=True))


def test_records_are_ordered_failures_errata_skipped_then_matches(tree: Node) -> None:
    order = [row.attrs["data-status"] for row in _rows(tree)]
    rank = {"mismatch": 0, "error": 0, "erratum": 1, "deviation": 2, "skipped": 3, "match": 4}
    assert [rank[status] for status in order] == sorted(rank[status] for status in order)
    assert set(order) == set(STATUSES)


def test_the_header_counts_every_status_and_names_its_origin(tree: Node) -> None:
    (header,) = tree.find_all("header")
    text = " ".join(header.text().split())
    assert "FAIL" in text and "6 of 11 checks match the papers" in text
    for count, status in [
        (3, "mismatch"),
        (1, "error"),
        (2, "erratum"),
        (1, "deviation"),
        (1, "skipped"),
        (3, "match"),
    ]:
        assert f"{count} {status}" in text
    assert "2026-11-22T03:00:00+00:00" in text and "paperverify 0.1.0" in text


def test_problems_divergences_matrix_and_errata_are_shown(page: str, tree: Node) -> None:
    (problems,) = tree.find_all("section", **{"class": "problems"})
    assert "vgg19/depth [torch] was loaded but never reported <b>" in problems.text()
    assert page.index('class="problems"') < page.index('class="matrix"') < page.index('id="records"')
    (divergences,) = tree.find_all("table", **{"class": "divergences"})
    assert len(divergences.find_all("tr")) == 1 + 2 and "56×56×512" in divergences.text()
    (matrix,) = tree.find_all("table", **{"class": "matrix"})
    assert "✗ 1/3" in matrix.text() and "✓ 2/2" in matrix.text()
    erratum_rows = [row for row in _rows(tree) if row.attrs["data-status"] == "erratum"]
    assert all("corrected 133M: sum of <layers> & biases" in row.text() for row in erratum_rows)


def test_each_papers_tables_transcribed_and_left_out_are_shown(page: str, tree: Node) -> None:
    (coverage,) = tree.find_all("table", **{"class": "coverage"})
    rows = [[cell.text() for cell in row.find_all("td")] for row in coverage.find_all("tr")[1:]]
    assert rows == [
        ["he2016_resnet", "Table 1 (4)", "Tables 2-5: error rates <i>trained</i>"],
        ["simonyan2015_vgg", "Table 2 (2)", "none recorded"],
    ]
    assert page.index('class="divergences"') < page.index('class="coverage"') < page.index('id="records"')
    assert 'class="coverage"' not in render_html(empty_report())


def test_report_text_is_escaped_and_injects_no_markup(page: str, tree: Node) -> None:
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;double&quot; &#x27;single&#x27; a×b" in page
    assert len(tree.find_all("script")) == 1 and "alert" not in "".join(tree.find_all("script")[0].children)
    assert not tree.find_all("b") and not tree.find_all("layers") and not tree.find_all("keras")
    details = [row.find_all("td")[-1].text() for row in _rows(tree)]
    assert INJECTED in details and "<keras> lacks LRN" in details
    assert any(node.text() == "<b>19</b>" for node in tree.find_all("q"))
    assert any('Sec. 2 & "Config"' in row.text() for row in _rows(tree))


def test_the_filters_offer_every_paper_framework_and_status_present(tree: Node) -> None:
    records = fixture_report()["records"]
    selects = {select.attrs["name"]: select for select in tree.find_all("select")}
    assert set(selects) == {"paper", "framework", "status"}
    for name, select in selects.items():
        values = [option.attrs["value"] for option in select.find_all("option")]
        assert values[0] == "" and sorted(values[1:]) == sorted({item[name] for item in records})
    rows = _rows(tree)
    assert all(row.attrs["data-paper"] and row.attrs["data-framework"] for row in rows)
    assert "Showing 11 of 11 records and 8 of 8 plotted points" in tree.text()


def test_the_plot_has_one_point_per_numeric_deviation(tree: Node) -> None:
    numeric = _numeric(fixture_report()["records"])
    points = _points(tree)
    assert len(points) == len(numeric) == 8
    keys = Counter(
        (point.attrs["data-paper"], point.attrs["data-framework"], point.attrs["data-status"]) for point in points
    )
    assert keys == Counter((item["paper"], item["framework"], item["status"]) for item in numeric)
    titles = [point.find_all("title")[0].text() for point in points]
    for item in numeric:
        assert sum(title.startswith(f"{item['claim']} [{item['framework']}]") for title in titles) == 1
    (off,) = [title for title in titles if "off scale" in title]
    assert off.startswith("he2016_resnet/table1/resnet18/macs [keras]: mismatch, deviation +80.00%")
    assert "The 3 records without a numeric deviation" in " ".join(tree.text().split())


def test_off_scale_points_are_drawn_inside_the_plot_with_an_arrow(tree: Node) -> None:
    for facet in _facets(tree):
        (svg,) = facet.find_all("svg")
        height = float(svg.attrs["viewbox"].split()[3])
        for point in svg.find_all("g", **{"class": "pt"}):
            shapes = [node for node in point.children if isinstance(node, Node) and node.tag != "title"]
            ys = [float(y) for node in shapes for y in _ys(node)]
            assert ys and all(0 <= y <= height for y in ys)
            assert len(shapes) == (2 if "off scale" in point.text() else 1)


def test_each_paper_has_its_own_small_plot_on_one_shared_scale(tree: Node) -> None:
    numeric = _numeric(fixture_report()["records"])
    facets = _facets(tree)
    assert [facet.attrs["data-paper"] for facet in facets] == sorted({item["paper"] for item in numeric})
    for facet in facets:
        points = facet.find_all("g", **{"class": "pt"})
        assert {point.attrs["data-paper"] for point in points} == {facet.attrs["data-paper"]}
        assert facet.find_all("figcaption")[0].text().startswith(facet.attrs["data-paper"])
    ticks = {tuple(text.text() for text in facet.find_all("text")) for facet in facets}
    assert len(ticks) == 1 and len(next(iter(ticks))) == 5


def _ys(node: Node) -> list[str]:
    """The y coordinates of a circle or a path of absolute M/L commands."""
    if node.tag == "circle":
        return [node.attrs["cy"] or ""]
    return re.findall(r"-?[\d.]+", node.attrs["d"] or "")[1::2]


def test_rendering_is_deterministic(page: str) -> None:
    assert render_html(fixture_report()) == page
    assert render_html(copy.deepcopy(fixture_report())) == page


def test_an_empty_report_still_renders() -> None:
    tree = parse(render_html(empty_report()))
    assert "PASS" in tree.text() and "0 of 0 checks match" in tree.text()
    assert not [node for node in tree.iter() if "data-status" in node.attrs]
    assert "No records were reported." in tree.text() and "No record has a numeric deviation" in tree.text()


def test_write_puts_the_page_next_to_the_other_formats(tmp_path: Path) -> None:
    (path,) = report.write(fixture_report(), tmp_path, ["html"])
    assert path.name == "report.html" and path.read_text(encoding="utf-8") == render_html(fixture_report())

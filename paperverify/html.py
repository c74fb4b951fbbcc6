"""The discrepancy report as one self-contained HTML page.

A summary, the problems, the architecture × framework matrix, the first divergences, each paper's printed tables
transcribed and left out, a plot of every claim's relative deviation and all records, filterable by paper,
framework and status. CSS, SVG and JS are inline: the page loads nothing and works opened from disk; without JS
it shows everything. Every string from the report is escaped, and the same report always renders to the same
bytes.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from html import escape
from typing import Any

from paperverify.compare import FAILING, PASSING, STATUSES
from paperverify.report import erratum_text, failed
from paperverify.sanity import coverage_row

#: Sections of the records table, in order: a heading and the statuses it holds.
GROUPS = (
    ("Mismatches and errors", FAILING),
    ("Errata (checked against the corrected value)", ("erratum",)),
    ("Recorded deviations of the model from the paper", ("deviation",)),
    ("Skipped", ("skipped",)),
    ("Matches", ("match",)),
)
#: The records table's columns and their share of its width in percent (the table never outgrows the page).
COLUMNS = {
    "claim": 14, "framework": 8, "status": 8, "printed": 9, "expected": 9, "measured": 9, "offset": 7,
    "tolerance": 8, "source": 12, "detail": 16,
}  # fmt: skip
#: Plot marker colour (at least 3:1 against white) and shape per status, so the plot does not rely on colour alone.
COLOURS = {
    "match": "#1a7f37",
    "mismatch": "#cf222e",
    "erratum": "#9a6700",
    "deviation": "#0969da",
    "error": "#8250df",
    "skipped": "#6e7781",
}
SHAPES = {
    "match": "circle",
    "mismatch": "cross",
    "erratum": "diamond",
    "deviation": "diamond",
    "error": "triangle",
    "skipped": "square",
}
POLYGONS = {
    "diamond": ((0, -1.3), (1.3, 0), (0, 1.3), (-1.3, 0)),
    "triangle": ((0, -1.3), (1.2, 1), (-1.2, 1)),
    "square": ((-1, -1), (1, -1), (1, 1), (-1, 1)),
}
#: Candidate half-ranges of the plot's y axis in percent; deviations beyond the last are drawn on the edge.
LIMITS = (1.0, 2.0, 5.0, 10.0, 20.0, 50.0)
#: A paper's plot in SVG user units: width, height, and the left, right, top and bottom margins.
WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 360, 170, 48, 8, 14, 14

STYLE = """
:root { color-scheme: light; --fg: #1f2328; --muted: #57606a; --line: #d0d7de; --head: #f6f8fa; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: #fff;
  margin: 0 auto; padding: 0 24px 48px; max-width: 1600px; }
h1 { font-size: 1.7em; margin: 24px 0 6px; }
h2 { font-size: 1.25em; margin: 28px 0 8px; }
table { border-collapse: collapse; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
thead th { background: var(--head); }
code { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.meta, .note, figcaption { color: var(--muted); }
.verdict { font-size: 1.15em; margin: 6px 0; }
.verdict strong { padding: 2px 10px; border-radius: 4px; color: #fff; margin-right: 6px; }
.pass strong { background: #1a7f37; } .fail strong { background: #cf222e; }
.counts { list-style: none; padding: 0; margin: 8px 0; display: flex; flex-wrap: wrap; gap: 8px; }
.badge { display: inline-block; padding: 0 8px; border: 1px solid; border-radius: 10px; font-weight: 600;
  white-space: nowrap; }
.b-match { background: #dafbe1; color: #116329; border-color: #4ac26b; }
.b-mismatch { background: #ffebe9; color: #a40e26; border-color: #ff8182; }
.b-erratum { background: #fff8c5; color: #6c4400; border-color: #d4a72c; }
.b-deviation { background: #ddf4ff; color: #0a3069; border-color: #54aeff; }
.b-error { background: #fbefff; color: #6639ba; border-color: #c297ff; }
.b-skipped { background: #eaeef2; color: #424a53; border-color: #afb8c1; }
.problems { border: 1px solid #ff8182; border-left: 6px solid #cf222e; background: #ffebe9; color: #6e011a;
  padding: 4px 16px; margin: 16px 0; }
.problems h2 { margin-top: 8px; }
.ok { background: #dafbe1; color: #116329; } .bad { background: #ffebe9; color: #a40e26; font-weight: 600; }
.matrix td { text-align: right; min-width: 7em; }
.toolbar { position: sticky; top: 0; z-index: 1; background: #fff; border-bottom: 1px solid var(--line);
  padding: 8px 0; margin-top: 24px; display: flex; flex-wrap: wrap; align-items: center; gap: 8px 24px; }
.toolbar form { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center; }
.toolbar form[hidden] { display: none; }
.toolbar select, .toolbar button { font: inherit; }
#count { margin: 0; font-weight: 600; }
figure { margin: 8px 0; }
.facets { display: grid; grid-template-columns: repeat(auto-fill, minmax(280px, 1fr)); gap: 12px 20px; }
.facet { margin: 0; min-width: 0; }
.facet figcaption { font-weight: 600; overflow-wrap: anywhere; }
.facet figcaption span { font-weight: 400; color: var(--muted); }
.facet svg { width: 100%; height: auto; display: block; }
.facet text { font-size: 11px; fill: #1f2328; }
.facet .axis { stroke: #57606a; } .facet .grid { stroke: #d8dee4; }
.facet .zero { stroke: #1f2328; stroke-width: 1.5; }
.legend { list-style: none; padding: 0; margin: 4px 0; display: flex; flex-wrap: wrap; gap: 4px 16px; }
.legend svg { vertical-align: -2px; margin-right: 4px; }
.records { width: 100%; font-size: 13px; table-layout: fixed; }
.records th, .records td { overflow-wrap: anywhere; padding: 4px 6px; }
.records .badge { white-space: normal; }
.records th.group { background: #eaeef2; font-size: 14px; padding: 6px 8px; }
.records tr.st-mismatch td { background: #fff5f5; } .records tr.st-error td { background: #fbf5ff; }
.records tr.st-erratum td { background: #fffbeb; } .records tr.st-skipped td { background: #f6f8fa; }
.records tr.st-deviation td { background: #f3f9ff; }
.records tr td:first-child { border-left-width: 5px; }
.records tr.st-match td:first-child { border-left-color: #1a7f37; }
.records tr.st-mismatch td:first-child { border-left-color: #cf222e; }
.records tr.st-erratum td:first-child { border-left-color: #bf8700; }
.records tr.st-deviation td:first-child { border-left-color: #0969da; }
.records tr.st-error td:first-child { border-left-color: #8250df; }
.records tr.st-skipped td:first-child { border-left-color: #8c959f; }
.records q { display: block; color: var(--muted); font-style: italic; }
.erratum { margin-top: 4px; color: #6c4400; }
.off { display: none !important; }
"""

# No `//` comments: the page must hold no protocol-relative reference, not even one that looks like it.
SCRIPT = """
(function () {
  var form = document.getElementById("filters");
  var count = document.getElementById("count");
  var rows = document.querySelectorAll("#records tr[data-status]");
  var points = document.querySelectorAll("#plot .pt");
  var facets = document.querySelectorAll("#plot .facet");
  var groups = document.querySelectorAll("#records tbody");
  function keep(el) {
    return Array.prototype.every.call(form.elements, function (field) {
      return !field.value || el.getAttribute("data-" + field.name) === field.value;
    });
  }
  function show(list) {
    var shown = 0;
    list.forEach(function (el) {
      var ok = keep(el);
      el.classList.toggle("off", !ok);
      shown += ok ? 1 : 0;
    });
    return shown;
  }
  function apply() {
    var records = show(rows), plotted = show(points);
    groups.forEach(function (group) {
      group.classList.toggle("off", !group.querySelector("tr[data-status]:not(.off)"));
    });
    facets.forEach(function (facet) {
      facet.classList.toggle("off", !facet.querySelector(".pt:not(.off)"));
    });
    count.textContent = "Showing " + records + " of " + rows.length + " records and " + plotted + " of " +
      points.length + " plotted points";
  }
  form.hidden = false;
  form.addEventListener("change", apply);
  form.addEventListener("reset", function () { setTimeout(apply, 0); });
  apply();
})();
"""


def render_html(report: dict[str, Any]) -> str:
    """The report as one self-contained, deterministic HTML5 document."""
    records = report["records"]
    points = _points(records)
    body = [
        _header(report),
        _problems(report["problems"]),
        _matrix(report),
        _divergences(report["divergences"]),
        _coverage(report.get("coverage", [])),
        _toolbar(report, len(points)),
        _plot(points, len(records), _frameworks(report)),
        _records(records),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>paperverify report {_e(report['generated'])}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(part for part in body if part)
        + f"\n<script>{SCRIPT}</script>\n</body>\n</html>\n"
    )


def _e(value: Any) -> str:
    """Escaped text (for content and quoted attributes); None is empty."""
    return escape("" if value is None else str(value))


def _badge(status: str) -> str:
    return f'<span class="badge b-{_e(status)}">{_e(status)}</span>'


def _frameworks(report: dict[str, Any]) -> list[str]:
    """The report's frameworks in their order, then any other a record names."""
    return list(dict.fromkeys([*report["frameworks"], *sorted({item["framework"] for item in report["records"]})]))


def _header(report: dict[str, Any]) -> str:
    summary = report["summary"]
    frameworks = report["frameworks"]
    verdict = ("fail", "FAIL") if failed(report) else ("pass", "PASS")
    counts = "".join(f'<li class="badge b-{status}">{summary[status]} {status}</li>' for status in STATUSES)
    return (
        f"<header>\n<h1>paperverify report</h1>\n"
        f'<p class="verdict {verdict[0]}"><strong>{verdict[1]}</strong>'
        f"{sum(summary[status] for status in PASSING)} of {summary['total']} checks match the papers "
        f"({report['claims_loaded']} claims × {len(frameworks)} framework(s))</p>\n"
        f'<ul class="counts">{counts}</ul>\n'
        f'<p class="meta">Generated <time datetime="{_e(report["generated"])}">{_e(report["generated"])}</time> '
        f"by paperverify {_e(report['paperverify'])} (report schema {_e(report['schema'])}); "
        f"frameworks: {_e(', '.join(frameworks))}; checked: {_e(report['subject'])}.</p>\n</header>"
    )


def _problems(problems: list[str]) -> str:
    if not problems:
        return ""
    items = "".join(f"<li>{_e(problem)}</li>" for problem in problems)
    return f'<section class="problems" role="alert">\n<h2>Problems ({len(problems)})</h2>\n<ul>{items}</ul>\n</section>'


def _matrix(report: dict[str, Any]) -> str:
    frameworks = report["frameworks"]
    cells = {(cell["architecture"], cell["framework"]): cell for cell in report["matrix"]}
    head = "".join(f'<th scope="col">{_e(framework)}</th>' for framework in frameworks)
    rows = [
        f'<tr><th scope="row">{_e(architecture)}</th>'
        + "".join(_matrix_cell(cells.get((architecture, framework))) for framework in frameworks)
        + "</tr>"
        for architecture in sorted({architecture for architecture, _ in cells})
    ]
    return (
        '<section>\n<h2>Matches per architecture and framework</h2>\n<table class="matrix">\n'
        f'<thead><tr><th scope="col">architecture</th>{head}</tr></thead>\n<tbody>\n'
        + "\n".join(rows)
        + "\n</tbody>\n</table>\n</section>"
    )


def _matrix_cell(cell: dict[str, Any] | None) -> str:
    if cell is None:
        return "<td>–</td>"
    if cell["matched"] == cell["total"]:
        return f'<td class="ok">✓ {cell["matched"]}/{cell["total"]}</td>'
    return f'<td class="bad">✗ {cell["matched"]}/{cell["total"]}</td>'


def _divergences(divergences: list[dict[str, Any]]) -> str:
    if not divergences:
        return (
            "<section>\n<h2>First divergence</h2>\n"
            '<p class="note">None: no output-shape, input-shape, structure or stride claim fails.</p>\n</section>'
        )
    rows = "\n".join(
        f"<tr><td>{_e(item['paper'])} {_e(item['label'])}</td><td>{_e(item['variant'])}</td>"
        f"<td>{_e(item['framework'])}</td><td><code>{_e(item['point'])}</code></td><td>{_e(item['expected'])}</td>"
        f"<td>{_e(item['measured'])}</td><td>{_e(item['detail'])}</td></tr>"
        for item in divergences
    )
    head = "".join(
        f'<th scope="col">{name}</th>'
        for name in ("table", "variant", "framework", "first point", "expected", "found", "detail")
    )
    return (
        "<section>\n<h2>First divergence</h2>\n"
        '<p class="note">Per table, variant and framework, the first named point (in table order) that departs '
        "from the paper.</p>\n"
        f'<table class="divergences">\n<thead><tr>{head}</tr></thead>\n<tbody>\n{rows}\n</tbody>\n</table>\n</section>'
    )


def _coverage(coverage: list[dict[str, Any]]) -> str:
    """Each paper's printed tables transcribed (with their claims) and left out (with the reason): what the reference
    tables do not check yet. Only `paperverify report` records it."""
    if not coverage:
        return ""
    head = "".join(f'<th scope="col">{name}</th>' for name in ("paper", "transcribed (claims)", "left out (reason)"))
    rows = "\n".join(
        "<tr>" + "".join(f"<td>{_e(cell)}</td>" for cell in coverage_row(item, reasons=True)) + "</tr>"
        for item in coverage
    )
    return (
        "<section>\n<h2>Coverage of the papers</h2>\n"
        f'<table class="coverage">\n<thead><tr>{head}</tr></thead>\n<tbody>\n{rows}\n</tbody>\n</table>\n</section>'
    )


def _toolbar(report: dict[str, Any], plotted: int) -> str:
    """The filters (hidden until the script shows them) and the visible count of records and points shown."""
    records = report["records"]
    papers = Counter(item["paper"] for item in records)
    frameworks = Counter(item["framework"] for item in records)
    statuses = Counter(item["status"] for item in records)
    selects = (
        _select("paper", "Paper", "all papers", [(paper, papers[paper]) for paper in sorted(papers)]),
        _select("framework", "Framework", "all frameworks", [(fw, frameworks[fw]) for fw in _frameworks(report)]),
        _select("status", "Status", "all statuses", [(st, statuses[st]) for st in STATUSES if statuses[st]]),
    )
    total = len(records)
    return (
        '<div class="toolbar">\n<form id="filters" hidden>\n'
        + "\n".join(selects)
        + '\n<button type="reset">Show all</button>\n</form>\n'
        f'<p id="count" aria-live="polite">Showing {total} of {total} records and {plotted} of {plotted} '
        "plotted points</p>\n</div>"
    )


def _select(name: str, label: str, everything: str, options: list[tuple[str, int]]) -> str:
    items = "".join(f'<option value="{_e(value)}">{_e(value)} ({count})</option>' for value, count in options)
    return f'<label>{label} <select name="{name}"><option value="">{everything}</option>{items}</select></label>'


def _records(records: list[dict[str, Any]]) -> str:
    if not records:
        return '<section>\n<h2>Records</h2>\n<p class="note">No records were reported.</p>\n</section>'
    head = "".join(f'<th scope="col">{name}</th>' for name in COLUMNS)
    widths = "".join(f'<col style="width: {share}%">' for share in COLUMNS.values())
    groups = []
    for title, statuses in GROUPS:
        items = [item for item in records if item["status"] in statuses]
        if items:
            rows = "\n".join(_record_row(item) for item in items)
            groups.append(
                f'<tbody>\n<tr><th class="group" colspan="{len(COLUMNS)}" scope="rowgroup">{title} '
                f"({len(items)})</th></tr>\n{rows}\n</tbody>"
            )
    return (
        '<section>\n<h2>Records</h2>\n<table class="records" id="records">\n'
        f"<colgroup>{widths}</colgroup>\n<thead><tr>{head}</tr></thead>\n"
        + "\n".join(groups)
        + "\n</table>\n</section>"
    )


def _record_row(item: dict[str, Any]) -> str:
    detail = _e(item["detail"])
    if item["erratum"]:
        detail += f'<div class="erratum">Erratum: {_e(erratum_text(item["erratum"]))}</div>'
    cells = [
        f'<td title="{_e(item["config"])}"><code>{"/<wbr>".join(map(_e, item["claim"].split("/")))}</code></td>',
        f"<td>{_e(item['framework'])}</td>",
        f"<td>{_badge(item['status'])}</td>",
        *(f"<td>{_e(item[key])}</td>" for key in ("printed", "expected", "measured", "offset", "tolerance")),
        f'<td title="{_e(item["file"])}, arXiv {_e(item["arxiv"])}">{_source(item)}</td>',
        f"<td>{detail}</td>",
    ]
    return (
        f'<tr class="st-{_e(item["status"])}" data-paper="{_e(item["paper"])}" '
        f'data-framework="{_e(item["framework"])}" data-status="{_e(item["status"])}">' + "".join(cells) + "</tr>"
    )


def _source(item: dict[str, Any]) -> str:
    """Where the claim was printed: label, page, row and column, then the quoted sentence if any."""
    fields = (("p.", "page"), ("row", "row"), ("column", "column"))
    parts = [item["label"], *(f"{name} {item[key]}" for name, key in fields if item[key] is not None)]
    quote = f"<q>{_e(item['quote'])}</q>" if item["quote"] else ""
    return _e(", ".join(map(str, parts))) + quote


def _points(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records with a finite numeric relative deviation, sorted by paper then claim."""
    numeric = [
        item
        for item in records
        if isinstance(item["relative"], (int, float))
        and not isinstance(item["relative"], bool)
        and math.isfinite(item["relative"])
    ]
    return sorted(numeric, key=lambda item: (item["paper"], item["claim"]))


def _limit(percents: list[float]) -> float:
    """The y axis half-range: the smallest candidate that holds every deviation, or the largest candidate."""
    peak = max((abs(value) for value in percents), default=0.0)
    return next((limit for limit in LIMITS if limit >= peak), LIMITS[-1])


def _plot(points: list[dict[str, Any]], total: int, frameworks: list[str]) -> str:
    """Small multiples: one SVG strip chart per paper of relative deviation (%) per claim, one point per record,
    every facet on the same y scale; titles are HTML, so they wrap rather than run into each other."""
    heading = "<section>\n<h2>Deviation from the papers</h2>\n"
    if not points:
        return heading + '<p class="note">No record has a numeric deviation to plot.</p>\n</section>'
    percents = [100 * item["relative"] for item in points]
    limit = _limit(percents)
    by_paper: dict[str, list[tuple[dict[str, Any], float]]] = {}
    for item, percent in zip(points, percents, strict=True):
        by_paper.setdefault(item["paper"], []).append((item, percent))
    facets = "\n".join(_facet(paper, marks, limit, frameworks) for paper, marks in by_paper.items())
    clamped = sum(abs(percent) > limit for percent in percents)
    caption = (
        f'<figcaption id="plot-caption">Relative deviation ((measured − printed) / printed, in %) of the '
        f"{len(points)} of {total} records that have one: one plot per paper, on one scale, one point per claim and "
        f"framework, claims in id order; within a claim, frameworks from left to right: "
        f"{_e(', '.join(frameworks))}. Hover a point for its claim. The {total - len(points)} records without a "
        "numeric deviation (output shapes and structures, which match exactly or not at all) are not plotted."
        + (f" {clamped} point(s) beyond ±{limit:g}% are drawn on the edge and marked with an arrow." if clamped else "")
        + "</figcaption>"
    )
    body = f'<div class="facets">\n{facets}\n</div>\n{_legend()}\n{caption}'
    return f'{heading}<figure id="plot">\n{body}\n</figure>\n</section>'


def _facet(paper: str, marks: list[tuple[dict[str, Any], float]], limit: float, frameworks: list[str]) -> str:
    """One paper's chart: its claims across, the shared ±limit scale up."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def y_of(percent: float) -> float:
        return TOP + (limit - max(-limit, min(limit, percent))) / (2 * limit) * plot_h

    claims = list(dict.fromkeys(item["claim"] for item, _ in marks))
    column = {claim: index for index, claim in enumerate(claims)}
    slot = plot_w / len(claims)
    spread = min(slot / (len(frameworks) + 1), 8.0)
    shapes = []
    for item, percent in marks:
        offset = (frameworks.index(item["framework"]) - (len(frameworks) - 1) / 2) * spread
        x = LEFT + (column[item["claim"]] + 0.5) * slot + offset
        shapes.append(_point(item, percent, x, y_of(percent), limit))
    architecture = marks[0][0]["architecture"]
    title = f"{_e(paper)} <span>({_e(architecture)}: {len(claims)} claims)</span>"
    return (
        f'<figure class="facet" data-paper="{_e(paper)}"><figcaption>{title}</figcaption>\n'
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="deviation of {_e(paper)}\'s claims">\n'
        + _y_axis(limit, y_of)
        + f'<line class="zero" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y_of(0):.1f}" y2="{y_of(0):.1f}"/>\n'
        + "\n".join(shapes)
        + "\n</svg></figure>"
    )


def _y_axis(limit: float, y_of: Callable[[float], float]) -> str:
    """Grid lines and labels at five ticks across ±limit and the axes."""
    out = []
    for tick in (-limit, -limit / 2, 0.0, limit / 2, limit):
        y = y_of(tick)
        label = f"{tick:+g}%" if tick else "0%"
        out.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<line class="axis" x1="{LEFT - 4}" x2="{LEFT}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text x="{LEFT - 7}" y="{y + 4:.1f}" text-anchor="end">{label}</text>'
        )
    bottom = HEIGHT - BOTTOM
    out.append(f'<line class="axis" x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{bottom}"/>')
    out.append(f'<line class="axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{bottom}" y2="{bottom}"/>')
    return "\n".join(out) + "\n"


def _point(item: dict[str, Any], percent: float, x: float, y: float, limit: float) -> str:
    """One record's marker with its tooltip and filter attributes; off-scale values get an outward arrow."""
    status = item["status"]
    off = abs(percent) > limit
    tooltip = (
        f"{item['claim']} [{item['framework']}]: {status}, deviation {percent:+.2f}%"
        f"{' (off scale)' if off else ''}\nprinted {item['printed']}, measured {item['measured']}"
    )
    arrow = ""
    if off:
        sign = 1 if percent > 0 else -1
        tip, base = y - sign * 12, y - sign * 6  # within the margin beyond the edge the point is drawn on
        arrow = (
            f'<path d="M{x:.1f} {tip:.1f}L{x + 4:.1f} {base:.1f}L{x - 4:.1f} {base:.1f}Z" fill="{COLOURS[status]}"/>'
        )
    return (
        f'<g class="pt" data-paper="{_e(item["paper"])}" data-framework="{_e(item["framework"])}" '
        f'data-status="{_e(status)}"><title>{_e(tooltip)}</title>{_marker(status, x, y)}{arrow}</g>'
    )


def _marker(status: str, x: float, y: float, size: float = 4.5) -> str:
    """The status's marker shape in its colour, centred on (x, y)."""
    colour, shape = COLOURS[status], SHAPES[status]
    if shape == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{size:.1f}" fill="{colour}" stroke="#fff"/>'
    if shape == "cross":
        a = size * 0.9
        path = f"M{x - a:.1f} {y - a:.1f}L{x + a:.1f} {y + a:.1f}M{x + a:.1f} {y - a:.1f}L{x - a:.1f} {y + a:.1f}"
        return f'<path d="{path}" stroke="{colour}" stroke-width="2.5" fill="none"/>'
    path = "M" + "L".join(f"{x + dx * size:.1f} {y + dy * size:.1f}" for dx, dy in POLYGONS[shape]) + "Z"
    return f'<path d="{path}" fill="{colour}" stroke="#fff"/>'


def _legend() -> str:
    items = "".join(
        f'<li><svg width="14" height="14" viewBox="-7 -7 14 14" aria-hidden="true">{_marker(status, 0, 0)}</svg>'
        f"{status}</li>"
        for status in STATUSES
    )
    return f'<ul class="legend">{items}</ul>'

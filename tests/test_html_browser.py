"""The HTML report looked at in a real browser (headless Chromium): at a desktop and a narrow window, no two labels
of a plot overlap, the plots are small, nothing runs off the page sideways, and every record is shown.

Chromium is found on the PATH (`chromium`, `chromium-browser`, `google-chrome`) or named by PAPERVERIFY_BROWSER.
Where there is none the test is skipped, unless PAPERVERIFY_REQUIRE_BROWSER=1 (as `.ci/run` sets it after
installing Debian's chromium), where its absence fails.
"""

from __future__ import annotations

import copy
import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from paperverify.html import render_html
from tests.test_html import fixture_report

#: Measured in the page once it has laid out, written into it as JSON for --dump-dom to hand back.
CHECK = """
(function () {
  function box(el) { return el.getBoundingClientRect(); }
  function overlap(a, b) {
    return a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
  }
  function clashes(elements, name) {
    var found = [], boxes = elements.map(box);
    for (var i = 0; i < boxes.length; i++) {
      for (var j = i + 1; j < boxes.length; j++) {
        if (overlap(boxes[i], boxes[j])) {
          found.push(name + ": " + elements[i].textContent + " / " + elements[j].textContent);
        }
      }
    }
    return found;
  }
  var overlaps = [];
  document.querySelectorAll("#plot svg").forEach(function (svg) {
    overlaps = overlaps.concat(clashes(Array.from(svg.querySelectorAll("text")), "plot labels"));
  });
  var facets = Array.from(document.querySelectorAll("#plot .facet"));
  overlaps = overlaps.concat(clashes(facets, "plots"));
  var cells = Array.from(document.querySelectorAll("#records td, #records th"));
  var result = {
    width: window.innerWidth,
    scrollWidth: document.documentElement.scrollWidth,
    overlaps: overlaps,
    plots: facets.length,
    tallest: Math.max.apply(null, facets.map(function (f) { return box(f.querySelector("svg")).height; })),
    smallestFont: Math.min.apply(null, Array.from(document.querySelectorAll("#plot text")).map(function (t) {
      return box(t).height;
    })),
    overflowing: cells.filter(function (c) { return c.scrollWidth > c.clientWidth + 1; }).length,
    rows: document.querySelectorAll("#records tr[data-status]").length
  };
  var out = document.createElement("pre");
  out.id = "layout";
  out.textContent = JSON.stringify(result);
  document.body.appendChild(out);
})();
"""

PAPERS = 15
CLAIMS = 60


def _browser() -> str | None:
    named = os.environ.get("PAPERVERIFY_BROWSER")
    if named:
        return named
    return next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)


def _catalogue() -> dict[str, Any]:
    """The fixture's records spread over 15 papers of 60 claims each, long names and details included: a page
    the size of the whole catalogue's."""
    document = fixture_report()
    records = []
    for paper in range(PAPERS):
        for claim in range(CLAIMS):
            item = copy.deepcopy(document["records"][claim % len(document["records"])])
            name = f"paper{paper:02d}_a_rather_long_paper_identifier"
            item.update(
                paper=name, architecture=f"arch{paper}", claim=f"{name}/table{claim % 4}/{item['claim']}/{claim}"
            )
            records.append(item)
    return {**document, "records": records}


def _measure(browser: str, page: str, width: int, folder: Path) -> dict[str, Any]:
    path = folder / f"report-{width}.html"
    path.write_text(page.replace("</body>", f"<script>{CHECK}</script>\n</body>"), encoding="utf-8")
    command = [
        browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
        f"--user-data-dir={folder / f'profile-{width}'}", f"--window-size={width},900", "--dump-dom", path.as_uri(),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    found = re.search(r'<pre id="layout">(.*?)</pre>', done.stdout, re.DOTALL)
    assert found, f"{browser} gave no layout (exit {done.returncode}): {done.stderr[-1500:]}"
    return json.loads(html.unescape(found.group(1)))


@pytest.mark.parametrize("width", [1280, 760])
def test_the_page_reads_in_a_real_browser(width: int, tmp_path: Path) -> None:
    browser = _browser()
    if browser is None:
        if os.environ.get("PAPERVERIFY_REQUIRE_BROWSER") == "1":
            pytest.fail("PAPERVERIFY_REQUIRE_BROWSER=1 but no Chromium was found (apt-get install chromium)")
        pytest.skip("no Chromium here: apt-get install chromium (or set PAPERVERIFY_BROWSER) to render the page")
    document = _catalogue()
    layout = _measure(browser, render_html(document), width, tmp_path)
    assert layout["width"] == width
    assert layout["overlaps"] == []
    assert layout["plots"] == PAPERS
    assert layout["tallest"] <= 260, "one small plot per paper"
    assert layout["smallestFont"] >= 9, "plot labels stay readable"
    assert layout["scrollWidth"] <= width, "nothing runs off the page sideways"
    assert layout["overflowing"] == 0, "every cell's text fits its cell"
    assert layout["rows"] == len(document["records"])

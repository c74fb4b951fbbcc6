"""Every claim of every reference table, in every framework: the model must match what the paper printed.

Test ids read like the claim: `he2016_resnet/table1/resnet50/macs[keras]`. Tests of one configuration
share an xdist group, so each model is built and probed once per worker.
"""

from __future__ import annotations

import pytest

from paperverify.registry import FRAMEWORKS
from paperverify.runner import verdict
from paperverify.tables import Claim, load_claims

CLAIMS = load_claims()


def _params() -> list:
    return [
        pytest.param(
            claim,
            framework,
            id=f"{claim.id}[{framework}]",
            marks=pytest.mark.xdist_group(f"{framework}:{claim.config}"),
        )
        for claim in CLAIMS
        for framework in FRAMEWORKS
    ]


@pytest.mark.parametrize(("claim", "framework"), _params())
def test_claim(claim: Claim, framework: str) -> None:
    result = verdict(claim, framework)
    assert result.status in ("match", "erratum"), (
        f"{claim.id} [{framework}] {result.status}\n"
        f"  source:   {claim.source}\n"
        f"  printed:  {claim.printed}\n"
        f"  expected: {result.expected} ({result.tolerance})\n"
        f"  measured: {result.measured} {result.deviation}\n"
        f"  {result.detail}"
    )


def test_no_printed_cell_is_lost() -> None:
    """Every printed cell of ResNet Table 1 becomes a claim: 7 'output size' cells (all rows but FLOPs),
    each stated for the 5 variants, plus 8 rows × 5 variant columns; the 13 single-variant statements,
    and the caption's 3 downsampling blocks × 5 variants."""
    by_table: dict[str, int] = {}
    for claim in CLAIMS:
        if claim.source.paper == "he2016_resnet":
            by_table[claim.source.table] = by_table.get(claim.source.table, 0) + 1
    assert by_table == {"table1": 7 * 5 + 8 * 5, "text": 13 + 3 * 5}

"""Every claim of every reference table, in every framework: the model must match what the paper printed.

The paperverify pytest plugin parametrizes `pv_claim` × `pv_framework`; ids read like the claim
(`he2016_resnet/table1/resnet50/macs[keras]`). Tests of one configuration share an xdist group, so each
model is built and probed once per worker.
"""

from __future__ import annotations

from collections.abc import Callable

from paperverify.claims import Claim
from paperverify.compare import Verdict
from paperverify.tables import load_claims


def test_claim(pv_claim: Claim, pv_framework: str, pv_judge: Callable[[Claim, str], Verdict]) -> None:
    result = pv_judge(pv_claim, pv_framework)
    assert result.status in ("match", "erratum"), (
        f"{pv_claim.id} [{pv_framework}] {result.status}\n"
        f"  source:   {pv_claim.source}\n"
        f"  printed:  {pv_claim.printed}\n"
        f"  expected: {result.expected} ({result.tolerance})\n"
        f"  measured: {result.measured} {result.offset}\n"
        f"  {result.detail}"
    )


def test_no_printed_cell_is_lost() -> None:
    """Every printed cell of ResNet Table 1 becomes a claim: 7 'output size' cells (all rows but FLOPs),
    each stated for the 5 variants, plus 8 rows × 5 variant columns; Table 6's layers and parameters of the 6
    CIFAR-10 ResNets; the 13 single-variant statements, the caption's 3 downsampling blocks × 5 variants,
    Sec. 4.2's 7 statements (map sizes, filters, the fc) × the 6 CIFAR-10 ResNets, and the 4 FLOPs it cites for
    VGG-16 and VGG-19."""
    by_table: dict[str, int] = {}
    for claim in load_claims():
        if claim.source.paper == "he2016_resnet":
            by_table[claim.source.table] = by_table.get(claim.source.table, 0) + 1
    assert by_table == {"table1": 7 * 5 + 8 * 5, "table6": 6 * 2, "text": 13 + 3 * 5 + 7 * 6 + 4}

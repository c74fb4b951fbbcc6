"""Faults in models never stop the run: a builder that raises, a model whose tensors have the wrong rank, a
configuration too large to build: each is an `error` verdict with its message, and every other claim is still
verified and reported. A layer whose kind the probe cannot tell makes only the claims that need its kind
errors (its multiply-adds); its shapes and structure are still checked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from paperverify import registry, report
from paperverify.runner import run
from paperverify.tables import load_claims
from tests.test_tables import SIDECAR

FAULTY = ["faulty_raises", "faulty_too_large", "faulty_unknown_layer", "faulty_wrong_rank"]
CSV = """\
row,output size,50-layer,raises,too large,unknown layer,wrong rank
conv1,112×112,"7×7, 64, stride 2","7×7, 64, stride 2","7×7, 64, stride 2","7×7, 64, stride 2","7×7, 64, stride 2"
flops,,3.9×10^9,3.9×10^9,3.9×10^9,3.9×10^9,3.9×10^9
"""
EXPECTED = {
    "faulty_raises": "ValueError: the builder is broken",
    "faulty_too_large": "MemoryError: cannot allocate 5.5 TiB for this configuration",
    "faulty_wrong_rank": "layer 'fc': expected an output tensor whose first dimension is the probe's batch of 1. "
    "Received: (64, 112, 1000)",
}


@pytest.fixture
def faulty_tables(tmp_path: Path) -> Iterator[Path]:
    registry.variants()  # load the real registrations first
    registry.register("faulty", FAULTY, torch="tests.faulty_models")
    columns = "".join(
        f'\n[tables.columns."{column}"]\nvariant = "{variant}"\n'
        for column, variant in zip(["raises", "too large", "unknown layer", "wrong rank"], FAULTY, strict=True)
    )
    folder = tmp_path / "demo2016_net"
    folder.mkdir()
    (folder / "paper.toml").write_text(SIDECAR.replace("[tables.rows.conv1]", columns + "\n[tables.rows.conv1]"))
    (folder / "table1.csv").write_text(CSV, encoding="utf-8")
    try:
        yield folder
    finally:
        for name in FAULTY:
            del registry._REGISTRY[name]


def test_every_fault_is_an_error_verdict_and_the_rest_is_verified(faulty_tables: Path, torch_threads: int) -> None:
    claims = load_claims([faulty_tables])
    verdicts = run(claims, ["torch"])
    document = report.build([(claim, "torch") for claim in claims], verdicts, ["torch"])
    assert document["problems"] == []
    assert document["checks_loaded"] == len(document["records"]) == len(claims) == 3 * 5
    by_variant: dict[str, list[dict]] = {}
    for item in document["records"]:
        by_variant.setdefault(item["variant"], []).append(item)
    assert {item["status"] for item in by_variant["resnet50"]} == {"match"}
    for variant, message in EXPECTED.items():
        assert {item["status"] for item in by_variant[variant]} == {"error"}, variant
        assert all(message in item["detail"] for item in by_variant[variant]), by_variant[variant][0]["detail"]
    unknown = {item["quantity"]: item for item in by_variant["faulty_unknown_layer"]}
    assert {quantity: item["status"] for quantity, item in unknown.items()} == {
        "output_shape": "match", "structure": "match", "macs": "error",
    }  # fmt: skip
    assert "cannot tell the kind of conv1.mystery (tests.faulty_models._Mystery)" in unknown["macs"]["detail"]
    assert report.failed(document)


def test_a_malformed_trace_is_an_error_verdict_not_a_crash() -> None:
    from paperverify.compare import safe_judge
    from paperverify.trace import LayerRecord, Trace

    claim = next(c for c in load_claims() if c.id == "he2016_resnet/text/table1_caption_conv3_1/resnet50")
    broken = LayerRecord("conv3_x.conv3_1.conv1", "conv2d", ((),), (), 0, 0, 0)
    verdict = safe_judge(claim, Trace("torch", (224, 224, 3), (broken,)))
    assert verdict.status == "error"
    assert verdict.detail.startswith("could not measure stride: IndexError")


#: Papers whose report shows determinism: an erratum and widened tolerances (AlexNet), connections and statements
#: (LeNet-5), a grid of variants with structure cells (SqueezeNet). The whole catalogue runs in `tox -e report`.
DETERMINISM_PAPERS = ("krizhevsky2012_alexnet", "lecun1998_lenet5", "iandola2016_squeezenet")


@pytest.mark.xdist_group("report")
def test_two_runs_give_byte_identical_json_apart_from_the_timestamp(
    tmp_path: Path, torch_threads: int, tf_threads: int, capsys: pytest.CaptureFixture[str]
) -> None:
    from paperverify.cli import main
    from paperverify.probes import probe

    texts = []
    for run_index in range(2):
        probe.cache_clear()  # each run builds and probes every configuration afresh (nor reads the trace cache)
        out = tmp_path / f"run{run_index}"
        papers = [arg for paper in DETERMINISM_PAPERS for arg in ("--paper", paper)]
        assert main(["report", "--format", "json", "--no-cache", "--out", str(out), *papers]) == 0
        lines = (out / "report.json").read_text(encoding="utf-8").splitlines()
        texts.append([line for line in lines if not line.lstrip().startswith('"generated":')])
    capsys.readouterr()
    assert texts[0] == texts[1]
    assert len(texts[0]) > 1000

"""ONNX models checked like any other (paperverify/frameworks/onnx): files exported here, during the test run, from
our PyTorch implementations and from the strangers' models (tests/strangers/), with BatchNorm folded into the
convolutions as PyTorch's exporter does in inference mode, or kept."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from paperverify import registry, verify
from paperverify.claims import Config
from paperverify.kinds import INERT
from paperverify.probes import reference
from tests.test_strangers import STRANGERS, Stranger, _build
from tests.weights import randomise_torch_weights

onnx = pytest.importorskip("onnx", reason="the onnx extra is not installed: pip install paperverify[onnx]")

#: The strangers' PyTorch models exported here, one for each thing an export writes its own way: names a map
#: would need, depthwise convolutions and a configuration told by the weights, a written-out swish and 'same'
#: padding, a channel shuffle reshaped by its input's shape (the others cost the test phase seconds each and add
#: no case; our GoogLeNet's written-out LRN and branches are traced below).
EXPORTED = [
    s for s in STRANGERS if s.module in ("torch_resnet", "torch_mobilenet", "torch_efficientnet", "torch_shufflenet")
]
#: The quantities that count parameters, BatchNorm's among them: an export that folds BatchNorm cannot be held to them.
PARAMETERS = frozenset({"params", "layer_params", "layer_weights"})


def export(model: object, path: Path, size: int = 224, channels: int = 3, fold: bool = True) -> onnx.ModelProto:
    """`model` exported by PyTorch's TorchScript-based exporter in inference mode; BatchNorm folded unless `fold`
    is False."""
    import torch

    model.eval()  # type: ignore[attr-defined]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's deprecation and tracer warnings
        torch.onnx.export(
            model, (torch.zeros(1, channels, size, size),), str(path), dynamo=False, do_constant_folding=fold
        )
    return onnx.load(path)


def _ours(variant: str) -> object:
    return registry.get(variant).builder("torch")()


@pytest.mark.parametrize("stranger", [pytest.param(s, id=s.module) for s in EXPORTED])
def test_an_export_of_a_faithful_strangers_model_passes_with_no_map(
    stranger: Stranger, tmp_path: Path, torch_threads: int
) -> None:
    model = export(_build(stranger, stranger.faithful), tmp_path / "model.onnx")
    result = verify(model, paper=stranger.paper, variant=stranger.variant)
    assert result.framework == "onnx"
    assert result.ok, result.describe()
    assert not result.alignment.unpaired_ours, result.alignment.summary()


@pytest.mark.parametrize("stranger", [pytest.param(s, id=s.module) for s in EXPORTED])
def test_an_export_of_a_planted_departure_fails_the_cells_it_changes(
    stranger: Stranger, tmp_path: Path, torch_threads: int
) -> None:
    from torch import nn

    built = _build(stranger, stranger.departure)
    folded = any(isinstance(module, nn.BatchNorm2d) for module in built.modules())  # type: ignore[attr-defined]
    exported = export(built, tmp_path / "model.onnx")
    result = verify(exported, paper=stranger.paper, variant=stranger.variant)
    statuses = {verdict.claim.removeprefix(f"{stranger.paper}/"): verdict.status for verdict in result.verdicts}
    counts = {claim.id.removeprefix(f"{stranger.paper}/") for claim in result.claims if claim.quantity in PARAMETERS}
    details = {verdict.claim.removeprefix(f"{stranger.paper}/"): verdict.detail for verdict in result.verdicts}
    failing = {claim for claim, status in statuses.items() if status in ("mismatch", "error")}
    # Folded BatchNorm leaves the parameter counts unjudged: a mismatch is skipped with the reason (a point the
    # model lacks stays an error)
    unjudged = {claim for claim in stranger.fails if folded and claim in counts}
    assert failing - unjudged == stranger.fails - unjudged, result.describe()
    for claim in unjudged:
        skipped = statuses[claim] == "skipped" and "BatchNorm layers: folded" in details[claim]
        missing = statuses[claim] == "error" and "named point missing" in details[claim]
        assert skipped or missing, (claim, statuses[claim], details[claim])


@pytest.mark.parametrize(
    "variant",
    ["resnet50", "mobilenet_v1", "efficientnet_b0", "densenet121", "googlenet", "se_resnet50", "mixer_s32", "lenet5"],
)
def test_an_unfolded_export_of_ours_is_traced_as_pytorch_traces_it(
    variant: str, tmp_path: Path, torch_threads: int
) -> None:
    """Layer by layer, the graph's trace is our PyTorch trace: kinds, shapes, parameters, buffers, multiply-adds and
    connection tables (a swish written as x·sigmoid(x), a 'same' padding computed from its input's shape, a local
    response normalisation written out in squares and a 3-D pool, a token-mixing MatMul and its bias, LeNet-5's
    subsampling, its C3 kernel scattered from its table and its RBF output are joined again; F6's transposes to
    channels last and back are no layers)."""
    from paperverify.frameworks.onnx.probe import probe_model

    size, channels = (32, 1) if variant == "lenet5" else (224, 3)
    ours = reference(Config(variant, size, ()), "torch")
    found = probe_model(export(_ours(variant), tmp_path / "model.onnx", size, channels, fold=False), size, channels)

    def rows(trace: object) -> list[tuple]:
        """Every layer but those that only move values: an inference export leaves dropout out, and a module that
        reshapes inside itself (our SE gate, the Mixer's patches into tokens) does it in the graph."""
        return [
            (r.kind, r.output_shape, r.params, r.buffers, r.macs, r.kernel, r.stride, r.groups, r.links, r.bias)
            for r in trace.layers
            if r.kind not in INERT and r.kind != "transpose"
        ]

    assert rows(found) == rows(ours)


def test_folded_batchnorm_leaves_parameter_claims_skipped_with_the_reason(tmp_path: Path, torch_threads: int) -> None:
    """SENet's Table 10 prints ResNet-50's 25.6M parameters: an export with BatchNorm folded has a bias per
    convolution instead of BatchNorm's scale and offset, so the claim is skipped, saying why; kept, it matches."""
    folded = export(_ours("resnet50"), tmp_path / "folded.onnx")
    kept = export(_ours("resnet50"), tmp_path / "kept.onnx", fold=False)
    folded, kept = (verify(model, paper="hu2018_senet", variant="resnet50") for model in (folded, kept))
    [skipped] = [v for v in folded.verdicts if v.claim == "hu2018_senet/table10/original"]
    [matched] = [v for v in kept.verdicts if v.claim == "hu2018_senet/table10/original"]
    assert skipped.status == "skipped" and "biases where ours has 53 BatchNorm layers: folded" in skipped.detail
    assert matched.status == "match" and matched.measured == "25557032"
    assert folded.ok and kept.ok


def test_an_op_the_probe_cannot_tell_fails_only_what_needs_its_cost(tmp_path: Path, torch_threads: int) -> None:
    """A ResNet-18 whose stem applies erf before its ReLU: the Erf node is named in the claims that need its cost,
    the shapes still match, and declaring its kind (`kinds={"Erf": "activation"}`) makes every claim match."""
    import torch
    from torch import nn

    class Erf(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.erf(x)

    model = _ours("resnet18")
    model.conv1.relu = nn.Sequential(Erf(), nn.ReLU())
    exported = export(model, tmp_path / "erf.onnx")
    result = verify(exported, paper="he2016_resnet", variant="resnet18")
    errors = {v.claim.removeprefix("he2016_resnet/"): v.detail for v in result.verdicts if v.status == "error"}
    assert set(errors) == {"table1/resnet18/macs"}, result.describe()
    assert "conv1.relu.0 (Erf)" in errors["table1/resnet18/macs"] or "(Erf)" in errors["table1/resnet18/macs"]
    assert not any(v.status == "mismatch" for v in result.verdicts), result.describe()
    assert verify(exported, paper="he2016_resnet", variant="resnet18", kinds={"Erf": "activation"}).ok


def test_the_cli_checks_an_onnx_file_compares_it_and_refuses_a_broken_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], torch_threads: int
) -> None:
    from paperverify.cli import main

    path = tmp_path / "resnet18.onnx"
    export(_ours("resnet18"), path)
    command = ["check", str(path), "--paper", "he2016_resnet", "--variant", "resnet18"]
    assert main(command) == 0
    out = capsys.readouterr().out
    assert "[onnx] against he2016_resnet" in out and "0 mismatch, 0 error" in out
    assert main([*command, "--equivalence"]) == 0
    assert "[onnx] against our resnet18 [torch] (he2016_resnet) at 224×224: equivalent" in capsys.readouterr().out
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a protobuf")
    assert main(["check", str(broken), *command[2:]]) == 2
    assert f"cannot load {broken} as a saved onnx model: DecodeError" in capsys.readouterr().err


def test_an_export_by_the_dynamo_exporter_passes(tmp_path: Path, torch_threads: int) -> None:
    """PyTorch's default exporter (torch.export, then onnxscript's rewrites: BatchNorm and paddings fused into the
    convolutions, module paths in node metadata): EfficientNet-B0 with trained-looking BatchNorm statistics (its
    folded biases are not zero, so the exporter keeps them) passes."""
    pytest.importorskip("onnxscript", reason="the dynamo exporter needs onnxscript (the test extra)")
    import contextlib
    import io

    import torch

    model = randomise_torch_weights(_ours("efficientnet_b0")).eval()
    path = tmp_path / "b0.onnx"
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.zeros(1, 3, 224, 224),), str(path), dynamo=True, external_data=False)
    exported = onnx.load(path)
    assert "BatchNormalization" not in {node.op_type for node in exported.graph.node}
    result = verify(exported, paper="tan2019_efficientnet", variant="efficientnet_b0")
    assert result.ok, result.describe()


@pytest.mark.parametrize("fold", [True, False], ids=["batchnorm_folded", "batchnorm_kept"])
def test_an_export_of_ours_computes_what_ours_computes(fold: bool, tmp_path: Path, torch_threads: int) -> None:
    """The equivalence check runs the graph with onnxruntime, weights read from its initializers: an export of our
    ResNet-18 is equivalent to ours, its BatchNorm folded (ours then adds the convolutions' biases) or kept."""
    import torch

    from paperverify.equivalence import equivalence

    torch.manual_seed(0)
    exported = export(randomise_torch_weights(_ours("resnet18")), tmp_path / "model.onnx", fold=fold)
    result = equivalence(exported, paper="he2016_resnet", variant="resnet18")
    assert result.reference_framework == "torch"
    assert result.compared and result.equivalent, result.describe()
    assert any("our 20 BatchNorm layers after convolutions were set to add" in note for note in result.notes) == fold


def test_an_export_of_a_miswired_model_diverges_where_it_is_miswired(tmp_path: Path, torch_threads: int) -> None:
    """tests/broken_equivalence.py's ResNet-18 with a miswired shortcut and two kernels used transposed, every shape
    and count right, exported with BatchNorm folded: the shortcut is named at its block. The kernels are not: the
    export computes the transposed kernel as a constant, and the graph's weight is the one it convolves with."""
    import torch

    from paperverify.equivalence import equivalence
    from tests.broken_equivalence import three_bugs

    torch.manual_seed(0)
    exported = export(randomise_torch_weights(three_bugs()), tmp_path / "model.onnx")
    result = equivalence(exported, paper="he2016_resnet", variant="resnet18")
    assert result.compared and not result.equivalent
    assert [(c.point, c.ours) for c in result.diverging] == [("conv2_x.conv2_2 (main path)", "conv2_x.conv2_2.add")], (
        result.describe()
    )
    assert result.first_point is not None and result.first_point.point == "conv2_x.conv2_2"


def test_an_export_keeps_alexnets_normalisation_and_leaves_its_dropout_out(tmp_path: Path, torch_threads: int) -> None:
    """Our AlexNet exported: Sec. 3.3's constants are read back from PyTorch's written-out normalisation at conv1
    and conv2, and Sec. 4.2's dropout, which the export leaves out, is skipped saying so."""
    result = verify(export(_ours("alexnet"), tmp_path / "model.onnx"), paper="krizhevsky2012_alexnet")
    assert result.ok, result.describe()
    statuses = {v.claim.rpartition("/")[2]: (v.status, v.measured, v.detail) for v in result.verdicts}
    assert statuses["sec3.3_lrn_n_conv2"][:2] == ("match", "5")
    assert statuses["sec3.3_lrn_alpha_conv1"][0] == statuses["sec3.3_lrn_beta_conv1"][0] == "match"
    status, _, detail = statuses["sec4.2_dropout_fc6"]
    assert status == "skipped" and "an inference export leaves dropout out" in detail


def test_a_scaled_tanh_exported_keeps_its_constants(tmp_path: Path, torch_threads: int) -> None:
    """LeNet-5's squashing function, 1.7159 · tanh(x / 1.5) (Eq. 6, Appendix A), exports as Div, Tanh, Mul by
    constants: the probe reads A and S back from them, as the PyTorch probe does; a plain Tanh is A = S = 1."""
    import torch
    from torch import nn

    from paperverify.frameworks.onnx.probe import probe_model

    class Squash(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return 1.7159 * torch.tanh(x / 1.5)

    model = nn.Sequential(nn.Conv2d(1, 2, 3), Squash(), nn.Conv2d(2, 2, 3), nn.Tanh())
    trace = probe_model(export(model, tmp_path / "model.onnx", size=8, channels=1), 8, 1)
    constants = [layer.constants for layer in trace.layers if layer.kind == "tanh"]
    assert len(constants) == 2 and constants[1] == (1.0, 1.0)
    assert constants[0] == pytest.approx((1.7159, 1 / 1.5), rel=1e-6)


def test_lenet5_exported_passes_every_claim_and_a_full_c3_fails_its_cells(tmp_path: Path, torch_threads: int) -> None:
    """Our LeNet-5 exported measures what it measures in PyTorch for every claim its paper makes (C3's connection
    table, the subsampling layers' coefficients and biases, the RBF output, the seven layers); with C3 an ordinary
    convolution of all six maps (as most implementations write it), C3's parameters and connections and the totals
    fail."""
    from torch import nn

    from implementations.torch.lenet import lenet5

    faithful = verify(export(lenet5(), tmp_path / "faithful.onnx", 32, 1), paper="lecun1998_lenet5")
    assert faithful.ok, faithful.describe()
    ours = verify(lenet5(), paper="lecun1998_lenet5")
    inexact = {c.id for c in ours.claims if c.quantity in ("tanh_amplitude", "tanh_slope")}  # the graph's float32

    def measured(result: object) -> set[tuple]:
        return {(v.claim, v.status, v.claim in inexact or v.measured) for v in result.verdicts}  # type: ignore[attr-defined]

    assert measured(faithful) == measured(ours)
    full = lenet5()
    full.C3.conv = nn.Conv2d(6, 16, 5)
    result = verify(export(full, tmp_path / "full.onnx", 32, 1), paper="lecun1998_lenet5")
    failing = {v.claim.removeprefix("lecun1998_lenet5/") for v in result.verdicts if v.status in ("mismatch", "error")}
    assert failing == {
        "text/sec2b_c3_params", "text/sec2b_c3_connections", "text/sec2a_connections", "text/sec2a_params",
        "fig12/lenet5/params",
    }, result.describe()  # fmt: skip


def test_a_graph_sorted_with_its_shortcuts_first_is_read_in_program_order(tmp_path: Path, torch_threads: int) -> None:
    """Keras' ONNX export (tf2onnx) sorts Xception's projection shortcuts before their block's main path, so that in
    graph order a block's shortcut sits next to the block before's and the alignment paired them across blocks.
    The probe reads a graph in program order, whatever the exporter's sort: our Xception exported, each shortcut
    moved up to just after the node that computes its input, passes with every layer paired."""
    exported = export(_ours("xception"), tmp_path / "model.onnx", size=299)
    nodes = list(exported.graph.node)
    for conv in [n for n in nodes if n.op_type == "Conv" and "/shortcut/" in n.name]:
        nodes.remove(conv)
        after = next(i for i, n in enumerate(nodes) if conv.input[0] in n.output)
        nodes.insert(after + 1, conv)
    assert nodes != list(exported.graph.node)
    del exported.graph.node[:]
    exported.graph.node.extend(nodes)
    onnx.checker.check_model(exported)
    result = verify(exported, paper="chollet2017_xception", variant="xception")
    assert result.ok, result.describe()
    assert not result.alignment.unpaired_ours and not result.alignment.reordered, result.alignment.summary()

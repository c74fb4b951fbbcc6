"""Xception (Chollet, arXiv 1610.02357v3): the paper's costs over input sizes and middle-flow repetitions,
the layers Figure 5 and the text describe, and a negative control of numerical parity.

Expected values are written here from the paper (Figure 5, p. 5; Sec. 1.2, p. 2; Sec. 3, p. 3; Sec. 4.3, p. 4;
Table 3, p. 6), never read from `implementations/specs/xception.py`. Padding, which the paper does not print,
is the builders' documented reading: unpadded stem convolutions, separable convolutions that keep the size,
max pools and shortcuts giving ⌈n/2⌉.

tests/test_models.py checks what every variant shares (Keras trace == PyTorch trace, parameters independent of
the input size, multiply-adds against the flop counter, parity both ways). Here, at 64×64 the entry flow's max
pools receive sides 29, 15 and 8: on the even side TensorFlow's 'same' pads (0, 1), so a PyTorch pool padded
(1, 1) there must break parity at that pool, after agreeing on the odd sides before it.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperverify import compare
from paperverify.claims import Config
from paperverify.probes import probe
from paperverify.tables import load_claims
from tests.models import CASES
from tests.parity import parity

#: Figure 5, p. 5, Entry flow: `Conv 32, 3x3, stride=2x2`, `Conv 64, 3x3`.
STEM = (32, 64)
#: Figure 5: the separable convolutions' filters of each block with a 1x1 stride-2 shortcut and a max pool:
#: entry flow (128, 128), (256, 256), (728, 728); exit flow (728, 1024).
DOWNSAMPLING = ((128, 128), (256, 256), (728, 728))
EXIT_RESIDUAL = (728, 1024)
MIDDLE = (728, 728, 728)  # Figure 5, Middle flow: three `SeparableConv 728, 3x3`, "Repeated 8 times"
EXIT_LAST = (1536, 2048)  # Figure 5, Exit flow: `SeparableConv 1536, 3x3`, `SeparableConv 2048, 3x3`
K = 3  # every kernel of Figure 5 but the shortcuts' 1x1
CLASSES = 1000  # Sec. 4.5.2, p. 6: "(1000 classes, no fully-connected layers)"
JFT_CLASSES = 17_000  # Sec. 4.1, p. 4: "a set of 17,000 classes"
JFT_UNITS = (4096, 4096)  # Sec. 4.5.1, p. 5: "two fully-connected layers of 4096 units each"
TABLE3_PARAMS = 22_855_952  # Table 3, p. 6

sizes = st.integers(min_value=7, max_value=320)
repeats = st.integers(min_value=0, max_value=8)


def _config(size: int = 299, middle_repeats: int = 8) -> Config:
    return Config("xception", size, (("middle_repeats", middle_repeats),))


def _separable(cin: int, cout: int, side: int) -> tuple[int, int]:
    """(multiply-adds, parameters) of a separable convolution (Sec. 1.2, p. 2): a k×k depthwise convolution
    (k²·Cin per position) plus a 1×1 pointwise one (Cin·Cout per position), then BatchNorm's γ and β."""
    return (K * K * cin + cin * cout) * side * side, K * K * cin + cin * cout + 2 * cout


def _paper_costs(size: int, middle_repeats: int) -> tuple[int, int, int]:
    """(multiply-adds, learnable parameters, last side) of Figure 5's network, layer by layer."""
    macs = params = 0
    side, channels = size, 3
    for filters, stride in zip(STEM, (2, 1), strict=True):  # unpadded 3x3 convolutions, BatchNorm after
        side = (side - K) // stride + 1
        macs += K * K * channels * filters * side * side
        params += K * K * channels * filters + 2 * filters
        channels = filters
    blocks = [(f, True) for f in DOWNSAMPLING] + [(MIDDLE, False)] * middle_repeats + [(EXIT_RESIDUAL, True)]
    for filters, downsample in blocks:
        cin = channels
        for cout in filters:
            cost = _separable(channels, cout, side)
            macs, params, channels = macs + cost[0], params + cost[1], cout
        if downsample:  # 3x3 stride-2 max pool and a 1x1 stride-2 shortcut convolution to the same ⌈n/2⌉
            side = math.ceil(side / 2)
            macs += cin * channels * side * side
            params += cin * channels + 2 * channels
    for cout in EXIT_LAST:
        cost = _separable(channels, cout, side)
        macs, params, channels = macs + cost[0], params + cost[1], cout
    # The logistic regression on the 2048-dimensional vectors: weights and a bias per class.
    return macs + channels * CLASSES, params + channels * CLASSES + CLASSES, side


def test_table3_parameter_count(torch_threads: int, tf_threads: int) -> None:
    assert _paper_costs(299, 8)[1] == TABLE3_PARAMS
    for framework in ("torch", "keras"):
        trace = probe(_config(), framework)
        assert trace.params == TABLE3_PARAMS
        # The counting convention: BatchNorm's moving statistics are buffers, as many as its γ and β.
        batchnorm = sum(layer.params for layer in trace.layers if layer.kind == "batchnorm")
        assert trace.buffers == batchnorm == 54_528


@given(size=sizes, middle_repeats=repeats)
def test_costs_are_the_papers_formulas(size: int, middle_repeats: int, torch_threads: int) -> None:
    trace = probe(_config(size, middle_repeats), "torch")
    macs, params, side = _paper_costs(size, middle_repeats)
    assert trace.macs == macs
    assert trace.params == params
    assert trace.point("exit_flow").output_shape == (side, side, 2048)
    # Sec. 3: 36 convolutional layers with 8 middle blocks, 3 per middle block; a separable convolution is a
    # depthwise and a pointwise layer in the trace, and the logistic regression adds one.
    layers = 2 + 6 + 3 * middle_repeats + 4
    assert trace.depth == 2 + 2 * (layers - 2) + 1
    pointwise = [r for r in trace.under(("entry_flow", "middle_flow", "exit_flow")) if r.name.endswith(".pointwise")]
    assert 2 + len(pointwise) == layers
    modules = {tuple(r.name.split(".")[:2]) for r in trace.layers if r.name.startswith(("entry", "middle", "exit"))}
    assert len(modules) == 4 + middle_repeats + 2  # Sec. 3: 14 modules with 8 middle blocks


@given(size=sizes, middle_repeats=repeats)
def test_parameters_depend_on_the_middle_flow_only(size: int, middle_repeats: int, torch_threads: int) -> None:
    """Table 3's count less one middle block's (three `SeparableConv 728, 3x3`, BatchNorm after each) for each
    of Figure 5's 8 repetitions left out, at any input size: no other layer's parameters follow the size or
    the repetitions."""
    one_block = 3 * _separable(728, 728, 1)[1]
    assert probe(_config(size, middle_repeats), "torch").params == TABLE3_PARAMS - (8 - middle_repeats) * one_block


@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_separable_convolutions_and_batchnorm(framework: str, torch_threads: int, tf_threads: int) -> None:
    """Sec. 1.2 and Sec. 4.7: depthwise (depth multiplier 1, Figure 5's caption) then pointwise with nothing in
    between; Figure 5's caption: BatchNorm after every convolution; no convolution has a bias."""
    layers = probe(_config(), framework).layers
    depthwise = [i for i, layer in enumerate(layers) if layer.name.endswith(".depthwise")]
    assert len(depthwise) == 34
    for i in depthwise:
        layer, after = layers[i], layers[i + 1]
        assert layer.groups == layer.input_shapes[0][-1] == layer.output_shape[-1]
        assert (after.kind, after.kernel, after.groups) == ("conv2d", (1, 1), 1)
        assert after.name == layer.name.replace(".depthwise", ".pointwise")
    convs = [i for i, layer in enumerate(layers) if layer.kind == "conv2d"]
    for i in convs:
        assert not layers[i].bias
        if i not in depthwise:
            assert layers[i + 1].kind == "batchnorm", layers[i].name
    assert len(convs) == 2 + 2 * 34 + 4  # the stem, 34 separable convolutions, 4 shortcuts


@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_residual_connections_and_head(framework: str, torch_threads: int, tf_threads: int) -> None:
    """Sec. 3: every module but the first and last has a residual connection; Figure 5: 1x1 shortcut
    convolutions in entry blocks 1-3 and exit block 1; Sec. 4.3: dropout 0.5 before the logistic regression."""
    trace = probe(_config(), framework)
    blocks = sorted({".".join(r.name.split(".")[:2]) for r in trace.layers if r.name.split(".")[0].endswith("flow")})
    adds = sorted({r.name.rpartition(".")[0] for r in trace.layers if r.kind == "add"})
    assert len(blocks) == 14
    assert adds == sorted(set(blocks) - {"entry_flow.stem", "exit_flow.block2"})
    shortcuts = sorted({r.name.partition(".shortcut")[0] for r in trace.layers if r.on_shortcut})
    assert shortcuts == ["entry_flow.block1", "entry_flow.block2", "entry_flow.block3", "exit_flow.block1"]
    assert [r.kind for r in trace.layers if r.kind == "dense"] == ["dense"]
    assert [r.kind for r in trace.layers[-5:]] == ["avgpool", "flatten", "dropout", "dense", "softmax"]


def test_the_dropout_rate_is_sec_4_3s(torch_threads: int, tf_threads: int) -> None:
    import keras
    import torch

    from implementations.keras.xception import xception as keras_xception
    from implementations.torch.xception import xception as torch_xception
    from paperverify.frameworks.keras.probe import build_without_weights

    with torch.device("meta"):
        assert torch_xception(middle_repeats=0).dropout.p == 0.5
    model = build_without_weights(keras_xception, input_size=71, input_channels=3, middle_repeats=0)
    assert isinstance(model.get_layer("dropout"), keras.layers.Dropout)
    assert model.get_layer("dropout").rate == 0.5


@pytest.mark.parametrize("framework", ["keras", "torch"])
def test_the_jft_head_has_two_4096_unit_layers_and_no_dropout(framework: str, torch_threads: int, tf_threads: int):
    """Sec. 4.5.1: on JFT, two fully-connected layers of 4096 units before the logistic regression over JFT's
    17,000 classes (Sec. 4.1); Sec. 4.3: no dropout in the JFT experiments."""
    trace = probe(Config("xception", 71, (("jft", True), ("middle_repeats", 0))), framework)
    head = trace.layers[-8:]
    assert [r.kind for r in head] == ["avgpool", "flatten", "dense", "relu", "dense", "relu", "dense", "softmax"]
    assert [r.channels for r in head if r.kind == "dense"] == [*JFT_UNITS, JFT_CLASSES]
    assert not [r for r in trace.layers if r.kind == "dropout"]


def test_a_jft_network_is_checked_as_the_jft_configuration(torch_threads: int) -> None:
    """A JFT network passes every claim with no configuration named: its 115,629,968 parameters tell it from the
    ImageNet network, whose claims (1000 classes, the dropout) are then not applicable."""
    import torch

    from implementations.torch.xception import xception
    from paperverify import verify

    with torch.device("meta"):
        model = xception(jft=True)
    result = verify(model, paper="chollet2017_xception", variant="xception")
    assert result.ok and "checked as xception(jft=True)" in result.configuration, result.describe()
    checked = {verdict.claim.rpartition("/")[2] for verdict in result.verdicts if verdict.status == "match"}
    assert {"sec4_1_jft_classes", "sec4_5_1_fc_4096", "sec4_5_1_fc_4096_second", "sec4_5_1_two_fc"} <= checked
    assert "sec4_5_2_classes" not in checked


def test_a_3x3_shortcut_breaks_figure_5s_shortcut_box(torch_threads: int) -> None:
    """The claim about a shortcut box checks the shortcut's own convolution."""
    import torch
    from torch import nn

    from implementations.torch.xception import xception
    from paperverify.frameworks.torch.probe import probe_model

    claims = {claim.id: claim for claim in load_claims()}
    claim = claims["chollet2017_xception/figure5/xception/entry_flow.block1.shortcut/structure"]
    with torch.device("meta"):
        model = xception()
        assert compare.judge(claim, probe_model(model, (299, 299, 3))).status == "match"
        model.entry_flow.block1.shortcut.conv = nn.Conv2d(64, 128, 3, 2, padding=1, bias=False)
    verdict = compare.judge(claim, probe_model(model, (299, 299, 3)))
    assert verdict.status == "mismatch" and "3, 3" in verdict.detail


def test_too_small_an_input_or_negative_repeats_are_refused() -> None:
    from implementations.specs.xception import feature_sides, middle_blocks

    with pytest.raises(ValueError, match="at least 7"):
        feature_sides(6)
    with pytest.raises(ValueError, match="middle_repeats"):
        middle_blocks(-1)
    assert feature_sides(299) == {"stem": 147, "entry_flow": 19, "exit_flow": 10}


# --- numerical parity -------------------------------------------------------------------------------


def _symmetric_pools(model) -> None:
    """Every max pool of the PyTorch model padded by PyTorch's own rule, 1 on each side."""
    from torch import nn

    for name in [name for name, _ in model.named_modules() if name.endswith(".pool")]:
        parent, _, child = name.rpartition(".")
        setattr(model.get_submodule(parent), child, nn.MaxPool2d(3, 2, padding=1))


def test_a_symmetrically_padded_pool_breaks_parity_at_the_first_even_side(torch_threads: int, tf_threads: int):
    """The pools lie in the entry and exit flows: one middle block keeps the run cheap."""
    size, options = CASES["xception"].parity_size, {"middle_repeats": 1}
    trace = probe(Config("xception", size, tuple(options.items())), "torch")
    sides = [trace.point(f"entry_flow.block{i}.pool").input_shapes[0][0] for i in (1, 2, 3)]
    assert sides == [29, 15, 8]  # odd, odd, even
    result = parity("xception", "torch", size=size, options=options, prepare=_symmetric_pools)
    assert result.compared and not result.equivalent, result.describe()
    assert result.first_layer is not None and result.first_layer.ours == "entry_flow.block3.pool", result.describe()
    assert result.first_point is not None and result.first_point.point == "entry_flow.block3"

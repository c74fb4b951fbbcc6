"""SE-ResNet and SE-ResNeXt (Hu et al., arXiv 1709.01507v4): what Table 1 (p. 5), Eqs. 2-5 (pp. 3-4) and Fig. 3
(p. 4) predict at any reduction ratio and input size, and a negative control of numerical parity.

Expected values come from the paper, written out here, never from the implementations' spec:
- Table 1's stages: output channels C_s = 256, 512, 1024, 2048 and blocks N_s (3, 4, 6, 3 for the 50-layer
  networks; He et al.'s 3, 4, 23, 3 and 3, 8, 36, 3 for 101 and 152, Table 2);
- every SE block holds 2C²/r fc weights (W1 ∈ R^(C/r × C), W2 ∈ R^(C × C/r), Eq. 3), plus C/r + C biases when
  the fc layers have them (the builders' default has none, Sec. 6, p. 8), and the SE layers of a network add up to
  Eq. 5's (2/r) Σ N_s·C_s²;
- the SE block sits after the block's last BatchNorm and before the addition (Fig. 3, right): global average pool,
  fc C/r, ReLU, fc C, sigmoid, channel-wise scale (Eqs. 2-4); the scale costs one multiply per value it scales,
  H·W·C (the multiply-adds torch.utils.flop_counter does not count, tests/models.py);
- sizes follow the convolution arithmetic (conv1 7×7/2 and the 3×3/2 max pool padded by 3 and 1, stride 2 at
  conv3_1, conv4_1, conv5_1).

tests/test_models.py checks what every variant shares (Keras trace == PyTorch trace, parameters independent of
the input size, multiply-adds against the flop counter, parity both ways); here, one SE block's excitation
inverted in the reference (σ(−z) for σ(z), with fc biases) must make the outputs part at that block's fc2.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperverify.claims import Config
from paperverify.probes import probe
from paperverify.probes.numeric import Weights
from tests.examples import probe_examples
from tests.models import CASES
from tests.parity import parity

#: Table 1 (p. 5): each stage's output channels C_s; blocks N_s per variant (Table 1; He et al.'s Table 1).
CHANNELS = (256, 512, 1024, 2048)
BLOCKS = {
    "se_resnet50": (3, 4, 6, 3),
    "se_resnet101": (3, 4, 23, 3),
    "se_resnet152": (3, 8, 36, 3),
    "se_resnext50": (3, 4, 6, 3),
}
#: Divisors of every C_s (the smallest is 256): the ratios r for which C/r is a whole number of units.
ratios = st.sampled_from([1, 2, 4, 8, 16, 32, 64, 128, 256])


def se_points(variant: str) -> list[tuple[str, int]]:
    """Every SE module's named point and its channels C: `conv<s>_x.conv<s>_<b>.se`."""
    return [
        (f"conv{stage}_x.conv{stage}_{block}.se", channels)
        for stage, channels, count in zip(range(2, 6), CHANNELS, BLOCKS[variant], strict=True)
        for block in range(1, count + 1)
    ]


def out_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """Convolution arithmetic: floor((size + 2·padding − kernel) / stride) + 1."""
    return (size + 2 * padding - kernel) // stride + 1


@pytest.mark.parametrize("variant", sorted(BLOCKS))
@probe_examples
@given(reduction=ratios, bias=st.booleans())
def test_se_parameters_follow_eq5(variant: str, reduction: int, bias: bool, torch_threads: int) -> None:
    options = (("reduction", reduction), ("se_bias", bias))
    trace = probe(Config(variant, 224, options), "torch")
    for point, channels in se_points(variant):
        fc1, fc2 = trace.point(f"{point}.fc1"), trace.point(f"{point}.fc2")
        assert (fc1.channels, fc2.channels) == (channels // reduction, channels), point
        weights = 2 * channels * channels // reduction
        biases = channels // reduction + channels if bias else 0
        assert sum(layer.params for layer in trace.under((point,))) == weights + biases, point
    eq5 = 2 * sum(n * c * c for n, c in zip(BLOCKS[variant], CHANNELS, strict=True)) // reduction
    biases = sum(n * (c // reduction + c) for n, c in zip(BLOCKS[variant], CHANNELS, strict=True)) if bias else 0
    baseline = probe(Config(variant, 224, (("se_stages", ""),)), "torch")
    assert not [layer.name for layer in baseline.layers if ".se." in layer.name]
    assert trace.params - baseline.params == eq5 + biases


@pytest.mark.parametrize("variant", sorted(BLOCKS))
@probe_examples
@given(stages=st.sets(st.sampled_from("2345")))
def test_se_blocks_only_in_the_chosen_stages(variant: str, stages: set[str], torch_threads: int) -> None:
    """Table 13 (p. 9) adds SE blocks one stage at a time; each stage adds its own N_s·2C_s²/16."""
    chosen = "".join(sorted(stages))
    trace = probe(Config(variant, 224, (("se_stages", chosen),)), "torch")
    modules = {name.rsplit(".se.", 1)[0] for name in (layer.name for layer in trace.layers) if ".se." in name}
    assert modules == {point.removesuffix(".se") for point, _ in se_points(variant) if point[4] in stages}
    baseline = probe(Config(variant, 224, (("se_stages", ""),)), "torch")
    extra = sum(n * 2 * c * c // 16 for s, n, c in zip("2345", BLOCKS[variant], CHANNELS, strict=True) if s in stages)
    assert trace.params - baseline.params == extra


@pytest.mark.parametrize("variant", sorted(BLOCKS))
@probe_examples
@given(data=st.data())
def test_sizes_follow_the_convolution_arithmetic(variant: str, data: st.DataObject, torch_threads: int) -> None:
    """Over the variant's configurations (tests/models.py): input sizes, reduction ratios, fc biases."""
    config = data.draw(CASES[variant].configs, label="config")
    trace = probe(config, "torch")
    size = config.input_size
    side = out_size(out_size(size, 7, 2, 3), 3, 2, 1)  # conv1 7×7/2, max pool 3×3/2
    for stage, channels in zip(range(2, 6), CHANNELS, strict=True):
        if stage > 2:
            side = out_size(side, 1, 2, 0)  # conv3_1, conv4_1, conv5_1 downsample with stride 2
        assert trace.point(f"conv{stage}_x").output_shape == (side, side, channels)
        for point, _ in se_points(variant):
            if point.startswith(f"conv{stage}_x"):
                scale = trace.point(f"{point}.scale")
                assert scale.input_shapes == ((side, side, channels), (channels,)), point
                assert scale.output_shape == (side, side, channels) and scale.macs == side * side * channels
    assert trace.point("fc").output_shape == (1000,)


@pytest.mark.parametrize("variant", sorted(BLOCKS))
def test_se_block_sits_before_the_addition(variant: str, torch_threads: int) -> None:
    """Fig. 3 (right), Eqs. 2-4: after the block's last BN, pool, fc C/r, ReLU, fc C, sigmoid, scale; then add."""
    trace = probe(Config(variant, 224), "torch")
    layers = trace.layers
    names = [layer.name for layer in layers]
    for point, channels in se_points(variant):
        block = point.removesuffix(".se")
        start = names.index(f"{point}.squeeze")
        kinds = [layer.kind for layer in layers[start - 1 : start + 7]]
        assert kinds == ["batchnorm", "avgpool", "flatten", "dense", "relu", "dense", "sigmoid", "multiply"], point
        assert names[start - 1] == f"{block}.bn3"
        assert layers[start].output_shape == (1, 1, channels)
        assert not any(layers[start + i].bias for i in (2, 4)), point  # default: no fc biases (Sec. 6, p. 8)
        add = next(layer for layer in layers[start:] if layer.name == f"{block}.add")
        assert add.input_shapes[0] == layers[start + 6].output_shape, point


def _inverted_gates(weights: Weights, _flattened: object) -> Weights:
    """fc2's kernel and bias negated: the sigmoid gives σ(−z) = 1 − σ(z), every channel rescaled wrongly."""
    assert weights.bias is not None, "the control needs fc biases (se_bias=True), to copy and to spoil"
    weights.kernel, weights.bias = -weights.kernel, -weights.bias
    return weights


def test_inverted_excitation_gates_break_parity_at_that_block(torch_threads: int, tf_threads: int) -> None:
    """SE-ResNet-50 with fc biases (the generic parity runs without them): every layer before conv3_2's fc2
    agrees, biases included; the inverted gates part the outputs there, and so the SE block's output."""
    block = "conv3_x.conv3_2.se"
    result = parity(
        "se_resnet50",
        "torch",
        size=CASES["se_resnet50"].parity_size,
        options={"se_bias": True},
        tamper={f"{block}.fc2": _inverted_gates},
    )
    assert result.compared and not result.equivalent, result.describe()
    assert result.first_layer is not None and result.first_layer.ours == f"{block}.fc2", result.describe()
    assert result.first_point is not None and result.first_point.point == block, result.describe()
    assert any(c.ours == "conv2_x.conv2_1.se.fc2" and not c.diverges for c in result.layers)

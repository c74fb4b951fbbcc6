"""EfficientNet (Tan & Le, arXiv 1905.11946v3): what Table 1 (p. 5) and the compound scaling of Sec. 3.3 (p. 5,
Eq. 3) predict, and a negative control of numerical parity.

Expected values come from the paper, written out here, never from the implementations' spec:
- Table 1's stages (operator, input resolution, channels, layers); a stage's stride is the ratio of its
  resolution to the next stage's;
- Eq. 3 with Sec. 4's α = 1.2, β = 1.1, γ = 1.15: depth d = α^φ, width w = β^φ, resolution r = γ^φ, and
  Sec. 3.3's "FLOPS of a regular convolution op is proportional to d, w², r²";
- the rounding rules of the authors' released code, which the paper does not print and which are restated
  here as the code writes them (keras/src/applications/efficientnet.py): channels to the nearest multiple of 8,
  never 10% below w·C; layers ⌈d·L̂i⌉ for the MBConv stages only;
- SE's excitation (p. 5, MBConv with squeeze-and-excitation) scales each value of the depthwise output once:
  H·W·C multiply-adds, which torch.utils.flop_counter does not count (tests/models.py).

tests/test_models.py checks what every variant shares (Keras trace == PyTorch trace, parameters independent of
the resolution, multiply-adds against the flop counter, parity both ways); here, one depthwise kernel entry
changed in the reference must make the outputs part at that convolution.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperverify.claims import Config
from paperverify.closeness import assert_close
from paperverify.probes import probe
from tests.examples import probe_examples
from tests.models import CASES
from tests.parity import parity, perturb

# Table 1, p. 5: stage -> (operator, depthwise kernel, expansion, resolution, #channels, #layers).
TABLE1 = {
    "stage1": ("Conv3x3", 3, None, 224, 32, 1),
    "stage2": ("MBConv1, k3x3", 3, 1, 112, 16, 1),
    "stage3": ("MBConv6, k3x3", 3, 6, 112, 24, 2),
    "stage4": ("MBConv6, k5x5", 5, 6, 56, 40, 2),
    "stage5": ("MBConv6, k3x3", 3, 6, 28, 80, 3),
    "stage6": ("MBConv6, k5x5", 5, 6, 14, 112, 3),
    "stage7": ("MBConv6, k5x5", 5, 6, 14, 192, 4),
    "stage8": ("MBConv6, k3x3", 3, 6, 7, 320, 1),
    "stage9": ("Conv1x1 & Pooling & FC", 1, None, 7, 1280, 1),
}
STAGES = list(TABLE1)
MBCONV = STAGES[1:-1]
# Sec. 4, p. 5 (STEP 1): α = 1.2, β = 1.1, γ = 1.15.
ALPHA, BETA, GAMMA = 1.2, 1.1, 1.15


def strides() -> dict[str, int]:
    """A stage's stride: its input resolution over the next stage's (stage 9 pools globally)."""
    resolutions = [TABLE1[stage][3] for stage in STAGES]
    return {stage: resolutions[i] // resolutions[i + 1] for i, stage in enumerate(STAGES[:-1])}


def round_filters(channels: int, width: float) -> int:
    """The released code's rule: w·C to the nearest multiple of 8 (at least 8), plus 8 if that is 10% short."""
    rounded = max(8, int(channels * width + 4) // 8 * 8)
    return rounded + 8 if rounded < 0.9 * channels * width else rounded


def scaled(phi: float) -> Config:
    """B0 scaled by Eq. 3 with compound coefficient φ: d = α^φ, w = β^φ, resolution 224·γ^φ."""
    options = (("depth_coefficient", ALPHA**phi), ("width_coefficient", BETA**phi))
    return Config("efficientnet_b0", round(224 * GAMMA**phi), options)


def layers_of(trace, stage: str) -> list[str]:
    """The layers stacked in a stage, `stage<i>.layer<j>`, in order."""
    return list(dict.fromkeys(".".join(layer.name.split(".")[:2]) for layer in trace.under((stage,))))


phis = st.floats(min_value=0.0, max_value=4.0, allow_nan=False)


@probe_examples
@given(phi=phis)
def test_stages_follow_table1_scaled_by_eq3(phi: float, torch_threads: int) -> None:
    """Sizes by Table 1's strides ('same' padding: ⌈n / stride⌉), channels by w, layers by ⌈d·L̂i⌉."""
    config = scaled(phi)
    depth, width = ALPHA**phi, BETA**phi
    trace = probe(config, "torch")
    side = config.input_size
    for stage, (_, _, _, _, channels, layers) in TABLE1.items():
        assert trace.under((stage,))[0].input_shapes[0][:2] == (side, side), stage
        expected_layers = math.ceil(depth * layers) if stage in MBCONV else 1
        assert len(layers_of(trace, stage)) == expected_layers, stage
        last = trace.point(f"{stage}.layer1.conv" if stage == "stage9" else stage)
        assert last.output_shape[-1] == round_filters(channels, width), stage
        side = math.ceil(side / strides().get(stage, 1))
    assert trace.point("stage9").output_shape == (1000,)


@probe_examples
@given(phi=phis)
def test_multiply_adds_follow_the_compound_scaling_rule(phi: float, torch_threads: int) -> None:
    """Sec. 3.3: FLOPS ∝ d·w²·r². Checked as M(φ) / M(0) against d'·w²·r², with d' the layers the network holds
    over B0's 16 MBConv layers (⌈d·L̂i⌉ can add a whole layer to every stage: at φ = 0.1 it adds 44%) and r the
    rounded resolution over 224. The rest of the rounding keeps the ratio within [0.85, 1.3]: spatial sizes are
    rounded up at each stride-2 layer (at most (8/7)² = 1.31 on the 7×7 stages), channels to multiples of 8
    (never below 0.9·w·C, so ≥ 0.81 for a product of two widths), and the stem (3 input channels) and the FC
    (1000 outputs, no spatial extent) grow by w rather than w², by r² or not at all."""
    config = scaled(phi)
    base, trace = probe(scaled(0.0), "torch"), probe(config, "torch")
    layers = sum(len(layers_of(trace, stage)) for stage in MBCONV)
    assert sum(len(layers_of(base, stage)) for stage in MBCONV) == 16
    rule = layers / 16 * BETA ** (2 * phi) * (config.input_size / 224) ** 2
    assert 0.85 <= trace.macs / base.macs / rule <= 1.3


@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_operators_of_table1(framework: str, torch_threads: int, tf_threads: int) -> None:
    """Table 1's operator column: Conv3x3, MBConv<e>, k<k>x<k> (p. 5: MBConv with squeeze-and-excitation; 1×1
    expansion to e·Cin, absent for e = 1; k×k depthwise; SE; linear 1×1 projection; swish, p. 6), Conv1x1 &
    Pooling & FC; BatchNorm after every convolution but SE's; SE's scale, H·W·C multiply-adds."""
    trace = probe(Config("efficientnet_b0", 224), framework)
    stem = trace.point("stage1.layer1.conv")
    assert (stem.kind, stem.kernel, stem.stride, stem.channels) == ("conv2d", (3, 3), (2, 2), 32)
    for stage in MBCONV:
        _, kernel, expansion, _, channels, _ = TABLE1[stage]
        for number, layer in enumerate(layers_of(trace, stage), start=1):
            cin = trace.under((layer,))[0].input_shapes[0][-1]
            convs = [x for x in trace.under((layer,)) if x.kind == "conv2d"]
            names = [x.name.removeprefix(layer + ".") for x in convs]
            expected = ["depthwise.conv", "se.reduce", "se.expand", "project.conv"]
            assert names == (expected if expansion == 1 else ["expand.conv", *expected]), layer
            expanded = cin * expansion
            depthwise = trace.point(f"{layer}.depthwise.conv")
            stride = strides()[stage] if number == 1 else 1
            assert (depthwise.kernel, depthwise.stride) == ((kernel, kernel), (stride, stride)), layer
            assert depthwise.groups == depthwise.channels == expanded, layer
            assert trace.point(f"{layer}.se.reduce").channels == max(1, int(cin * 0.25)), layer
            assert trace.point(f"{layer}.se.expand").channels == expanded, layer
            assert trace.point(f"{layer}.se.sigmoid").kind == "sigmoid", layer
            scale = trace.point(f"{layer}.se.scale")  # one multiply per value of the depthwise output
            assert scale.kind == "multiply" and scale.input_shapes[0] == depthwise.output_shape, layer
            assert scale.macs == math.prod(depthwise.output_shape) > 0, layer
            assert trace.point(f"{layer}.project.conv").channels == channels, layer
            kinds = [x.kind for x in trace.under((layer,))]
            assert kinds.count("swish") == (2 if expansion == 1 else 3), layer  # SE's reduce has one too
            assert kinds.count("batchnorm") == len(convs) - 2, layer
            assert ("add" in kinds) == (stride == 1 and cin == channels), layer
    head = trace.under(("stage9",))
    head = [(x.kind, x.kernel, x.channels) for x in head if x.kind in ("conv2d", "avgpool", "dense")]
    assert head == [("conv2d", (1, 1), 1280), ("avgpool", None, None), ("dense", None, 1000)]


def test_depthwise_convolutions_cost_one_multiply_add_per_kernel_tap(torch_threads: int) -> None:
    """A depthwise k×k convolution of C channels: H·W·C·k² multiply-adds and C·k² parameters (TF's same padding
    of 56 for k = 5, stride 2: 1 before, 2 after)."""
    record = probe(Config("efficientnet_b0", 224), "torch").point("stage4.layer1.depthwise.conv")
    assert record.input_shapes[0] == (59, 59, 144) and record.output_shape == (28, 28, 144)  # padded 1 + 2
    assert (record.macs, record.params) == (28 * 28 * 144 * 25, 144 * 25)


def test_keras_swish_is_pytorch_silu(torch_threads: int, tf_threads: int) -> None:
    """Swish (Ramachandran et al. 2018), x·σ(x): Keras' 'swish' and PyTorch's SiLU are the same function."""
    import keras
    import torch

    x = np.linspace(-8, 8, 101, dtype=np.float32)
    keras_out = keras.ops.convert_to_numpy(keras.activations.get("swish")(x))
    torch_out = torch.nn.functional.silu(torch.from_numpy(x)).numpy()
    assert_close(keras_out, x / (1 + np.exp(-x)), what="Keras' swish and x·σ(x)")
    assert_close(torch_out, keras_out, what="PyTorch's SiLU and Keras' swish")


def test_a_changed_depthwise_kernel_breaks_parity_there(torch_threads: int, tf_threads: int) -> None:
    """One tap of a 3×3 depthwise kernel in stage 5 changed in the Keras reference: everything before it
    (stage 5's second layer's residual sum included) agrees, its output and its layer's do not."""
    tampered = "stage5.layer3.depthwise.conv"
    result = parity(
        "efficientnet_b0",
        "torch",
        size=CASES["efficientnet_b0"].parity_size,
        tamper={tampered: perturb((1, 1, 0, 0), 1.0)},
    )
    assert result.compared and not result.equivalent, result.describe()
    assert result.first_layer is not None and result.first_layer.ours == tampered, result.describe()
    assert result.first_point is not None and result.first_point.point == "stage5.layer3.depthwise"

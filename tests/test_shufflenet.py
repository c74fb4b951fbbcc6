"""ShuffleNet v1 (Zhang et al., arXiv 1707.01083v2): the paper's unit cost over groups, scales and input sizes,
the unit of Fig. 2, the channel shuffle, and numerical parity at the scales whose widths need rounding.

Expected values are written here from the paper (Table 1, p. 4; Sec. 3.1-3.3, pp. 2-4; Fig. 2, p. 3), never
read from `implementations/specs/shufflenet.py`. Where a scale s makes a width that does not divide into g
groups, the expectation applies the rounding recorded in reference_tables/zhang2018_shufflenet/paper.toml
(Conv1 up, the bottleneck down, to a multiple of g), which the paper does not state.

tests/test_models.py checks what every variant shares (Keras trace == PyTorch trace over groups, scales and
sizes, parameters independent of the input size, multiply-adds against the flop counter, parity both ways at
scale 1). Here `tests.parity` runs at 0.5× and 0.25×, where Conv1 and the bottleneck are rounded, and a channel
shuffle that is a no-op or applies the inverse permutation must break parity at the first unit's shuffle.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperverify.claims import Config
from paperverify.closeness import RTOL
from paperverify.counting import count_connections, count_macs
from paperverify.probes import probe
from tests.models import CASES, SHUFFLENETS
from tests.parity import parity

#: Table 1, p. 4: output channels of Stage2, Stage3 and Stage4 for each g (ShuffleNet 1×).
STAGES = {
    1: (144, 288, 576),
    2: (200, 400, 800),
    3: (240, 480, 960),
    4: (272, 544, 1088),
    8: (384, 768, 1536),
}
UNITS = (4, 8, 4)  # Table 1's Repeat column: 1 + 3, 1 + 7, 1 + 3 units, the first with stride 2
CONV1 = 24  # Table 1: Conv1, 3 × 3, stride 2, 24 output channels
CLASSES = 1000  # Table 1: FC, 1000
DEPTH = 50  # Sec. 4.3, p. 7: "our ShuffleNet architecture contains 50 layers"

#: Every variant's input sizes (multiples of 32: five stride-2 layers halve them exactly) and scale factors s
#: (Table 2's 1×, 0.5×, 0.25×; Table 5's 1.5×, 2×), from tests/models.py.
configs = st.sampled_from(SHUFFLENETS).flatmap(lambda variant: CASES[variant].configs)


def _config(variant: str, size: int = 224, scale: float = 1.0) -> Config:
    return Config(variant, size, (("scale", scale),))


def _options(config: Config) -> tuple[int, float, int]:
    """The groups g, the scale s and the input side of a configuration."""
    return int(config.variant.removeprefix("shufflenet_g")), config.kwargs()["scale"], config.input_size


def _widths(g: int, s: float) -> tuple[int, list[tuple[int, int]]]:
    """Conv1's filters and each stage's (output channels, bottleneck): Table 1 times s (Sec. 3.3), the
    bottleneck a quarter of the output (Sec. 3.3), both rounded to multiples of g where s needs it."""
    conv1 = g * math.ceil(CONV1 * s / g)
    stages = []
    for width in STAGES[g]:
        out = round(width * s)
        assert out == width * s  # Table 1's widths scale to whole numbers at the paper's s
        stages.append((out, g * (out // (4 * g))))
    return conv1, stages


def _paper_costs(g: int, s: float, size: int) -> tuple[int, int, int, int]:
    """(multiply-adds, learnable parameters, weight layers, last side) over Table 1's layers.

    Conv1: a 3×3 convolution of 3 channels, stride 2. A stride-1 unit on c × h × w with bottleneck m: Sec. 3.2's
    hw(2cm/g + 9m). A stride-2 unit (Fig. 2 c): the first pointwise layer on the input map (ungrouped in
    Stage 2, Table 1's caption), the 3×3 depthwise and the second pointwise layer (out − c outputs, which the
    concatenation with the c shortcut channels brings to out) on the halved map. The FC layer: out × 1000.
    Parameters: the kernels, a BatchNorm scale and offset per convolution output, the FC weights and bias.
    """
    conv1, stages = _widths(g, s)
    side = size // 2
    macs = side * side * 9 * 3 * conv1
    params = 9 * 3 * conv1 + 2 * conv1
    layers = 1
    side //= 2  # the 3×3 max pool, stride 2
    c = conv1
    for stage, ((out, m), count) in enumerate(zip(stages, UNITS, strict=True)):
        g1 = 1 if stage == 0 else g
        h = side // 2
        macs += side * side * c * m // g1 + h * h * 9 * m + h * h * m * (out - c) // g
        params += c * m // g1 + 9 * m + m * (out - c) // g + 2 * (m + m + out - c)
        side, c = h, out
        for _ in range(count - 1):
            macs += side * side * (2 * c * m // g + 9 * m)  # Sec. 3.2, p. 3: hw(2cm/g + 9m)
            params += 2 * c * m // g + 9 * m + 2 * (m + m + c)
        layers += 3 * count
    macs += c * CLASSES
    params += c * CLASSES + CLASSES
    return macs, params, layers + 1, side


@given(config=configs)
def test_costs_are_the_papers_formulas(config: Config, torch_threads: int) -> None:
    g, s, size = _options(config)
    trace = probe(config, "torch")
    macs, params, depth, side = _paper_costs(g, s, size)
    assert trace.macs == macs
    assert trace.params == params
    assert trace.depth == depth == DEPTH
    assert trace.point("stage4").output_shape == (side, side, _widths(g, s)[1][-1][0])


@given(config=configs)
def test_every_stride_1_unit_costs_hw_2cm_over_g_plus_9m(config: Config, torch_threads: int) -> None:
    """Sec. 3.2, p. 3: "our ShuffleNet unit requires only hw(2cm/g + 9m) FLOPs" for an input c × h × w and m
    bottleneck channels, unit by unit."""
    g, s, size = _options(config)
    trace = probe(config, "torch")
    _, stages = _widths(g, s)
    side = size // 4
    for stage, ((c, m), count) in enumerate(zip(stages, UNITS, strict=True), start=2):
        side = (side + 1) // 2
        for index in range(2, count + 1):
            unit = trace.under((f"stage{stage}.unit{index}",))
            assert unit[0].input_shapes[0] == (side, side, c)
            assert sum(layer.macs for layer in unit) == side * side * (2 * c * m // g + 9 * m)


@given(g=st.sampled_from([1, 3, 8]), s=st.sampled_from([0.5, 1.5, 2.0]))
def test_pointwise_costs_scale_by_s_squared_and_depthwise_by_s(g: int, s: float, torch_threads: int) -> None:
    """Sec. 3.3, p. 4: scaling the filters by s makes the complexity "roughly s² times"; exactly s² for the
    pointwise layers of Stages 3 and 4 (2cm/g, both c and m scale) and s for the depthwise ones (9m), at the g
    and s whose widths need no rounding (Stages 3 and 4 do not see Conv1's)."""
    base, scaled = (probe(_config(f"shufflenet_g{g}", 224, x), "torch") for x in (1.0, s))

    def cost(trace, depthwise: bool) -> int:
        return sum(
            layer.macs
            for layer in trace.under(("stage3", "stage4"))
            if layer.kind == "conv2d" and (layer.groups == layer.input_shapes[0][-1] > 1) == depthwise
        )

    assert cost(scaled, False) == cost(base, False) * s * s
    assert cost(scaled, True) == cost(base, True) * s


@pytest.mark.parametrize("framework", ["torch", "keras"])
@pytest.mark.parametrize("g", sorted(STAGES))
def test_units_are_figure_2(g: int, framework: str, torch_threads: int, tf_threads: int) -> None:
    """Fig. 2 (b), (c) and Sec. 3.2 (p. 3): GConv, BN, ReLU, shuffle, DWConv, BN (no ReLU), GConv, BN, merge,
    ReLU; Stage 2's first pointwise layer not grouped (Table 1's caption); a 3×3 average pool of stride 2 on
    a stride-2 unit's shortcut, concatenated before the residual."""
    trace = probe(_config(f"shufflenet_g{g}"), framework)
    _, stages = _widths(g, 1.0)
    for stage, ((out, m), count) in enumerate(zip(stages, UNITS, strict=True), start=2):
        units = sorted({layer.name.split(".")[1] for layer in trace.under((f"stage{stage}",))})
        assert units == sorted(f"unit{i}" for i in range(1, count + 1))
        for index in range(1, count + 1):
            name = f"stage{stage}.unit{index}"
            main = [layer for layer in trace.under((name,)) if not layer.on_shortcut and layer.kind != "pad"]
            merge = "concat" if index == 1 else "add"
            assert [layer.kind for layer in main] == [
                *("conv2d", "batchnorm", "relu", "channel_shuffle", "conv2d", "batchnorm", "conv2d", "batchnorm"),
                *(merge, "relu"),
            ], name
            gconv1, _, _, shuffle, dwconv, _, gconv2, _, joined, _ = main
            assert gconv1.groups == (1 if (stage, index) == (2, 1) else g)
            assert (gconv1.kernel, gconv1.output_shape[-1]) == ((1, 1), m)
            assert out == 4 * m  # Sec. 3.3: bottleneck channels 1/4 of the output channels
            assert shuffle.groups == g and shuffle.params == shuffle.macs == 0
            assert (dwconv.kernel, dwconv.groups, dwconv.stride) == ((3, 3), m, (2, 2) if index == 1 else (1, 1))
            assert (gconv2.kernel, gconv2.groups) == ((1, 1), g)
            assert joined.output_shape[-1] == out
            shortcut = [layer for layer in trace.under((name,)) if layer.on_shortcut]
            if index == 1:
                pool = next(layer for layer in shortcut if layer.kind == "avgpool")
                assert (pool.kernel, pool.stride) == ((3, 3), (2, 2))
                assert joined.input_shapes[0][-1] == pool.output_shape[-1]  # [shortcut, residual]
            else:
                assert shortcut == []


@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_table_1_windows_and_input(framework: str, torch_threads: int, tf_threads: int) -> None:
    """Table 1's KSize column (Conv1 3 × 3, MaxPool 3 × 3, GlobalPool 7 × 7) and the Image row, 224 × 224 × 3."""
    trace = probe(_config("shufflenet_g3"), framework)
    conv = next(layer for layer in trace.under(("conv1",)) if layer.kind == "conv2d")
    assert (conv.kernel, conv.stride, conv.input_shapes[0]) == ((3, 3), (2, 2), (226, 226, 3))
    assert trace.under(("conv1",))[0].input_shapes[0] == (224, 224, 3)
    pool = next(layer for layer in trace.under(("maxpool",)) if layer.kind == "maxpool")
    assert (pool.kernel, pool.stride) == ((3, 3), (2, 2))
    (globalpool,) = trace.under(("globalpool",))
    assert (globalpool.kernel, globalpool.input_shapes[0][:2]) == ((7, 7), (7, 7))


def test_a_scale_that_is_no_whole_number_of_channels_is_refused(torch_threads: int) -> None:
    from implementations.torch.shufflenet import shufflenet_g1

    with pytest.raises(ValueError, match="not a whole number of channels"):
        shufflenet_g1(scale=0.3)  # 0.3 × 144 = 43.2


def test_channel_shuffle_counts_nothing() -> None:
    """A permutation (Sec. 3.1): zero multiply-adds and zero connections."""
    assert count_macs("shuffle", "channel_shuffle", ((7, 7, 12),), (7, 7, 12), groups=3) == 0
    assert count_connections("shuffle", "channel_shuffle", ((7, 7, 12),), (7, 7, 12), groups=3) == 0


#: Sec. 3.1, p. 3: "reshape the output channel dimension into (g, n), transposing and then flattening it back":
#: with g = 2 groups of n = 3 channels [a0 a1 a2 | b0 b1 b2], the next layer reads a0 b0 a1 b1 a2 b2.
SHUFFLED = [0, 3, 1, 4, 2, 5]


def test_torch_channel_shuffle_is_the_papers_permutation() -> None:
    import torch

    from implementations.torch.shufflenet import ChannelShuffle

    x = torch.arange(6.0).reshape(1, 6, 1, 1).expand(1, 6, 2, 2)
    assert ChannelShuffle(2)(x)[0, :, 1, 0].tolist() == SHUFFLED
    assert ChannelShuffle.paperverify_kind == "channel_shuffle" and not list(ChannelShuffle(2).parameters())


def test_keras_channel_shuffle_is_the_papers_permutation(tf_threads: int) -> None:
    import keras

    from implementations.keras.shufflenet import ChannelShuffle

    x = np.broadcast_to(np.arange(6.0, dtype="float32"), (1, 2, 2, 6))
    layer = ChannelShuffle(2)
    assert keras.ops.convert_to_numpy(layer(x))[0, 1, 0].tolist() == SHUFFLED
    assert layer.paperverify_kind == "channel_shuffle" and not layer.weights


# --- numerical parity -------------------------------------------------------------------------------


@pytest.mark.xdist_group("shufflenet_parity")
@pytest.mark.parametrize(
    ("g", "scale", "framework"),
    [(8, 0.5, "keras"), (4, 0.25, "torch")],
    ids=["g8-0.5x-keras", "g4-0.25x-torch"],
)
def test_parity_where_the_widths_are_rounded(
    g: int, scale: float, framework: str, torch_threads: int, tf_threads: int
) -> None:
    """Conv1 rounded up to a multiple of g (0.5 × 24 = 12 -> 16 at g = 8; 0.25 × 24 = 6 -> 8 at g = 4) and the
    bottleneck down (0.25 × 272 / 4 = 17 -> 16 at g = 4): both builders round alike, every shuffle agrees.
    One direction each: both builders are run either way, one as the model and one as the reference."""
    variant = f"shufflenet_g{g}"
    conv1, stages = _widths(g, scale)
    assert conv1 != CONV1 * scale or any(out != 4 * m for out, m in stages)  # rounding happens here
    result = parity(variant, framework, size=CASES[variant].parity_size, options={"scale": scale})
    assert result.equivalent, result.describe()
    shuffles = [c for c in result.layers if c.ours.endswith(".shuffle")]
    assert len(shuffles) == sum(UNITS)


def _identity(self, x):
    return x


def _inverse(self, x):
    """The inverse permutation: channels read as (n, g) rather than (g, n)."""
    import keras

    _, h, w, c = x.shape
    x = keras.ops.reshape(x, (-1, h, w, c // self.groups, self.groups))
    return keras.ops.reshape(keras.ops.transpose(x, (0, 1, 2, 4, 3)), (-1, h, w, c))


@pytest.mark.xdist_group("shufflenet_parity")
@pytest.mark.parametrize("shuffle", [_identity, _inverse], ids=["no-op", "inverse"])
def test_a_wrong_shuffle_breaks_parity_at_the_first_shuffle(
    shuffle, monkeypatch: pytest.MonkeyPatch, torch_threads: int, tf_threads: int
) -> None:
    from implementations.keras.shufflenet import ChannelShuffle

    monkeypatch.setattr(ChannelShuffle, "call", shuffle)
    result = parity("shufflenet_g3", "keras", size=CASES["shufflenet_g3"].parity_size)
    assert result.compared and not result.equivalent, result.describe()
    assert result.first_point is not None and result.first_point.point == "stage2.unit1"
    assert result.first_layer is not None and result.first_layer.ours == "stage2.unit1.shuffle"
    assert result.first_layer.difference.relative > 100 * RTOL

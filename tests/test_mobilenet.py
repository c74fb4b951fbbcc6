"""MobileNet v1 (Howard et al., arXiv 1704.04861v1): the paper's cost formulas over width multipliers and
resolutions, its layer sequence, and a negative control of parity.

Expected values are written here from the paper (Table 1, p. 4; Sec. 3.1-3.4, pp. 3-5), never read from
`implementations/specs/mobilenet.py`: the layers of Table 1 are listed again below, with the 13th depthwise
convolution at stride 1 (the recorded erratum: its printed input and output are both 7 × 7).

Negative control: the depthwise kernels, whose layouts differ most between the frameworks (PyTorch's
(C·M, 1, kh, kw), Keras' (kh, kw, C, M)), copied with kh and kw swapped make `tests.parity` part the two
implementations at the first depthwise convolution, both ways. The generic invariants (Keras trace == PyTorch
trace, parameters independent of the input size, multiply-adds against torch.utils.flop_counter, parity both
ways) are tests/test_models.py's.
"""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import pytest
from hypothesis import given

from paperverify.claims import Config
from paperverify.probes import probe
from tests.models import CASES
from tests.parity import parity, swap_kh_kw

#: Table 1, p. 4, rows 2-27: (M, N, stride of the depthwise convolution) of each depthwise separable
#: convolution, at α = 1. Row 26 prints `Conv dw / s2`; its input and the next row's are both 7 × 7 (erratum).
SEPARABLE = (
    (32, 64, 1),
    (64, 128, 2),
    (128, 128, 1),
    (128, 256, 2),
    (256, 256, 1),
    (256, 512, 2),
    *((512, 512, 1),) * 5,  # the 5× rows
    (512, 1024, 2),
    (1024, 1024, 1),
)
CONV1 = 32  # Table 1 row 1: Conv / s2, 3 × 3 × 3 × 32
D_K = 3  # the 3 × 3 kernels of Table 1
CLASSES = 1000  # Table 1: FC / s1, 1024 × 1000

#: Sec. 3.3, p. 4: α in the "typical settings of 1, 0.75, 0.5 and 0.25"; resolutions at multiples of 32 from
#: 96 to 256 (Sec. 3.4's 224, 192, 160 and 128 among them): every stride-2 layer halves the side exactly.
configs = CASES["mobilenet_v1"].configs


def _rows(shallow: bool) -> tuple[tuple[int, int, int], ...]:
    """Table 1's separable rows; the shallow MobileNet lacks "the 5 layers of separable filters with feature size
    14 × 14 × 512" (Sec. 4.1, p. 5)."""
    return tuple(row for row in SEPARABLE if not (shallow and row == (512, 512, 1)))


def _paper_costs(alpha: float, size: int, full: bool = False, shallow: bool = False) -> tuple[int, int, int]:
    """(multiply-adds, convolution weights, last feature side) from Sec. 3's formulas over Table 1's layers.

    conv1: Eq. 2, D_K·D_K·M·N·D_G·D_G with M = 3 and N = α·32 on the output map D_G = size/2. Each separable
    layer: Eq. 7, D_K·D_K·αM·ρD_F·ρD_F + αM·αN·ρD_F·ρD_F on its output map; its weights D_K·D_K·αM + αM·αN.
    In Table 4's Conv MobileNet (`full`) each is a full convolution instead: Eq. 2 and D_K·D_K·αM·αN weights.
    """
    side = size // 2
    channels = int(alpha * CONV1)
    macs = D_K * D_K * 3 * channels * side * side
    weights = D_K * D_K * 3 * channels
    for m, n, stride in _rows(shallow):
        side //= stride
        am, an = int(alpha * m), int(alpha * n)
        assert am == channels
        if full:
            macs += D_K * D_K * am * an * side * side
            weights += D_K * D_K * am * an
        else:
            macs += D_K * D_K * am * side * side + am * an * side * side
            weights += D_K * D_K * am + am * an
        channels = an
    return macs, weights, side


@given(config=configs)
def test_costs_are_the_papers_formulas(config: Config, torch_threads: int) -> None:
    """Multiply-adds and weights as Eqs. 2 and 7 count them over Table 1's layers (full convolutions in Table 4's
    Conv MobileNet, five layers fewer in Table 5's shallow one); the parameters have no term in the resolution
    (Figure 5 caption, p. 6: "The number of parameters do not vary based on the input resolution")."""
    options = config.kwargs()
    alpha, full, shallow = options["alpha"], options["full_convolutions"], options["shallow"]
    trace = probe(config, "torch")
    macs, weights, side = _paper_costs(alpha, config.input_size, full, shallow)
    features = int(alpha * 1024)
    # The FC layer: 1024·α × 1000 multiply-adds, its weights and a bias per class.
    assert trace.macs == macs + features * CLASSES
    convs = [layer for layer in trace.layers if layer.kind == "conv2d"]
    assert sum(layer.params for layer in convs) == weights
    assert trace.point("fc").params == features * CLASSES + CLASSES
    # Sec. 3.2: batchnorm after every convolution: a scale and an offset per channel, two buffers likewise.
    channels = sum(layer.output_shape[-1] for layer in convs)
    assert trace.params == weights + 2 * channels + features * CLASSES + CLASSES
    assert trace.buffers == 2 * channels
    assert trace.point(f"conv_{'full' if full else 'pw'}_13").output_shape == (side, side, features)
    # Sec. 3.2: "MobileNet has 28 layers"; a full convolution is one layer where a separable one is two.
    assert trace.depth == 2 + len(_rows(shallow)) * (1 if full else 2)


@given(config=configs)
def test_every_convolution_is_followed_by_batchnorm_and_relu(config: Config, torch_threads: int) -> None:
    options = config.kwargs()
    trace = probe(config, "torch")
    kinds = [layer.kind for layer in trace.layers if layer.kind != "pad"]
    convs = [i for i, kind in enumerate(kinds) if kind == "conv2d"]
    assert len(convs) == 1 + len(_rows(options["shallow"])) * (1 if options["full_convolutions"] else 2)
    for i in convs:  # Sec. 3.2 and Fig. 3: batchnorm and ReLU after each convolutional layer
        assert kinds[i + 1 : i + 3] == ["batchnorm", "relu"]
    assert kinds[convs[-1] + 3 :] == ["avgpool", "flatten", "dense", "softmax"]  # no nonlinearity after the FC
    if options["full_convolutions"]:
        assert not trace.under(("conv_dw_1",)) and all(layer.groups == 1 for layer in trace.layers)
        return
    for index in range(1, 14):  # a depthwise convolution filters each channel alone: groups = channels
        removed = options["shallow"] and 7 <= index <= 11
        layers = [r for r in trace.under((f"conv_dw_{index}",)) if r.kind == "conv2d"]
        assert len(layers) == (0 if removed else 1)
        for layer in layers:
            assert layer.groups == layer.input_shapes[0][-1] == layer.output_shape[-1]


def test_a_width_that_is_no_whole_number_of_channels_is_refused(torch_threads: int) -> None:
    from implementations.torch.mobilenet import mobilenet_v1

    with pytest.raises(ValueError, match="not a whole number of channels"):
        mobilenet_v1(alpha=0.3)


def test_keras_depthwise_convolutions_are_grouped_convolutions(tf_threads: int) -> None:
    import keras

    from paperverify.frameworks.keras import probe as probe_keras

    inputs = keras.Input((8, 8, 6))
    layer = keras.layers.DepthwiseConv2D(3, 2, depth_multiplier=2, name="dw")
    model = keras.Model(inputs, layer(inputs))
    (record,) = probe_keras.probe_model(model).layers
    assert (record.kind, record.groups, record.channels, record.kernel, record.stride) == (
        "conv2d",
        6,
        12,
        (3, 3),
        (2, 2),
    )
    assert record.macs == 3 * 3 * 12 * 3 * 3  # Eq. 4, D_K·D_K·M·D_F·D_F, with two filters per channel
    assert record.params == 3 * 3 * 6 * 2 + 12


@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_depthwise_kernels_with_kh_and_kw_swapped_break_parity(
    framework: str, torch_threads: int, tf_threads: int
) -> None:
    """Every depthwise kernel copied into our other implementation with its two spatial axes swapped (shapes
    agree, filters do not): the outputs part at the first depthwise convolution, in either direction."""
    tamper = {f"conv_dw_{index}.conv": swap_kh_kw for index in range(1, 14)}
    size = CASES["mobilenet_v1"].parity_size
    result = parity("mobilenet_v1", framework, size=size, options={"alpha": 0.25}, tamper=tamper)
    assert not result.equivalent, result.describe()
    assert result.first_layer is not None and result.first_layer.ours == "conv_dw_1.conv", result.describe()
    assert result.first_point is not None and result.first_point.point == "conv_dw_1"

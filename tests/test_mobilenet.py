"""MobileNet v1 (Howard et al., arXiv 1704.04861v1): the paper's cost formulas over width multipliers and
resolutions, Keras trace == PyTorch trace, and numerical parity of the two builders.

Expected values are written here from the paper (Table 1, p. 4; Sec. 3.1-3.4, pp. 3-5), never read from
`implementations/specs/mobilenet.py`: the layers of Table 1 are listed again below, with the 13th depthwise
convolution at stride 1 (the recorded erratum: its printed input and output are both 7 × 7).

Parity: PyTorch weights (He-normal convolutions, random BatchNorm statistics) are copied by layer name into
the Keras model at a 64×64 input; the depthwise kernels go from PyTorch's (C·M, 1, kh, kw) to Keras'
(kh, kw, C, M) (M = 1). The same kernels copied with kh and kw swapped must break parity.
"""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperverify.probes import probe
from paperverify.tables import Config

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

alphas = st.sampled_from([0.25, 0.5, 0.75, 1.0])  # Sec. 3.3, p. 4: "typical settings of 1, 0.75, 0.5 and 0.25"
sizes = st.sampled_from(range(96, 257, 32))  # multiples of 32: every stride-2 layer halves the side exactly

TOLERANCE = 1e-4
PARITY_SIZE = 64
SEED = 0


def _config(alpha: float, size: int) -> Config:
    return Config("mobilenet_v1", size, (("alpha", alpha), ("input_size", size)))


def _paper_costs(alpha: float, size: int) -> tuple[int, int, int]:
    """(multiply-adds, convolution weights, last feature side) from Sec. 3's formulas over Table 1's layers.

    conv1: Eq. 2, D_K·D_K·M·N·D_G·D_G with M = 3 and N = α·32 on the output map D_G = size/2. Each separable
    layer: Eq. 7, D_K·D_K·αM·ρD_F·ρD_F + αM·αN·ρD_F·ρD_F on its output map; its weights D_K·D_K·αM + αM·αN.
    """
    side = size // 2
    channels = int(alpha * CONV1)
    macs = D_K * D_K * 3 * channels * side * side
    weights = D_K * D_K * 3 * channels
    for m, n, stride in SEPARABLE:
        side //= stride
        am, an = int(alpha * m), int(alpha * n)
        assert am == channels
        macs += D_K * D_K * am * side * side + am * an * side * side
        weights += D_K * D_K * am + am * an
        channels = an
    return macs, weights, side


@given(alpha=alphas, size=sizes)
def test_costs_are_the_papers_formulas(alpha: float, size: int, torch_threads: int) -> None:
    trace = probe(_config(alpha, size), "torch")
    macs, weights, side = _paper_costs(alpha, size)
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
    assert trace.point("conv_pw_13").output_shape == (side, side, features)
    assert trace.depth == 28  # Sec. 3.2: "MobileNet has 28 layers"


@given(alpha=alphas, size=sizes, other=sizes)
def test_parameters_do_not_depend_on_the_resolution(alpha: float, size: int, other: int, torch_threads: int) -> None:
    # Figure 5 caption, p. 6: "The number of parameters do not vary based on the input resolution."
    assert probe(_config(alpha, size), "torch").params == probe(_config(alpha, other), "torch").params


@given(alpha=alphas, size=sizes)
def test_every_convolution_is_followed_by_batchnorm_and_relu(alpha: float, size: int, torch_threads: int) -> None:
    trace = probe(_config(alpha, size), "torch")
    kinds = [layer.kind for layer in trace.layers if layer.kind != "pad"]
    convs = [i for i, kind in enumerate(kinds) if kind == "conv2d"]
    assert len(convs) == 27
    for i in convs:  # Sec. 3.2 and Fig. 3: batchnorm and ReLU after each convolutional layer
        assert kinds[i + 1 : i + 3] == ["batchnorm", "relu"]
    assert kinds[convs[-1] + 3 :] == ["avgpool", "flatten", "dense", "softmax"]  # no nonlinearity after the FC
    for index in range(1, 14):  # a depthwise convolution filters each channel alone: groups = channels
        layer = next(r for r in trace.under((f"conv_dw_{index}",)) if r.kind == "conv2d")
        assert layer.groups == layer.input_shapes[0][-1] == layer.output_shape[-1]


@given(alpha=alphas, size=sizes)
def test_keras_and_torch_traces_are_identical(alpha: float, size: int, torch_threads: int, tf_threads: int) -> None:
    keras_trace, torch_trace = probe(_config(alpha, size), "keras"), probe(_config(alpha, size), "torch")
    assert [layer.name for layer in keras_trace.layers] == [layer.name for layer in torch_trace.layers]
    for keras_layer, torch_layer in zip(keras_trace.layers, torch_trace.layers, strict=True):
        assert keras_layer == torch_layer, keras_layer.name


def test_a_width_that_is_no_whole_number_of_channels_is_refused(torch_threads: int) -> None:
    from implementations.torch.mobilenet import mobilenet_v1

    with pytest.raises(ValueError, match="not a whole number of channels"):
        mobilenet_v1(alpha=0.3)


def test_keras_depthwise_convolutions_are_grouped_convolutions(tf_threads: int) -> None:
    import keras

    from paperverify.probes import probe_keras

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


# --- numerical parity -------------------------------------------------------------------------------


def _build_torch(alpha: float):
    import torch
    from torch import nn

    from paperverify.registry import get

    torch.manual_seed(SEED)
    model = get("mobilenet_v1").builder("torch")(alpha=alpha, input_size=PARITY_SIZE)
    generator = torch.Generator().manual_seed(SEED + 1)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.Conv2d):  # He initialisation: the signal keeps its scale through 27 layers
                nn.init.kaiming_normal_(module.weight, generator=generator)
            if isinstance(module, nn.BatchNorm2d):
                n = module.num_features
                module.weight.copy_(0.5 + torch.rand(n, generator=generator))
                module.bias.copy_(0.2 * torch.randn(n, generator=generator))
                module.running_mean.copy_(0.2 * torch.randn(n, generator=generator))
                module.running_var.copy_(0.5 + 1.5 * torch.rand(n, generator=generator))
    return model.eval()


def _copy_weights(torch_model, keras_model, swap_depthwise: bool = False) -> None:
    """PyTorch weights into Keras by name; `swap_depthwise` copies the depthwise kernels with kh and kw swapped."""
    import keras

    modules = dict(torch_model.named_modules())
    for layer in keras_model.layers:
        module = modules.get(layer.name)
        if module is None:
            continue
        tensors = [p.detach().numpy() for p in module.parameters()]
        if isinstance(layer, keras.layers.DepthwiseConv2D):
            kernel = tensors[0]  # (C·M, 1, kh, kw)
            c, _, kh, kw = kernel.shape
            m = layer.kernel.shape[-1]
            kernel = kernel.reshape(c // m, m, kh, kw).transpose(2, 3, 0, 1)  # (kh, kw, C, M)
            weights = [kernel.transpose(1, 0, 2, 3) if swap_depthwise else kernel]
        elif isinstance(layer, keras.layers.Conv2D):
            weights = [tensors[0].transpose(2, 3, 1, 0)]  # OIHW -> HWIO
        elif isinstance(layer, keras.layers.BatchNormalization):
            weights = [*tensors, module.running_mean.numpy(), module.running_var.numpy()]
        elif isinstance(layer, keras.layers.Dense):
            weights = [tensors[0].T, tensors[1]]
        else:
            continue
        layer.set_weights(weights)


def _outputs(alpha: float, swap_depthwise: bool = False) -> tuple[np.ndarray, np.ndarray]:
    import keras
    import torch

    from paperverify.registry import get

    torch_model = _build_torch(alpha)
    keras.utils.set_random_seed(SEED)
    keras_model = get("mobilenet_v1").builder("keras")(alpha=alpha, input_size=PARITY_SIZE)
    _copy_weights(torch_model, keras_model, swap_depthwise)
    images = np.random.default_rng(SEED).standard_normal((2, PARITY_SIZE, PARITY_SIZE, 3)).astype("float32")
    logits = keras.Model(keras_model.input, keras_model.get_layer("fc").output)
    with torch.no_grad():
        x = torch.from_numpy(images.transpose(0, 3, 1, 2))
        for name in ("conv1", *torch_model.blocks, "avgpool", "flatten", "fc"):
            x = getattr(torch_model, name)(x)
    return x.numpy(), keras.ops.convert_to_numpy(logits(images, training=False))


@pytest.mark.xdist_group("mobilenet_parity")
@pytest.mark.parametrize("alpha", [1.0, 0.25])
def test_torch_weights_in_keras_give_the_same_logits(alpha: float, torch_threads: int, tf_threads: int) -> None:
    torch_logits, keras_logits = _outputs(alpha)
    assert np.max(np.abs(torch_logits - keras_logits)) < TOLERANCE
    assert np.max(np.abs(torch_logits[0] - torch_logits[1])) > 100 * TOLERANCE  # the logits follow the image


@pytest.mark.xdist_group("mobilenet_parity")
def test_depthwise_kernels_with_kh_and_kw_swapped_break_parity(torch_threads: int, tf_threads: int) -> None:
    torch_logits, keras_logits = _outputs(0.25, swap_depthwise=True)
    assert np.max(np.abs(torch_logits - keras_logits)) > 100 * TOLERANCE

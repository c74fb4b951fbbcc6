"""EfficientNet (Tan & Le, arXiv 1905.11946v3): what Table 1 (p. 5) and the compound scaling of Sec. 3.3 (p. 5,
Eq. 3) predict, the two frameworks against each other, and numerical parity.

Expected values come from the paper, written out here, never from the implementations' spec:
- Table 1's stages (operator, input resolution, channels, layers); a stage's stride is the ratio of its
  resolution to the next stage's;
- Eq. 3 with Sec. 4's α = 1.2, β = 1.1, γ = 1.15: depth d = α^φ, width w = β^φ, resolution r = γ^φ, and
  Sec. 3.3's "FLOPS of a regular convolution op is proportional to d, w², r²";
- the rounding rules of the authors' released code, which the paper does not print and which are restated
  here as the code writes them (keras/src/applications/efficientnet.py): channels to the nearest multiple of 8,
  never 10% below w·C; layers ⌈d·L̂i⌉ for the MBConv stages only.
"""

from __future__ import annotations

import math
import os

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperverify.probes import probe
from paperverify.tables import Config

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

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
sizes = st.integers(min_value=32, max_value=400)


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


@given(phi=phis, size=sizes, other=sizes)
def test_parameters_do_not_depend_on_the_resolution(phi: float, size: int, other: int, torch_threads: int) -> None:
    options = scaled(phi).options
    assert probe(Config("efficientnet_b0", size, options), "torch").params == (
        probe(Config("efficientnet_b0", other, options), "torch").params
    )


@given(phi=st.floats(min_value=0.0, max_value=1.0, allow_nan=False), size=st.integers(min_value=32, max_value=160))
def test_keras_and_torch_traces_are_identical(phi: float, size: int, torch_threads: int, tf_threads: int) -> None:
    config = Config("efficientnet_b0", size, scaled(phi).options)
    keras_trace, torch_trace = probe(config, "keras"), probe(config, "torch")
    assert [layer.name for layer in keras_trace.layers] == [layer.name for layer in torch_trace.layers]
    for keras_layer, torch_layer in zip(keras_trace.layers, torch_trace.layers, strict=True):
        assert keras_layer == torch_layer, keras_layer.name


@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_operators_of_table1(framework: str, torch_threads: int, tf_threads: int) -> None:
    """Table 1's operator column: Conv3x3, MBConv<e>, k<k>x<k> (p. 5: MBConv with squeeze-and-excitation; 1×1
    expansion to e·Cin, absent for e = 1; k×k depthwise; SE; linear 1×1 projection; swish, p. 6), Conv1x1 &
    Pooling & FC; BatchNorm after every convolution but SE's."""
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
            assert trace.point(f"{layer}.se.scale").kind == "multiply", layer
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


def test_analytic_macs_equal_flop_counter(torch_threads: int) -> None:
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from implementations.torch.efficientnet import efficientnet_b0

    with torch.device("meta"):
        model = efficientnet_b0()
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model.eval()(torch.empty(1, 3, 224, 224, device="meta"))
    # FlopCounterMode counts convolutions and matrix products only; SE's excitation adds one multiply per value
    # it scales (counted as SENet's channel-wise scale is).
    trace = probe(Config("efficientnet_b0", 224), "torch")
    excitation = sum(math.prod(layer.output_shape) for layer in trace.layers if layer.kind == "multiply")
    assert excitation > 0
    assert trace.macs * 2 == counter.get_total_flops() + 2 * excitation


def test_keras_swish_is_pytorch_silu(torch_threads: int, tf_threads: int) -> None:
    """Swish (Ramachandran et al. 2018), x·σ(x): Keras' 'swish' and PyTorch's SiLU are the same function."""
    import keras
    import torch

    x = np.linspace(-8, 8, 101, dtype=np.float32)
    keras_out = keras.ops.convert_to_numpy(keras.activations.get("swish")(x))
    torch_out = torch.nn.functional.silu(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(keras_out, x / (1 + np.exp(-x)), atol=1e-6)
    np.testing.assert_allclose(torch_out, keras_out, atol=1e-6)


# Numerical parity ---------------------------------------------------------------------------------------

PARITY_SIZE = 64
TOLERANCE = 1e-4


def _torch_model():
    """EfficientNet-B0 in eval mode, with random weights, BatchNorm affine parameters and statistics."""
    import torch

    from implementations.torch.efficientnet import efficientnet_b0
    from tests.weights import randomise_batchnorm

    torch.manual_seed(0)
    model = efficientnet_b0()
    return randomise_batchnorm(model).eval()


def _keras_model(torch_model):
    """The Keras model with every PyTorch weight copied in by layer name."""
    import keras
    from torch import nn

    from implementations.keras.efficientnet import efficientnet_b0

    keras_model = efficientnet_b0(input_shape=(PARITY_SIZE, PARITY_SIZE, 3))
    modules = dict(torch_model.named_modules())
    for layer in keras_model.layers:
        if not layer.weights:
            continue
        module = modules[layer.name]
        tensors = [t.detach().numpy() for t in module.parameters(recurse=False)]
        if isinstance(layer, keras.layers.DepthwiseConv2D):
            weights = [tensors[0].transpose(2, 3, 0, 1)]  # (C, 1, kh, kw) -> (kh, kw, C, 1)
        elif isinstance(module, nn.Conv2d):
            weights = [tensors[0].transpose(2, 3, 1, 0), *tensors[1:]]  # OIHW -> HWIO, SE's bias
        elif isinstance(module, nn.BatchNorm2d):
            assert (layer.epsilon, layer.momentum) == (module.eps, 1 - module.momentum), layer.name
            weights = [*tensors, module.running_mean.numpy(), module.running_var.numpy()]
        else:
            weights = [tensors[0].T, tensors[1]]
        layer.set_weights(weights)
    return keras_model


def _outputs(torch_model, keras_model, x: np.ndarray, names: list[str]) -> tuple[dict, dict]:
    """Outputs of the named layers of both models (NHWC) on the NCHW batch x."""
    import keras
    import torch

    modules = dict(torch_model.named_modules())
    torch_out: dict[str, np.ndarray] = {}
    handles = [
        modules[name].register_forward_hook(lambda _m, _i, out, name=name: torch_out.__setitem__(name, out.numpy()))
        for name in names
    ]
    try:
        with torch.no_grad():
            torch_model(torch.from_numpy(x))
    finally:
        for handle in handles:
            handle.remove()
    probe_model = keras.Model(keras_model.input, [keras_model.get_layer(name).output for name in names])
    keras_out = probe_model(x.transpose(0, 2, 3, 1), training=False)
    nhwc = {name: out.transpose(0, 2, 3, 1) if out.ndim == 4 else out for name, out in torch_out.items()}
    return nhwc, {name: keras.ops.convert_to_numpy(out) for name, out in zip(names, keras_out, strict=True)}


NAMES = [
    "stage1.layer1.swish",
    "stage3.layer1.depthwise.pad",
    "stage4.layer2.add",
    "stage7.layer1.se.scale",
    "stage9.layer1.fc",
]


@pytest.fixture(scope="module")
def models(torch_threads: int, tf_threads: int):
    torch_model = _torch_model()
    return torch_model, _keras_model(torch_model)


@pytest.fixture(scope="module")
def batch() -> np.ndarray:
    return np.random.default_rng(0).standard_normal((2, 3, PARITY_SIZE, PARITY_SIZE)).astype(np.float32)


def test_copied_weights_give_the_same_output(models, batch: np.ndarray) -> None:
    torch_model, keras_model = models
    torch_out, keras_out = _outputs(torch_model, keras_model, batch, NAMES)
    # The logits must be far from zero, or an absolute tolerance on them would check nothing.
    assert np.std(torch_out["stage9.layer1.fc"]) > 100 * TOLERANCE
    for name in NAMES:
        difference = float(np.max(np.abs(torch_out[name] - keras_out[name])))
        assert difference <= TOLERANCE, (name, difference)


def test_a_tampered_depthwise_kernel_breaks_parity(models, batch: np.ndarray) -> None:
    torch_model, keras_model = models
    layer = keras_model.get_layer("stage5.layer3.depthwise.conv")
    weights = layer.get_weights()
    spoiled = weights[0].copy()
    spoiled[1, 1, 0, 0] += 1.0
    layer.set_weights([spoiled])
    try:
        torch_out, keras_out = _outputs(torch_model, keras_model, batch, ["stage5.layer2.add", "stage5.layer3.add"])
    finally:
        layer.set_weights(weights)
    assert np.max(np.abs(torch_out["stage5.layer2.add"] - keras_out["stage5.layer2.add"])) <= TOLERANCE
    assert np.max(np.abs(torch_out["stage5.layer3.add"] - keras_out["stage5.layer3.add"])) > TOLERANCE

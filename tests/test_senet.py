"""SE-ResNet and SE-ResNeXt (Hu et al., arXiv 1709.01507v4): what Table 1 (p. 5), Eqs. 2-5 (pp. 3-4) and Fig. 3
(p. 4) predict at any reduction ratio and input size, the two frameworks against each other, and numerical parity.

Expected values come from the paper, written out here, never from the implementations' spec:
- Table 1's stages: output channels C_s = 256, 512, 1024, 2048 and blocks N_s (3, 4, 6, 3 for the 50-layer
  networks; He et al.'s 3, 4, 23, 3 and 3, 8, 36, 3 for 101 and 152, Table 2);
- every SE block holds 2C²/r fc weights (W1 ∈ R^(C/r × C), W2 ∈ R^(C × C/r), Eq. 3), plus C/r + C biases when
  the fc layers have them (the builders' default has none, Sec. 6, p. 8), and the SE layers of a network add up to
  Eq. 5's (2/r) Σ N_s·C_s²;
- the SE block sits after the block's last BatchNorm and before the addition (Fig. 3, right): global average pool,
  fc C/r, ReLU, fc C, sigmoid, channel-wise scale (Eqs. 2-4);
- sizes follow the convolution arithmetic (conv1 7×7/2 and the 3×3/2 max pool padded by 3 and 1, stride 2 at
  conv3_1, conv4_1, conv5_1); parameters do not depend on the input size (every pool is global);
- Keras and PyTorch traces are identical layer by layer; the analytic multiply-adds equal FlopCounterMode's
  FLOPs / 2 plus the scale's H·W·C multiplies (the flop counter counts no element-wise product);
- PyTorch weights copied into the Keras model give the same output (≤ 1e-4), a tampered fc weight does not.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperverify.probes import probe
from paperverify.tables import Config

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

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
sizes = st.integers(min_value=32, max_value=320)
variants = st.sampled_from(sorted(BLOCKS))


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


@given(variant=variants, reduction=ratios, bias=st.booleans())
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


@given(variant=variants, stages=st.sets(st.sampled_from("2345")))
def test_se_blocks_only_in_the_chosen_stages(variant: str, stages: set[str], torch_threads: int) -> None:
    """Table 13 (p. 9) adds SE blocks one stage at a time; each stage adds its own N_s·2C_s²/16."""
    chosen = "".join(sorted(stages))
    trace = probe(Config(variant, 224, (("se_stages", chosen),)), "torch")
    modules = {name.rsplit(".se.", 1)[0] for name in (layer.name for layer in trace.layers) if ".se." in name}
    assert modules == {point.removesuffix(".se") for point, _ in se_points(variant) if point[4] in stages}
    baseline = probe(Config(variant, 224, (("se_stages", ""),)), "torch")
    extra = sum(n * 2 * c * c // 16 for s, n, c in zip("2345", BLOCKS[variant], CHANNELS, strict=True) if s in stages)
    assert trace.params - baseline.params == extra


@given(variant=variants, size=sizes)
def test_sizes_follow_the_convolution_arithmetic(variant: str, size: int, torch_threads: int) -> None:
    trace = probe(Config(variant, size), "torch")
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


@given(variant=variants, size=sizes, other=sizes)
def test_parameters_do_not_depend_on_input_size(variant: str, size: int, other: int, torch_threads: int) -> None:
    assert probe(Config(variant, size), "torch").params == probe(Config(variant, other), "torch").params


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
        assert kinds == ["batchnorm", "avgpool", "flatten", "dense", "relu", "dense", "sigmoid", "scale"], point
        assert names[start - 1] == f"{block}.bn3"
        assert layers[start].output_shape == (1, 1, channels)
        assert not any(layers[start + i].bias for i in (2, 4)), point  # default: no fc biases (Sec. 6, p. 8)
        add = next(layer for layer in layers[start:] if layer.name == f"{block}.add")
        assert add.input_shapes[0] == layers[start + 6].output_shape, point


@given(variant=st.sampled_from(["se_resnet50", "se_resnext50"]), size=st.integers(min_value=32, max_value=160))
def test_keras_and_torch_traces_are_identical(variant: str, size: int, torch_threads: int, tf_threads: int) -> None:
    """Over the 50-layer networks (the 101- and 152-layer ones add only blocks of the same kind, and are compared
    at 224 × 224 by every claim of tests/test_claims.py in both frameworks)."""
    keras_trace, torch_trace = probe(Config(variant, size), "keras"), probe(Config(variant, size), "torch")
    assert [layer.name for layer in keras_trace.layers] == [layer.name for layer in torch_trace.layers]
    for keras_layer, torch_layer in zip(keras_trace.layers, torch_trace.layers, strict=True):
        assert keras_layer == torch_layer, keras_layer.name


@pytest.mark.parametrize("variant", ["se_resnet50", "se_resnext50"])
def test_analytic_macs_equal_flop_counter_plus_scale(variant: str, torch_threads: int) -> None:
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from implementations.torch import senet

    with torch.device("meta"):
        model = getattr(senet, variant)()
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model.eval()(torch.empty(1, 3, 224, 224, device="meta"))
    # The scale multiplies every value of each SE block's input: N_s blocks of 56², 28², 14², 7² × C_s.
    scale = sum(n * side * side * c for n, side, c in zip(BLOCKS[variant], (56, 28, 14, 7), CHANNELS, strict=True))
    assert probe(Config(variant, 224), "torch").macs == counter.get_total_flops() // 2 + scale


# Numerical parity: PyTorch weights copied into Keras by layer name, inference mode, random input.
TOLERANCE = 1e-4
INPUT_SIZE = 64


def _torch_model(variant: str, bias: bool):
    import torch
    from torch import nn

    from implementations.torch import senet
    from tests.weights import randomise_batchnorm

    torch.manual_seed(0)
    model = getattr(senet, variant)(se_bias=bias)
    randomise_batchnorm(model)
    generator = torch.Generator().manual_seed(2)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.Linear) and module.bias is not None:
                module.bias.copy_(0.2 * torch.randn(module.out_features, generator=generator))
    return model.eval()


def _copy(torch_model, keras_model) -> None:
    import keras
    from torch import nn

    modules = dict(torch_model.named_modules())
    copied = set()
    for layer in keras_model.layers:
        if not layer.weights:
            continue
        module = modules[layer.name]
        tensors = [t.detach().numpy() for t in module.parameters(recurse=False)]
        if isinstance(module, nn.Conv2d):
            weights = [tensors[0].transpose(2, 3, 1, 0)]  # OIHW -> HWIO (grouped: O = C_out, I = C_in / groups)
        elif isinstance(module, nn.BatchNorm2d):
            weights = [*tensors, module.running_mean.numpy(), module.running_var.numpy()]
        else:
            assert isinstance(layer, keras.layers.Dense)
            weights = [tensors[0].T, *tensors[1:]]
        layer.set_weights(weights)
        copied.add(layer.name)
    assert copied == {name for name, m in modules.items() if any(True for _ in m.parameters(recurse=False))}


@pytest.fixture(scope="module")
def models(torch_threads: int, tf_threads: int):
    """PyTorch and Keras SE-ResNet-50 (with fc biases, so that both fc weights and biases are copied) and
    SE-ResNeXt-50, each Keras model holding the PyTorch weights."""
    import keras

    from implementations.keras import senet

    built = {}
    for variant, bias in (("se_resnet50", True), ("se_resnext50", False)):
        torch_model = _torch_model(variant, bias)
        keras.utils.set_random_seed(0)
        keras_model = getattr(senet, variant)(input_shape=(INPUT_SIZE, INPUT_SIZE, 3), se_bias=bias)
        _copy(torch_model, keras_model)
        built[variant] = (torch_model, keras.Model(keras_model.input, keras_model.get_layer("fc").output))
    return built


def _logits(torch_model, keras_model) -> tuple[np.ndarray, np.ndarray]:
    """The logits (the output of fc) of both models on one random batch of two images."""
    import keras
    import torch

    x = np.random.default_rng(0).standard_normal((2, 3, INPUT_SIZE, INPUT_SIZE)).astype(np.float32)
    logits = []
    handle = torch_model.fc.register_forward_hook(lambda _m, _i, out: logits.append(out))
    with torch.no_grad():
        torch_model(torch.from_numpy(x))
    handle.remove()
    return logits[0].numpy(), keras.ops.convert_to_numpy(keras_model(x.transpose(0, 2, 3, 1)))


@pytest.mark.parametrize("variant", ["se_resnet50", "se_resnext50"])
def test_parity(variant: str, models) -> None:
    torch_logits, keras_logits = _logits(*models[variant])
    assert np.abs(torch_logits).max() > 1e-2  # a live network, not a constant
    assert np.abs(torch_logits - keras_logits).max() <= TOLERANCE


def test_tampered_excitation_weight_breaks_parity(models) -> None:
    """The gates of one SE block inverted (σ(−z) for σ(z)): the block's output channels are rescaled wrongly."""
    torch_model, keras_model = models["se_resnet50"]
    layer = keras_model.get_layer("conv3_x.conv3_2.se.fc2")
    kernel, bias = layer.get_weights()
    layer.set_weights([-kernel, -bias])
    try:
        torch_logits, keras_logits = _logits(torch_model, keras_model)
    finally:
        layer.set_weights([kernel, bias])
    assert np.abs(torch_logits - keras_logits).max() > 10 * TOLERANCE

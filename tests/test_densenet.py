"""DenseNet (Huang et al., arXiv 1608.06993v5): what Table 1 (p. 4) and Sec. 3 (pp. 3-4) predict for any
growth rate, compression and input size, the two frameworks against each other, and numerical parity.

Expected values come from the paper, written out here, never from the implementations' spec:
- Table 1's layers per dense block; an initial convolution of 2k filters, 7×7, stride 2 (Sec. 3, p. 4);
- the ℓth layer of a block has k0 + k·(ℓ − 1) input feature-maps and adds k (Sec. 3, p. 3), so a block of n
  layers outputs k0 + n·k; with the bottleneck each 1×1 convolution produces 4k (p. 4); a transition layer
  turns m feature-maps into floor(θ·m) (p. 4);
- sizes follow the convolution arithmetic of Table 1's kernels and strides (7×7/2 padded by 3, 3×3/2 max pool
  padded by 1, 3×3 convolutions padded by 1, 2×2/2 average pools), then a global pool to 1×1;
- each "conv" is BN-ReLU-Conv (Table 1 caption, p. 4); parameters do not depend on the input size;
- Keras and PyTorch traces are identical layer by layer; multiply-adds equal torch's flop counter's / 2;
- PyTorch weights copied into the Keras model give the same output (≤ 1e-4), and a tampered weight does not.
"""

from __future__ import annotations

from fractions import Fraction
from math import floor

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperverify import compare
from paperverify.probes import probe
from paperverify.tables import Config, load_claims

# Table 1, p. 4: the "× n" of Dense Block (1) to (4) in each column.
BLOCKS = {
    "densenet121": (6, 12, 24, 16),
    "densenet169": (6, 12, 32, 32),
    "densenet201": (6, 12, 48, 32),
    "densenet264": (6, 12, 64, 48),
}

variants = st.sampled_from(sorted(BLOCKS))
sizes = st.integers(min_value=32, max_value=320)
growth_rates = st.integers(min_value=1, max_value=48)
# θ = n/8 (0 < θ ≤ 1): exact in binary floating point, so floor(θ·m) has one meaning.
compressions = st.integers(min_value=1, max_value=8).map(lambda n: n / 8)


def config(variant: str, size: int, **options: object) -> Config:
    return Config(variant, size, tuple(sorted(options.items())))


def out_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """Convolution arithmetic: floor((size + 2·padding − kernel) / stride) + 1."""
    return (size + 2 * padding - kernel) // stride + 1


@given(variant=variants, size=sizes, k=growth_rates, theta=compressions, bottleneck=st.booleans())
def test_channels_and_sizes_follow_sec3_and_table1(
    variant: str, size: int, k: int, theta: float, bottleneck: bool, torch_threads: int
) -> None:
    trace = probe(config(variant, size, growth_rate=k, compression=theta, bottleneck=bottleneck), "torch")
    side = out_size(size, 7, 2, 3)
    assert trace.point("conv1").output_shape == (side, side, 2 * k)  # "2k convolutions of size 7×7 with stride 2"
    side = out_size(side, 3, 2, 1)
    assert trace.point("pool1").output_shape == (side, side, 2 * k)
    channels = 2 * k
    for block, layers in enumerate(BLOCKS[variant], start=1):
        for number in range(1, layers + 1):
            name = f"dense_block{block}.layer{number}"
            first = trace.under((name,))[0]
            assert first.kind == "batchnorm" and first.input_shapes[0] == (side, side, channels + (number - 1) * k)
            if bottleneck:
                assert trace.point(f"{name}.conv1").output_shape == (side, side, 4 * k)
            assert trace.point(f"{name}.conv2").output_shape == (side, side, k)
        channels += layers * k
        assert trace.point(f"dense_block{block}").output_shape == (side, side, channels)
        if block < len(BLOCKS[variant]):
            channels = floor(Fraction(theta) * channels)
            assert trace.point(f"transition{block}.conv").output_shape == (side, side, channels)
            side = out_size(side, 2, 2, 0)
            assert trace.point(f"transition{block}.pool").output_shape == (side, side, channels)
    assert trace.point("classification.pool").output_shape == (1, 1, channels)
    assert trace.point("classification.fc").output_shape == (1000,)


@given(variant=variants, k=growth_rates, theta=compressions, bottleneck=st.booleans())
def test_parameters_follow_sec3(variant: str, k: int, theta: float, bottleneck: bool, torch_threads: int) -> None:
    """Every learnable parameter, summed from the paper's layer widths: BN (2 per channel) before every
    convolution, convolutions without biases, the fully-connected layer with biases."""
    trace = probe(config(variant, 224, growth_rate=k, compression=theta, bottleneck=bottleneck), "torch")
    expected = 2 * 3 + 7 * 7 * 3 * 2 * k  # conv1: BN over the RGB input, then 2k 7×7 filters
    channels = 2 * k
    for block, layers in enumerate(BLOCKS[variant], start=1):
        for _ in range(layers):
            if bottleneck:
                expected += 2 * channels + channels * 4 * k + 2 * 4 * k + 3 * 3 * 4 * k * k
            else:
                expected += 2 * channels + 3 * 3 * channels * k
            channels += k
        if block < len(BLOCKS[variant]):
            out = floor(Fraction(theta) * channels)
            expected += 2 * channels + channels * out
            channels = out
    expected += channels * 1000 + 1000
    assert trace.params == expected


@given(variant=variants, size=sizes, other=sizes)
def test_parameters_do_not_depend_on_input_size(variant: str, size: int, other: int, torch_threads: int) -> None:
    assert probe(config(variant, size), "torch").params == probe(config(variant, other), "torch").params


@given(size=sizes, k=st.integers(min_value=1, max_value=40), theta=compressions, bottleneck=st.booleans())
def test_keras_and_torch_traces_are_identical(
    size: int, k: int, theta: float, bottleneck: bool, torch_threads: int, tf_threads: int
) -> None:
    options = {"growth_rate": k, "compression": theta, "bottleneck": bottleneck}
    keras_trace = probe(config("densenet121", size, **options), "keras")
    torch_trace = probe(config("densenet121", size, **options), "torch")
    assert [layer.name for layer in keras_trace.layers] == [layer.name for layer in torch_trace.layers]
    for keras_layer, torch_layer in zip(keras_trace.layers, torch_trace.layers, strict=True):
        assert keras_layer == torch_layer, keras_layer.name


@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_every_convolution_is_bn_relu_conv(framework: str, torch_threads: int, tf_threads: int) -> None:
    """Table 1 caption, p. 4: each "conv" layer is the sequence BN-ReLU-Conv (conv1 included)."""
    layers = [layer for layer in probe(config("densenet121", 224), framework).layers if layer.kind != "pad"]
    convolutions = [index for index, layer in enumerate(layers) if layer.kind == "conv2d"]
    assert len(convolutions) == 1 + 2 * sum(BLOCKS["densenet121"]) + 3
    for index in convolutions:
        norm, relu, conv = layers[index - 2 : index + 1]
        assert (norm.kind, relu.kind) == ("batchnorm", "relu"), conv.name
        assert norm.output_shape == relu.input_shapes[0] and norm.input_shapes[0][-1] == conv.input_shapes[0][-1]
        assert not conv.bias, conv.name
    dense = [layer for layer in layers if layer.kind == "dense"]
    assert [(layer.name, layer.bias) for layer in dense] == [("classification.fc", True)]


@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_kernels_and_strides_of_table1(framework: str, torch_threads: int, tf_threads: int) -> None:
    trace = probe(config("densenet169", 224), framework)
    expected = {"conv1.conv": (7, 2), "pool1.pool": (3, 2)}
    expected |= {f"transition{b}.conv": (1, 1) for b in (1, 2, 3)} | {f"transition{b}.pool": (2, 2) for b in (1, 2, 3)}
    for block, layers in enumerate(BLOCKS["densenet169"], start=1):
        for number in range(1, layers + 1):
            expected |= {
                f"dense_block{block}.layer{number}.conv1": (1, 1),
                f"dense_block{block}.layer{number}.conv2": (3, 1),
            }
    for name, (kernel, stride) in expected.items():
        [record] = trace.under((name,))
        assert (record.kernel, record.stride) == ((kernel, kernel), (stride, stride)), name
    pool = trace.point("classification.pool")  # "7 × 7 global average pool"
    assert pool.input_shapes[0][:2] == (7, 7) and pool.output_shape[:2] == (1, 1)


def test_analytic_macs_equal_flop_counter(torch_threads: int) -> None:
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from implementations.torch.densenet import densenet121

    with torch.device("meta"):
        model = densenet121()
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(torch.empty(1, 3, 224, 224, device="meta"))
    assert probe(config("densenet121", 224), "torch").macs * 2 == counter.get_total_flops()


def test_a_larger_input_breaks_the_global_pool_and_the_sizes(torch_threads: int) -> None:
    """At 448×448 the global pool sees 14×14, not Table 1's "7 × 7 global average pool"; the sizes double."""
    claims = {claim.id: claim for claim in load_claims() if claim.source.paper == "huang2017_densenet"}
    trace = probe(config("densenet121", 448), "torch")
    pool = compare.judge(claims["huang2017_densenet/table1/densenet121/classification_pool/structure"], trace)
    assert pool.status == "mismatch" and "avgpool 14×14" in pool.detail
    conv1 = compare.judge(claims["huang2017_densenet/table1/densenet121/conv1/output_shape"], trace)
    assert (conv1.status, conv1.measured) == ("mismatch", "224×224×64")
    at_224 = probe(config("densenet121", 224), "torch")
    at_224_pool = compare.judge(claims["huang2017_densenet/table1/densenet121/classification_pool/structure"], at_224)
    assert at_224_pool.status == "match"


# Numerical parity ---------------------------------------------------------------------------------------

PARITY_SIZE = 64
TOLERANCE = 1e-4


def _torch_model():
    """DenseNet-121 in eval mode, He-initialised, with random BatchNorm scales, shifts and statistics."""
    import torch
    from torch import nn

    from implementations.torch.densenet import densenet121

    torch.manual_seed(0)
    model = densenet121()
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
            if isinstance(module, nn.Linear):
                nn.init.uniform_(module.bias, -0.1, 0.1)
            if isinstance(module, nn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.5, 0.5)
                module.running_mean.uniform_(-0.5, 0.5)
                module.running_var.uniform_(0.5, 2.0)
    return model.eval()


def _keras_model(torch_model):
    """The Keras model with every PyTorch weight copied in by layer name (OIHW → HWIO, dense transposed,
    BatchNorm as gamma, beta, moving mean, moving variance)."""
    import keras

    from implementations.keras.densenet import densenet121

    keras_model = densenet121(input_shape=(PARITY_SIZE, PARITY_SIZE, 3))
    modules = dict(torch_model.named_modules())
    copied = set()
    for layer in keras_model.layers:
        if not layer.weights:
            continue
        module = modules[layer.name]
        if isinstance(layer, keras.layers.BatchNormalization):
            tensors = (module.weight, module.bias, module.running_mean, module.running_var)
            layer.set_weights([t.detach().numpy() for t in tensors])
        elif isinstance(layer, keras.layers.Conv2D):
            layer.set_weights([module.weight.detach().numpy().transpose(2, 3, 1, 0)])
        else:
            layer.set_weights([module.weight.detach().numpy().T, module.bias.detach().numpy()])
        copied.add(layer.name)
    assert copied == {name for name, m in modules.items() if any(True for _ in m.parameters(recurse=False))}
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
    keras_out = keras_out if isinstance(keras_out, (list, tuple)) else [keras_out]
    nhwc = {name: out.transpose(0, 2, 3, 1) if out.ndim == 4 else out for name, out in torch_out.items()}
    return nhwc, {name: keras.ops.convert_to_numpy(out) for name, out in zip(names, keras_out, strict=True)}


def _first_divergence(torch_model, keras_model, x: np.ndarray) -> str | None:
    names = [layer.name for layer in keras_model.layers[1:]]
    torch_out, keras_out = _outputs(torch_model, keras_model, x, names)
    return next((n for n in names if not np.max(np.abs(torch_out[n] - keras_out[n])) <= TOLERANCE), None)


@pytest.fixture(scope="module")
def models(torch_threads: int, tf_threads: int):
    torch_model = _torch_model()
    return torch_model, _keras_model(torch_model)


@pytest.fixture(scope="module")
def batch() -> np.ndarray:
    return np.random.default_rng(0).standard_normal((2, 3, PARITY_SIZE, PARITY_SIZE)).astype(np.float32)


CHECKED = ["pool1.pool", "dense_block2.layer12.concat", "transition3.pool", "classification.fc"]


def test_copied_weights_give_the_same_output(models, batch: np.ndarray) -> None:
    torch_model, keras_model = models
    torch_out, keras_out = _outputs(torch_model, keras_model, batch, [*CHECKED, "classification.softmax"])
    # The logits must be far from zero, or an absolute tolerance on them would check nothing.
    assert np.std(torch_out["classification.fc"]) > 100 * TOLERANCE, np.std(torch_out["classification.fc"])
    for name in torch_out:
        difference = float(np.max(np.abs(torch_out[name] - keras_out[name])))
        assert difference <= TOLERANCE, (name, difference, _first_divergence(torch_model, keras_model, batch))


def test_a_wrong_weight_breaks_parity(models, batch: np.ndarray) -> None:
    torch_model, keras_model = models
    layer = keras_model.get_layer("dense_block3.layer7.conv2")
    [kernel] = layer.get_weights()
    spoiled = kernel.copy()
    spoiled[1, 1, :, 0] += 0.1  # the centre tap of one filter, over every input channel
    layer.set_weights([spoiled])
    try:
        torch_out, keras_out = _outputs(torch_model, keras_model, batch, ["classification.fc"])
        assert np.max(np.abs(torch_out["classification.fc"] - keras_out["classification.fc"])) > TOLERANCE
        assert _first_divergence(torch_model, keras_model, batch) == "dense_block3.layer7.conv2"
    finally:
        layer.set_weights([kernel])

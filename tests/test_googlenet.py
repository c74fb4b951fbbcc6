"""GoogLeNet (Szegedy et al., arXiv 1409.4842v1): what Table 1 (p. 6) and Sec. 5 predict at any input size,
the two frameworks against each other, and numerical parity.

Expected values come from the paper, written out here, never from the implementations' spec:
- Table 1's filters per branch and output depths; each module's output depth is the sum of its branches;
- sizes follow the convolution arithmetic of Table 1's patch sizes and strides (every k×k layer padded by
  k // 2: conv1 7×7/2, four 3×3/2 max pools; everything else keeps the size), global average pool to 1×1;
- learnable parameters do not depend on the input size (the average pool is global);
- every convolution is followed by a ReLU (Sec. 5, p. 6);
- Keras and PyTorch traces are identical layer by layer; the analytic multiply-adds equal
  torch.utils.flop_counter's FLOPs / 2;
- PyTorch weights copied into the Keras model give the same output (≤ 1e-4), and a tampered weight does not.
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

# Table 1, p. 6: #1×1, #3×3 reduce, #3×3, #5×5 reduce, #5×5, pool proj, and the printed output depth.
TABLE1 = {
    "inception_3a": (64, 96, 128, 16, 32, 32, 256),
    "inception_3b": (128, 128, 192, 32, 96, 64, 480),
    "inception_4a": (192, 96, 208, 16, 48, 64, 512),
    "inception_4b": (160, 112, 224, 24, 64, 64, 512),
    "inception_4c": (128, 128, 256, 24, 64, 64, 512),
    "inception_4d": (112, 144, 288, 32, 64, 64, 528),
    "inception_4e": (256, 160, 320, 32, 128, 128, 832),
    "inception_5a": (256, 160, 320, 32, 128, 128, 832),
    "inception_5b": (384, 192, 384, 48, 128, 128, 1024),
}
BRANCHES = (".branch1", ".branch2.reduce", ".branch2.conv", ".branch3.reduce", ".branch3.conv", ".branch4.proj")
# Table 1, p. 6: the rows with a patch size/stride, as (layer, kernel, stride).
PATCHES = (
    ("conv1.conv", 7, 2),
    ("pool1.pool", 3, 2),
    ("conv2.conv.conv", 3, 1),
    ("pool2.pool", 3, 2),
    ("pool3.pool", 3, 2),
    ("pool4.pool", 3, 2),
)

sizes = st.integers(min_value=64, max_value=320)


def config(size: int, **options: object) -> Config:
    return Config("googlenet", size, tuple(sorted(options.items())))


def out_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """Convolution arithmetic: floor((size + 2·padding − kernel) / stride) + 1."""
    return (size + 2 * padding - kernel) // stride + 1


def expected_sides(size: int) -> dict[str, int]:
    """The side of every named point of Table 1 at input size×size."""
    sides = {"conv1": out_size(size, 7, 2, 3)}
    sides["pool1"] = out_size(sides["conv1"], 3, 2, 1)
    sides["conv2"] = sides["pool1"]
    sides["pool2"] = out_size(sides["conv2"], 3, 2, 1)
    sides |= dict.fromkeys(("inception_3a", "inception_3b"), sides["pool2"])
    sides["pool3"] = out_size(sides["pool2"], 3, 2, 1)
    sides |= {f"inception_4{m}": sides["pool3"] for m in "abcde"}
    sides["pool4"] = out_size(sides["pool3"], 3, 2, 1)
    sides |= dict.fromkeys(("inception_5a", "inception_5b"), sides["pool4"])
    sides["avgpool"] = 1
    return sides


@given(size=sizes)
def test_sizes_and_channels_follow_table1(size: int, torch_threads: int) -> None:
    trace = probe(config(size), "torch")
    depths = {"conv1": 64, "pool1": 64, "conv2": 192, "pool2": 192, "pool3": 480, "pool4": 832, "avgpool": 1024}
    depths |= {name: row[-1] for name, row in TABLE1.items()}
    for point, side in expected_sides(size).items():
        assert trace.point(point).output_shape == (side, side, depths[point]), point
    assert trace.point("fc").output_shape == (1000,)


@given(size=sizes)
def test_every_module_concatenates_its_branches(size: int, torch_threads: int) -> None:
    trace = probe(config(size), "torch")
    for module, row in TABLE1.items():
        shapes = [trace.point(module + branch).output_shape for branch in BRANCHES]
        assert [shape[-1] for shape in shapes] == list(row[:6]), module
        outputs = [shapes[0], shapes[2], shapes[4], shapes[5]]  # branch1, branch2.conv, branch3.conv, branch4.proj
        assert len({shape[:2] for shape in outputs}) == 1, module
        concat = trace.point(module)
        assert concat.kind == "concat" and concat.output_shape == (*outputs[0][:2], sum(s[-1] for s in outputs))
        assert concat.output_shape[-1] == row[-1], module


@given(size=sizes, other=sizes)
def test_parameters_do_not_depend_on_input_size(size: int, other: int, torch_threads: int) -> None:
    assert probe(config(size), "torch").params == probe(config(other), "torch").params


@given(size=sizes)
def test_keras_and_torch_traces_are_identical(size: int, torch_threads: int, tf_threads: int) -> None:
    keras_trace, torch_trace = probe(config(size), "keras"), probe(config(size), "torch")
    assert [layer.name for layer in keras_trace.layers] == [layer.name for layer in torch_trace.layers]
    for keras_layer, torch_layer in zip(keras_trace.layers, torch_trace.layers, strict=True):
        assert keras_layer == torch_layer, keras_layer.name


@pytest.mark.parametrize("framework", ["torch", "keras"])
@pytest.mark.parametrize("aux_logits", [False, True])
def test_every_convolution_is_followed_by_a_relu(framework: str, aux_logits: bool, torch_threads, tf_threads) -> None:
    layers = probe(config(224, aux_logits=aux_logits), framework).layers
    convolutions = [index for index, layer in enumerate(layers) if layer.kind == "conv2d"]
    assert len(convolutions) == 57 + (2 if aux_logits else 0)  # conv1, 2 in conv2, 6 in each of 9 modules
    for index in convolutions:
        follower = layers[index + 1]
        assert follower.kind == "relu" and follower.input_shapes[0] == layers[index].output_shape, layers[index].name


@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_patch_sizes_and_strides_of_table1(framework: str, torch_threads: int, tf_threads: int) -> None:
    trace = probe(config(224), framework)
    for name, kernel, stride in PATCHES:
        [record] = trace.under((name,))
        assert (record.kernel, record.stride) == ((kernel, kernel), (stride, stride)), name
    # avg pool 7×7/1: the global average pool sees a 7×7 map at 224×224 and gives 1×1.
    avgpool = trace.point("avgpool")
    assert avgpool.input_shapes[0][:2] == (7, 7) and avgpool.output_shape[:2] == (1, 1)
    # Figure 3, p. 7: LocalRespNorm after the first max pool and after conv2's 3×3 convolution.
    names = [layer.name for layer in trace.layers]
    assert trace.point("norm1").kind == trace.point("norm2").kind == "lrn"
    assert names.index("norm1") == names.index("pool1.pool") + 1
    assert names.index("norm2") == names.index("conv2.conv.relu") + 1


def test_analytic_macs_equal_flop_counter(torch_threads: int) -> None:
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from implementations.torch.googlenet import googlenet

    with torch.device("meta"):
        model = googlenet()
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(torch.empty(1, 3, 224, 224, device="meta"))
    assert probe(config(224), "torch").macs * 2 == counter.get_total_flops()


def test_local_response_norm_follows_alexnets_formula(torch_threads: int, tf_threads: int) -> None:
    """norm1 of both models against b_i = a_i / (k + α Σ_j a_j²)^β, j from max(0, i − n/2) to
    min(N − 1, i + n/2), with AlexNet's k = 2, n = 5, α = 1e-4, β = 0.75 (Sec. 3.3, p. 4), on inputs large
    enough for the sum to matter."""
    import keras
    import torch

    from implementations.keras.googlenet import googlenet as keras_googlenet
    from implementations.torch.googlenet import googlenet as torch_googlenet

    a = 30 * np.random.default_rng(1).random((2, 5, 5, 12)).astype(np.float32)  # NHWC, >= 0 as after a ReLU
    squares = np.pad(a**2, [(0, 0), (0, 0), (0, 0), (2, 2)])
    sums = sum(squares[..., j : j + a.shape[-1]] for j in range(5))
    expected = a / (2 + 1e-4 * sums) ** 0.75
    assert np.max(np.abs(expected - a / 2**0.75)) > 0.1  # the sum term is not negligible here

    norm = keras_googlenet(input_shape=(32, 32, 3)).get_layer("norm1")
    keras_out = keras.ops.convert_to_numpy(norm(a))
    with torch.no_grad():
        torch_out = torch_googlenet().norm1(torch.from_numpy(a.transpose(0, 3, 1, 2))).numpy().transpose(0, 2, 3, 1)
    assert np.max(np.abs(keras_out - expected)) < 1e-5 and np.max(np.abs(torch_out - expected)) < 1e-5


# Numerical parity ---------------------------------------------------------------------------------------

PARITY_SIZE = 64
TOLERANCE = 1e-4


def _torch_model():
    """The PyTorch model in eval mode, He-initialised so that the signal survives 22 layers."""
    import torch
    from torch import nn

    from implementations.torch.googlenet import googlenet

    torch.manual_seed(0)
    model = googlenet()
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
                nn.init.uniform_(module.bias, -0.1, 0.1)
    return model.eval()


def _keras_model(torch_model):
    """The Keras model with every PyTorch weight copied in by layer name (OIHW → HWIO, dense transposed)."""
    import keras

    from implementations.keras.googlenet import googlenet

    keras_model = googlenet(input_shape=(PARITY_SIZE, PARITY_SIZE, 3))
    modules = dict(torch_model.named_modules())
    copied = set()
    for layer in keras_model.layers:
        if not layer.weights:
            continue
        module = modules[layer.name]
        weight, bias = module.weight.detach().numpy(), module.bias.detach().numpy()
        kernel = weight.transpose(2, 3, 1, 0) if isinstance(layer, keras.layers.Conv2D) else weight.T
        layer.set_weights([kernel, bias])
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


def test_copied_weights_give_the_same_output(models, batch: np.ndarray) -> None:
    torch_model, keras_model = models
    torch_out, keras_out = _outputs(torch_model, keras_model, batch, ["norm2", "inception_4c.concat", "fc", "softmax"])
    # The logits must be far from zero, or an absolute tolerance on them would check nothing.
    assert np.std(torch_out["fc"]) > 100 * TOLERANCE, np.std(torch_out["fc"])
    for name in torch_out:
        difference = float(np.max(np.abs(torch_out[name] - keras_out[name])))
        assert difference <= TOLERANCE, (name, difference, _first_divergence(torch_model, keras_model, batch))


def test_a_wrong_weight_breaks_parity(models, batch: np.ndarray) -> None:
    torch_model, keras_model = models
    layer = keras_model.get_layer("inception_4c.branch3.conv.conv")
    kernel, bias = layer.get_weights()
    spoiled = kernel.copy()
    spoiled[2, 2, :, 0] += 0.1  # the centre tap of one filter, over every input channel
    layer.set_weights([spoiled, bias])
    try:
        torch_out, keras_out = _outputs(torch_model, keras_model, batch, ["fc"])
        assert np.max(np.abs(torch_out["fc"] - keras_out["fc"])) > TOLERANCE
        assert _first_divergence(torch_model, keras_model, batch) == "inception_4c.branch3.conv.conv"
    finally:
        layer.set_weights([kernel, bias])

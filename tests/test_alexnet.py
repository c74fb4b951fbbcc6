"""AlexNet (Krizhevsky, Sutskever, Hinton, NIPS 2012): properties over the input size, the response
normalization against the paper's formula, and numerical parity of the PyTorch and Keras implementations.

Expected values come from the paper, written here: the kernels and strides of Sec. 3.5 (11×11 stride 4,
5×5, 3×3), the pooling of Sec. 3.4 (z = 3, s = 2), the normalization of Sec. 3.3 (k = 2, n = 5, α = 10^−4,
β = 0.75), dropout 0.5 in the first two fully-connected layers (Sec. 4.2). The only unprinted choice under
test is conv1's zero padding (2 at the paper's 224, 0 for the 227 reading).

Parity: PyTorch weights are copied by layer name into the Keras model at a 95×95 input (conv5's pooled maps
are 2×2, so the order of fc6's inputs matters) and both must give the same logits (fc8.fc) and softmax output
to 1e-4 on a batch of centred raw-RGB-like values (the paper's input, Sec. 2), large enough that the response
normalization changes its input visibly. Traps: grouped kernels are OIHW (O, I/groups, kh, kw) in PyTorch and
HWIO (kh, kw, I/groups, O) in Keras; PyTorch flattens conv5's maps as C×H×W and Keras as H×W×C, so fc6's
weight columns are permuted; PyTorch's LocalResponseNorm divides its alpha by n.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperverify.probes import probe
from paperverify.tables import Config

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

# Sec. 3.5, p. 4-5: kernels of conv1 ... conv5 and the units of the fully-connected layers.
KERNELS = {"conv1": 96, "conv2": 256, "conv3": 384, "conv4": 384, "conv5": 256}
UNITS = {"fc6": 4096, "fc7": 4096, "fc8": 1000}
# Sec. 3.5: kernel depths 11×11×3, 5×5×48, 3×3×256, 3×3×192, 3×3×192 (the two GPUs as two groups).
KERNEL_SHAPES = {"conv1": (11, 3), "conv2": (5, 48), "conv3": (3, 256), "conv4": (3, 192), "conv5": (3, 192)}
# Sec. 3.3, p. 4.
K, N, ALPHA, BETA = 2.0, 5, 1e-4, 0.75
TOLERANCE = 1e-4


def out_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """Convolution arithmetic: floor((size + 2·padding − kernel) / stride) + 1."""
    return (size + 2 * padding - kernel) // stride + 1


def expected_sizes(input_size: int, conv1_padding: int) -> dict[str, int]:
    """The side of each named point's maps, from the paper's kernels, strides and pooling."""
    conv1 = out_size(input_size, 11, 4, conv1_padding)  # 11×11, stride 4
    conv2 = out_size(out_size(conv1, 3, 2, 0), 5, 1, 2)  # 3×3/2 pooling, then 5×5 keeping the size
    conv3 = out_size(out_size(conv2, 3, 2, 0), 3, 1, 1)  # 3×3/2 pooling, then 3×3 keeping the size
    return {"conv1.conv": conv1, "conv2.conv": conv2, "conv3.conv": conv3, "conv4.conv": conv3,
            "conv5.conv": conv3, "conv5.pool": out_size(conv3, 3, 2, 0)}  # fmt: skip


# The smallest input that leaves conv5's pooled maps at least 1×1 without padding is 67 pixels.
configs = st.builds(
    lambda size, padding: Config("alexnet", size, (("conv1_padding", padding), ("input_size", size))),
    st.integers(min_value=67, max_value=320),
    st.sampled_from([0, 2]),
)


def test_the_paper_network_has_figure_2s_sizes(torch_threads: int) -> None:
    """At the paper's 224 input, 55, 27, 13 and 6×6×256 = 9,216 features into fc6 (the decision on padding)."""
    assert expected_sizes(224, 2) == {"conv1.conv": 55, "conv2.conv": 27, "conv3.conv": 13, "conv4.conv": 13,
                                      "conv5.conv": 13, "conv5.pool": 6}  # fmt: skip
    assert expected_sizes(227, 0) == expected_sizes(224, 2)
    assert expected_sizes(224, 0)["conv1.conv"] == 54  # the printed 224 without padding misses Figure 2's 55
    trace = probe(Config("alexnet", 224), "torch")
    assert trace.point("flatten").output_shape == (9216,)


@given(config=configs)
def test_sizes_follow_convolution_arithmetic(config: Config, torch_threads: int) -> None:
    trace = probe(config, "torch")
    sizes = expected_sizes(config.input_size, config.kwargs()["conv1_padding"])
    for point, side in sizes.items():
        depth = KERNELS[point.split(".")[0]]
        assert trace.point(point).output_shape == (side, side, depth), point
    for name, units in UNITS.items():
        assert trace.point(f"{name}.fc").output_shape == (units,)


@given(config=configs, other=st.integers(min_value=67, max_value=320))
def test_only_fc6_depends_on_the_input_size(config: Config, other: int, torch_threads: int) -> None:
    """Convolutions, fc7 and fc8 keep their parameters; fc6 sees 256 maps of the pooled conv5 size."""
    padding = config.kwargs()["conv1_padding"]
    moved = Config("alexnet", other, (("conv1_padding", padding), ("input_size", other)))
    first, second = probe(config, "torch"), probe(moved, "torch")
    for trace, size in ((first, config.input_size), (second, other)):
        side = expected_sizes(size, padding)["conv5.pool"]
        assert trace.point("fc6.fc").params == (256 * side * side + 1) * 4096
    fixed = [layer for layer in first.layers if layer.name != "fc6.fc"]
    assert [layer.params for layer in fixed] == [layer.params for layer in second.layers if layer.name != "fc6.fc"]
    for name, (kernel, depth) in KERNEL_SHAPES.items():  # Sec. 3.5's kernels, with one bias each
        assert first.point(f"{name}.conv").params == KERNELS[name] * (kernel * kernel * depth + 1), name


@given(config=configs)
def test_keras_and_torch_traces_are_identical(config: Config, torch_threads: int, tf_threads: int) -> None:
    keras_trace, torch_trace = probe(config, "keras"), probe(config, "torch")
    assert [layer.name for layer in keras_trace.layers] == [layer.name for layer in torch_trace.layers]
    for keras_layer, torch_layer in zip(keras_trace.layers, torch_trace.layers, strict=True):
        assert keras_layer == torch_layer, keras_layer.name


def test_layer_kinds_and_dropout(torch_threads: int, tf_threads: int) -> None:
    """Response normalization after conv1 and conv2 only (Sec. 3.5); dropout 0.5 in fc6 and fc7 only (Sec. 4.2)."""
    from implementations.keras.alexnet import alexnet as keras_alexnet
    from implementations.torch.alexnet import alexnet as torch_alexnet
    from paperverify.probes.probe_keras import build_without_weights

    trace = probe(Config("alexnet", 224), "torch")
    assert [layer.name for layer in trace.layers if layer.kind == "lrn"] == ["conv1.lrn", "conv2.lrn"]
    assert all(layer.macs == 0 and layer.params == 0 for layer in trace.layers if layer.kind == "lrn")
    assert [layer.name for layer in trace.layers if layer.kind == "dropout"] == ["fc6.dropout", "fc7.dropout"]
    import torch

    with torch.device("meta"):
        torch_model = torch_alexnet()
    assert {torch_model.fc6.dropout.p, torch_model.fc7.dropout.p} == {0.5}
    keras_model = build_without_weights(keras_alexnet)
    assert {keras_model.get_layer(f"{name}.dropout").rate for name in ("fc6", "fc7")} == {0.5}


def test_analytic_macs_equal_flop_counter(torch_threads: int) -> None:
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from implementations.torch.alexnet import alexnet

    with torch.device("meta"):
        model = alexnet()
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(torch.empty(1, 3, 224, 224, device="meta"))
    assert probe(Config("alexnet", 224), "torch").macs * 2 == counter.get_total_flops()


def paper_lrn(a: np.ndarray) -> np.ndarray:
    """Sec. 3.3: b_i = a_i / (k + α Σ_{j=max(0, i−n/2)}^{min(N−1, i+n/2)} a_j²)^β over the last axis."""
    channels = a.shape[-1]
    b = np.empty_like(a, dtype=np.float64)
    for i in range(channels):
        window = a[..., max(0, i - N // 2) : min(channels - 1, i + N // 2) + 1].astype(np.float64)
        b[..., i] = a[..., i] / (K + ALPHA * np.sum(window**2, axis=-1)) ** BETA
    return b


def test_response_normalization_is_the_papers_formula(torch_threads: int, tf_threads: int) -> None:
    import keras
    import torch

    from implementations.keras.alexnet import alexnet as keras_alexnet
    from implementations.torch.alexnet import alexnet as torch_alexnet

    a = np.random.default_rng(0).uniform(0, 60, (2, 4, 4, 9)).astype(np.float32)  # NHWC, after a ReLU
    expected = paper_lrn(a)
    assert np.max(np.abs(expected / a - 1)) > 0.05  # the normalization visibly changes its input here
    torch_layer = torch_alexnet(input_size=67).conv1.lrn
    with torch.no_grad():
        torch_out = torch_layer(torch.from_numpy(a.transpose(0, 3, 1, 2))).numpy().transpose(0, 2, 3, 1)
    keras_layer = keras_alexnet(input_size=67).get_layer("conv1.lrn")
    keras_out = keras.ops.convert_to_numpy(keras_layer(a))
    np.testing.assert_allclose(torch_out, expected, rtol=1e-5)
    np.testing.assert_allclose(keras_out, expected, rtol=1e-5)


PARITY_SIZE = 95  # conv5's pooled maps are 2×2: fc6's inputs must be permuted from C×H×W to H×W×C


def _torch_model():
    import torch

    from implementations.torch.alexnet import alexnet

    torch.manual_seed(0)
    return alexnet(input_size=PARITY_SIZE).eval()


def _keras_model():
    import keras

    from implementations.keras.alexnet import alexnet

    keras.utils.set_random_seed(0)
    return alexnet(input_size=PARITY_SIZE)


def _chw_to_hwc(flat: np.ndarray) -> np.ndarray:
    """Rows of 256·s·s features flattened as C×H×W (PyTorch), reordered as H×W×C (Keras)."""
    side = round((flat.shape[1] // 256) ** 0.5)
    return flat.reshape(-1, 256, side, side).transpose(0, 2, 3, 1).reshape(flat.shape[0], -1)


def _copy_weights(torch_model, keras_model, permute_fc6: bool = True) -> None:
    """Every PyTorch parameter into the Keras layer of the same name, in Keras' layout."""
    modules = dict(torch_model.named_modules())
    copied = set()
    for layer in keras_model.layers:
        if not layer.weights:
            continue
        module = modules[layer.name]
        weight, bias = module.weight.detach().numpy(), module.bias.detach().numpy()
        if weight.ndim == 4:
            kernel = weight.transpose(2, 3, 1, 0)  # (O, I/groups, kh, kw) -> (kh, kw, I/groups, O)
        elif layer.name == "fc6.fc" and permute_fc6:
            kernel = _chw_to_hwc(weight).T
        else:
            kernel = weight.T
        assert [kernel.shape, bias.shape] == [tuple(v.shape) for v in layer.weights], layer.name
        layer.set_weights([kernel, bias])
        copied.add(layer.name)
    assert copied == {name for name, m in modules.items() if list(m.parameters(recurse=False))}


def _input() -> np.ndarray:
    """Centred raw RGB values (Sec. 2: the mean-subtracted pixels), NCHW."""
    rng = np.random.default_rng(1)
    return rng.uniform(-120, 120, (2, 3, PARITY_SIZE, PARITY_SIZE)).astype(np.float32)


def _outputs(torch_model, keras_model, x: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Every shared layer's output in both frameworks (NHWC), by name, in execution order."""
    import keras
    import torch

    modules = dict(torch_model.named_modules())
    names = [layer.name for layer in keras_model.layers[1:] if layer.name in modules]
    found: dict[str, np.ndarray] = {}

    def recorder(name: str) -> Callable[..., None]:
        def hook(_module, _inputs, output) -> None:
            out = output.detach().numpy()
            found[name] = out.transpose(0, 2, 3, 1) if out.ndim == 4 else _chw_to_hwc(out) if name == "flatten" else out

        return hook

    handles = [modules[name].register_forward_hook(recorder(name)) for name in names]
    try:
        with torch.no_grad():
            torch_model(torch.from_numpy(x))
    finally:
        for handle in handles:
            handle.remove()
    probe_model = keras.Model(keras_model.input, [keras_model.get_layer(name).output for name in names])
    keras_out = probe_model(x.transpose(0, 2, 3, 1), training=False)
    return {name: (found[name], keras.ops.convert_to_numpy(k)) for name, k in zip(names, keras_out, strict=True)}


def _first_divergence(outputs: dict[str, tuple[np.ndarray, np.ndarray]]) -> str | None:
    return next((name for name, (t, k) in outputs.items() if not np.max(np.abs(t - k)) <= TOLERANCE), None)


def test_copied_weights_give_the_same_output(torch_threads: int, tf_threads: int) -> None:
    torch_model, keras_model = _torch_model(), _keras_model()
    _copy_weights(torch_model, keras_model)
    outputs = _outputs(torch_model, keras_model, _input())
    torch_lrn, _ = outputs["conv1.lrn"]
    torch_relu, _ = outputs["conv1.relu"]
    assert np.max(np.abs(torch_lrn - torch_relu)) > 100 * TOLERANCE  # the normalization is at work
    torch_logits, _ = outputs["fc8.fc"]
    assert torch_logits.shape == (2, 1000) and np.std(torch_logits) > 100 * TOLERANCE
    assert _first_divergence(outputs) is None, _first_divergence(outputs)
    torch_probs, keras_probs = outputs["softmax"]
    assert np.max(np.abs(torch_probs - keras_probs)) <= TOLERANCE


@pytest.mark.parametrize("tamper", ["conv4.conv", "fc6.fc", "conv1.lrn"])
def test_a_wrong_weight_or_convention_breaks_parity(tamper: str, torch_threads: int, tf_threads: int) -> None:
    """A perturbed grouped kernel, fc6 copied without the C×H×W -> H×W×C permutation, or PyTorch's
    LocalResponseNorm given the paper's α undivided (so it uses α/n): each diverges at that layer."""
    torch_model, keras_model = _torch_model(), _keras_model()
    _copy_weights(torch_model, keras_model, permute_fc6=tamper != "fc6.fc")
    if tamper == "conv4.conv":
        layer = keras_model.get_layer(tamper)
        kernel, bias = layer.get_weights()
        kernel[..., 300] += 0.05  # output map 300 of the second group: its 3×3×192 kernel
        layer.set_weights([kernel, bias])
    elif tamper == "conv1.lrn":
        torch_model.conv1.lrn.alpha = ALPHA
    outputs = _outputs(torch_model, keras_model, _input())
    assert _first_divergence(outputs) == tamper

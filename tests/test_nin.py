"""Network In Network (Lin, Chen, Yan, arXiv 1312.4400v3): properties over the input size and the widths the
paper leaves open, the structure it prints, and numerical parity of the PyTorch and Keras implementations.

Expected values come from the paper, written here: three mlpconv layers (Fig. 2 caption, Sec. 4.1), each a
three-layer perceptron (Sec. 3.3) whose later layers are 1×1 convolutions (Sec. 3.1), each with a ReLU
(Eq. 2), each mlpconv followed by max pooling by a factor of two (Sec. 4.1), dropout on all but the last
(Sec. 4.1), one map per category averaged by global average pooling and fed to the softmax (Sec. 3.2).
The feature maps and the receptive field are not printed: hypothesis varies them.
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

CLASSES = 10  # Sec. 4.2, p. 5: CIFAR-10 "is composed of 10 classes"
TOLERANCE = 1e-4

configs = st.builds(
    lambda size, maps, kernel: Config("nin_cifar10", size, (("kernel", kernel), ("maps", maps))),
    st.integers(min_value=8, max_value=96),
    st.integers(min_value=4, max_value=64),
    st.sampled_from([1, 3, 5]),
)


@given(config=configs)
def test_sizes_halve_after_every_mlpconv(config: Config, torch_threads: int) -> None:
    trace, maps, size = probe(config, "torch"), config.kwargs()["maps"], config.input_size
    for index in (1, 2, 3):
        for layer in (1, 2, 3):
            depth = CLASSES if (index, layer) == (3, 3) else maps
            assert trace.point(f"mlpconv{index}.conv{layer}").output_shape == (size, size, depth)
        size //= 2  # "a spatial max pooling layer which down-samples the input image by a factor of two"
        assert trace.point(f"mlpconv{index}").output_shape[:2] == (size, size)
    assert trace.point("gap").output_shape == (1, 1, CLASSES)
    assert trace.point("softmax").output_shape == (CLASSES,)


@given(config=configs, other=st.integers(min_value=8, max_value=96))
def test_parameters_do_not_depend_on_the_input_size(config: Config, other: int, torch_threads: int) -> None:
    """Global average pooling has no parameters, so nothing depends on the input size (Sec. 3.2)."""
    maps, kernel = config.kwargs()["maps"], config.kwargs()["kernel"]
    expected = 0
    for cin, cout in ((3, maps), (maps, maps), (maps, CLASSES)):  # each mlpconv: k×k, then two 1×1, with biases
        expected += (cin * kernel * kernel + 1) * maps + (maps + 1) * maps + (maps + 1) * cout
    moved = Config(config.variant, other, config.options)
    assert probe(config, "torch").params == probe(moved, "torch").params == expected


@given(config=configs)
def test_keras_and_torch_traces_are_identical(config: Config, torch_threads: int, tf_threads: int) -> None:
    keras_trace, torch_trace = probe(config, "keras"), probe(config, "torch")
    assert [layer.name for layer in keras_trace.layers] == [layer.name for layer in torch_trace.layers]
    for keras_layer, torch_layer in zip(keras_trace.layers, torch_trace.layers, strict=True):
        assert keras_layer == torch_layer, keras_layer.name


@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_three_mlpconvs_of_a_three_layer_perceptron(framework: str, torch_threads: int, tf_threads: int) -> None:
    trace = probe(Config("nin_cifar10", 32), framework)
    tops = list(dict.fromkeys(layer.name.split(".")[0] for layer in trace.layers))
    assert tops == ["mlpconv1", "mlpconv2", "mlpconv3", "gap", "flatten", "softmax"]
    for index in (1, 2, 3):
        kinds = [layer.kind for layer in trace.under((f"mlpconv{index}",))]
        dropout = ["dropout"] if index < 3 else []  # "on the outputs of all but the last mlpconv layers"
        assert kinds == ["conv2d", "relu"] * 3 + dropout + ["maxpool"]
        convs = [layer for layer in trace.under((f"mlpconv{index}",)) if layer.kind == "conv2d"]
        assert [layer.kernel for layer in convs[1:]] == [(1, 1), (1, 1)]  # Sec. 3.1: 1x1 convolution kernels
        assert all(layer.stride == (1, 1) for layer in convs)


def test_analytic_macs_equal_flop_counter(torch_threads: int) -> None:
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from implementations.torch.nin import nin_cifar10

    with torch.device("meta"):
        model = nin_cifar10()
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(torch.empty(1, 3, 32, 32, device="meta"))
    assert probe(Config("nin_cifar10", 32), "torch").macs * 2 == counter.get_total_flops()


def _models():
    import keras
    import torch

    from implementations.keras.nin import nin_cifar10 as keras_nin
    from implementations.torch.nin import nin_cifar10 as torch_nin

    torch.manual_seed(0)
    torch_model = torch_nin(kernel=5).eval()
    keras.utils.set_random_seed(0)
    keras_model = keras_nin(kernel=5)
    modules = dict(torch_model.named_modules())
    copied = set()
    for layer in keras_model.layers:
        if layer.weights:
            module = modules[layer.name]
            kernel = module.weight.detach().numpy().transpose(2, 3, 1, 0)  # OIHW -> HWIO
            layer.set_weights([kernel, module.bias.detach().numpy()])
            copied.add(layer.name)
    assert copied == {name for name, m in modules.items() if list(m.parameters(recurse=False))}
    return torch_model, keras_model


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
            found[name] = out.transpose(0, 2, 3, 1) if out.ndim == 4 else out

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


def _input() -> np.ndarray:
    return np.random.default_rng(1).standard_normal((2, 3, 32, 32)).astype(np.float32) * 10


def test_copied_weights_give_the_same_output(torch_threads: int, tf_threads: int) -> None:
    torch_model, keras_model = _models()
    outputs = _outputs(torch_model, keras_model, _input())
    torch_scores, _ = outputs["flatten"]  # the class confidences fed to the softmax
    assert torch_scores.shape == (2, CLASSES) and np.std(torch_scores) > 100 * TOLERANCE
    assert _first_divergence(outputs) is None, _first_divergence(outputs)


def test_a_wrong_weight_breaks_parity(torch_threads: int, tf_threads: int) -> None:
    torch_model, keras_model = _models()
    layer = keras_model.get_layer("mlpconv2.conv2")
    kernel, bias = layer.get_weights()
    kernel[0, 0, :, 7] += 0.1  # one 1×1 kernel of the cross channel pooling
    layer.set_weights([kernel, bias])
    assert _first_divergence(_outputs(torch_model, keras_model, _input())) == "mlpconv2.conv2"

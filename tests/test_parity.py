"""Numerical parity of the PyTorch and Keras ResNets (implementations/torch, implementations/keras), checked
without `paperverify.equivalence`: the independent check of the engine that tests/test_models.py's parity runs.

Weights of a PyTorch model, with randomised BatchNorm statistics and affine parameters, are copied here by
layer name into the Keras model of the same configuration (not by the engine's alignment and copy); in
inference mode both must then give the same softmax output and the same logits (the output of `fc`, compared
too because a softmax over 1000 classes squashes differences) on a random 64×64 batch of two images, by
`paperverify.closeness` (the largest difference against the outputs' magnitude, with an absolute floor), and
the logits of the two images must differ by that same rule, so that agreeing on them says something. Checked:
resnet18 and resnet50 with the default shortcut option B (1×1 projections), and resnet18 with option A
(parameter-free `shortcut.subsample` / `shortcut.pad`). Negative checks show the comparison is sensitive:
a BatchNorm layer left uncopied, a 3×3 kernel copied with kh and kw swapped, or one perturbed kernel entry
must break parity, and the first diverging layer must be the one tampered with.

Known traps between the frameworks, and how they are handled:

* TensorFlow's 'same' padding with stride 2 pads (0, 1) where PyTorch pads (1, 1): the implementations put
  explicit zero padding (`*.pad*` layers) before every strided k>1 convolution and the max pool.
* BatchNorm epsilon defaults differ (Keras 1e-3, PyTorch 1e-5): both implementations set 1e-5; the
  randomised running variances here make a wrong epsilon or a swapped mean/variance visible.
* Weight layouts differ: convolution kernels are OIHW in PyTorch and HWIO in Keras, a dense kernel is the
  transposed PyTorch weight; Keras BatchNormalization weights are (gamma, beta, moving_mean,
  moving_variance). Inputs and feature maps are NCHW in PyTorch and NHWC in Keras.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras
import numpy as np
import pytest
import torch
from torch import nn

from implementations.keras import resnet as keras_resnet
from implementations.torch import resnet as torch_resnet
from paperverify.closeness import DEFAULT, Difference
from tests.weights import randomise_torch_weights

INPUT_SIZE = 64
BATCH = 2
SEED = 0


def _build_torch(name: str, shortcut: str) -> nn.Module:
    """The PyTorch model in eval mode with random, non-trivial BatchNorm parameters and statistics."""
    torch.manual_seed(SEED)
    model = getattr(torch_resnet, name)(shortcut=shortcut)
    return randomise_torch_weights(model, SEED + 1).eval()


def _build_keras(name: str, shortcut: str) -> keras.Model:
    keras.utils.set_random_seed(SEED)
    return getattr(keras_resnet, name)(input_size=INPUT_SIZE, input_channels=3, shortcut=shortcut)


def _numpy(tensor: torch.Tensor) -> np.ndarray:
    return tensor.detach().cpu().numpy()


def _keras_weights(module: nn.Module, layer: keras.layers.Layer) -> list[np.ndarray]:
    """The PyTorch module's parameters in the layout and order the Keras layer expects."""
    if isinstance(layer, keras.layers.Conv2D) and isinstance(module, nn.Conv2d):
        assert module.bias is None and not layer.use_bias, layer.name
        return [_numpy(module.weight).transpose(2, 3, 1, 0)]  # OIHW -> HWIO
    if isinstance(layer, keras.layers.BatchNormalization) and isinstance(module, nn.BatchNorm2d):
        assert layer.epsilon == module.eps, (layer.name, layer.epsilon, module.eps)
        return [_numpy(t) for t in (module.weight, module.bias, module.running_mean, module.running_var)]
    if isinstance(layer, keras.layers.Dense) and isinstance(module, nn.Linear):
        return [_numpy(module.weight).T, _numpy(module.bias)]
    raise TypeError(f"no weight mapping for {layer.name}: {type(layer).__name__} <- {type(module).__name__}")


def _copy_weights(torch_model: nn.Module, keras_model: keras.Model, skip: Collection[str] = ()) -> None:
    """Copies every PyTorch parameter into the Keras layer of the same name, except the layers in `skip`.

    Fails if a Keras layer with weights has no PyTorch counterpart or a PyTorch module with parameters is
    left out, so that a renamed layer cannot silently keep its random Keras initialisation.
    """
    modules = dict(torch_model.named_modules())
    with_params = {name for name, m in modules.items() if any(True for _ in m.parameters(recurse=False))}
    copied: set[str] = set()
    for layer in keras_model.layers:
        if not layer.weights:
            continue
        assert layer.name in modules, f"Keras layer {layer.name} has no PyTorch module of that name"
        weights = _keras_weights(modules[layer.name], layer)
        assert [w.shape for w in weights] == [tuple(v.shape) for v in layer.weights], layer.name
        if layer.name not in skip:
            layer.set_weights(weights)
        copied.add(layer.name)
    assert copied == with_params, f"unmatched: {sorted(copied ^ with_params)}"
    assert set(skip) <= copied, f"cannot skip what is not there: {sorted(set(skip) - copied)}"


def _random_input() -> np.ndarray:
    """A random NCHW batch."""
    return np.random.default_rng(SEED).standard_normal((BATCH, 3, INPUT_SIZE, INPUT_SIZE)).astype(np.float32)


def _run_torch(model: nn.Module, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Softmax output and logits (the output of `fc`) of the PyTorch model."""
    logits: list[torch.Tensor] = []
    handle = model.get_submodule("fc").register_forward_hook(lambda _m, _i, out: logits.append(out))
    try:
        with torch.no_grad():
            probs = model(torch.from_numpy(x))
    finally:
        handle.remove()
    return _numpy(probs), _numpy(logits[0])


def _run_keras(model: keras.Model, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Softmax output and logits (the output of `fc`) of the Keras model, on the NCHW batch `x`."""
    both = keras.Model(model.input, [model.output, model.get_layer("fc").output])
    probs, logits = both(x.transpose(0, 2, 3, 1), training=False)
    return keras.ops.convert_to_numpy(probs), keras.ops.convert_to_numpy(logits)


def _layer_differences(torch_model: nn.Module, keras_model: keras.Model, x: np.ndarray) -> dict[str, Difference]:
    """The difference (`paperverify.closeness`) of every layer output the two models share by name, in Keras
    layer order."""
    modules = dict(torch_model.named_modules())
    names = [layer.name for layer in keras_model.layers[1:] if layer.name in modules]
    outputs: dict[str, np.ndarray] = {}

    def recorder(name: str) -> Callable[[nn.Module, object, torch.Tensor], None]:
        def hook(_module: nn.Module, _inputs: object, output: torch.Tensor) -> None:
            assert name not in outputs, f"{name} called twice"
            outputs[name] = _numpy(output)

        return hook

    handles = [modules[name].register_forward_hook(recorder(name)) for name in names]
    try:
        with torch.no_grad():
            torch_model(torch.from_numpy(x))
    finally:
        for handle in handles:
            handle.remove()
    probe = keras.Model(keras_model.input, [keras_model.get_layer(name).output for name in names])
    keras_outputs = probe(x.transpose(0, 2, 3, 1), training=False)
    differences = {}
    for name, keras_out in zip(names, keras_outputs, strict=True):
        torch_out = outputs[name]
        if torch_out.ndim == 4:
            torch_out = torch_out.transpose(0, 2, 3, 1)  # NCHW -> NHWC
        differences[name] = DEFAULT.compare(torch_out, keras.ops.convert_to_numpy(keras_out))
    return differences


def _first_divergence(differences: dict[str, Difference]) -> str | None:
    """The first layer whose outputs are not close (or are NaN or infinite in either model)."""
    return next((name for name, difference in differences.items() if not difference.close), None)


def _report(torch_model: nn.Module, keras_model: keras.Model, x: np.ndarray) -> str:
    """Where the two models part, for an assertion message."""
    differences = _layer_differences(torch_model, keras_model, x)
    first = _first_divergence(differences)
    if first is None:
        return f"no shared layer output differs beyond {DEFAULT}"
    return f"first diverging layer: {first} ({differences[first]})"


@pytest.mark.parametrize(
    ("name", "shortcut"),
    [("resnet18", "B"), ("resnet50", "B"), ("resnet18", "A")],
    ids=["resnet18-B", "resnet50-B", "resnet18-A"],
)
def test_copied_weights_give_the_same_output(name: str, shortcut: str) -> None:
    torch_model = _build_torch(name, shortcut)
    keras_model = _build_keras(name, shortcut)
    _copy_weights(torch_model, keras_model)
    x = _random_input()

    torch_probs, torch_logits = _run_torch(torch_model, x)
    keras_probs, keras_logits = _run_keras(keras_model, x)

    assert torch_logits.shape == keras_logits.shape == (BATCH, 1000)
    # The two images' logits must differ by the rule, or agreeing by it would say nothing about the network.
    assert not DEFAULT.compare(torch_logits[0], torch_logits[1]).close, torch_logits
    logits, probs = DEFAULT.compare(torch_logits, keras_logits), DEFAULT.compare(torch_probs, keras_probs)
    if not (logits.close and probs.close):
        where = _report(torch_model, keras_model, x)
        pytest.fail(f"logits: {logits}; outputs: {probs}; beyond {DEFAULT}; {where}")


def _tamper(keras_model: keras.Model, name: str, tamper: str) -> None:
    """Spoils the copied weights of one layer: a single kernel entry, or a kernel with kh and kw swapped."""
    layer = keras_model.get_layer(name)
    kernel = layer.get_weights()[0]
    if tamper == "perturb":
        kernel[3, 3, 0, 0] += 0.1
    elif tamper == "swap_hw":  # OIHW -> WHIO instead of HWIO: the shapes agree for a square kernel
        kernel = kernel.transpose(1, 0, 2, 3)
    else:
        raise ValueError(tamper)
    layer.set_weights([kernel])


@pytest.mark.parametrize(
    ("tampered", "tamper"),
    [
        ("conv3_x.conv3_1.shortcut.bn", "skip"),
        ("conv3_x.conv3_2.conv1", "swap_hw"),
        ("conv1.conv", "perturb"),
    ],
)
def test_a_wrong_weight_breaks_parity(tampered: str, tamper: str) -> None:
    torch_model = _build_torch("resnet18", "B")
    keras_model = _build_keras("resnet18", "B")
    _copy_weights(torch_model, keras_model, skip={tampered} if tamper == "skip" else ())
    if tamper != "skip":
        _tamper(keras_model, tampered, tamper)
    x = _random_input()

    _, torch_logits = _run_torch(torch_model, x)
    _, keras_logits = _run_keras(keras_model, x)

    assert not DEFAULT.compare(torch_logits, keras_logits).close
    assert _first_divergence(_layer_differences(torch_model, keras_model, x)) == tampered

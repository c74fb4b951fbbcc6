"""GoogLeNet (Szegedy et al., arXiv 1409.4842v1): what Table 1 (p. 6), Sec. 5 and Figure 3 predict at any
input size, and a negative control of parity.

Expected values come from the paper, written out here, never from the implementations' spec:
- Table 1's filters per branch and output depths; each module's output depth is the sum of its branches;
- sizes follow the convolution arithmetic of Table 1's patch sizes and strides (every k×k layer padded by
  k // 2: conv1 7×7/2, four 3×3/2 max pools; everything else keeps the size), global average pool to 1×1;
- every convolution is followed by a ReLU (Sec. 5, p. 6); LocalRespNorm after pool1 and conv2 (Figure 3, p. 7)
  computes AlexNet's formula (Sec. 3.3 of Krizhevsky et al.);
- a filter changed in the weights copied into our Keras model makes `tests.parity` part the two at that layer.

The generic invariants (Keras trace == PyTorch trace, parameters independent of the input size, multiply-adds
against torch.utils.flop_counter, parity both ways) are tests/test_models.py's.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import given

from paperverify.claims import Config
from paperverify.closeness import DEFAULT, assert_close
from paperverify.probes import probe
from tests.models import CASES
from tests.parity import parity, perturb

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

configs = CASES["googlenet"].configs


def configured(size: int, **options: object) -> Config:
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


@given(config=configs)
def test_sizes_and_channels_follow_table1(config: Config, torch_threads: int) -> None:
    trace = probe(config, "torch")
    depths = {"conv1": 64, "pool1": 64, "conv2": 192, "pool2": 192, "pool3": 480, "pool4": 832, "avgpool": 1024}
    depths |= {name: row[-1] for name, row in TABLE1.items()}
    for point, side in expected_sides(config.input_size).items():
        assert trace.point(point).output_shape == (side, side, depths[point]), point
    assert trace.point("fc").output_shape == (1000,)


@given(config=configs)
def test_every_module_concatenates_its_branches(config: Config, torch_threads: int) -> None:
    trace = probe(config, "torch")
    for module, row in TABLE1.items():
        shapes = [trace.point(module + branch).output_shape for branch in BRANCHES]
        assert [shape[-1] for shape in shapes] == list(row[:6]), module
        outputs = [shapes[0], shapes[2], shapes[4], shapes[5]]  # branch1, branch2.conv, branch3.conv, branch4.proj
        assert len({shape[:2] for shape in outputs}) == 1, module
        concat = trace.point(module)
        assert concat.kind == "concat" and concat.output_shape == (*outputs[0][:2], sum(s[-1] for s in outputs))
        assert concat.output_shape[-1] == row[-1], module


@pytest.mark.parametrize("framework", ["torch", "keras"])
@pytest.mark.parametrize("aux_logits", [False, True])
def test_every_convolution_is_followed_by_a_relu(framework: str, aux_logits: bool, torch_threads, tf_threads) -> None:
    layers = probe(configured(224, aux_logits=aux_logits), framework).layers
    convolutions = [index for index, layer in enumerate(layers) if layer.kind == "conv2d"]
    assert len(convolutions) == 57 + (2 if aux_logits else 0)  # conv1, 2 in conv2, 6 in each of 9 modules
    for index in convolutions:
        follower = layers[index + 1]
        assert follower.kind == "relu" and follower.input_shapes[0] == layers[index].output_shape, layers[index].name


@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_patch_sizes_and_strides_of_table1(framework: str, torch_threads: int, tf_threads: int) -> None:
    trace = probe(configured(224), framework)
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


def module_weights(cin: int, n1: int, r3: int, n3: int, r5: int, n5: int, proj: int) -> int:
    """An inception module's weights from Table 1's filter counts: 1×1, 1×1 then 3×3, 1×1 then 5×5, pool proj."""
    return cin * n1 + cin * r3 + 9 * r3 * n3 + cin * r5 + 25 * r5 * n5 + cin * proj


@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_table1s_params_column_counts_weights_with_or_without_biases(framework, torch_threads, tf_threads) -> None:
    """Table 1's params count weights only (p. 6: linear 1000K = 1024·1000): measured as `weights`, a model with
    biases and one without give the same count, the paper's arithmetic; their parameters differ by the biases."""
    with_bias, without = (probe(configured(224, bias=bias), framework) for bias in (True, False))
    inputs = {"inception_3a": 192, "inception_4a": 480, "inception_5a": 832}
    expected = {"conv2": 64 * 64 + 9 * 64 * 192, "fc": 1024 * 1000}
    expected |= {name: module_weights(cin, *TABLE1[name][:6]) for name, cin in inputs.items()}
    for point, weights in expected.items():
        layers = with_bias.under((point,))
        assert sum(layer.weights for layer in layers) == weights, point
        assert sum(layer.weights for layer in without.under((point,))) == weights, point
        assert sum(layer.params for layer in layers) == weights + sum(
            layer.output_shape[-1] for layer in layers if layer.kind in ("conv2d", "dense")
        ), point


def alexnet_lrn(a: np.ndarray, alpha: float = 1e-4) -> np.ndarray:
    """AlexNet's local response normalisation (Sec. 3.3, p. 4) across the last axis of the NHWC `a`:
    b_i = a_i / (k + α Σ_j a_j²)^β, j from max(0, i − n/2) to min(N − 1, i + n/2), k = 2, n = 5, β = 0.75."""
    squares = np.pad(a.astype(np.float64) ** 2, [(0, 0), (0, 0), (0, 0), (2, 2)])
    sums = sum(squares[..., j : j + a.shape[-1]] for j in range(5))
    return a / (2 + alpha * sums) ** 0.75


def test_local_response_norm_follows_alexnets_formula(torch_threads: int, tf_threads: int) -> None:
    """norm1 of both models against AlexNet's formula with α = 1e-4, on inputs large enough for the sum to
    matter: neither the sum left out nor α divided by n (PyTorch's LocalResponseNorm convention) would pass."""
    import keras
    import torch

    from implementations.keras.googlenet import googlenet as keras_googlenet
    from implementations.torch.googlenet import googlenet as torch_googlenet

    a = 30 * np.random.default_rng(1).random((2, 5, 5, 12)).astype(np.float32)  # NHWC, >= 0 as after a ReLU
    expected = alexnet_lrn(a)
    assert not DEFAULT.compare(expected, a / 2**0.75).close  # the sum term is not negligible here
    assert not DEFAULT.compare(expected, alexnet_lrn(a, 1e-4 / 5)).close  # nor is α's scale

    norm = keras_googlenet(input_size=32, input_channels=3).get_layer("norm1")
    keras_out = keras.ops.convert_to_numpy(norm(a))
    with torch.no_grad():
        torch_out = torch_googlenet().norm1(torch.from_numpy(a.transpose(0, 3, 1, 2))).numpy().transpose(0, 2, 3, 1)
    assert_close(keras_out, expected, what="Keras norm1")
    assert_close(torch_out, expected, what="PyTorch norm1")


def test_a_wrong_weight_breaks_parity(torch_threads: int, tf_threads: int) -> None:
    """One filter of inception_4c's 5×5 convolution changed in the Keras copy: the outputs part there."""
    tampered = "inception_4c.branch3.conv.conv"
    result = parity("googlenet", "torch", size=CASES["googlenet"].parity_size, tamper={tampered: perturb((..., 0))})
    assert not result.equivalent, result.describe()
    assert result.first_layer is not None and result.first_layer.ours == tampered, result.describe()
    assert result.first_point is not None and result.first_point.point == "inception_4c.branch3.conv"

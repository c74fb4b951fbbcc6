"""Network In Network (Lin, Chen, Yan, arXiv 1312.4400v3): properties over the input size and the widths the
paper leaves open, the structure it prints, and a negative control of the numerical parity.

Expected values come from the paper, written here: three mlpconv layers (Fig. 2 caption, Sec. 4.1), each a
three-layer perceptron (Sec. 3.3) whose later layers are 1×1 convolutions (Sec. 3.1), each with a ReLU
(Eq. 2), each mlpconv followed by max pooling by a factor of two (Sec. 4.1), dropout on all but the last
(Sec. 4.1), one map per category averaged by global average pooling and fed to the softmax (Sec. 3.2).
The feature maps and the receptive field are not printed: hypothesis varies them (tests/models.py's space).

The generic invariants (identical Keras and PyTorch traces, parameters against the input size, the flop
counter, parity both ways) are tests/test_models.py's. The negative control runs the same parity
(`tests.parity`, our PyTorch model against our Keras implementation at 32×32) with one 1×1 kernel of the
cross channel pooling perturbed: the outputs must part at that layer.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import given

from paperverify.claims import Config
from paperverify.probes import probe
from tests.models import CASES
from tests.parity import parity, perturb

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

CLASSES = 10  # Sec. 4.2, p. 5: CIFAR-10 "is composed of 10 classes"

# Inputs of 8 to 96 pixels, 4 to 64 maps in the hidden layers, a 1×1, 3×3 or 5×5 receptive field in the first.
configs = CASES["nin_cifar10"].configs


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


@given(config=configs)
def test_parameters_follow_the_mlpconv_structure(config: Config, torch_threads: int) -> None:
    """Each mlpconv: a k×k convolution, then two 1×1 (Sec. 3.1), each with a bias; the last one's maps are the
    classes (Sec. 3.2). Global average pooling adds no parameters."""
    maps, kernel = config.kwargs()["maps"], config.kwargs()["kernel"]
    expected = 0
    for cin, cout in ((3, maps), (maps, maps), (maps, CLASSES)):
        expected += (cin * kernel * kernel + 1) * maps + (maps + 1) * maps + (maps + 1) * cout
    assert probe(config, "torch").params == expected


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


def test_a_wrong_weight_breaks_parity(torch_threads: int, tf_threads: int) -> None:
    """Output map 7 of mlpconv2's cross channel pooling (its 1×1 kernels over every input map) perturbed."""
    tamper = {"mlpconv2.conv2": perturb((Ellipsis, 7), 0.1)}
    result = parity("nin_cifar10", "torch", size=CASES["nin_cifar10"].parity_size, tamper=tamper)
    assert not result.equivalent, result.describe()
    assert result.first_layer is not None and result.first_layer.ours == "mlpconv2.conv2", result.describe()
    assert result.first_point is not None and result.first_point.point == "mlpconv2", result.describe()

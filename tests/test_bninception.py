"""BN-Inception (Ioffe & Szegedy, arXiv 1502.03167v3): what Figure 5 (p. 11), the appendix (pp. 9-10) and
Secs. 3.2 and 4.2 (pp. 5-6) predict at any input size, and a negative control of parity.

Expected values come from the paper, written out here, never from the implementations' spec:
- Figure 5's filters per branch; each module's output depth is the sum of its branches' outputs, a
  pass-through branch keeping the module's input depth (608 for 4c and 4d and 1056 for 4e, where Figure 5
  prints totals its own filters do not add up to; see the errata in reference_tables/ioffe2015_bninception);
- sizes follow the convolution arithmetic of Figure 5's patch sizes and strides (every k×k layer padded by
  k // 2: conv1 7×7/2, the 3×3/2 max pools, the 'stride 2' modules 3c and 4e), global average pool to 1×1;
- every convolution has no bias and is followed by BatchNorm, then ReLU (Sec. 3.2, p. 5; Sec. 4.2, p. 6);
- a moving variance changed in the BatchNorm statistics copied into our Keras model makes `tests.parity`
  part the two at that BatchNorm.

The generic invariants (Keras trace == PyTorch trace, parameters independent of the input size, multiply-adds
against torch.utils.flop_counter, parity both ways with random BatchNorm statistics) are tests/test_models.py's.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import given

from paperverify.claims import Config
from paperverify.probes import probe
from paperverify.probes.numeric import Weights
from tests.models import CASES
from tests.parity import parity

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

# Figure 5, p. 11: #1×1, #3×3 reduce, #3×3, double #3×3 reduce, double #3×3, Pool +proj (pool, projection or
# None for "pass through"), and the module's stride ("stride 2" in the patch size/stride column).
FIGURE5 = {
    "inception_3a": (64, 64, 64, 64, 96, "avg", 32, 1),
    "inception_3b": (64, 64, 96, 64, 96, "avg", 64, 1),
    "inception_3c": (0, 128, 160, 64, 96, "max", None, 2),
    "inception_4a": (224, 64, 96, 96, 128, "avg", 128, 1),
    "inception_4b": (192, 96, 128, 96, 128, "avg", 128, 1),
    "inception_4c": (160, 128, 160, 128, 160, "avg", 128, 1),
    "inception_4d": (96, 128, 192, 160, 192, "avg", 128, 1),
    "inception_4e": (0, 128, 192, 192, 256, "max", None, 2),
    "inception_5a": (352, 192, 320, 160, 224, "avg", 128, 1),
    "inception_5b": (352, 192, 320, 192, 224, "max", 128, 1),
}
POOL_KIND = {"avg": "avgpool", "max": "maxpool"}

configs = CASES["bn_inception"].configs


def configured(size: int) -> Config:
    return Config("bn_inception", size)


def out_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """Convolution arithmetic: floor((size + 2·padding − kernel) / stride) + 1."""
    return (size + 2 * padding - kernel) // stride + 1


def expected_shapes(size: int) -> dict[str, tuple[int, int, int]]:
    """H×W×C of every named point of Figure 5 at input size×size; module depths from the printed filters."""
    side = out_size(size, 7, 2, 3)  # convolution* 7×7/2
    shapes = {"conv1": (side, side, 64)}
    side = out_size(side, 3, 2, 1)  # max pool 3×3/2
    shapes["pool1"] = (side, side, 64)
    shapes["conv2"] = (side, side, 192)  # convolution 3×3/1
    side = out_size(side, 3, 2, 1)
    shapes["pool2"] = (side, side, 192)
    channels = 192
    for module, (n1x1, _, n3x3, _, double, _, proj, stride) in FIGURE5.items():
        side = out_size(side, 3, stride, 1)
        channels = n1x1 + n3x3 + double + (channels if proj is None else proj)
        shapes[module] = (side, side, channels)
    shapes["avgpool"] = (1, 1, channels)
    return shapes


@given(config=configs)
def test_sizes_follow_the_strides_of_figure5(config: Config, torch_threads: int) -> None:
    trace = probe(config, "torch")
    for point, shape in expected_shapes(config.input_size).items():
        assert trace.point(point).output_shape == shape, point
    assert trace.point("fc").output_shape == (1000,)


@given(config=configs)
def test_every_module_concatenates_its_branches(config: Config, torch_threads: int) -> None:
    trace = probe(config, "torch")
    for module, (n1x1, reduce3, n3x3, reduce_double, double, _, proj, _) in FIGURE5.items():
        module_input = trace.under((module,))[0].input_shapes[0]
        branches = {
            "branch2.reduce": reduce3,
            "branch2.conv": n3x3,
            "branch3.reduce": reduce_double,
            "branch3.conv1": double,
            "branch3.conv2": double,
            "branch4": module_input[-1] if proj is None else proj,  # "pass through" keeps the input's depth
        }
        if n1x1:
            branches["branch1"] = n1x1
        else:  # "#1×1" 0: no such branch
            assert not trace.under((f"{module}.branch1",)), module
        shapes = {name: trace.point(f"{module}.{name}").output_shape for name in branches}
        assert {name: shape[-1] for name, shape in shapes.items()} == branches, module
        outputs = [shapes[name] for name in ("branch1", "branch2.conv", "branch3.conv2", "branch4") if name in shapes]
        assert len({shape[:2] for shape in outputs}) == 1, module
        concat = trace.point(module)
        assert concat.kind == "concat" and concat.output_shape == (*outputs[0][:2], sum(s[-1] for s in outputs))


@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_every_convolution_is_normalised_before_its_relu_and_has_no_bias(framework: str, torch_threads, tf_threads):
    """Sec. 3.2, p. 5: z = g(BN(Wu)), the bias dropped, a pair γ, β per feature map; conv1's depthwise part is
    followed by its pointwise part (one separable convolution, p. 10)."""
    layers = probe(configured(224), framework).layers
    convolutions = [index for index, layer in enumerate(layers) if layer.kind == "conv2d"]
    # conv1 (depthwise, pointwise), conv2 (2), and per module 1×1 + 2 + 3 + projection, less the absent ones.
    assert len(convolutions) == 2 + 2 + 10 * 7 - 2 * 2
    for index in convolutions:
        conv, follower = layers[index], layers[index + 1]
        (cin,) = {shape[-1] for shape in conv.input_shapes}
        assert conv.params == conv.kernel[0] * conv.kernel[1] * cin // conv.groups * conv.channels, conv.name
        if conv.name == "conv1.depthwise":
            assert follower.name == "conv1.pointwise"
            continue
        relu = layers[index + 2]
        assert follower.kind == "batchnorm" and follower.params == follower.buffers == 2 * conv.channels, conv.name
        assert relu.kind == "relu" and relu.input_shapes[0] == follower.output_shape == conv.output_shape, conv.name
    assert sum(layer.kind == "batchnorm" for layer in layers) == len(convolutions) - 1


@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_patch_sizes_strides_and_pools_of_figure5(framework: str, torch_threads: int, tf_threads: int) -> None:
    trace = probe(configured(224), framework)
    # convolution* 7×7/2: "separable convolution with depth multiplier 8 on the first convolutional layer"
    depthwise, pointwise = trace.point("conv1.depthwise"), trace.point("conv1.pointwise")
    assert (depthwise.kernel, depthwise.stride, depthwise.groups, depthwise.channels) == ((7, 7), (2, 2), 3, 3 * 8)
    assert (pointwise.kernel, pointwise.stride, pointwise.channels) == ((1, 1), (1, 1), 64)
    for name, kernel, stride in (("pool1.pool", 3, 2), ("conv2.conv.conv", 3, 1), ("pool2.pool", 3, 2)):
        record = trace.point(name)
        assert (record.kernel, record.stride) == ((kernel, kernel), (stride, stride)), name
    for module, (*_, pool, _, stride) in FIGURE5.items():
        layers = trace.under((module,))
        assert not [layer.name for layer in layers if layer.kind == "conv2d" and layer.kernel not in ((1, 1), (3, 3))]
        strided = {layer.name for layer in layers if layer.stride not in (None, (1, 1))}
        if stride == 2:  # "stride-2 convolution/pooling layers ... before the filter concatenation" (p. 10)
            pooled = f"{module}.branch4.pool.pool"
            assert strided == {f"{module}.branch2.conv.conv", f"{module}.branch3.conv2.conv", pooled}, module
        else:
            assert not strided, module
            pooled = f"{module}.branch4.pool"
        record = trace.point(pooled)
        assert (record.kind, record.kernel) == (POOL_KIND[pool], (3, 3)), module
        double = [layer.kernel for layer in trace.under((f"{module}.branch3",)) if layer.kind == "conv2d"]
        assert double == [(1, 1), (3, 3), (3, 3)], module  # reduce, then two 3×3 (p. 6 and p. 9)
    avgpool = trace.point("avgpool")  # avg pool 7×7/1: global, sees 7×7 at 224
    assert avgpool.input_shapes[0][:2] == (7, 7) and avgpool.output_shape[:2] == (1, 1)


@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_layers_the_text_adds_and_removes(framework: str, torch_threads: int, tf_threads: int) -> None:
    trace = probe(configured(224), framework)
    kinds = [layer.kind for layer in trace.layers]
    # Sec. 4.2: no fully-connected layer but the top softmax's; Sec. 4.2.1: no dropout, no LRN.
    assert kinds.count("dense") == 1 and trace.layers[-2].name == "fc" and kinds[-1] == "softmax"
    assert "dropout" not in kinds and "lrn" not in kinds
    # Appendix: no pooling between two modules; three modules take 28×28 maps.
    tops = list(dict.fromkeys(layer.name.split(".")[0] for layer in trace.layers))
    assert tops == ["conv1", "pool1", "conv2", "pool2", *FIGURE5, "avgpool", "flatten", "fc", "softmax"]
    at_28 = [m for m in FIGURE5 if trace.under((m,))[0].input_shapes[0][:2] == (28, 28)]
    assert at_28 == ["inception_3a", "inception_3b", "inception_3c"]


def variance_times_four(weights: Weights, _flattened: object) -> Weights:
    """A BatchNorm whose first channel's moving variance is four times what was copied."""
    var = weights.var.copy()
    var[0] *= 4
    weights.var = var
    return weights


def test_a_wrong_batchnorm_statistic_breaks_parity(torch_threads: int, tf_threads: int) -> None:
    """One moving variance of a BatchNorm of inception_4c changed in the Keras copy: the outputs part there."""
    tampered = "inception_4c.branch3.conv1.bn"
    size = CASES["bn_inception"].parity_size
    result = parity("bn_inception", "torch", size=size, tamper={tampered: variance_times_four})
    assert not result.equivalent, result.describe()
    assert result.first_layer is not None and result.first_layer.ours == tampered, result.describe()
    assert result.first_point is not None and result.first_point.point == "inception_4c.branch3.conv1"

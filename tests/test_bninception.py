"""BN-Inception (Ioffe & Szegedy, arXiv 1502.03167v3): what Figure 5 (p. 11), the appendix (pp. 9-10) and
Secs. 3.2 and 4.2 (pp. 5-6) predict at any input size, the two frameworks against each other, and numerical
parity.

Expected values come from the paper, written out here, never from the implementations' spec:
- Figure 5's filters per branch; each module's output depth is the sum of its branches' outputs, a
  pass-through branch keeping the module's input depth (608 for 4c and 4d and 1056 for 4e, where Figure 5
  prints totals its own filters do not add up to; see the errata in reference_tables/ioffe2015_bninception);
- sizes follow the convolution arithmetic of Figure 5's patch sizes and strides (every k×k layer padded by
  k // 2: conv1 7×7/2, the 3×3/2 max pools, the 'stride 2' modules 3c and 4e), global average pool to 1×1;
- learnable parameters do not depend on the input size (the average pool is global);
- every convolution has no bias and is followed by BatchNorm, then ReLU (Sec. 3.2, p. 5; Sec. 4.2, p. 6);
- Keras and PyTorch traces are identical layer by layer; the analytic multiply-adds equal
  torch.utils.flop_counter's FLOPs / 2;
- PyTorch weights, with randomised BatchNorm statistics, copied into the Keras model give the same output
  (≤ 1e-4), and a tampered weight does not.
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

sizes = st.integers(min_value=32, max_value=320)


def config(size: int) -> Config:
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


@given(size=sizes)
def test_sizes_follow_the_strides_of_figure5(size: int, torch_threads: int) -> None:
    trace = probe(config(size), "torch")
    for point, shape in expected_shapes(size).items():
        assert trace.point(point).output_shape == shape, point
    assert trace.point("fc").output_shape == (1000,)


@given(size=sizes)
def test_every_module_concatenates_its_branches(size: int, torch_threads: int) -> None:
    trace = probe(config(size), "torch")
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
def test_every_convolution_is_normalised_before_its_relu_and_has_no_bias(framework: str, torch_threads, tf_threads):
    """Sec. 3.2, p. 5: z = g(BN(Wu)), the bias dropped, a pair γ, β per feature map; conv1's depthwise part is
    followed by its pointwise part (one separable convolution, p. 10)."""
    layers = probe(config(224), framework).layers
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
    trace = probe(config(224), framework)
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
    trace = probe(config(224), framework)
    kinds = [layer.kind for layer in trace.layers]
    # Sec. 4.2: no fully-connected layer but the top softmax's; Sec. 4.2.1: no dropout, no LRN.
    assert kinds.count("dense") == 1 and trace.layers[-2].name == "fc" and kinds[-1] == "softmax"
    assert "dropout" not in kinds and "lrn" not in kinds
    # Appendix: no pooling between two modules; three modules take 28×28 maps.
    tops = list(dict.fromkeys(layer.name.split(".")[0] for layer in trace.layers))
    assert tops == ["conv1", "pool1", "conv2", "pool2", *FIGURE5, "avgpool", "flatten", "fc", "softmax"]
    at_28 = [m for m in FIGURE5 if trace.under((m,))[0].input_shapes[0][:2] == (28, 28)]
    assert at_28 == ["inception_3a", "inception_3b", "inception_3c"]


def test_analytic_macs_equal_flop_counter(torch_threads: int) -> None:
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from implementations.torch.bninception import bn_inception

    with torch.device("meta"):
        model = bn_inception()
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model.eval()(torch.empty(1, 3, 224, 224, device="meta"))
    assert probe(config(224), "torch").macs * 2 == counter.get_total_flops()


# Numerical parity ---------------------------------------------------------------------------------------

PARITY_SIZE = 64
TOLERANCE = 1e-4


def _torch_model():
    """The PyTorch model in eval mode, He-initialised, with random BatchNorm affine parameters and statistics."""
    import torch
    from torch import nn

    from implementations.torch.bninception import bn_inception

    torch.manual_seed(0)
    model = bn_inception()
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
            if isinstance(module, nn.Linear):
                nn.init.uniform_(module.bias, -0.1, 0.1)
            if isinstance(module, nn.BatchNorm2d):
                n = module.num_features
                module.weight.copy_(0.5 + torch.rand(n, generator=generator))
                module.bias.copy_(0.2 * torch.randn(n, generator=generator))
                module.running_mean.copy_(0.2 * torch.randn(n, generator=generator))
                module.running_var.copy_(0.5 + 1.5 * torch.rand(n, generator=generator))
    return model.eval()


def _keras_model(torch_model):
    """The Keras model with every PyTorch weight copied in by layer name."""
    import keras
    from torch import nn

    from implementations.keras.bninception import bn_inception

    keras_model = bn_inception(input_shape=(PARITY_SIZE, PARITY_SIZE, 3))
    modules = dict(torch_model.named_modules())
    copied = set()
    for layer in keras_model.layers:
        if not layer.weights:
            continue
        module = modules[layer.name]
        tensors = [t.detach().numpy() for t in module.parameters(recurse=False)]
        if isinstance(module, nn.Conv2d):
            assert isinstance(layer, keras.layers.Conv2D) and not layer.use_bias and module.bias is None
            weights = [tensors[0].transpose(2, 3, 1, 0)]  # OIHW -> HWIO (grouped: I is per group in both)
        elif isinstance(module, nn.BatchNorm2d):
            assert layer.epsilon == module.eps, layer.name
            weights = [*tensors, module.running_mean.numpy(), module.running_var.numpy()]
        else:
            weights = [tensors[0].T, tensors[1]]
        layer.set_weights(weights)
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
    names = ["conv1.relu", "inception_3c.concat", "inception_4c.branch4.pool", "inception_5b.concat", "fc", "softmax"]
    torch_out, keras_out = _outputs(torch_model, keras_model, batch, names)
    # The logits must be far from zero, or an absolute tolerance on them would check nothing.
    assert np.std(torch_out["fc"]) > 100 * TOLERANCE, np.std(torch_out["fc"])
    for name in names:
        difference = float(np.max(np.abs(torch_out[name] - keras_out[name])))
        assert difference <= TOLERANCE, (name, difference, _first_divergence(torch_model, keras_model, batch))


def test_a_wrong_batchnorm_statistic_breaks_parity(models, batch: np.ndarray) -> None:
    torch_model, keras_model = models
    layer = keras_model.get_layer("inception_4c.branch3.conv1.bn")
    weights = layer.get_weights()
    spoiled = [w.copy() for w in weights]
    spoiled[3][0] *= 4  # the moving variance of one channel
    layer.set_weights(spoiled)
    try:
        torch_out, keras_out = _outputs(torch_model, keras_model, batch, ["fc"])
        assert np.max(np.abs(torch_out["fc"] - keras_out["fc"])) > TOLERANCE
        assert _first_divergence(torch_model, keras_model, batch) == "inception_4c.branch3.conv1.bn"
    finally:
        layer.set_weights(weights)

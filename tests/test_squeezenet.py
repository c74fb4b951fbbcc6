"""SqueezeNet (Iandola et al., arXiv 1602.07360v4): what Table 1 (p. 6), Sec. 3 and 5.1 and Figure 2 predict for
any squeeze ratio, bypass and input size, the two frameworks against each other, and numerical parity.

Expected values come from the paper, written out here, never from the implementations' spec:
- Sec. 5.1, p. 8: Fire module i (fire2 is i = 0) has e_i = 128 + 128·floor(i / 2) expand filters, half of
  them 3x3 (pct3x3 = 0.5), and s_i = SR·e_i squeeze filters; its output is e1x1 + e3x3 channels;
- a Fire module's parameters: squeeze c·s + s, expand s·e1x1 + e1x1 and 3·3·s·e3x3 + e3x3 (Table 1's
  #parameter column counts biases: conv1 7·7·3·96 + 96 = 14,208), plus c·e + e for a complex bypass;
- sizes follow Table 1's kernels and strides (conv1 7x7/2, padded by 2 as the spec decides; 3x3/2 max pools;
  Fire modules keep the size), then a global average pool; ReLU after squeeze and expand (Sec. 3.3.1);
- Keras and PyTorch traces are identical; multiply-adds equal torch's flop counter's / 2;
- PyTorch weights copied into the Keras model give the same output (≤ 1e-4), and a tampered weight does not.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperverify.probes import probe
from paperverify.tables import Config

FIRES = ("fire2", "fire3", "fire4", "fire5", "fire6", "fire7", "fire8", "fire9")
# Table 1, p. 6: the max pools after conv1, fire4 and fire8.
POOL_AFTER = {"conv1": "maxpool1", "fire4": "maxpool4", "fire8": "maxpool8"}
VARIANTS = {"none": "squeezenet", "simple": "squeezenet_simple_bypass", "complex": "squeezenet_complex_bypass"}

sizes = st.integers(min_value=48, max_value=320)
# SR in (0, 1] as n/8: SR·e_i is then a whole number of filters for every e_i (multiples of 128).
ratios = st.integers(min_value=1, max_value=8).map(lambda n: n / 8)
# pct3x3 in (0, 1) as n/8 (Sec. 5.3 sweeps it in steps of 12.5%): e_i·pct3x3 is a whole number of filters.
shares = st.integers(min_value=1, max_value=7).map(lambda n: n / 8)
bypasses = st.sampled_from(sorted(VARIANTS))


def config(size: int, bypass: str = "none", **options: object) -> Config:
    return Config(VARIANTS[bypass], size, tuple(sorted(options.items())))


def out_size(size: int, kernel: int, stride: int, padding: int = 0) -> int:
    return (size + 2 * padding - kernel) // stride + 1


def widths(index: int, ratio: float, pct3x3: float = 0.5) -> tuple[int, int, int]:
    """Sec. 5.1: (s1x1, e1x1, e3x3) of Fire module i."""
    expand = 128 + 128 * (index // 2)
    return int(ratio * expand), expand - int(pct3x3 * expand), int(pct3x3 * expand)


@given(size=sizes, ratio=ratios, share=shares, bypass=bypasses)
def test_sizes_and_channels_follow_table1_and_sec5(
    size: int, ratio: float, share: float, bypass: str, torch_threads: int
) -> None:
    trace = probe(config(size, bypass, squeeze_ratio=ratio, pct3x3=share), "torch")
    side = out_size(size, 7, 2, 2)
    assert trace.point("conv1").output_shape == (side, side, 96)
    side = out_size(side, 3, 2)
    assert trace.point("maxpool1").output_shape == (side, side, 96)
    for index, fire in enumerate(FIRES):
        squeeze, expand1x1, expand3x3 = widths(index, ratio, share)
        assert trace.point(f"{fire}.squeeze").output_shape == (side, side, squeeze)
        assert trace.point(f"{fire}.expand.branch1").output_shape == (side, side, expand1x1)
        assert trace.point(f"{fire}.expand.branch2").output_shape == (side, side, expand3x3)
        assert trace.point(fire).output_shape == (side, side, expand1x1 + expand3x3)
        if fire in POOL_AFTER:
            side = out_size(side, 3, 2)
            assert trace.point(POOL_AFTER[fire]).output_shape == (side, side, expand1x1 + expand3x3)
    assert trace.point("conv10").output_shape == (side, side, 1000)
    assert trace.point("avgpool10").output_shape == (1, 1, 1000)


@given(ratio=ratios, share=shares, bypass=bypasses)
def test_fire_parameters_follow_the_fire_module(ratio: float, share: float, bypass: str, torch_threads: int) -> None:
    trace = probe(config(224, bypass, squeeze_ratio=ratio, pct3x3=share), "torch")
    channels = 96
    total = 7 * 7 * 3 * 96 + 96
    for index, fire in enumerate(FIRES):
        s, e1, e3 = widths(index, ratio, share)
        expected = channels * s + s + s * e1 + e1 + 3 * 3 * s * e3 + e3
        if bypass == "complex" and fire in ("fire2", "fire4", "fire6", "fire8"):
            expected += channels * (e1 + e3) + e1 + e3
        assert sum(layer.params for layer in trace.under((fire,))) == expected, fire
        total += expected
        channels = e1 + e3
    total += channels * 1000 + 1000
    assert trace.params == total


@given(size=sizes, other=sizes, bypass=bypasses)
def test_parameters_do_not_depend_on_input_size(size: int, other: int, bypass: str, torch_threads: int) -> None:
    assert probe(config(size, bypass), "torch").params == probe(config(other, bypass), "torch").params


@given(size=sizes, ratio=ratios, share=shares, bypass=bypasses)
def test_keras_and_torch_traces_are_identical(
    size: int, ratio: float, share: float, bypass: str, torch_threads: int, tf_threads: int
) -> None:
    keras_trace = probe(config(size, bypass, squeeze_ratio=ratio, pct3x3=share), "keras")
    torch_trace = probe(config(size, bypass, squeeze_ratio=ratio, pct3x3=share), "torch")
    assert [layer.name for layer in keras_trace.layers] == [layer.name for layer in torch_trace.layers]
    for keras_layer, torch_layer in zip(keras_trace.layers, torch_trace.layers, strict=True):
        assert keras_layer == torch_layer, keras_layer.name


@pytest.mark.parametrize("framework", ["torch", "keras"])
@pytest.mark.parametrize("bypass", sorted(VARIANTS))
def test_layers_of_sec3_and_sec6(framework: str, bypass: str, torch_threads: int, tf_threads: int) -> None:
    trace = probe(config(224, bypass), framework)
    layers = trace.layers
    names = [layer.name for layer in layers]
    assert not any(layer.kind == "dense" for layer in layers)  # "the lack of fully-connected layers"
    assert names.index("dropout") == names.index(trace.point("fire9").name) + 1  # dropout after fire9
    for fire in FIRES:
        for part in ("squeeze", "expand.branch1", "expand.branch2"):
            conv = trace.point(f"{fire}.{part}.conv")
            assert layers[names.index(conv.name) + 1].kind == "relu", conv.name  # ReLU on squeeze and expand
        expand3x3 = trace.point(f"{fire}.expand.branch2.conv")
        assert expand3x3.input_shapes[0][:2] == (expand3x3.output_shape[0] + 2,) * 2  # padded by 1
        adds = [layer for layer in trace.under((fire,)) if layer.kind == "add"]
        shortcut = [layer for layer in trace.under((fire,)) if layer.on_shortcut]
        simple = bypass != "none" and fire in ("fire3", "fire5", "fire7", "fire9")
        complex_ = bypass == "complex" and fire in ("fire2", "fire4", "fire6", "fire8")
        assert len(adds) == (1 if simple or complex_ else 0), fire
        if complex_:
            [conv] = shortcut
            assert conv.kind == "conv2d" and conv.kernel == (1, 1)
            assert conv.channels == trace.point(f"{fire}.expand.concat").output_shape[-1]
        else:
            assert shortcut == [], fire
    assert trace.depth == 18  # conv1, 2 per Fire module (Table 1's depth column), conv10


@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_filter_sizes_and_strides_of_table1(framework: str, torch_threads: int, tf_threads: int) -> None:
    trace = probe(config(224), framework)
    for name, kernel, stride in (
        ("conv1.conv", 7, 2),
        ("maxpool1", 3, 2),
        ("maxpool4", 3, 2),
        ("maxpool8", 3, 2),
        ("conv10.conv", 1, 1),
    ):
        [record] = trace.under((name,))
        assert (record.kernel, record.stride) == ((kernel, kernel), (stride, stride)), name
    assert trace.point("conv1.conv").channels == 96 and trace.point("conv10.conv").channels == 1000
    pool = trace.point("avgpool10")  # 13x13/1
    assert pool.input_shapes[0][:2] == (13, 13) and pool.output_shape[:2] == (1, 1)


def test_a_squeeze_ratio_or_3x3_share_without_whole_filters_is_an_error(torch_threads: int) -> None:
    from implementations.torch.squeezenet import squeezenet

    with pytest.raises(ValueError, match="squeeze_ratio · e_i must be a whole number"):
        squeezenet(squeeze_ratio=0.1)  # 0.1 · 128 = 12.8
    with pytest.raises(ValueError, match="pct3x3 · e_i must be a whole number"):
        squeezenet(pct3x3=0.01)  # Sec. 5.3's 1%: 1.28 of fire2's 128 expand filters
    with pytest.raises(ValueError, match=r"pct3x3 must be in \(0, 1\)"):
        squeezenet(pct3x3=1.0)  # no 1x1 expand filter left
    with pytest.raises(ValueError, match="bypass must be one of"):
        squeezenet(bypass="dense")


@pytest.mark.parametrize("bypass", sorted(VARIANTS))
def test_analytic_macs_equal_flop_counter(bypass: str, torch_threads: int) -> None:
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from implementations.torch.squeezenet import squeezenet

    with torch.device("meta"):
        model = squeezenet(bypass=bypass)
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(torch.empty(1, 3, 224, 224, device="meta"))
    assert probe(config(224, bypass), "torch").macs * 2 == counter.get_total_flops()


# Numerical parity ---------------------------------------------------------------------------------------

PARITY_SIZE = 64
TOLERANCE = 1e-4


def _models():
    """The complex-bypass network (every layer kind), He-initialised at half scale (without normalisation the
    bypass additions would grow the signal to hundreds, where float32 rounding alone exceeds 1e-4), and its Keras
    twin with the weights copied in by layer name (OIHW → HWIO)."""
    import torch
    from torch import nn

    from implementations.keras.squeezenet import squeezenet as keras_squeezenet
    from implementations.torch.squeezenet import squeezenet as torch_squeezenet

    torch.manual_seed(0)
    torch_model = torch_squeezenet(bypass="complex")
    with torch.no_grad():
        for module in torch_model.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
                module.weight.mul_(0.5)
                nn.init.uniform_(module.bias, -0.1, 0.1)
    torch_model.eval()
    keras_model = keras_squeezenet(input_shape=(PARITY_SIZE, PARITY_SIZE, 3), bypass="complex")
    modules = dict(torch_model.named_modules())
    copied = set()
    for layer in keras_model.layers:
        if layer.weights:
            module = modules[layer.name]
            layer.set_weights([module.weight.detach().numpy().transpose(2, 3, 1, 0), module.bias.detach().numpy()])
            copied.add(layer.name)
    assert copied == {name for name, m in modules.items() if any(True for _ in m.parameters(recurse=False))}
    return torch_model, keras_model


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
    return _models()


@pytest.fixture(scope="module")
def batch() -> np.ndarray:
    return np.random.default_rng(0).standard_normal((2, 3, PARITY_SIZE, PARITY_SIZE)).astype(np.float32)


def test_copied_weights_give_the_same_output(models, batch: np.ndarray) -> None:
    torch_model, keras_model = models
    names = ["maxpool1", "fire4.add", "fire5.add", "conv10.conv", "softmax"]
    torch_out, keras_out = _outputs(torch_model, keras_model, batch, names)
    # The class scores must be far from zero, or an absolute tolerance on them would check nothing.
    assert np.std(torch_out["conv10.conv"]) > 100 * TOLERANCE, np.std(torch_out["conv10.conv"])
    for name in torch_out:
        difference = float(np.max(np.abs(torch_out[name] - keras_out[name])))
        assert difference <= TOLERANCE, (name, difference, _first_divergence(torch_model, keras_model, batch))


def test_a_wrong_weight_breaks_parity(models, batch: np.ndarray) -> None:
    torch_model, keras_model = models
    layer = keras_model.get_layer("fire6.shortcut.conv")
    kernel, bias = layer.get_weights()
    spoiled = kernel.copy()
    spoiled[0, 0, :, 0] += 0.1
    layer.set_weights([spoiled, bias])
    try:
        torch_out, keras_out = _outputs(torch_model, keras_model, batch, ["conv10.conv"])
        assert np.max(np.abs(torch_out["conv10.conv"] - keras_out["conv10.conv"])) > TOLERANCE
        assert _first_divergence(torch_model, keras_model, batch) == "fire6.shortcut.conv"
    finally:
        layer.set_weights([kernel, bias])

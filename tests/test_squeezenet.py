"""SqueezeNet (Iandola et al., arXiv 1602.07360v4): what Table 1 (p. 6), Sec. 3, 5.1 and 6 and Figure 2 predict
for any squeeze ratio, 3x3 share, bypass and input size, and a negative control of parity.

Expected values come from the paper, written out here, never from the implementations' spec:
- Sec. 5.1, p. 8: Fire module i (fire2 is i = 0) has e_i = 128 + 128·floor(i / 2) expand filters, a share
  pct3x3 of them 3x3 (0.5 in Table 1), and s_i = SR·e_i squeeze filters; its output is e1x1 + e3x3 channels;
- a Fire module's parameters: squeeze c·s + s, expand s·e1x1 + e1x1 and 3·3·s·e3x3 + e3x3 (Table 1's
  #parameter column counts biases: conv1 7·7·3·96 + 96 = 14,208), plus c·e + e for a complex bypass; none
  depends on the input size;
- sizes follow Table 1's kernels and strides (conv1 7x7/2, padded by 2 as the spec decides; 3x3/2 max pools;
  Fire modules keep the size), then a global average pool; ReLU after squeeze and expand (Sec. 3.3.1); the
  simple and complex bypasses of Sec. 6 (Figure 2);
- a filter changed in the complex bypass copied into our Keras model makes `tests.parity` part the two there.

The generic invariants (Keras trace == PyTorch trace, parameters independent of the input size, multiply-adds
against torch.utils.flop_counter, parity both ways) are tests/test_models.py's.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperverify.claims import Config
from paperverify.probes import probe
from tests.models import CASES, SQUEEZENETS
from tests.parity import parity, perturb

FIRES = ("fire2", "fire3", "fire4", "fire5", "fire6", "fire7", "fire8", "fire9")
# Table 1, p. 6: the max pools after conv1, fire4 and fire8.
POOL_AFTER = {"conv1": "maxpool1", "fire4": "maxpool4", "fire8": "maxpool8"}
VARIANTS = {"none": "squeezenet", "simple": "squeezenet_simple_bypass", "complex": "squeezenet_complex_bypass"}
BYPASS = {variant: bypass for bypass, variant in VARIANTS.items()}

# Every variant's input sizes, squeeze ratios SR and 3x3 shares pct3x3 in eighths (whole filters for every e_i).
configs = st.sampled_from(SQUEEZENETS).flatmap(lambda variant: CASES[variant].configs)


def configured(size: int, bypass: str = "none") -> Config:
    return Config(VARIANTS[bypass], size)


def out_size(size: int, kernel: int, stride: int, padding: int = 0) -> int:
    return (size + 2 * padding - kernel) // stride + 1


def widths(index: int, ratio: float, pct3x3: float = 0.5) -> tuple[int, int, int]:
    """Sec. 5.1: (s1x1, e1x1, e3x3) of Fire module i."""
    expand = 128 + 128 * (index // 2)
    return int(ratio * expand), expand - int(pct3x3 * expand), int(pct3x3 * expand)


@given(config=configs)
def test_sizes_and_channels_follow_table1_and_sec5(config: Config, torch_threads: int) -> None:
    trace = probe(config, "torch")
    ratio, share = config.kwargs()["squeeze_ratio"], config.kwargs()["pct3x3"]
    side = out_size(config.input_size, 7, 2, 2)
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


@given(config=configs)
def test_fire_parameters_follow_the_fire_module(config: Config, torch_threads: int) -> None:
    trace = probe(config, "torch")
    ratio, share, bypass = config.kwargs()["squeeze_ratio"], config.kwargs()["pct3x3"], BYPASS[config.variant]
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


@pytest.mark.parametrize("framework", ["torch", "keras"])
@pytest.mark.parametrize("bypass", sorted(VARIANTS))
def test_layers_of_sec3_and_sec6(framework: str, bypass: str, torch_threads: int, tf_threads: int) -> None:
    trace = probe(configured(224, bypass), framework)
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
    trace = probe(configured(224), framework)
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


def test_a_wrong_weight_breaks_parity(torch_threads: int, tf_threads: int) -> None:
    """One filter of fire6's complex bypass (a 1x1 convolution on the shortcut, Sec. 6) changed in the Keras copy:
    the outputs part there."""
    tampered = "fire6.shortcut.conv"
    variant = VARIANTS["complex"]
    result = parity(variant, "torch", size=CASES[variant].parity_size, tamper={tampered: perturb((..., 0))})
    assert not result.equivalent, result.describe()
    assert result.first_layer is not None and result.first_layer.ours == tampered, result.describe()
    assert result.first_point is not None and result.first_point.point == "fire6"  # the bypass's sum

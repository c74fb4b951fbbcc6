"""Properties over the configuration space (hypothesis): what the paper's arithmetic predicts.

- per-stage output sizes follow the convolution arithmetic of Table 1's kernels and strides;
- learnable parameters do not depend on the input size;
- the Keras and PyTorch traces are identical: names, kinds, shapes, parameters, buffers, multiply-adds;
- the analytic multiply-add count equals torch.utils.flop_counter's FLOPs / 2.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperverify.probes import probe
from paperverify.tables import Config

RESNETS = ["resnet18", "resnet34", "resnet50", "resnet101", "resnet152"]
# Table 1: output channels of conv1 and of conv2_x ... conv5_x.
CHANNELS = {
    "basic": (64, 64, 128, 256, 512),
    "bottleneck": (64, 256, 512, 1024, 2048),
}

configs = st.builds(
    Config,
    variant=st.sampled_from(RESNETS),
    input_size=st.integers(min_value=32, max_value=320),
    options=st.sampled_from(["A", "B", "C"]).map(lambda option: (("shortcut", option),)),
)


def out_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """Convolution arithmetic: floor((size + 2·padding − kernel) / stride) + 1."""
    return (size + 2 * padding - kernel) // stride + 1


@given(config=configs)
def test_stage_sizes_follow_convolution_arithmetic(config: Config, torch_threads: int) -> None:
    trace = probe(config, "torch")
    size = out_size(config.input_size, 7, 2, 3)  # conv1: 7×7, 64, stride 2
    expected = {"conv1": size}
    size = out_size(size, 3, 2, 1)  # 3×3 max pool, stride 2
    expected["conv2_x"] = size
    for stage in ("conv3_x", "conv4_x", "conv5_x"):  # conv3_1, conv4_1, conv5_1 downsample by 2
        size = out_size(size, 1, 2, 0)
        expected[stage] = size
    channels = CHANNELS["basic" if config.variant in ("resnet18", "resnet34") else "bottleneck"]
    for (point, side), depth in zip(expected.items(), channels, strict=True):
        assert trace.point(point).output_shape == (side, side, depth), point
    assert trace.point("avgpool").output_shape == (1, 1, channels[-1])
    assert trace.point("fc").output_shape == (1000,)


@given(config=configs, other=st.integers(min_value=32, max_value=320))
def test_parameters_do_not_depend_on_input_size(config: Config, other: int, torch_threads: int) -> None:
    moved = Config(config.variant, other, config.options)
    assert probe(config, "torch").params == probe(moved, "torch").params


@given(config=configs)
def test_keras_and_torch_traces_are_identical(config: Config, torch_threads: int, tf_threads: int) -> None:
    keras_trace, torch_trace = probe(config, "keras"), probe(config, "torch")
    keras_names = [layer.name for layer in keras_trace.layers]
    torch_names = [layer.name for layer in torch_trace.layers]
    assert keras_names == torch_names
    for keras_layer, torch_layer in zip(keras_trace.layers, torch_trace.layers, strict=True):
        assert keras_layer == torch_layer, keras_layer.name


@pytest.mark.parametrize("variant", [*RESNETS, "plain18", "plain34"])
@pytest.mark.parametrize("shortcut", ["A", "B"])
def test_analytic_macs_equal_flop_counter(variant: str, shortcut: str, torch_threads: int) -> None:
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from paperverify.registry import get

    options = {} if variant.startswith("plain") else {"shortcut": shortcut}
    with torch.device("meta"):
        model = get(variant).builder("torch")(**options)
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(torch.empty(1, 3, 224, 224, device="meta"))
    analytic = probe(Config(variant, 224, tuple(options.items())), "torch").macs
    assert analytic * 2 == counter.get_total_flops()

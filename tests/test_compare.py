"""The checks can fail: deliberately broken models are caught at the right cell, and unknown layers raise."""

from __future__ import annotations

import pytest

from paperverify import compare
from paperverify.counting import UnknownLayerKindError, count_macs
from paperverify.tables import Claim, load_claims

CLAIMS = {claim.id: claim for claim in load_claims()}


def _claim(claim_id: str) -> Claim:
    return CLAIMS[claim_id]


def _torch_trace(model):
    from paperverify.probes.probe_torch import probe_model

    return probe_model(model, (224, 224, 3))


def _resnet50(torch_threads: int, **options):
    import torch

    from implementations.torch.resnet import resnet50

    with torch.device("meta"):
        return resnet50(**options)


def test_ten_classes_break_the_head_structure(torch_threads: int) -> None:
    trace = _torch_trace(_resnet50(torch_threads, num_classes=10))
    result = compare.judge(_claim("he2016_resnet/table1/resnet50/head/structure"), trace)
    assert result.status == "mismatch"
    assert "fc" in result.detail and "1000" in result.detail and "10" in result.detail


def test_a_stride_moved_out_of_conv3_1_breaks_the_output_size(torch_threads: int) -> None:
    model = _resnet50(torch_threads)
    for block, stride in ((model.conv3_x.conv3_1, 1), (model.conv4_x.conv4_1, 4)):
        block.conv1.stride = block.shortcut.conv.stride = (stride, stride)
    trace = _torch_trace(model)
    conv3 = compare.judge(_claim("he2016_resnet/table1/resnet50/conv3_x/output_shape"), trace)
    assert (conv3.status, conv3.measured) == ("mismatch", "56×56×512")
    conv5 = compare.judge(_claim("he2016_resnet/table1/resnet50/conv5_x/output_shape"), trace)
    assert conv5.status == "match"  # the size comes back; only the first divergence names the fault


def test_a_missing_block_breaks_the_stage_structure(torch_threads: int) -> None:
    model = _resnet50(torch_threads)
    del model.conv4_x[-1]
    trace = _torch_trace(model)
    result = compare.judge(_claim("he2016_resnet/table1/resnet50/conv4_x/structure"), trace)
    assert result.status == "mismatch"
    assert "expected 18 printed layers, found 15" in result.detail
    assert compare.judge(_claim("he2016_resnet/table1/resnet50/macs"), trace).status == "mismatch"


def test_a_missing_named_point_is_an_error_verdict_not_a_crash(torch_threads: int) -> None:
    model = _resnet50(torch_threads)
    trace = _torch_trace(model)
    kept = tuple(layer for layer in trace.layers if not layer.name.startswith("conv1."))
    renamed = type(trace)(trace.framework, trace.input_shape, kept)
    result = compare.judge(_claim("he2016_resnet/table1/resnet50/conv1/output_shape"), renamed)
    assert result.status == "error"
    assert "conv1" in result.detail


def test_an_unknown_layer_kind_raises_naming_the_layer() -> None:
    with pytest.raises(UnknownLayerKindError, match=r"layer 'stage.attention'.*'attention'"):
        count_macs("stage.attention", "attention", ((7, 7, 64),), (7, 7, 64))


def test_an_unknown_torch_module_raises_naming_the_layer(torch_threads: int) -> None:
    import torch
    from torch import nn

    from paperverify.probes.probe_torch import UnknownModuleError, probe_model

    class Mystery(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x * 2

    model = nn.Sequential()
    model.add_module("mystery", Mystery())
    with pytest.raises(UnknownModuleError, match=r"layer 'mystery'.*Mystery"):
        probe_model(model, (8, 8, 3))


def test_an_unknown_keras_layer_raises_naming_the_layer(tf_threads: int) -> None:
    import keras

    from paperverify.probes.probe_keras import UnknownLayerError, probe_model

    inputs = keras.Input((8, 8, 3))
    outputs = keras.layers.Lambda(lambda x: x * 2, name="mystery")(inputs)
    with pytest.raises(UnknownLayerError, match=r"layer 'mystery'.*Lambda"):
        probe_model(keras.Model(inputs, outputs))


@pytest.mark.parametrize(
    ("inputs", "output", "kernel", "groups", "expected"),
    [
        (((56, 56, 64),), (56, 56, 64), (3, 3), 1, 56 * 56 * 64 * 64 * 9),
        (((56, 56, 64),), (28, 28, 128), (1, 1), 1, 28 * 28 * 128 * 64),
        (((56, 56, 64),), (56, 56, 64), (3, 3), 64, 56 * 56 * 64 * 9),  # depthwise
        (((56, 56, 64),), (56, 56, 128), (1, 1), 4, 56 * 56 * 128 * 16),
    ],
)
def test_convolution_multiply_adds(inputs, output, kernel, groups, expected) -> None:
    assert count_macs("conv", "conv2d", inputs, output, kernel, groups) == expected


def test_dense_multiply_adds_count_every_position() -> None:
    assert count_macs("fc", "dense", ((2048,),), (1000,)) == 2048 * 1000
    assert count_macs("mlp", "dense", ((196, 512),), (196, 2048)) == 196 * 512 * 2048


def test_downsampling_in_the_wrong_block_is_caught_though_stage_sizes_match(torch_threads: int) -> None:
    """conv3_2 downsamples instead of conv3_1: conv3_x still ends at 28×28, the caption's claim fails."""
    import torch
    from torch import nn

    model = _resnet50(torch_threads)
    first, second = model.conv3_x.conv3_1, model.conv3_x.conv3_2
    first.conv1.stride = first.shortcut.conv.stride = (1, 1)
    second.conv1.stride = (2, 2)
    with torch.device("meta"):
        second.shortcut = nn.Conv2d(512, 512, 1, 2, bias=False)
    trace = _torch_trace(model)
    size = compare.judge(_claim("he2016_resnet/table1/resnet50/conv3_x/output_shape"), trace)
    assert size.status == "match"
    caption = compare.judge(_claim("he2016_resnet/text/table1_caption_conv3_1/resnet50"), trace)
    assert (caption.status, caption.measured) == ("mismatch", "1")


def test_a_branch_printed_with_0_filters_is_one_the_model_leaves_out() -> None:
    """BN-Inception's Figure 5 prints `#1×1` 0 for the stride-2 modules: an absent `branch1` measures 0 channels,
    a present one its filters; a missing module, or a missing point that is no branch, stays an error."""
    from dataclasses import replace
    from decimal import Decimal

    from paperverify.printed import Interval
    from paperverify.trace import LayerRecord, Trace

    claim = replace(
        _claim("szegedy2015_googlenet/table1/googlenet/inception_3a.branch1/channels"),
        printed="0",
        expected=Interval.exactly(Decimal(0)),
        point="inception_3c.branch1",
        layers=("inception_3c.branch1",),
    )

    def trace(*names: str) -> Trace:
        layers = tuple(LayerRecord(name, "conv2d", ((28, 28, 3),), (14, 14, 8), 0, 0, 0) for name in names)
        return Trace("torch", (28, 28, 3), layers)

    absent = compare.judge(claim, trace("inception_3c.branch2.conv", "inception_3c.branch4.pool"))
    assert (absent.status, absent.measured) == ("match", "0")
    present = compare.judge(claim, trace("inception_3c.branch1.conv", "inception_3c.branch2.conv"))
    assert (present.status, present.measured) == ("mismatch", "8")
    assert compare.judge(claim, trace("inception_3b.branch2.conv")).status == "error"
    not_a_branch = replace(claim, point="inception_3c.proj", layers=("inception_3c.proj",))
    assert compare.judge(not_a_branch, trace("inception_3c.branch2.conv")).status == "error"

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


def _alexnet_trace(**options):
    import torch

    from implementations.torch.alexnet import alexnet

    with torch.device("meta"):
        model = alexnet(**options)
        model.conv4.conv = torch.nn.Conv2d(384, 384, 3, 1, 1)  # one GPU's kernels seeing all 384 maps
    return _torch_trace(model)


def test_an_ungrouped_convolution_breaks_the_printed_kernel_depth(torch_threads: int) -> None:
    trace = _alexnet_trace()
    result = compare.judge(_claim("krizhevsky2012_alexnet/text/sec3.5_conv4"), trace)
    assert result.status == "mismatch"
    assert "3×3×384" in result.detail and "3×3×192" in result.detail
    assert compare.judge(_claim("krizhevsky2012_alexnet/text/sec3.5_conv3"), trace).status == "match"
    params = compare.judge(_claim("krizhevsky2012_alexnet/text/abstract_params"), trace)
    assert (params.status, params.measured) == ("mismatch", "61628776")  # 60,965,224 + 384·9·192


def test_neurons_are_the_values_a_point_outputs(torch_threads: int) -> None:
    """The caption's 253,440 is an erratum for 55·55·96; without conv1's padding the 224 input gives 54·54·96."""
    claim = _claim("krizhevsky2012_alexnet/text/fig2_caption_conv1")
    padded = compare.judge(claim, _alexnet_trace())
    assert (padded.status, padded.measured) == ("erratum", "290400")
    unpadded = compare.judge(claim, _alexnet_trace(conv1_padding=0))
    assert (unpadded.status, unpadded.measured) == ("mismatch", str(54 * 54 * 96))
    total = compare.judge(_claim("krizhevsky2012_alexnet/text/abstract_neurons"), _alexnet_trace())
    assert total.measured == str(290400 + 186624 + 64896 * 2 + 43264 + 4096 * 2 + 1000)

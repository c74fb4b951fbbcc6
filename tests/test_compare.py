"""The checks can fail: deliberately broken models are caught at the right cell, and unknown layers raise."""

from __future__ import annotations

import pytest

from paperverify import compare
from paperverify.claims import Claim
from paperverify.counting import count_connections, count_macs
from paperverify.kinds import UnknownKindError
from paperverify.tables import load_claims
from paperverify.trace import Trace

CLAIMS = {claim.id: claim for claim in load_claims()}


def _claim(claim_id: str) -> Claim:
    return CLAIMS[claim_id]


def _torch_trace(model):
    from paperverify.frameworks.torch.probe import probe_model

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
    with pytest.raises(UnknownKindError, match=r"layer 'stage.attention'.*'attention'"):
        count_macs("stage.attention", "attention", ((7, 7, 64),), (7, 7, 64))


def _unknown_layer_costs_nothing_silently(trace: Trace, origin: str) -> None:
    """A layer of a class the probe cannot tell: recorded with its shapes and parameters, of kind `unknown`;
    the totals that need its kind raise, naming the layer, its class and how to declare its kind."""
    (mystery,) = (layer for layer in trace.layers if layer.name == "mystery")
    assert (mystery.kind, mystery.origin, mystery.macs) == ("unknown", origin, None)
    assert mystery.output_shape == (8, 8, 3) and trace.params == mystery.params == 3
    for total in ("macs", "depth", "connections"):
        with pytest.raises(UnknownKindError, match=rf"mystery \({origin}\).*--kind CLASS=KIND"):
            getattr(trace, total)


def test_an_unknown_torch_module_is_recorded_and_only_its_costs_are_errors(torch_threads: int) -> None:
    import torch
    from torch import nn

    from paperverify.frameworks.torch.probe import probe_model

    class Mystery(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.gain = nn.Parameter(torch.ones(3))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x * self.gain[:, None, None]

    model = nn.Sequential()
    model.add_module("mystery", Mystery())
    _unknown_layer_costs_nothing_silently(probe_model(model, (8, 8, 3)), f"{__name__}.{Mystery.__qualname__}")


def test_an_unknown_keras_layer_is_recorded_and_only_its_costs_are_errors(tf_threads: int) -> None:
    import keras

    from paperverify.frameworks.keras.probe import no_weights, probe_model

    class Mystery(keras.layers.Layer):
        def build(self, shape: tuple[int, ...]) -> None:
            self.gain = self.add_weight(shape=(shape[-1],))

        def call(self, x):
            return x * self.gain

    with no_weights():
        inputs = keras.Input((8, 8, 3))
        model = keras.Model(inputs, Mystery(name="mystery")(inputs))
    _unknown_layer_costs_nothing_silently(probe_model(model), f"{__name__}.{Mystery.__qualname__}")


def test_a_declared_kind_names_a_users_class(torch_threads: int) -> None:
    """`kinds.declaring` (verify's `kinds=`, check's --kind): by qualified or bare class name; a kind that is not
    one is refused with the kinds there are."""
    from torch import nn

    from paperverify import kinds
    from paperverify.frameworks.torch.probe import probe_model

    class Shuffle(nn.Module):
        def forward(self, x):
            return x.roll(1, 1)  # no layer function: undeclared, the module is one layer of the unknown kind

    model = nn.Sequential()
    model.add_module("shuffle", Shuffle())
    for name in (f"{__name__}.{Shuffle.__qualname__}", Shuffle.__qualname__):
        with kinds.declaring({name: "channel_shuffle"}):
            (record,) = probe_model(model, (4, 4, 8)).layers
        assert (record.kind, record.macs, record.origin) == ("channel_shuffle", 0, None)
    assert probe_model(model, (4, 4, 8)).layers[0].kind == "unknown"  # the declaration ended with its scope
    with pytest.raises(UnknownKindError, match=r"declared kinds must be among .*Received: \{'Shuffle': 'shuffle'\}"):
        kinds.declaring({"Shuffle": "shuffle"})


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


def test_a_convolution_with_a_connection_table_counts_its_links() -> None:
    """LeNet-5's C3 (Table I): 60 connected (S2 map, C3 map) pairs of 5×5 kernels, 16 maps of 10×10."""
    assert count_macs("C3", "conv2d", ((14, 14, 6),), (10, 10, 16), (5, 5), links=60) == 10 * 10 * 60 * 25


def test_subsampling_and_rbf_multiply_adds() -> None:
    # one multiply by the map's coefficient per unit; one multiply-accumulate per RBF connection
    assert count_macs("S2", "subsample", ((28, 28, 6),), (14, 14, 6), (2, 2)) == 14 * 14 * 6
    assert count_macs("output", "rbf", ((1, 1, 84),), (1, 1, 10)) == 84 * 10
    assert count_macs("output", "rbf", ((3, 5, 84),), (3, 5, 10)) == 15 * 84 * 10


@pytest.mark.parametrize(
    ("kind", "inputs", "output", "kernel", "groups", "links", "bias", "expected"),
    [
        # LeCun et al. 1998, Sec. II.B, PDF pp. 7-8: every unit's input connections plus its bias.
        ("conv2d", ((32, 32, 1),), (28, 28, 6), (5, 5), 1, None, True, 122_304),  # C1
        ("subsample", ((28, 28, 6),), (14, 14, 6), (2, 2), 1, None, True, 5880),  # S2
        ("conv2d", ((14, 14, 6),), (10, 10, 16), (5, 5), 1, 60, True, 100 * (60 * 25 + 16)),  # C3, Table I
        ("subsample", ((10, 10, 16),), (5, 5, 16), (2, 2), 1, None, True, 2000),  # S4
        ("conv2d", ((5, 5, 16),), (1, 1, 120), (5, 5), 1, None, True, 48_120),  # C5
        ("dense", ((120,),), (84,), None, 1, None, True, 84 * 121),  # F6
        ("rbf", ((84,),), (10,), None, 1, None, False, 840),  # output: Eq. 7 has no bias
        ("conv2d", ((56, 56, 64),), (56, 56, 64), (3, 3), 1, None, False, 56 * 56 * 64 * 64 * 9),  # no bias
        ("conv2d", ((56, 56, 64),), (56, 56, 128), (1, 1), 4, None, True, 56 * 56 * (128 * 16 + 128)),
        ("dense", ((196, 512),), (196, 2048), None, 1, None, True, 196 * (512 * 2048 + 2048)),
        ("tanh", ((28, 28, 6),), (28, 28, 6), None, 1, None, False, 0),
        ("maxpool", ((56, 56, 64),), (28, 28, 64), (3, 3), 1, None, False, 0),
    ],
)
def test_connections(kind, inputs, output, kernel, groups, links, bias, expected) -> None:
    assert count_connections("layer", kind, inputs, output, kernel, groups, links, bias) == expected


def test_a_kind_without_a_connection_rule_raises_naming_the_layer() -> None:
    with pytest.raises(UnknownKindError, match=r"layer 'conv1.bn': kind 'batchnorm' has no connection rule"):
        count_connections("conv1.bn", "batchnorm", ((56, 56, 64),), (56, 56, 64))


def test_a_printed_count_of_units_is_a_one_by_one_map() -> None:
    """LeNet-5's Fig. 2 prints 'F6: layer 84': a 1×1×84 map or a vector of 84 features matches, 2×2×84 not."""
    from dataclasses import replace

    from paperverify.trace import LayerRecord, Trace

    claim = replace(_claim("he2016_resnet/table1/resnet50/conv1/output_shape"), printed="84", expected=(84,))
    for shape, status in (((1, 1, 84), "match"), ((84,), "match"), ((2, 2, 84), "mismatch")):
        record = LayerRecord("conv1", "dense", ((1, 1, 120),), shape, 0, 0, 0)
        assert compare.judge(claim, Trace("torch", (32, 32, 1), (record,))).status == status, shape


def test_sigmoid_and_channel_wise_scale() -> None:
    """SENet (arXiv 1709.01507v4, Eq. 4, p. 4): the scale multiplies each of the H·W·C values by its channel's gate
    (one multiply each); the sigmoid counts zero, like every activation. Neither holds a weight: no connections."""
    assert count_macs("se.scale", "multiply", ((56, 56, 256), (256,)), (56, 56, 256)) == 56 * 56 * 256
    assert count_macs("se.sigmoid", "sigmoid", ((256,),), (256,)) == 0
    assert count_connections("se.scale", "multiply", ((7, 7, 2048), (2048,)), (7, 7, 2048)) == 0
    assert count_connections("se.sigmoid", "sigmoid", ((2048,),), (2048,)) == 0
    # MLP-Mixer (arXiv 2105.01601, Sec. 2): GELU, LayerNorm and the token/channel transpose count zero.
    for kind in ("gelu", "layernorm", "transpose"):
        assert count_macs("mixer", kind, ((196, 768),), (196, 768)) == 0


def test_a_grouped_convolution_is_compared_by_its_groups() -> None:
    """A printed cardinality (SENet Table 1's 'C = 32') fails on an ungrouped 3×3, and passes on 32 groups."""
    from paperverify.structure import LayerSpec
    from paperverify.trace import LayerRecord

    spec = LayerSpec("conv2d", 3, 128, groups=32)
    for groups, problem in ((32, ""), (1, "conv2d 3×3 128 groups 1 (kernel (3, 3), stride (1, 1))")):
        layer = LayerRecord("conv2", "conv2d", ((56, 56, 128),), (56, 56, 128), 0, 0, 0, (3, 3), (1, 1), 128, groups)
        assert compare._differs(spec, layer) == problem


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


def test_input_shape_and_blocks_of_a_stage() -> None:
    """EfficientNet's Table 1 prints each stage's input resolution and its layers L̂i: the size the stage's first
    layer receives, and the distinct names directly under the stage (`stage3.layer1`, `stage3.layer2`)."""
    from paperverify.trace import LayerRecord, Trace

    def record(name: str, size: int) -> LayerRecord:
        return LayerRecord(name, "conv2d", ((size, size, 16),), (size // 2, size // 2, 24), 0, 0, 0)

    layers = (record("stage3.layer1.expand.conv", 112), record("stage3.layer1.project.conv", 112))
    trace = Trace("torch", (224, 224, 3), (*layers, record("stage3.layer2.project.conv", 56)))
    resolution = _claim("tan2019_efficientnet/table1/efficientnet_b0/stage3/input_shape")
    assert (compare.judge(resolution, trace).status, compare.judge(resolution, trace).measured) == (
        "match",
        "112×112×16",
    )
    blocks = _claim("tan2019_efficientnet/table1/efficientnet_b0/stage3/blocks")
    assert (compare.judge(blocks, trace).status, compare.judge(blocks, trace).measured) == ("match", "2")
    one_layer = Trace("torch", (224, 224, 3), layers)
    assert compare.judge(blocks, one_layer).status == "mismatch"
    assert compare.judge(resolution, Trace("torch", (224, 224, 3), layers[1:])).status == "match"
    assert compare.judge(blocks, Trace("torch", (224, 224, 3), (record("stage4.layer1.conv", 56),))).status == "error"


def test_functional_calls_in_a_forward_are_layers(torch_threads: int) -> None:
    """A container's own functional calls are layers named after it (a second call of a kind gets `_1`); a sum or
    product is one only between two tensors; `x.mean((2, 3))` is a global average pool; calls inside a layer
    module are that module's."""
    import torch
    from torch import nn
    from torch.nn import functional as F

    from paperverify.frameworks.torch.probe import probe_model

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(8, 8, 3, padding=1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            y = F.relu(self.conv(x))
            gate = torch.sigmoid(y.mean((2, 3), keepdim=True))
            return F.relu(x + y * gate) * 0.5

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.block = Block()

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.flatten(F.adaptive_avg_pool2d(self.block(x), 1), 1)

    trace = probe_model(Net(), (6, 6, 8))
    assert [(layer.name, layer.kind) for layer in trace.layers] == [
        ("block.conv", "conv2d"), ("block.relu", "relu"), ("block.avgpool", "avgpool"), ("block.sigmoid", "sigmoid"),
        ("block.mul", "multiply"), ("block.add", "add"), ("block.relu_1", "relu"), ("avgpool", "avgpool"),
        ("flatten", "flatten"),
    ]  # fmt: skip
    assert trace.point("block.mul").macs == 6 * 6 * 8  # the excitation's product, as SENet counts it
    assert trace.point("flatten").output_shape == (8,)

    class Swished(nn.Module):  # EfficientNet repositories' activation, written out in a block: a swish
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(8, 8, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = self.conv(x)
            return x * torch.sigmoid(x)

    swish = probe_model(Swished(), (6, 6, 8))
    assert [(layer.kind, layer.macs) for layer in swish.layers[1:]] == [("sigmoid", 0), ("swish", 0)]

    class Tokens(nn.Module):  # a Mixer's head: the tokens' mean, as the einops repositories write it
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x.flatten(2).transpose(1, 2).mean(dim=1)

    assert [(layer.kind, layer.output_shape) for layer in probe_model(Tokens(), (6, 6, 8)).layers] == [
        ("flatten", (8, 36)), ("transpose", (36, 8)), ("avgpool", (8,)),
    ]  # fmt: skip


def test_a_containers_own_parameters_are_counted_where_they_act(torch_threads: int) -> None:
    """Parameters a module holds itself and uses in its forward: a LayerScale's gamma in `x * gamma`, a weight
    convolved with `F.conv2d` (a functional layer of kind conv2d, its kernel read from the weight), and one that
    only an unknown call uses (a record of unknown kind keeps the network's parameters whole and makes its
    multiply-adds an error naming the module)."""
    import torch
    from torch import nn
    from torch.nn import functional as F

    from paperverify.frameworks.torch.probe import probe_model

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.norm = nn.BatchNorm2d(4)
            self.weight = nn.Parameter(torch.ones(8, 4, 3, 3))
            self.gamma = nn.Parameter(torch.ones(8, 1, 1))
            self.mystery = nn.Parameter(torch.ones(8))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            y = F.conv2d(self.norm(x), self.weight, stride=2, padding=1) * self.gamma
            return torch.einsum("bchw,c->bchw", y, self.mystery)

    trace = probe_model(nn.Sequential(Block()), (8, 8, 4))
    records = {layer.name: layer for layer in trace.layers}
    conv, scale = records["0.conv"], records["0.mul"]
    assert (conv.kind, conv.params, conv.kernel, conv.stride, conv.channels) == ("conv2d", 8 * 4 * 9, (3, 3), (2, 2), 8)
    assert conv.macs == 4 * 4 * 8 * 4 * 9 and (scale.kind, scale.params) == ("multiply", 8)
    assert records["0.parameters"].params == 8 and records["0.parameters"].kind == "unknown"
    assert trace.params == sum(p.numel() for p in Block().parameters())
    with pytest.raises(UnknownKindError, match=r"0\.parameters \(parameters of 0 that no layer the probe sees uses\)"):
        _ = trace.macs


def test_a_misspelt_point_in_a_rows_layers_is_an_error_not_a_smaller_count() -> None:
    """VGG's "8 conv. and 3 FC layers" counts under the row's layers; a name the model lacks is named."""
    from dataclasses import replace

    from paperverify.probes import probe

    claim = next(c for c in load_claims() if c.quantity == "depth" and len(c.layers) > 1)
    trace = probe(claim.config, "torch")
    assert compare.judge(claim, trace).status in ("match", "erratum")
    misspelt = replace(claim, layers=(*claim.layers[:-1], claim.layers[-1] + "x"))
    verdict = compare.safe_judge(misspelt, trace)
    assert verdict.status == "error" and f"no layer at {claim.layers[-1] + 'x'!r}" in verdict.detail


def test_a_layer_that_raises_is_reported_as_itself_and_leaves_no_mode_behind(torch_threads: int) -> None:
    """A 7×7 pool on a 4×4 map raises inside the pass (the tracer has stepped out of its mode there): the model's
    own error reaches the caller, every time, and no function mode is left on torch's stack."""
    from torch import nn
    from torch.overrides import _get_current_function_mode_stack

    from paperverify.frameworks.torch.probe import probe_model

    for _ in range(2):
        with pytest.raises(RuntimeError, match="Output size is too small"):
            probe_model(nn.Sequential(nn.Conv2d(3, 4, 3), nn.AvgPool2d(7)), (6, 6, 3))
    assert _get_current_function_mode_stack() == []


def test_a_window_that_is_its_whole_input_matches_any_printed_stride() -> None:
    """MobileNet Table 1's "Avg Pool / s1, Pool 7 × 7": a global pool (no stride) and a 7×7 pool of stride 7 on
    the 7×7 map give one value per channel, as the printed pool does; a 7×7 pool of stride 7 on a 14×14 map
    strides, and its 7 is compared."""
    from paperverify.structure import LayerSpec
    from paperverify.trace import LayerRecord

    printed = LayerSpec("avgpool", None, None, 1)

    def pool(kernel: tuple[int, int] | None, stride: tuple[int, int] | None, side: int) -> LayerRecord:
        out = side // kernel[0] if kernel else 1
        return LayerRecord("avgpool", "avgpool", ((side, side, 1024),), (out, out, 1024), 0, 0, 0, kernel, stride)

    assert compare._differs(printed, pool(None, None, 7)) == ""
    assert compare._differs(printed, pool((7, 7), (7, 7), 7)) == ""
    assert "stride (7, 7)" in compare._differs(printed, pool((7, 7), (7, 7), 14))


def test_a_declared_subsampling_class_takes_the_window_that_tiles_its_input(torch_threads: int) -> None:
    """A stranger's LeNet-5 S2 (each 2×2 window summed, times a coefficient, plus a bias per map), declared with
    `--kind Subsampling=subsample`: its window is the one that tiles 28×28 into 14×14, and its connections are
    Sec. II.B's "5,880 connections" of S2 (LeCun et al. 1998, p. 7)."""
    import torch
    from torch import nn
    from torch.nn import functional as F

    from paperverify import kinds
    from paperverify.frameworks.torch.probe import probe_model

    class Subsampling(nn.Module):
        def __init__(self, maps: int) -> None:
            super().__init__()
            self.coefficient = nn.Parameter(torch.ones(maps, 1, 1))
            self.bias = nn.Parameter(torch.zeros(maps, 1, 1))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return F.avg_pool2d(x, 2) * 4 * self.coefficient + self.bias

    model = nn.Sequential(nn.Conv2d(1, 6, 5), Subsampling(6))
    with kinds.declaring({"Subsampling": "subsample"}):
        s2 = probe_model(model, (32, 32, 1)).layers[-1]
    assert (s2.kind, s2.kernel, s2.stride, s2.params) == ("subsample", (2, 2), (2, 2), 12)
    assert s2.connections == 5880
    assert probe_model(model, (32, 32, 1)).layers[-1].kernel is None  # undeclared: no window is guessed

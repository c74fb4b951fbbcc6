"""Models written as strangers write them (tests/strangers/) checked with no map: each faithful one passes every
claim its paper makes, each planted departure fails exactly the claims it changes, and the alignment names the
layer that departs (or the one the model lacks)."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import pytest

from paperverify import verify


@dataclass(frozen=True)
class Stranger:
    module: str
    paper: str
    variant: str
    faithful: str
    departure: str
    #: The claims (ids less the paper) the departure changes, and only those.
    fails: frozenset[str]
    #: What the alignment's summary says about the departing layer.
    named: str
    #: The kinds of the model's own classes, declared as a user declares them (`--kind CLASS=KIND`).
    kinds: tuple[tuple[str, str], ...] = ()

    @property
    def framework(self) -> str:
        return self.module.partition("_")[0]


RESNET_MACS = frozenset({"table1/resnet50/macs", "text/sec4.1_resnet50_flops"})
MOBILENET_SHARES = frozenset(
    f"table2/mobilenet_v1/{row}/macs_share" for row in ("conv1x1", "conv3x3", "conv_dw3x3", "fc")
)
#: The cells of the baseline MobileNet's multiply-adds: Tables 6, 7, 8, 10, Table 4's MobileNet row and Table 12's
#: network without its classifier.
MOBILENET_MACS = frozenset({
    *(f"table{n}/mobilenet_v1/mobilenet_1.0_224/macs" for n in (6, 7, 8, 10)), "table4/mobilenet_v1/mobilenet/macs",
    "table12/mobilenet_v1/mobilenet_1.0_224/layer_macs",
})  # fmt: skip
#: The SENet claims an SE-ResNet-50 without SE modules in conv5_x fails: conv5_x's structure and every count.
SE_IN_CONV5 = frozenset({
    "table1/se_resnet50/conv5_x/structure", "table2/resnet50_senet", "table10/r16", "table13/all_gflops",
    "table13/all_params", "table15/se_gflops", "table15/se_params", "table16/se_gflops", "table16/se_params",
    "text/sec4_se_params", "text/sec4_se_resnet50_gflops", "text/sec3.2_excitation",
})  # fmt: skip

#: LeNet-5's counts that change with C3's connection scheme: C3's own, and the totals.
LENET_C3 = frozenset({
    "text/sec2b_c3_params", "text/sec2b_c3_connections", "text/sec2a_params", "text/sec2a_connections",
    "fig12/lenet5/params",
})  # fmt: skip

STRANGERS = [
    Stranger(
        "torch_lenet", "lecun1998_lenet5", "lenet5", "lenet5", "lenet5_full_c3", LENET_C3,
        "yours c3 -> C3.conv: weights 2400, ours 1500", (("Subsampling", "subsample"), ("RBF", "rbf")),
    ),
    Stranger(
        "keras_lenet", "lecun1998_lenet5", "lenet5", "lenet5", "lenet5_full_c3", LENET_C3,
        "-> C3.conv: weights 2400, ours 1500", (("Subsampling", "subsample"), ("RBF", "rbf")),
    ),
    Stranger(
        "torch_resnet", "he2016_resnet", "resnet50", "resnet50", "resnet50_stride_on_3x3", RESNET_MACS,
        "yours layer2.0.conv1 -> conv3_x.conv3_1.conv1: stride 1×1, ours 2×2",
    ),
    Stranger(
        "keras_resnet", "he2016_resnet", "resnet50", "resnet50", "resnet50_stride_on_3x3", RESNET_MACS,
        "-> conv3_x.conv3_1.conv1: stride 1×1, ours 2×2",
    ),
    Stranger(
        "torch_senet", "hu2018_senet", "se_resnet50", "se_resnet50", "se_resnet50_no_se_in_conv5",
        SE_IN_CONV5, "ours has conv5_x.conv5_1.se.fc1 (dense, 128 channels, output 128), which yours lacks",
    ),
    Stranger(
        "keras_senet", "hu2018_senet", "se_resnet50", "se_resnet50", "se_resnet50_no_se_in_conv5",
        SE_IN_CONV5, "ours has conv5_x.conv5_1.se.fc1 (dense, 128 channels, output 128), which yours lacks",
    ),
    Stranger(
        "torch_mobilenet", "howard2017_mobilenet", "mobilenet_v1", "mobilenet_v1", "mobilenet_v1_late_stride",
        MOBILENET_SHARES | MOBILENET_MACS | {
            f"table1/mobilenet_v1/{row}" for row in (
                "conv_dw_4/type_stride", "conv_dw_5/type_stride", "conv_dw_5/input_size", "conv_pw_4/input_size"
            )
        },
        "yours model.4.0 -> conv_dw_4.conv: stride 1×1, ours 2×2",
    ),
    Stranger(
        "keras_mobilenet", "howard2017_mobilenet", "mobilenet_v1", "mobilenet", "mobilenet_thin_block7",
        MOBILENET_SHARES | MOBILENET_MACS | {"text/sec3.2_conv1x1_macs", "table4/mobilenet_v1/mobilenet/params"} | {
            f"table3/mobilenet_v1/separable/{column}" for column in ("layer_macs", "layer_params")
        } | {
            f"table{n}/mobilenet_v1/mobilenet_1.0_224/params" for n in (6, 7, 8)
        } | {"table12/mobilenet_v1/mobilenet_1.0_224/layer_params"} | {
            f"table1/mobilenet_v1/conv_{kind}_7_11/{column}" for kind in ("dw", "pw")
            for column in ("filter_shape", "input_size")
        },
        "-> conv_pw_7.conv: channels 256, ours 512",
    ),
    Stranger(
        "keras_googlenet", "szegedy2015_googlenet", "googlenet", "googlenet", "googlenet_pool4_stride_1",
        frozenset({
            *(f"table1/googlenet/inception_5{m}/{q}" for m in "ab" for q in ("layer_macs", "output_shape")),
            "table1/googlenet/pool4/output_shape", "text/sec1_budget",
        }),
        "-> pool4.pool: stride 1×1, ours 2×2", (("LRN", "lrn"),),
    ),
    Stranger(
        "torch_googlenet", "szegedy2015_googlenet", "googlenet", "googlenet", "googlenet_3x3_in_4e",
        frozenset({"table1/googlenet/inception_4e/layer_weights", "table1/googlenet/inception_4e/layer_macs"}),
        "yours inception4e.branch3.1.0 -> inception_4e.branch3.conv.conv: kernel 3×3, ours 5×5",
    ),
    Stranger(
        "torch_vgg", "simonyan2015_vgg", "vgg16", "vgg16", "vgg16_narrow_conv4_2",
        frozenset({"table1/vgg16/conv4/structure", "table2/vgg16/params"}),
        "yours features.19 -> conv4.conv4_2: channels 256, ours 512",
    ),
    Stranger(
        "keras_vgg", "simonyan2015_vgg", "vgg16", "vgg16", "vgg16_short_block4",
        frozenset({
            "table1/vgg16/conv4/structure", "table2/vgg16/params", "text/appA.1_D_depth", "text/table1_vgg16_depth"
        }),
        "ours has conv4.conv4_3 (conv2d, 3×3/1×1, 512 channels, output 28×28×512), which yours lacks",
    ),
    Stranger(
        "torch_squeezenet", "iandola2016_squeezenet", "squeezenet", "squeezenet", "squeezenet_fire6_squeeze32",
        frozenset({
            "table1/squeezenet/fire6.squeeze/channels", "table1/squeezenet/fire6/layer_params",
            "table1/squeezenet/total/layer_params",
        }),
        "yours features.8.squeeze -> fire6.squeeze.conv: channels 32, ours 48",
    ),
    Stranger(
        "keras_squeezenet", "iandola2016_squeezenet", "squeezenet", "squeezenet", "squeezenet_late_pool",
        frozenset({"table1/squeezenet/fire5/output_shape"}),
        "-> maxpool4: yours runs it after fire5.expand.concat, out of our order",
    ),
    Stranger(
        "keras_xception", "chollet2017_xception", "xception", "xception", "xception_short_middle",
        frozenset({
            *(f"figure5/xception/middle_flow.sepconv{n}/structure" for n in (1, 2, 3)),
            "table3/xception/xception/params", "text/fig5_repeated_8_times", "text/sec3_conv_layers",
            "text/sec3_modules",
        }),
        "ours has middle_flow.block5.sepconv1.depthwise",
    ),
    Stranger(
        "torch_xception", "chollet2017_xception", "xception", "xception", "xception_short_middle",
        frozenset({
            *(f"figure5/xception/middle_flow.sepconv{n}/structure" for n in (1, 2, 3)),
            "table3/xception/xception/params", "text/fig5_repeated_8_times", "text/sec3_conv_layers",
            "text/sec3_modules",
        }),
        "ours has middle_flow.block8.sepconv1.depthwise (conv2d, 3×3/1×1, 728 channels, output 19×19×728), "
        "which yours lacks",
    ),
    Stranger(
        "keras_alexnet", "krizhevsky2012_alexnet", "alexnet", "alexnet", "alexnet_ungrouped_conv4",
        frozenset({"text/abstract_params", "text/sec3.5_conv4", "text/sec4_params"}),
        "-> conv4.conv: groups 1, ours 2", (("LRN", "lrn"),),
    ),
    Stranger(
        "torch_alexnet", "krizhevsky2012_alexnet", "alexnet", "alexnet", "alexnet_ungrouped_conv4",
        frozenset({"text/abstract_params", "text/sec3.5_conv4", "text/sec4_params"}),
        "yours features.10 -> conv4.conv: groups 1, ours 2",
    ),
    Stranger(
        "torch_densenet", "huang2017_densenet", "densenet121", "densenet121", "densenet121_2x2_stem_pool",
        frozenset({"table1/densenet121/pool1/structure"}),
        "yours features.pool0 -> pool1.pool: kernel 2×2, ours 3×3",
    ),
    Stranger(
        "keras_densenet", "huang2017_densenet", "densenet121", "densenet121", "densenet121_short_block4",
        frozenset({"table1/densenet121/dense_block4/structure", "text/table1_densenet121_depth"}),
        "ours has dense_block4.layer16.conv1 (conv2d, 1×1/1×1, 128 channels, output 7×7×128), which yours lacks",
    ),
    Stranger(
        "torch_shufflenet", "zhang2018_shufflenet", "shufflenet_g3", "shufflenet_g3",
        "shufflenet_g3_grouped_stage2_first",
        frozenset({"table1/shufflenet_g3/complexity/layer_macs", "table8/shufflenet_g3/shufflenet_1x_g3/layer_macs"}),
        "yours stage2.0.g_conv_1x1_compress -> stage2.unit1.gconv1: groups 3, ours 1",
    ),
    Stranger(
        "keras_shufflenet", "zhang2018_shufflenet", "shufflenet_g3", "shufflenet_g3", "shufflenet_g3_short_stage3",
        frozenset({
            "table1/shufflenet_g3/complexity/layer_macs", "table2/shufflenet_g3/shufflenet_1x/layer_macs",
            "table8/shufflenet_g3/shufflenet_1x_g3/layer_macs", "text/sec4.3_layers/shufflenet_g3",
        }),
        "ours has stage3.unit2.dwconv (conv2d, 3×3/1×1, 120 channels, output 14×14×120), which yours lacks",
    ),
    Stranger(
        "torch_nin", "lin2014_nin", "nin_cifar10", "nin_cifar10", "nin_cifar10_no_third_pool",
        frozenset({"text/sec4.1_pool_mlpconv3"}),
        "ours has mlpconv3.pool (maxpool, 2×2/2×2, output 4×4×10), which yours lacks",
    ),
    Stranger(
        "keras_nin", "lin2014_nin", "nin_cifar10", "nin_cifar10", "nin_cifar10_no_third_pool",
        frozenset({"text/sec4.1_pool_mlpconv3"}),
        "ours has mlpconv3.pool (maxpool, 2×2/2×2, output 4×4×10), which yours lacks",
    ),
    Stranger(
        "torch_efficientnet", "tan2019_efficientnet", "efficientnet_b0", "efficientnet_b0",
        "efficientnet_b0_k3_stage6", frozenset({"table2/efficientnet_b0/b0/macs"}),
        "yours features.5.0.block.1.0 -> stage6.layer1.depthwise.conv: kernel 3×3, ours 5×5",
    ),
    Stranger(
        "torch_mixer", "tolstikhin2021_mlpmixer", "mixer_b16", "mixer_b16", "mixer_b16_narrow_token_mlp",
        frozenset({"table1/mixer_b16/tokens_mlp/channels"}),
        "yours mixer_blocks.0.token_mix.fn.1.net.0 -> blocks.block1.token_mixing.fc1: channels 256, ours 384",
    ),
    Stranger(
        "keras_efficientnet", "tan2019_efficientnet", "efficientnet_b0", "efficientnet_b0",
        "efficientnet_b0_k3_stage6", frozenset({"table2/efficientnet_b0/b0/macs"}),
        "-> stage6.layer1.depthwise.conv: kernel 3×3, ours 5×5",
    ),
    Stranger(
        "keras_mixer", "tolstikhin2021_mlpmixer", "mixer_s32", "mixer_s32", "mixer_s32_narrow_token_mlp",
        frozenset({"table1/mixer_s32/tokens_mlp/channels", "table1/mixer_s32/params/layer_params"}),
        "-> blocks.block1.token_mixing.fc1: channels 128, ours 256",
    ),
    Stranger(
        "torch_bninception", "ioffe2015_bninception", "bn_inception", "bn_inception", "bn_inception_max_pool_4a",
        frozenset({"figure5/bn_inception/inception_4a.branch4/structure"}),
        "yours has inception_4a.branch4.0 (maxpool, 3×3/1×1, output 14×14×576), which ours has not",
    ),
    Stranger(
        "keras_bninception", "ioffe2015_bninception", "bn_inception", "bn_inception", "bn_inception_max_pool_4a",
        frozenset({"figure5/bn_inception/inception_4a.branch4/structure"}),
        "ours has inception_4a.branch4.pool (avgpool, 3×3/1×1, output 14×14×576), which yours lacks",
    ),
]  # fmt: skip


def _build(stranger: Stranger, builder: str) -> object:
    module = importlib.import_module(f"tests.strangers.{stranger.module}")
    return getattr(module, builder)()


def _cases(departure: bool) -> list:
    return [
        pytest.param(stranger, id=f"{stranger.module}:{stranger.departure if departure else stranger.faithful}")
        for stranger in STRANGERS
    ]


@pytest.mark.parametrize("stranger", _cases(departure=False))
def test_a_faithful_strangers_model_passes_with_no_map(stranger: Stranger, torch_threads: int, tf_threads: int) -> None:
    result = verify(
        _build(stranger, stranger.faithful), paper=stranger.paper, variant=stranger.variant, kinds=dict(stranger.kinds)
    )
    assert result.ok, result.describe()
    assert result.alignment is not None  # its names give no point of the paper's: it was lined up by structure
    assert not result.alignment.unpaired_ours, result.alignment.summary()


@pytest.mark.parametrize("stranger", _cases(departure=True))
def test_a_planted_departure_fails_the_cells_it_changes_and_names_its_layer(
    stranger: Stranger, torch_threads: int, tf_threads: int
) -> None:
    result = verify(
        _build(stranger, stranger.departure), paper=stranger.paper, variant=stranger.variant, kinds=dict(stranger.kinds)
    )
    failing = {verdict.claim.removeprefix(f"{stranger.paper}/") for verdict in result.failures}
    assert failing == stranger.fails, result.describe()
    assert result.alignment is not None
    assert any(stranger.named in line for line in result.alignment.summary(limit=100)), result.alignment.summary()


def test_group_convolutions_written_as_slices_are_one_layer_deep(tf_threads: int) -> None:
    """A ShuffleNet whose group convolutions are three `Conv2D` on slices of the channels, concatenated, is as deep
    as Sec. 4.3's 50 layers: the three read one input side by side (the graph says so, not their names), and every
    other claim holds too."""
    from tests.strangers.keras_shufflenet import shufflenet_g3_sliced

    result = verify(shufflenet_g3_sliced(), paper="zhang2018_shufflenet", variant="shufflenet_g3")
    assert result.ok, result.describe()
    [depth] = [verdict for verdict in result.verdicts if verdict.claim.endswith("text/sec4.3_layers/shufflenet_g3")]
    assert depth.status == "match" and depth.measured == "50", depth


def test_a_strangers_lenet5_with_its_own_classes_undeclared_errs_only_where_their_kinds_count() -> None:
    """LeNet-5's subsampling layers written as a class of the user's, not declared: lined up with ours all the same
    (a layer of the unknown kind may stand for any of ours), every claim passes but the four that count the
    subsampling's cost or depth, which are errors naming the layer and how to declare its kind."""
    from tests.strangers.torch_lenet import lenet5

    result = verify(lenet5(), paper="lecun1998_lenet5")
    statuses = {v.claim.removeprefix("lecun1998_lenet5/"): (v.status, v.detail) for v in result.verdicts}
    errors = {claim for claim, (status, _) in statuses.items() if status == "error"}
    assert errors == {
        "text/sec2a_connections", "text/sec2b_depth", "text/sec2b_s2_connections", "text/sec2b_s4_connections"
    }, result.describe()  # fmt: skip
    assert all(status in ("match", "erratum", "error") for status, _ in statuses.values()), result.describe()
    assert all("torch_lenet.Subsampling" in statuses[claim][1] and "--kind CLASS=KIND" in statuses[claim][1]
               for claim in errors)  # fmt: skip


def test_a_layer_written_as_parallel_slices_is_one_layer_to_the_alignment() -> None:
    """The stranger's C3, sixteen convolutions of Table I's maps concatenated, pairs with our one C3 convolution
    as a whole: none of its branches or its concatenation is listed as an addition, and it differs from ours in
    nothing (channels, multiply-adds and its connection table are the joined layer's)."""
    from tests.strangers.torch_lenet import lenet5

    result = verify(lenet5(), paper="lecun1998_lenet5", kinds={"Subsampling": "subsample", "RBF": "rbf"})
    assert result.alignment is not None
    assert not result.alignment.unpaired_yours and not result.alignment.differences(), result.alignment.summary()

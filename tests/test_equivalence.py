"""Equivalence with our implementation (`paperverify.equivalence`, `paperverify check --equivalence`).

Broken models that keep every shape and count right (`tests/broken_equivalence.py`, and ResNet-50 with the
stride on the 3×3 from `tests/broken_models.py`; Xception whose entry-flow shortcuts read the previous
shortcut; AlexNet with conv4's two groups both reading the first tower's channels; Mixer-S/32 whose skip
carries the LayerNorm's output) must be reported at the right named point, with the right layer pair and, for
a miswired shortcut or merge, both wirings. Correct models must pass: our
PyTorch ResNet-50 and AlexNet against our Keras ones, MobileNet both ways, keras.applications' ResNet50
(convolution biases folded into BatchNorm) and Xception against our PyTorch ones, a SqueezeNet that
concatenates with a plain `torch.cat`. `check --equivalence` takes `--rtol` and `--atol`. The expected places
are where each bug was put, not what the code under test computes. (Every variant's parity both ways is
tests/test_models.py's.)
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

import paperverify
from paperverify.check import CheckError
from paperverify.cli import main
from paperverify.closeness import ATOL, RTOL
from paperverify.equivalence import equivalence
from tests.weights import randomise_torch_weights

PAPER = "he2016_resnet"
BROKEN = "tests/broken_equivalence.py"


@pytest.mark.xdist_group("torch")
@pytest.mark.parametrize("builder", ["shortcut_from_previous_input", "functional_shortcut_from_previous_input"])
def test_a_shortcut_fed_from_the_previous_blocks_input_diverges_at_that_block(builder: str, torch_threads: int) -> None:
    import tests.broken_equivalence as broken

    torch.manual_seed(0)
    result = equivalence(randomise_torch_weights(getattr(broken, builder)()), paper=PAPER, variant="resnet18")
    assert result.compared and not result.equivalent
    assert result.first_point is not None and result.first_point.point == "conv2_x.conv2_2"
    agreeing = [c.point for c in result.points[: result.points.index(result.first_point)]]
    assert agreeing == ["conv1", "conv2_x.maxpool", "conv2_x.conv2_1"]
    # The functional `x + shortcut` is a layer too, named after its block; the block's unused Add module keeps
    # the name `add`, so the functional one is `add_1`.
    yours = "conv2_x.conv2_2.add_1" if builder.startswith("functional") else "conv2_x.conv2_2.add"
    label = "conv2_x.conv2_2.add" if yours == "conv2_x.conv2_2.add" else f"conv2_x.conv2_2.add (yours: {yours})"
    assert result.wiring == [
        f"{label}: yours adds conv2_x.conv2_2.bn2 + conv2_x.maxpool; ours conv2_x.conv2_2.bn2 + conv2_x.conv2_1"
    ]
    assert result.first_layer is not None  # the sum is a layer in both: it is the pair that parts
    assert (result.first_layer.ours, result.first_layer.yours) == ("conv2_x.conv2_2.add", yours)


@pytest.mark.xdist_group("keras")
def test_a_keras_shortcut_fed_from_the_previous_blocks_input_is_read_from_the_graph(tf_threads: int) -> None:
    from tests.broken_equivalence import keras_shortcut_from_previous_input

    result = equivalence(keras_shortcut_from_previous_input(), paper=PAPER, variant="resnet18")
    assert result.first_point is not None and result.first_point.point == "conv2_x.conv2_2"
    assert result.first_layer is not None and result.first_layer.ours == "conv2_x.conv2_2.add"
    assert result.wiring == [
        "conv2_x.conv2_2.add: yours adds conv2_x.conv2_2.bn2 + conv2_x.maxpool; "
        "ours conv2_x.conv2_2.bn2 + conv2_x.conv2_1"
    ]


@pytest.mark.xdist_group("torch")
def test_shortcuts_fed_from_the_previous_shortcut_are_flagged_at_every_block_they_reach(torch_threads: int) -> None:
    """Xception's entry-flow shortcuts read the previous module's shortcut branch, not its output: no merge's
    inputs change (each sum still adds its module's main path and shortcut), only what each shortcut reads."""
    from tests.broken_equivalence import xception_shortcut_from_previous_shortcut

    torch.manual_seed(0)
    model = randomise_torch_weights(xception_shortcut_from_previous_shortcut())
    result = equivalence(model, paper="chollet2017_xception", variant="xception")
    assert result.compared and not result.equivalent
    assert result.wiring == [
        "entry_flow.block2.shortcut.conv: yours reads entry_flow.block1.shortcut.bn; ours reads entry_flow.block1",
        "entry_flow.block3.shortcut.conv: yours reads entry_flow.block2.shortcut.bn; ours reads entry_flow.block2",
    ]
    assert result.first_layer is not None and result.first_layer.ours == "entry_flow.block2.shortcut.conv"


@pytest.mark.xdist_group("keras")
def test_a_kernel_used_transposed_diverges_at_that_layer_across_frameworks(torch_threads: int, tf_threads: int) -> None:
    from tests.broken_equivalence import transposed_kernel

    torch.manual_seed(0)
    model = randomise_torch_weights(transposed_kernel())
    result = equivalence(model, paper=PAPER, variant="resnet18", reference_framework="keras")
    assert result.compared and not result.equivalent and result.wiring == []
    assert result.first_point is not None and result.first_point.point == "conv3_x.conv3_2"
    assert result.first_layer is not None
    assert (result.first_layer.ours, result.first_layer.yours) == ("conv3_x.conv3_2.conv1", "conv3_x.conv3_2.conv1")
    assert result.first_layer.detail == ""  # same shapes, same stride: only the values differ


@pytest.mark.xdist_group("torch")
def test_every_bug_is_reported_at_its_own_block_not_only_the_first(torch_threads: int) -> None:
    """Each layer is judged on the input the user's layer received: a miswired shortcut early on hides neither
    of two later transposed kernels, and nothing between them is reported."""
    from tests.broken_equivalence import three_bugs

    torch.manual_seed(0)
    result = equivalence(randomise_torch_weights(three_bugs()), paper=PAPER, variant="resnet18")
    assert result.compared and not result.equivalent
    assert [(c.point, c.ours) for c in result.diverging] == [
        ("conv2_x.conv2_2 (main path)", "conv2_x.conv2_2.add"),
        ("conv3_x.conv3_2 (main path)", "conv3_x.conv3_2.conv1"),
        ("conv5_x.conv5_1 (main path)", "conv5_x.conv5_1.conv2"),
    ]
    assert result.first_point is not None and result.first_point.point == "conv2_x.conv2_2"
    described = result.describe()
    assert "diverging layers (3), each run on the input yours received, by block in network order:" in described
    assert "    conv5_x.conv5_1 (main path): conv5_x.conv5_1.conv2 (conv2d): max abs difference" in described


@pytest.mark.xdist_group("torch")
def test_an_early_grouped_pointwise_convolution_hides_no_later_bug(torch_threads: int) -> None:
    """The grouped 1×1 cannot take our weights: it is reported, and every layer after it is still compared on
    the input the user's received, so the miswired shortcut two stages later is found by value and by wiring."""
    from tests.broken_equivalence import grouped_pointwise_then_shortcut_from_previous_input as broken

    torch.manual_seed(0)
    result = equivalence(randomise_torch_weights(broken()), paper=PAPER, variant="resnet50")
    assert result.compared and not result.equivalent
    assert result.problems == [
        "conv2_x.conv2_1 (main path), weight layer 1: yours conv2_x.conv2_1.conv1 (conv2d 1×1×16×64), "
        "ours conv2_x.conv2_1.conv1 (conv2d 1×1×64×64)"
    ]
    assert [c.ours for c in result.diverging] == ["conv3_x.conv3_3.add"]
    assert result.wiring == [
        "conv3_x.conv3_3.add: yours adds conv3_x.conv3_3.bn3 + conv3_x.conv3_1; "
        "ours conv3_x.conv3_3.bn3 + conv3_x.conv3_2"
    ]
    assert "conv2_x.conv2_2.conv1" in [c.ours for c in result.layers]  # right after the departure


@pytest.mark.xdist_group("keras")
def test_a_grouped_convolution_whose_groups_read_one_slice_diverges_at_that_layer(
    torch_threads: int, tf_threads: int
) -> None:
    from implementations.torch.alexnet import alexnet
    from tests.broken_equivalence import grouped_conv_reading_one_slice

    paper = "krizhevsky2012_alexnet"
    torch.manual_seed(0)
    correct = equivalence(alexnet(), paper=paper, variant="alexnet", reference_framework="keras")
    assert correct.equivalent, correct.describe()
    torch.manual_seed(0)
    result = equivalence(grouped_conv_reading_one_slice(), paper=paper, variant="alexnet", reference_framework="keras")
    assert result.compared and not result.equivalent and result.wiring == [] and result.problems == []
    assert result.first_point is not None and result.first_point.point == "conv4"
    assert [c.point for c in result.points[: result.points.index(result.first_point)]] == ["conv1", "conv2", "conv3"]
    assert result.first_layer is not None
    assert (result.first_layer.ours, result.first_layer.yours) == ("conv4.conv", "conv4.conv")
    assert result.first_layer.detail == ""  # same shapes and groups: only the values differ


@pytest.mark.xdist_group("torch")
def test_tower_slices_bound_late_are_flagged_at_every_grouped_convolution(torch_threads: int) -> None:
    """Convolutions written per tower cannot take our grouped weights, so the dependency structure is probed:
    written right, each output channel depends on the input channels ours does; with the loop variable bound
    late, every tower reads the last half of the maps, and conv2, conv4 and conv5 are each named. (At 67×67, the
    smallest input the network takes, so that the probe's batches stay small: conv5's maps are 3×3.)"""
    from tests.broken_equivalence import alexnet_in_towers, alexnet_in_towers_bound_late

    paper, size = "krizhevsky2012_alexnet", 67
    torch.manual_seed(0)
    right = equivalence(alexnet_in_towers(input_size=size), paper=paper, variant="alexnet", input_size=size)
    assert [problem.split(",")[0] for problem in right.problems] == [
        "conv2 (main path)",
        "conv4 (main path)",
        "conv5 (main path)",
    ]
    assert right.dependencies == [] and right.diverging == [] and right.wiring == []
    assert any("each output channel depends on the same input channels as ours" in note for note in right.notes)
    torch.manual_seed(0)
    wrong = equivalence(alexnet_in_towers_bound_late(size), paper=paper, variant="alexnet", input_size=size)
    assert [finding.split(":")[0] for finding in wrong.dependencies] == [
        "conv2 (main path)",
        "conv4 (main path)",
        "conv5 (main path)",
    ]
    # conv4 is a convolution and a ReLU: its first 192 maps read conv3's second half instead of its first
    assert wrong.dependencies[1] == (
        "conv4 (main path): output channels 0–191 read input channels 192–383 in yours, 0–191 in ours"
    )
    assert "dependency differences (which input channels each output channel depends on):" in wrong.describe()


@pytest.mark.xdist_group("keras")
def test_a_mixer_skip_fed_from_the_normalised_input_diverges_at_that_sum(torch_threads: int, tf_threads: int) -> None:
    from tests.broken_equivalence import mixer_skip_from_normalised_input

    torch.manual_seed(0)
    model = mixer_skip_from_normalised_input()
    result = equivalence(model, paper="tolstikhin2021_mlpmixer", variant="mixer_s32", reference_framework="keras")
    assert result.compared and not result.equivalent and result.problems == []
    assert result.first_point is not None and result.first_point.point.startswith("blocks.block3.")
    agreeing = [c.point for c in result.points[: result.points.index(result.first_point)]]
    assert "blocks.block2" in agreeing and "blocks.block3.token_mixing" in agreeing
    assert result.first_layer is not None
    assert (result.first_layer.ours, result.first_layer.yours) == ("blocks.block3.add1", "blocks.block3.add1")
    assert result.wiring == [
        "blocks.block3.add1: yours adds blocks.block3.token_mixing.norm + blocks.block3.token_mixing; "
        "ours blocks.block2 + blocks.block3.token_mixing"
    ]


def _functional_concat(model: nn.Module) -> nn.Module:
    """Our SqueezeNet with every expand layer joined by a plain `torch.cat` in its forward, as torchvision writes
    its Fire module, instead of a concatenation module."""
    from implementations.torch.squeezenet import Expand

    class FunctionalExpand(Expand):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.cat([self.branch1(x), self.branch2(x)], 1)

    for module in model.modules():
        if isinstance(module, Expand):
            del module.concat
            module.__class__ = FunctionalExpand
    return model


@pytest.mark.xdist_group("keras")
def test_a_container_that_concatenates_functionally_is_run_as_it_was_probed(
    torch_threads: int, tf_threads: int
) -> None:
    from implementations.torch.squeezenet import squeezenet

    torch.manual_seed(0)
    model = _functional_concat(squeezenet())
    result = equivalence(model, paper="iandola2016_squeezenet", variant="squeezenet", reference_framework="keras")
    assert result.equivalent, result.describe()
    pairs = [(c.ours, c.yours) for c in result.layers]
    assert ("fire2.expand.concat", "fire2.expand.cat") in pairs


@pytest.mark.xdist_group("keras")
def test_depthwise_kernels_cross_frameworks_both_ways(torch_threads: int, tf_threads: int) -> None:
    """Keras keeps a depthwise kernel as (kh, kw, C, 1), PyTorch as (C, 1, kh, kw): a layout read or written
    wrongly gives our model other filters than the user's, and the outputs part at conv_dw_1."""
    import keras

    from implementations.keras.mobilenet import mobilenet_v1 as keras_mobilenet
    from implementations.torch.mobilenet import mobilenet_v1 as torch_mobilenet

    paper, variant = "howard2017_mobilenet", "mobilenet_v1"
    torch.manual_seed(0)
    model = randomise_torch_weights(torch_mobilenet())
    to_keras = equivalence(model, paper=paper, variant=variant, reference_framework="keras")
    assert to_keras.equivalent, to_keras.describe()
    keras.utils.set_random_seed(0)
    to_torch = equivalence(keras_mobilenet(), paper=paper, variant=variant, reference_framework="torch")
    assert to_torch.equivalent, to_torch.describe()
    assert "conv_dw_1.conv" in [c.ours for c in to_torch.layers]


@pytest.mark.xdist_group("torch")
def test_a_stride_on_the_3x3_diverges_at_conv3_1_with_equal_point_shapes(torch_threads: int) -> None:
    from tests.broken_models import stride_on_3x3

    torch.manual_seed(0)
    result = equivalence(stride_on_3x3(), paper=PAPER, variant="resnet50")
    assert result.first_point is not None and result.first_point.point == "conv3_x.conv3_1"
    assert result.first_point.detail == ""  # the block's output has our shape; its values differ
    assert result.first_layer is not None and result.first_layer.ours == "conv3_x.conv3_1.conv1"
    assert result.first_layer.detail == "output 16×16×128 vs ours 8×8×128; stride 1×1 vs ours 2×2"
    assert "conv2_x" in [c.point for c in result.points if not c.diverges]


@pytest.mark.xdist_group("keras")
def test_our_torch_resnet50_is_equivalent_to_our_keras_resnet50(torch_threads: int, tf_threads: int) -> None:
    from implementations.torch.resnet import resnet50

    torch.manual_seed(0)
    result = paperverify.equivalence(
        randomise_torch_weights(resnet50()), paper=PAPER, variant="resnet50", reference_framework="keras"
    )
    assert result.equivalent, result.describe()
    assert len(result.layers) == len(resnet50_layers()) and len(result.points) > 20


def resnet50_layers() -> list[str]:
    """Every layer of our ResNet-50 trace: all of them line up with the same implementation in the other
    framework."""
    from paperverify.claims import Config
    from paperverify.probes import probe

    return [record.name for record in probe(Config("resnet50", 64), "torch").layers]


@pytest.mark.xdist_group("keras")
def test_keras_applications_resnet50_is_equivalent_with_its_biases_folded(torch_threads: int, tf_threads: int) -> None:
    import keras
    import numpy as np

    from paperverify.thirdparty import known

    entry = known("keras.applications:ResNet50")
    assert entry is not None
    keras.utils.set_random_seed(0)
    model = keras.applications.ResNet50(weights=None, input_shape=(64, 64, 3))
    rng = np.random.default_rng(0)
    for layer in model.layers:  # non-zero biases and statistics, so that folding them matters
        if isinstance(layer, keras.layers.Conv2D):
            layer.bias.assign(0.1 * rng.standard_normal(layer.bias.shape).astype("float32"))
        if isinstance(layer, keras.layers.BatchNormalization):
            n = layer.moving_mean.shape
            layer.moving_mean.assign(0.2 * rng.standard_normal(n).astype("float32"))
            layer.moving_variance.assign((0.5 + 1.5 * rng.random(n)).astype("float32"))
    result = equivalence(model, paper=PAPER, variant="resnet50", stage_map=entry.stage_map, reference_framework="torch")
    assert result.equivalent, result.describe()
    assert any("biases of 53 convolutions were folded" in note for note in result.notes)
    assert [c.point for c in result.points][:3] == ["conv1", "conv2_x.maxpool", "conv2_x"]


@pytest.mark.xdist_group("keras")
def test_keras_applications_xception_is_equivalent_through_its_separable_convolutions(
    torch_threads: int, tf_threads: int
) -> None:
    """keras.applications' Xception keeps each separable convolution in one SeparableConv2D: its depthwise and
    pointwise kernels are read into our PyTorch Xception's two convolutions, and the depthwise half's output,
    which the layer keeps to itself, is compared too. Its unnamed shortcuts and sums are named by the shipped
    map, which load_target's fresh name counters make valid."""
    import keras
    import numpy as np

    from paperverify.targets import load_target
    from paperverify.thirdparty import known

    entry = known("keras.applications:Xception")
    assert entry is not None
    keras.utils.set_random_seed(0)
    model, _, _ = load_target(entry.target, {"weights": None, "input_shape": (71, 71, 3)}, weights=True)
    rng = np.random.default_rng(0)
    for layer in model.layers:  # non-trivial BatchNorm, with scales that keep the residual sums moderate
        if isinstance(layer, keras.layers.BatchNormalization):
            n = layer.moving_mean.shape
            layer.gamma.assign((0.6 + 0.2 * rng.random(n)).astype("float32"))
            layer.beta.assign((0.2 * rng.standard_normal(n)).astype("float32"))
            layer.moving_mean.assign(0.2 * rng.standard_normal(n).astype("float32"))
            layer.moving_variance.assign((0.5 + 1.5 * rng.random(n)).astype("float32"))
    result = equivalence(
        model, paper="chollet2017_xception", variant="xception", stage_map=entry.stage_map, reference_framework="torch"
    )
    assert result.equivalent, result.describe()
    compared = {c.ours for c in result.layers}
    assert {"entry_flow.block1.sepconv1.depthwise", "exit_flow.block1.shortcut.conv"} <= compared
    assert "middle_flow.block8" in [c.point for c in result.points]


@pytest.mark.xdist_group("keras")
def test_vgg_dense_rows_are_permuted_across_frameworks(torch_threads: int, tf_threads: int) -> None:
    from implementations.torch.vgg import vgg11

    torch.manual_seed(0)
    model = vgg11(input_size=64)  # fc6 reads a 2×2×512 map flattened in C, H, W order
    result = equivalence(model, paper="simonyan2015_vgg", variant="vgg11", reference_framework="keras")
    assert result.input_size == 64
    assert result.equivalent, result.describe()


@pytest.mark.xdist_group("torch")
def test_weights_that_cannot_line_up_leave_the_rest_compared(torch_threads: int) -> None:
    """A ResNet-50 with ten classes: the classifier cannot take our weights, everything before it is compared
    layer by layer and agrees; nothing is compared end to end."""
    from tests.broken_models import ten_classes

    result = equivalence(ten_classes(), paper=PAPER, variant="resnet50")
    assert result.compared and not result.equivalent
    assert result.problems == ["fc (main path), weight layer 1: yours fc (dense 2048×10), ours fc (dense 2048×1000)"]
    assert result.wiring == [] and result.points == [] and result.diverging == []
    assert "fc" not in [c.ours for c in result.layers] and "conv5_x.conv5_3.add" in [c.ours for c in result.layers]
    assert "weights cannot be lined up here, so these layers and the outputs end to end were not compared" in (
        result.describe()
    )
    assert equivalence(ten_classes(), paper=PAPER, variant="resnet50", options={"num_classes": 10}).equivalent


@pytest.mark.xdist_group("keras")
@pytest.mark.parametrize(
    ("module", "builder", "paper", "variant", "note"),
    [
        ("torch_resnet", "resnet50", PAPER, "resnet50", "yours ends in logits"),
        ("torch_vgg", "vgg16", "simonyan2015_vgg", "vgg16", "compared at the paper's 224×224: at 64×64 the weights"),
        ("keras_vgg", "vgg16", "simonyan2015_vgg", "vgg16", "lined up by structure"),
        ("torch_efficientnet", "efficientnet_b0", "tan2019_efficientnet", "efficientnet_b0", "ours was run with yours"),
        ("torch_googlenet", "googlenet", "szegedy2015_googlenet", "googlenet", "the paper prints no constants"),
        ("torch_xception", "xception", "chollet2017_xception", "xception", "ours was run with yours"),
        (
            "torch_efficientnet",
            "efficientnet_b0_sigmoid_module",
            "tan2019_efficientnet",
            "efficientnet_b0",
            "ours was run with yours",
        ),
    ],
)
def test_strangers_written_as_strangers_write_them_are_equivalent(
    module: str, builder: str, paper: str, variant: str, note: str, torch_threads: int, tf_threads: int
) -> None:
    """A classifier that returns logits (its softmax left to the loss), one behind an adaptive pool that lines up
    only at the paper's input (torchvision's VGG), a keras.Sequential, an EfficientNet padding its strided
    depthwise convolutions k // 2 on both sides where ours pads as TensorFlow's 'same' does (a convention the
    paper leaves open, so ours is run with the user's), its swish a module computing `x * torch.sigmoid(x)` or
    one holding an `nn.Sigmoid`, a GoogLeNet with PyTorch's default LocalResponseNorm constants (k = 1, where ours
    takes AlexNet's; the GoogLeNet paper prints none), an Xception whose max pools pad 1 on each side where ours
    pads as 'same' inside its own pool: each runs and matches ours."""
    import importlib

    model = getattr(importlib.import_module(f"tests.strangers.{module}"), builder)()
    if module.startswith("torch"):
        torch.manual_seed(0)
        model = randomise_torch_weights(model)
    result = equivalence(model, paper=paper, variant=variant)
    assert result.equivalent, result.describe()
    assert any(note in line for line in result.notes), result.notes


@pytest.mark.xdist_group("torch")
def test_check_equivalence_names_point_layer_pair_and_wiring(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["check", f"{BROKEN}:shortcut_from_previous_input", "--paper", PAPER, "--variant", "resnet18", "--equivalence"]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "NOT equivalent" in out
    assert "first diverging point: conv2_x.conv2_2 (the output of conv2_x.conv2_2.relu)" in out
    assert "diverging layers (1), each run on the input yours received, by block in network order:" in out
    assert "    conv2_x.conv2_2 (main path): conv2_x.conv2_2.add (add): max abs difference" in out
    assert "conv2_x.conv2_2.add: yours adds conv2_x.conv2_2.bn2 + conv2_x.maxpool" in out
    code = main(["check", "implementations.torch.resnet:resnet18", "--paper", PAPER, "--equivalence"])
    out = capsys.readouterr().out
    assert code == 0 and f": equivalent (rtol {RTOL:g}, atol {ATOL:g})" in out
    assert "largest absolute difference" in out and "largest relative difference" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([f"{BROKEN}:transposed_kernel", "--paper", PAPER], "describes several variants; give one with --variant"),
        (["implementations.torch.resnet:resnet18", "--paper", PAPER, "--variant", "resnet51"], "variant 'resnet51'"),
        ([f"{BROKEN}:nowhere", "--paper", PAPER, "--variant", "resnet18"], "has no attribute 'nowhere'"),
    ],
)
def test_equivalence_usage_errors_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str, torch_threads: int
) -> None:
    assert main(["check", *args, "--equivalence"]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.xdist_group("torch")
def test_a_failure_inside_the_check_is_one_line_and_no_verdict(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, torch_threads: int
) -> None:
    """A case the check does not handle (a model it cannot run node by node, say) is an error with exit 1 and one
    line on stderr saying nothing was compared, never a traceback or a verdict."""
    import importlib

    def unhandled(*_: object, **__: object) -> None:
        raise KeyError(175)

    # (the package's `equivalence` is the function; the module is its home, where the CLI imports it from)
    monkeypatch.setattr(importlib.import_module("paperverify.equivalence"), "equivalence", unhandled)
    code = main(["check", "implementations.torch.resnet:resnet18", "--paper", PAPER, "--equivalence"])
    captured = capsys.readouterr()
    assert code == 1 and "equivalent" not in captured.out
    (line,) = [line for line in captured.err.splitlines() if line.startswith("paperverify:")]
    assert "failed (KeyError: 175); nothing was compared" in line and "Traceback" not in captured.err


@pytest.mark.xdist_group("torch")
def test_a_model_without_weights_is_a_usage_error(torch_threads: int) -> None:
    from implementations.torch.resnet import resnet18

    with torch.device("meta"):
        model = resnet18()
    with pytest.raises(CheckError, match="has no weights"):
        equivalence(model, paper=PAPER, variant="resnet18")


@pytest.mark.xdist_group("keras")
def test_check_equivalence_takes_rtol_and_atol(capsys: pytest.CaptureFixture[str], tf_threads: int) -> None:
    """Across frameworks, float32 rounding is within the default bound and beyond a bound of zero."""
    target = ["check", "implementations.torch.resnet:resnet18", "--paper", PAPER, "--equivalence"]
    assert main([*target, "--reference-framework", "keras"]) == 0
    assert ": equivalent (rtol 0.0001, atol 1e-06)" in capsys.readouterr().out
    assert main([*target, "--reference-framework", "keras", "--rtol", "0", "--atol", "0"]) == 1
    out = capsys.readouterr().out
    assert "NOT equivalent (rtol 0, atol 0)" in out and "first diverging point" in out
    assert main([*target, "--rtol", "-1"]) == 2
    assert "rtol must be a finite number ≥ 0. Received: rtol=-1.0" in capsys.readouterr().err


@pytest.mark.xdist_group("keras")
def test_in_place_relus_and_a_functional_head_are_run_as_they_are_probed(torch_threads: int, tf_threads: int) -> None:
    """A MobileNet whose every ReLU works in place (the tensor a layer before it handed over is overwritten
    afterwards), and a ResNet-18 whose average pool, flatten and softmax are functional calls: both equivalent
    to our Keras implementations, every functional layer compared."""
    from implementations.torch.mobilenet import mobilenet_v1
    from tests.user_models import resnet18_with_a_functional_head

    torch.manual_seed(0)
    model = randomise_torch_weights(mobilenet_v1(input_size=64))
    for module in model.modules():
        if isinstance(module, nn.ReLU):
            module.inplace = True
    result = equivalence(model, paper="howard2017_mobilenet", variant="mobilenet_v1", reference_framework="keras")
    assert result.equivalent, result.describe()
    torch.manual_seed(0)
    model = randomise_torch_weights(resnet18_with_a_functional_head())
    result = equivalence(model, paper=PAPER, variant="resnet18", reference_framework="keras")
    assert result.equivalent, result.describe()
    assert {"avgpool", "softmax"} <= {c.point for c in result.points}


@pytest.mark.xdist_group("keras")
@pytest.mark.parametrize("reference", ["keras", "torch"])
def test_a_keras_model_with_same_padding_is_equivalent_once_ours_pads_as_it_does(
    reference: str, torch_threads: int, tf_threads: int
) -> None:
    """A notebook's ResNet-50 (tests/strangers/keras_resnet.py: default names, `padding="same"`): TensorFlow pads
    the strided 7×7 and the max pool (2, 3) and (0, 1) where ours pads (3, 3) and (1, 1). No paper fixes that, so
    ours is run with its padding, and the notes say where; the model is then equivalent, and the same model with
    its stride on the 3×3 is not, from conv3_x.conv3_1 on."""
    from tests.strangers import keras_resnet
    from tests.weights import randomise_keras_weights

    model = randomise_keras_weights(keras_resnet.resnet50(size=64))
    result = equivalence(model, paper=PAPER, variant="resnet50", reference_framework=reference)
    assert result.equivalent, result.describe()
    padded = [note for note in result.notes if "so ours was run with yours" in note]
    assert [note.partition(":")[0] for note in padded] == ["conv1.conv", "conv2_x.maxpool.pool"]
    assert "yours pads (top, bottom, left, right) (2, 3, 2, 3), ours (3, 3, 3, 3)" in padded[0]
    broken = randomise_keras_weights(keras_resnet.resnet50_stride_on_3x3(size=64))
    result = equivalence(broken, paper=PAPER, variant="resnet50", reference_framework=reference)
    assert not result.equivalent and result.first_point.point == "conv3_x.conv3_1", result.describe()


@pytest.mark.parametrize(
    ("pool", "expected"),
    [
        # Windows of 3 at stride 2 over 32 rows: floor mode covers rows 0..30 with 1 row of padding each side;
        # ceil mode starts a 16th window at row 30, which reaches one row past the input.
        (nn.MaxPool2d(3, 2, padding=1), (1, 1, 1, 1)),
        (nn.MaxPool2d(3, 2, ceil_mode=True), (0, 1, 0, 1)),
        (nn.MaxPool2d((3, 1), (2, 1), ceil_mode=True), (0, 1, 0, 0)),
    ],
)
def test_a_ceil_mode_max_pool_pads_after_as_far_as_its_last_window(
    pool: nn.MaxPool2d, expected: tuple[int, int, int, int], torch_threads: int
) -> None:
    """torchvision's GoogLeNet pools in ceil_mode: ours, which pads with a layer, is run with that padding."""
    from paperverify.frameworks.torch.probe import probe_model
    from paperverify.frameworks.torch.run import padding

    (record,) = probe_model(nn.Sequential(pool), (32, 32, 4)).layers
    assert padding(pool, record) == expected

"""The activation functions the papers name are claims, checked on any model: LeNet-5's scaled hyperbolic tangent
and its constants A = 1.7159, S = 2/3 (Eq. 6, Appendix A), SqueezeNet's ReLU after every squeeze and expand
convolution (Sec. 3.3.1), EfficientNet's swish (Sec. 5.2), SENet's ReLU then sigmoid in every excitation (Eq. 3).

Each test takes our faithful model (whose claims pass in the report), swaps one activation the way a user's code
might differ, and expects exactly the cells that state it to fail, naming the layer.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np
import pytest

from paperverify import verify
from paperverify.kinds import UNKNOWN
from paperverify.printed import PrintedValueError, parse_activations, parse_number
from paperverify.trace import LayerRecord, Trace

# LeNet-5, Appendix A (PDF p. 41): A = 1.7159 and S = 2/3.
A, S = 1.7159, 2 / 3


def _failing(result: Any) -> dict[str, Any]:
    return {verdict.claim.rpartition("/")[2]: verdict for verdict in result.failures}


def _meta(builder: Any) -> Any:
    import torch

    with torch.device("meta"):
        return builder()


def test_a_printed_activation_names_layer_kinds_and_a_fraction_is_exact() -> None:
    assert parse_activations("ReLU, sigmoid") == ("relu", "sigmoid")
    assert parse_activations("rectified linear activation") == ("relu",)
    assert parse_activations("scaled hyperbolic tangent") == ("tanh",)
    assert parse_activations("GELU") == ("gelu",)
    with pytest.raises(PrintedValueError, match="'maxout'"):
        parse_activations("ReLU, maxout")
    slope = parse_number("2/3").interval()
    assert Decimal(repr(float(np.float32(2 / 3)))) in slope and Decimal(repr(2 / 3)) in slope
    assert Decimal("0.6667") not in slope and Decimal("0.6666") not in slope
    with pytest.raises(PrintedValueError):
        parse_number("2/0")


def test_an_exclusion_may_be_a_pattern() -> None:
    layers = tuple(
        LayerRecord(name, kind, ((4, 4, 8),), (4, 4, 8), 0, 0, 0)
        for name, kind in (("stage2.layer1.se.swish", "swish"), ("stage2.layer1.se.sigmoid", "sigmoid"),
                           ("stage2.layer1.swish", "swish"), ("stage3.layer2.se.sigmoid", "sigmoid"))
    )  # fmt: skip
    trace = Trace("test", (4, 4, 8), layers)
    kept = trace.under(("stage2", "stage3"), ("*.se.sigmoid",))
    assert [layer.name for layer in kept] == ["stage2.layer1.se.swish", "stage2.layer1.swish"]


def test_lenet5_with_a_plain_tanh_or_a_relu_fails_the_squashing_cells(torch_threads: int) -> None:
    """A plain tanh in C3 is the right function with the wrong constants (A = S = 1); a ReLU in F6 is the wrong
    function (named at F6) and has no constants (0)."""
    from torch import nn

    from implementations.torch.lenet import lenet5

    plain = _meta(lenet5)
    plain.C3.squash = nn.Tanh()
    failing = _failing(verify(plain, paper="lecun1998_lenet5", variant="lenet5"))
    assert {name: verdict.measured for name, verdict in failing.items()} == {
        "tanh_amplitude": "1",
        "tanh_slope": "1",
    }

    rectified = _meta(lenet5)
    rectified.F6.squash = nn.ReLU()
    failing = _failing(verify(rectified, paper="lecun1998_lenet5", variant="lenet5"))
    assert set(failing) == {"sec2b_squashing", "tanh_amplitude", "tanh_slope"}
    assert failing["sec2b_squashing"].detail == "at F6: F6.squash is relu"
    assert failing["tanh_amplitude"].measured == failing["tanh_slope"].measured == "0"


def test_a_users_squashing_module_is_read_through_its_scalings(torch_threads: int) -> None:
    """A user's module computing A · tanh(S · x) with `torch.tanh` and two products by numbers is opened: its one
    layer is the tanh, whose constants are the factors around it, and every claim passes with nothing declared. A
    plain `torch.tanh` has A = S = 1: the right function with the wrong constants."""
    import torch
    from torch import nn

    from implementations.torch.lenet import lenet5

    class Scaled(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return A * torch.tanh(S * x)

    class Plain(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.tanh(x)

    for squash, failing in ((Scaled, {}), (Plain, {"tanh_amplitude": "1", "tanh_slope": "1"})):
        model = _meta(lenet5)
        for stage in (model.C1, model.S2, model.C3, model.S4, model.C5, model.F6):
            stage.squash = squash()
        result = verify(model, paper="lecun1998_lenet5", variant="lenet5")
        assert {name: verdict.measured for name, verdict in _failing(result).items()} == failing, result.describe()


def test_a_stage_that_scales_a_functional_tanh_around_its_convolution_passes(torch_threads: int) -> None:
    """A stage whose forward is A · tanh(S · conv(x)), written inline with `torch.tanh` or around an `nn.Tanh`,
    applies Eq. 6's squashing: the factors of its two products by numbers are the tanh's constants."""
    import torch
    from torch import nn

    from implementations.torch.lenet import lenet5

    class Stage(nn.Module):
        def __init__(self, conv: nn.Module) -> None:
            super().__init__()
            self.conv = conv

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return A * torch.tanh(self.conv(x) / 1.5)

    class ModuleStage(Stage):
        """The same with an `nn.Tanh` module between the two products."""

        def __init__(self, conv: nn.Module) -> None:
            super().__init__(conv)
            self.act = nn.Tanh()

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return A * self.act(S * self.conv(x))

    for stage in (Stage, ModuleStage):
        model = _meta(lenet5)
        model.C1 = stage(model.C1.conv)
        result = verify(model, paper="lecun1998_lenet5", variant="lenet5")
        assert result.ok, result.describe()


def test_a_keras_squashing_written_with_operations_is_read_through_its_scalings(tf_threads: int) -> None:
    """Our Keras LeNet-5 with each squashing function a `Lambda` of `A * keras.ops.tanh(x / 1.5)`: the tanh operation
    takes the numbers around it as its constants and every claim passes with nothing declared; with
    `keras.ops.tanh(x)` alone, A and S fail with 1."""
    import keras

    from implementations.keras import lenet

    def build(squash: Any) -> keras.Model:
        model = lenet.lenet5()
        originals = {layer.name for layer in model.layers if isinstance(layer, lenet.Squash)}
        inputs = keras.Input(model.inputs[0].shape[1:])
        x = inputs
        for layer in model.layers[1:]:
            x = keras.layers.Lambda(squash, name=layer.name)(x) if layer.name in originals else layer(x)
        return keras.Model(inputs, x)

    scaled = verify(build(lambda x: A * keras.ops.tanh(x / 1.5)), paper="lecun1998_lenet5", variant="lenet5")
    assert scaled.ok, scaled.describe()
    plain = verify(build(keras.ops.tanh), paper="lecun1998_lenet5", variant="lenet5")
    failing = {name: verdict.measured for name, verdict in _failing(plain).items()}
    assert failing == {"tanh_amplitude": "1", "tanh_slope": "1"}, plain.describe()


def test_a_tanh_whose_constants_cannot_be_read_is_an_error_saying_what_to_do() -> None:
    """A tanh record without constants (a layer declared tanh whose function cannot run on two numbers) makes the
    constants' claims errors naming the layer and how to have it measured, never a 0 or a 1."""
    from paperverify import compare
    from paperverify.tables import load_claims

    [claim] = [c for c in load_claims() if c.id == "lecun1998_lenet5/squashing/lenet5/A/tanh_amplitude"]
    layers = tuple(LayerRecord(f"{point}.tanh", "tanh", ((1, 1, 6),), (1, 1, 6), 0, 0, 0) for point in claim.layers)
    verdict = compare.safe_judge(claim, Trace("keras", (32, 32, 1), layers))
    assert verdict.status == "error"
    assert "'C1.tanh'" in verdict.detail and "--kind CLASS=tanh" in verdict.detail


def test_the_probes_read_a_tanhs_constants(torch_threads: int, tf_threads: int) -> None:
    """A plain tanh is A = S = 1 in both frameworks (a module, an activation layer, a fused activation); our
    squashing layers measure as Appendix A's constants; an activation of another kind has none."""
    import keras
    from torch import nn

    from implementations.keras.lenet import Squash as KerasSquash
    from implementations.torch.lenet import Squash as TorchSquash
    from paperverify.frameworks.keras.probe import probe_model as probe_keras
    from paperverify.frameworks.torch.probe import probe_model as probe_torch

    torch_model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Tanh(), TorchSquash(), nn.ReLU())
    torch_trace = probe_torch(torch_model, (8, 8, 1))
    inputs = keras.Input((8, 8, 1))
    x = keras.layers.Conv2D(2, 3, activation="tanh")(inputs)
    x = keras.layers.Activation("tanh")(x)
    x = KerasSquash()(x)
    keras_trace = probe_keras(keras.Model(inputs, keras.layers.ReLU()(x)))
    for trace in (torch_trace, keras_trace):
        constants = [layer.constants for layer in trace.layers if layer.kind in ("tanh", "relu")]
        assert constants[:-2] == [(1.0, 1.0)] * (len(constants) - 2), trace.framework
        amplitude, slope = constants[-2]
        assert amplitude == pytest.approx(A, rel=1e-9) and slope == pytest.approx(S, rel=1e-9), trace.framework
        assert constants[-1] is None
        assert all(layer.kind != UNKNOWN for layer in trace.layers)


def test_squeezenet_with_another_activation_in_one_expand_fails_the_relu_cell(torch_threads: int) -> None:
    from torch import nn

    from implementations.torch.squeezenet import squeezenet

    model = _meta(squeezenet)
    model.fire5.expand.branch2.relu = nn.GELU()
    failing = _failing(verify(model, paper="iandola2016_squeezenet", variant="squeezenet"))
    assert set(failing) == {"sec3.3.1_relu"}
    assert failing["sec3.3.1_relu"].detail == "at fire5.expand.branch2: fire5.expand.branch2.relu is gelu"


def test_efficientnet_with_relu_fails_swish_and_senet_with_a_hard_gate_fails_the_excitation(
    torch_threads: int,
) -> None:
    """EfficientNet's squeeze-and-excitation gates are sigmoids, which its swish claim leaves out; a ReLU in one
    block's depthwise stage is not swish. SENet's Eq. 3 gate is a sigmoid: a hard sigmoid is another function."""
    from torch import nn

    from implementations.torch.efficientnet import efficientnet_b0
    from implementations.torch.senet import se_resnet50

    efficientnet = _meta(efficientnet_b0)
    efficientnet.stage4.layer2.depthwise.swish = nn.ReLU()
    failing = _failing(verify(efficientnet, paper="tan2019_efficientnet", variant="efficientnet_b0"))
    assert set(failing) == {"sec5.2_swish"}
    assert failing["sec5.2_swish"].detail == "at stage4: stage4.layer2.depthwise.swish is relu"

    senet = _meta(se_resnet50)
    senet.conv4_x.conv4_3.se.sigmoid = nn.Hardsigmoid()
    failing = _failing(verify(senet, paper="hu2018_senet", variant="se_resnet50"))
    assert set(failing) == {"sec3.2_excitation"}
    assert failing["sec3.2_excitation"].measured == "relu, activation"
    assert failing["sec3.2_excitation"].detail == "at conv4_x.conv4_3.se: conv4_x.conv4_3.se.sigmoid is activation"

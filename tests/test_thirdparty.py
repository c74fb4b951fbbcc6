"""Third-party models: the shipped stage maps and recorded deviations, keras.applications conformance, and
Keras models given as saved files or built at the wrong input size."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from paperverify import verify
from paperverify.check import CheckError, select_claims
from paperverify.claims import Config
from paperverify.cli import main
from paperverify.probes import probe
from paperverify.targets import load_target, parse_kwargs
from paperverify.thirdparty import SOURCES, check_entry, known, load, run_conformance

PAPER = "he2016_resnet"


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_every_entry_names_a_paper_variant_and_points_our_implementation_has(source: str, torch_threads: int) -> None:
    entries = load(source)
    assert entries
    for entry in entries:
        assert select_claims(entry.paper, entry.variant)  # raises for an unknown paper or variant
        ours = probe(Config(entry.variant, 224), "torch")
        for point, _ in entry.stage_map.points:
            ours.point(point)  # raises KeyError for a paper point our implementation does not have
        for deviation in entry.deviations:
            assert deviation.reason and deviation.citation


@pytest.mark.xdist_group("keras")
def test_keras_applications_models_conform_to_the_papers() -> None:
    document = run_conformance("keras-applications")
    assert document["problems"] == []
    expected = {("he2016_resnet", v) for v in ("resnet50", "resnet101", "resnet152")}
    expected |= {("simonyan2015_vgg", v) for v in ("vgg16", "vgg19")}
    expected |= {("huang2017_densenet", v) for v in ("densenet121", "densenet169", "densenet201")}
    expected |= {("howard2017_mobilenet", "mobilenet_v1")}
    expected |= {("tan2019_efficientnet", f"efficientnet_b{index}") for index in range(8)}
    expected |= {("chollet2017_xception", "xception")}
    assert {(model["paper"], model["variant"]) for model in document["models"]} == expected
    entries = load("keras-applications")
    loaded = sum(
        len(select_claims(e.paper, e.variant, config=dict(e.config), invariants=e.invariants, framework=e.framework))
        for e in entries
    )
    assert document["checks_loaded"] == len(document["records"]) == loaded
    statuses = {}
    for item in document["records"]:
        statuses.setdefault(item["status"], []).append(item["claim"])
    assert set(statuses) == {"match", "erratum", "deviation"}
    # EfficientNetB0 is not rescaled as Table 7's rows and Figure 4's d=2.0 baseline are.
    assert len([claim for claim in statuses["deviation"] if claim.startswith("tan2019_efficientnet/")]) == 5
    # MobileNet's two recorded errata, and the 1×1-convolution classifier of Keras' MobileNet, at 1.0
    # MobileNet-224 and, for the erratum and the type/stride cell, carried to the other 15 configurations. Its
    # global pool matches "Avg Pool / s1": a window that is its whole input never strides.
    printed = {claim.partition("@")[0] for claim in statuses["erratum"]}
    assert sorted(printed) == [
        "howard2017_mobilenet/table1/mobilenet_v1/conv_dw_13/type_stride",
        "howard2017_mobilenet/table2/mobilenet_v1/conv3x3/macs_share",
    ]
    assert len(statuses["erratum"]) == 2 + 15
    assert len([claim for claim in statuses["deviation"] if claim.startswith("howard2017_mobilenet/")]) == 2 + 15
    printed = {claim.partition("@")[0] for claim in statuses["deviation"]}
    assert sorted(claim for claim in printed if claim.startswith("howard2017_mobilenet/")) == [
        "howard2017_mobilenet/table1/mobilenet_v1/fc/filter_shape",
        "howard2017_mobilenet/table1/mobilenet_v1/fc/type_stride",
    ]
    # Keras' Xception is Figure 5's network: every claim matches but Sec. 4.3's dropout, which it leaves out.
    records = document["records"]
    xception = {item["claim"]: item["status"] for item in records if "chollet2017_xception/" in item["claim"]}
    assert len(xception) == 37 and {claim for claim, status in xception.items() if status != "match"} == {
        "chollet2017_xception/text/sec4_3_dropout"
    }


def test_a_config_selects_the_claims_about_one_configuration() -> None:
    small = select_claims("howard2017_mobilenet", "mobilenet_v1", config={"alpha": 0.5, "input_size": 160})
    assert [claim.id for claim in small] == [
        "howard2017_mobilenet/table9/mobilenet_v1/mobilenet_0.50_160/macs",
        "howard2017_mobilenet/table9/mobilenet_v1/mobilenet_0.50_160/params",
    ]
    everything = select_claims("howard2017_mobilenet", "mobilenet_v1")
    assert len(everything) > len(select_claims("howard2017_mobilenet", "mobilenet_v1", config={"alpha": 1.0}))
    with pytest.raises(CheckError, match="no claim about variant 'mobilenet_v1' with config"):
        select_claims("howard2017_mobilenet", "mobilenet_v1", config={"alpha": 0.75, "input_size": 128})
    entry = known("keras.applications:MobileNet", kwargs={"weights": None, "alpha": 0.5, "input_shape": (160, 160, 3)})
    assert entry is not None and dict(entry.config) == {"alpha": 0.5, "input_size": 160}
    assert dict(known("keras.applications:MobileNet").config) == {"alpha": 1.0, "input_size": 224}


def test_every_mobilenet_keras_applications_offers_is_checked() -> None:
    """keras.applications offers weights for alpha 0.25-1.0 × 128-224; each configuration has an entry, and
    the 15 other than 1.0 MobileNet-224 carry Table 1's types and strides and Sec. 3.2's 28 layers."""
    entries = [entry for entry in load("keras-applications") if entry.paper == "howard2017_mobilenet"]
    configs = sorted((dict(entry.config)["alpha"], dict(entry.config)["input_size"]) for entry in entries)
    assert configs == sorted((alpha, size) for alpha in (0.25, 0.5, 0.75, 1.0) for size in (128, 160, 192, 224))
    for entry in entries:
        claims = select_claims(entry.paper, entry.variant, config=dict(entry.config), invariants=entry.invariants)
        carried = [claim for claim in claims if "@" in claim.id]
        assert len(carried) == (0 if dict(entry.config) == {"alpha": 1.0, "input_size": 224} else 23)
        alpha, size = dict(entry.config)["alpha"], dict(entry.config)["input_size"]
        for claim in carried:
            assert claim.id.endswith(f"@alpha={alpha},input_size={size}")
            assert (claim.config.kwargs()["alpha"], claim.config.input_size) == (alpha, size)
            note = "printed for mobilenet_v1(input_size=224, alpha=1.0); holds at every configuration"
            assert note in claim.notes[-1]


@pytest.mark.xdist_group("keras")
def test_a_carried_claim_fails_on_a_model_that_breaks_it() -> None:
    """0.5 MobileNet-128 with its first two depthwise layers swapped by the stage map: conv_dw_1 (Table 1:
    s1) now finds a stride-2 layer, and the carried type/stride cells fail at that configuration."""
    from paperverify.stagemap import StageMap

    entry = known("keras.applications:MobileNet", kwargs={"weights": None, "alpha": 0.5, "input_shape": (128, 128, 3)})
    assert entry is not None and entry.invariants
    model = load_target("keras.applications:MobileNet", parse_kwargs(entry.kwargs))[0]
    points = dict(entry.stage_map.points)
    points["conv_dw_1"], points["conv_dw_2"] = points["conv_dw_2"], points["conv_dw_1"]
    options = {"paper": entry.paper, "variant": entry.variant, "config": dict(entry.config)}
    options |= {"deviations": entry.deviations, "invariants": entry.invariants}
    good = verify(model, stage_map=entry.stage_map, **options)
    assert good.ok
    bad = verify(model, stage_map=StageMap.of(points, []), **options)
    failed = sorted(v.claim for v in bad.verdicts if v.status == "mismatch")
    assert failed == [
        "howard2017_mobilenet/table1/mobilenet_v1/conv_dw_1/type_stride@alpha=0.5,input_size=128",
        "howard2017_mobilenet/table1/mobilenet_v1/conv_dw_2/type_stride@alpha=0.5,input_size=128",
    ]


def test_an_invariant_without_a_config_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import paperverify.thirdparty as thirdparty

    (tmp_path / "keras_applications.toml").write_text(
        'framework = "keras"\n[invariants.every]\nclaims = ["x/*"]\nreason = "r"\ncitation = "c"\n'
        '[[models]]\ntarget = "m:f"\npaper = "p"\nvariant = "v"\ninvariants = ["every"]\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(thirdparty, "_HERE", tmp_path)
    message = r"model 1 \(m:f\): invariants carry claims .* give the entry a config"
    with pytest.raises(thirdparty.ThirdPartyError, match=message):
        load("keras-applications")
    (tmp_path / "keras_applications.toml").write_text(
        'framework = "keras"\n[invariants.every]\nclaims = ["x/*"]\n', encoding="utf-8"
    )
    with pytest.raises(thirdparty.ThirdPartyError, match=r"\[invariants.every\]: missing \['citation', 'reason'\]"):
        load("keras-applications")
    (tmp_path / "keras_applications.toml").write_text('framework = "jax"\n', encoding="utf-8")
    with pytest.raises(thirdparty.ThirdPartyError, match=r"framework must name .* Received: 'jax'"):
        load("keras-applications")


def test_torchvision_conformance_runs_or_reports_every_claim_as_an_error() -> None:
    entries = load("torchvision")
    if importlib.util.find_spec("torchvision") is None:
        for entry in entries:
            result = check_entry(entry)
            assert len(result.verdicts) == len(select_claims(entry.paper, entry.variant))
            assert {v.status for v in result.verdicts} == {"error"}
            assert all("cannot import module 'torchvision.models'" in v.detail for v in result.verdicts)
    else:
        document = run_conformance("torchvision")
        assert document["problems"] == []
        assert {item["status"] for item in document["records"]} <= {"match", "erratum", "deviation"}


def test_torchvision_stochastic_depth_is_known_by_name_without_importing_torchvision() -> None:
    """EfficientNet's MBConv in torchvision ends with a StochasticDepth, the identity in inference."""
    from torch import nn

    from paperverify.frameworks.torch.probe import kind_of

    stochastic_depth = type("StochasticDepth", (nn.Module,), {"__module__": "torchvision.ops.stochastic_depth"})
    assert kind_of("features.1.0.stochastic_depth", stochastic_depth()) == "dropout"
    elsewhere = type("StochasticDepth", (nn.Module,), {"__module__": "my.layers"})
    assert kind_of("features.1.0.stochastic_depth", elsewhere()) == "unknown"


@pytest.mark.xdist_group("keras")
def test_a_separable_conv2d_is_traced_as_its_depthwise_and_pointwise_convolutions(tf_threads: int) -> None:
    import keras

    from paperverify.frameworks.keras import probe as probe_keras

    inputs = keras.Input((9, 9, 6))
    layer = keras.layers.SeparableConv2D(10, 3, 2, padding="same", depth_multiplier=2, activation="relu", name="sep")
    model = keras.Model(inputs, layer(inputs))
    depthwise, pointwise, relu = probe_keras.probe_model(model).layers
    assert (depthwise.name, depthwise.kind) == ("sep.depthwise", "conv2d")
    assert (depthwise.kernel, depthwise.stride) == ((3, 3), (2, 2))
    assert (depthwise.groups, depthwise.channels, depthwise.output_shape, depthwise.bias) == (6, 12, (5, 5, 12), False)
    assert depthwise.params == 3 * 3 * 6 * 2 and depthwise.macs == 5 * 5 * 12 * 3 * 3
    assert (pointwise.name, pointwise.kernel, pointwise.groups, pointwise.input_shapes) == (
        "sep.pointwise",
        (1, 1),
        1,
        ((5, 5, 12),),
    )
    assert pointwise.params == 12 * 10 + 10 and pointwise.bias and pointwise.macs == 5 * 5 * 12 * 10
    assert pointwise.params + depthwise.params == model.count_params()
    assert (relu.name, relu.kind) == ("sep.relu", "relu")


@pytest.mark.xdist_group("keras")
def test_keras_xception_conforms_whatever_layers_the_session_named_before(tf_threads: int) -> None:
    """Keras' Xception leaves its shortcut convolutions and sums unnamed; the shipped map names them as a fresh
    session does (conv2d, ..., add_11), which paperverify gives every target it builds."""
    import keras

    keras.layers.Conv2D(1, 1)  # takes the name conv2d in this session
    keras.layers.Add()
    entry = known("keras.applications:Xception")
    assert entry is not None
    verdicts = check_entry(entry).verdicts
    assert len(verdicts) == 37 and {v.claim for v in verdicts if v.status != "match"} == {
        "chollet2017_xception/text/sec4_3_dropout"
    }
    assert keras.layers.Conv2D(1, 1).name.startswith("conv2d_")  # the session's own counters go on


def test_check_uses_the_shipped_map_for_a_known_target() -> None:
    entry = known("keras.applications:ResNet50", PAPER)
    assert entry is not None and entry.variant == "resnet50"
    assert entry.stage_map.rename("conv3_block1_0_conv") == "conv3_x.conv3_1.shortcut.0_conv"
    assert known("my.models:resnet50") is None


@pytest.mark.xdist_group("keras")
@pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")
def test_a_saved_keras_model_file_is_a_target(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from implementations.keras.resnet import resnet18

    path = tmp_path / "mine.keras"
    resnet18().save(path)
    assert main(["check", str(path), "--paper", PAPER, "--variant", "resnet18"]) == 0
    out = capsys.readouterr().out
    assert "mine.keras [keras] against he2016_resnet, variant resnet18" in out
    assert "19 claims × 1 framework(s): 19 match" in out


@pytest.mark.xdist_group("keras")
def test_a_keras_model_built_at_227_diverges_at_conv1() -> None:
    from implementations.keras.resnet import resnet18
    from paperverify.frameworks.keras.probe import build_without_weights

    model = build_without_weights(resnet18, input_size=227, input_channels=3)
    result = verify(model, paper=PAPER, variant="resnet18")
    divergence = result.report["divergences"][0]
    assert (divergence["point"], divergence["expected"], divergence["measured"]) == ("conv1", "112×112", "114×114×64")
    with pytest.raises(CheckError, match=r"checked at its own input, \(227, 227\), not at input_size=224"):
        verify(model, paper=PAPER, variant="resnet18", input_size=224)


@pytest.mark.xdist_group("keras")
def test_a_keras_model_without_a_fixed_input_is_an_error_verdict_not_a_crash() -> None:
    import keras

    inputs = keras.Input((None, None, 3))
    model = keras.Model(inputs, keras.layers.Conv2D(8, 3, name="conv1")(inputs))
    result = verify(model, paper=PAPER, variant="resnet18")
    assert {v.status for v in result.verdicts} == {"error"}
    assert "cannot probe a model without a fixed input shape" in result.verdicts[0].detail

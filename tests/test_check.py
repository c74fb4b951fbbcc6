"""`paperverify check` and the Python API on other people's models: broken ResNets are caught at the right
table cell and first diverging point; bad targets are usage errors (exit 2); real weights stay untouched;
stage maps and recorded deviations line third-party models up with the paper."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from paperverify import assert_matches, verify
from paperverify.check import CheckError, Deviation, PaperMismatchError
from paperverify.cli import main
from paperverify.stagemap import StageMap, StageMapError, parse_entries
from paperverify.targets import parse_kwargs

BROKEN = str(Path(__file__).parent / "broken_models.py")
PAPER = "he2016_resnet"


def check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["check", *args])
    out, err = capsys.readouterr()
    return code, out, err


def failing_claims(report: dict) -> set[str]:
    return {item["claim"] for item in report["records"] if item["status"] in ("mismatch", "error")}


@pytest.mark.xdist_group("torch")
def test_a_block_fed_from_the_wrong_tensor_diverges_at_conv3_x(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, torch_threads: int
) -> None:
    code, out, _ = check(
        capsys, f"{BROKEN}:wrong_feed", "--paper", PAPER, "--variant", "resnet18", "--report", str(tmp_path)
    )
    assert code == 1
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    (divergence,) = report["divergences"]
    assert (divergence["point"], divergence["expected"], divergence["measured"]) == ("conv3_x", "28×28", "56×56×128")
    assert f"{PAPER}/table1/resnet18/conv3_x/output_shape" in failing_claims(report)
    assert f"{PAPER}/table1/resnet18/conv2_x/output_shape" not in failing_claims(report)
    assert (
        "first divergence: he2016_resnet Table 1, resnet18 [torch]: at conv3_x expected 28×28, found 56×56×128" in out
    )


@pytest.mark.xdist_group("torch")
def test_a_stride_moved_from_the_pool_diverges_at_the_pool_row(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, torch_threads: int
) -> None:
    code, _, _ = check(
        capsys, f"{BROKEN}:stride_moved_from_pool", "--paper", PAPER, "--variant", "resnet50", "--report", str(tmp_path)
    )
    assert code == 1
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    (divergence,) = report["divergences"]
    assert (divergence["point"], divergence["expected"], divergence["measured"]) == (
        "conv2_x.maxpool",
        "56×56",
        "112×112×64",
    )
    # The printed stride and size of the pool row; the sizes meet again at conv2_x, and the 0.04×10^9
    # multiply-adds conv2_1's first 1×1 now spends at 112×112 stay within the FLOPs cell's tolerance.
    assert failing_claims(report) == {
        f"{PAPER}/table1/resnet50/conv2_pool/output_shape",
        f"{PAPER}/table1/resnet50/conv2_pool/structure",
    }


@pytest.mark.xdist_group("torch")
def test_a_stride_moved_inside_a_block_shows_only_in_the_multiply_adds(torch_threads: int) -> None:
    from tests.broken_models import stride_on_3x3

    result = verify(stride_on_3x3(), paper=PAPER, variant="resnet50")
    assert {v.claim for v in result.failures} == {
        f"{PAPER}/table1/resnet50/macs",
        f"{PAPER}/text/sec4.1_resnet50_flops",
    }
    assert result.report["divergences"] == []
    (macs,) = [v for v in result.failures if v.claim.endswith("table1/resnet50/macs")]
    assert macs.measured == "4089184256"


@pytest.mark.xdist_group("torch")
def test_ten_classes_fail_the_head_structure_cell(capsys: pytest.CaptureFixture[str], torch_threads: int) -> None:
    code, out, _ = check(capsys, f"{BROKEN}:ten_classes", "--paper", PAPER, "--variant", "resnet50")
    assert code == 1
    assert "he2016_resnet/table1/resnet50/head/structure" in out
    assert "layer 2 (fc): expected dense 1000, found dense 10" in out
    assert "at avgpool expected 3 layers: average pool; dense 1000; softmax" not in out  # the summary, not a dump


@pytest.mark.xdist_group("torch")
def test_a_correct_model_passes_and_a_report_is_written(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, torch_threads: int
) -> None:
    code, out, _ = check(
        capsys,
        "implementations.torch.resnet:resnet34",
        "--paper",
        PAPER,
        "--kwarg",
        "shortcut='A'",
        "--report",
        str(tmp_path),
        "--format",
        "md,json",
    )
    assert code == 0, out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json", "report.md"]
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["subject"] == "implementations.torch.resnet:resnet34 against he2016_resnet"
    assert report["summary"]["match"] == report["summary"]["total"] == 21


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("no/such/file.py:build", "no such file: no/such/file.py"),
        (f"{BROKEN}:missing", "has no attribute 'missing'"),
        (f"{BROKEN}:raises", "raised RuntimeError: the builder is broken"),
        (f"{BROKEN}:not_a_model", "one of keras.Model, onnx.ModelProto, torch.nn.Module. Received: builtins.int"),
        ("no_such_package.models:build", "cannot import module 'no_such_package.models'"),
        ("just_a_name", "TARGET is package.module:callable"),
        ("missing_model.keras", "no such file: missing_model.keras"),
    ],
)
def test_a_bad_target_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], target: str, message: str, torch_threads: int
) -> None:
    code, out, err = check(capsys, target, "--paper", PAPER, "--variant", "resnet50")
    assert code == 2
    assert message in err, err
    assert "Traceback" not in out + err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--paper", "nobody2020_net"], "no reference tables for paper 'nobody2020_net'"),
        (["--paper", PAPER, "--variant", "resnet51"], "makes no claim about variant 'resnet51'"),
        (["--paper", PAPER], "describes several variants; give one with --variant"),
        (["--paper", PAPER, "--variant", "resnet50", "--map", "conv3_x"], "--map expects PAPER_POINT=LAYER"),
        (["--paper", PAPER, "--variant", "resnet50", "--kwarg", "3=x"], "--kwarg expects NAME=VALUE"),
        (["--paper", PAPER, "--variant", "resnet50", "--format", "pdf"], "unknown formats ['pdf']"),
        (["--paper", PAPER, "--variant", "resnet50", "--kwarg", "depth=7"], "does not take these arguments"),
    ],
)
def test_bad_options_are_usage_errors(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str, torch_threads: int
) -> None:
    code, _, err = check(capsys, f"{BROKEN}:ten_classes", *args)
    assert code == 2
    assert message in err, err


@pytest.mark.xdist_group("torch")
def test_a_model_with_real_weights_is_probed_without_being_touched(torch_threads: int) -> None:
    from implementations.torch.resnet import resnet18

    model = resnet18()
    before = {name: tensor.clone() for name, tensor in model.state_dict().items()}
    result = verify(model, paper=PAPER, variant="resnet18")
    assert result.ok, result.describe()
    after = model.state_dict()
    assert all(after[name].device.type == "cpu" and torch.equal(after[name], before[name]) for name in before)
    assert model.training  # the probe's eval mode was set on its meta copy only


@pytest.mark.xdist_group("torch")
def test_assert_matches_raises_with_a_readable_diff(torch_threads: int) -> None:
    from tests.broken_models import wrong_feed

    with pytest.raises(PaperMismatchError) as raised:
        assert_matches(wrong_feed(), paper=PAPER, variant="resnet18")
    message = str(raised.value)
    assert (
        "he2016_resnet/table1/resnet18/conv3_x/output_shape: paper '28×28', expected 28×28, found 56×56×128" in message
    )
    assert "first divergence (Table 1): at conv3_x expected 28×28, found 56×56×128" in message
    assert isinstance(raised.value, AssertionError)


@pytest.mark.xdist_group("torch")
def test_the_variant_is_inferred_from_the_model_name(torch_threads: int) -> None:
    from implementations.torch.resnet import resnet50

    assert verify(resnet50(), paper=PAPER, name="ResNet50").variant == "resnet50"
    with pytest.raises(CheckError, match="give one with --variant"):
        verify(resnet50(), paper=PAPER, name="MyNet")


def test_a_stage_map_renames_to_the_paper_points() -> None:
    torchvision_like = StageMap.of(
        {"conv1": ["conv1", "bn1", "relu"], "conv3_x": "layer2", "conv3_x.conv3_1": "layer2.0"}, ["*.downsample.*"]
    )
    assert torchvision_like.rename("bn1") == "conv1"
    assert torchvision_like.rename("layer2.1.conv1") == "conv3_x.1.conv1"
    assert torchvision_like.rename("layer2.0.conv1") == "conv3_x.conv3_1.conv1"
    assert torchvision_like.rename("layer2.0.downsample.0") == "conv3_x.conv3_1.shortcut.downsample.0"
    assert torchvision_like.rename("layer20.conv") == "layer20.conv"  # a prefix ends at a separator
    assert torchvision_like.rename("fc") == "fc"
    nested = StageMap.of({"conv1": ["features.0", "features.2"], "conv1.conv1_1": "features.0"})
    assert (nested.rename("features.0"), nested.rename("features.2")) == ("conv1.conv1_1", "conv1")
    keras_like = StageMap.of({"conv2_x": "conv2"}, ["*_0_conv"])
    assert keras_like.rename("conv2_block1_0_conv") == "conv2_x.shortcut.block1_0_conv"
    assert keras_like.rename("conv2_block1_1_conv") == "conv2_x.block1_1_conv"
    assert parse_entries(["conv3_x=layer2", "conv1=conv1,bn1"]).rename("bn1") == "conv1"
    with pytest.raises(StageMapError, match="Received: 'conv3_x='"):
        parse_entries(["conv3_x="])


def test_kwargs_are_literals_or_strings() -> None:
    assert parse_kwargs(["weights=None", "size=(224, 224, 3)", "name=resnet", "rate=0.5"]) == {
        "weights": None,
        "size": (224, 224, 3),
        "name": "resnet",
        "rate": 0.5,
    }


@pytest.mark.xdist_group("torch")
def test_recorded_deviations_pass_and_stale_ones_are_problems(torch_threads: int) -> None:
    from tests.broken_models import stride_on_3x3

    v15 = Deviation((f"{PAPER}/table1/resnet50/macs", f"{PAPER}/text/sec4.1_*"), "stride on the 3×3", "a citation")
    stale = Deviation((f"{PAPER}/table1/resnet50/conv1/*",), "never happens", "nowhere")
    result = verify(stride_on_3x3(), paper=PAPER, variant="resnet50", deviations=[v15])
    assert result.ok and result.report["summary"]["deviation"] == 2
    assert all(
        "recorded deviation: stride on the 3×3 [a citation]" in v.detail
        for v in result.verdicts
        if v.status == "deviation"
    )
    result = verify(stride_on_3x3(), paper=PAPER, variant="resnet50", deviations=[v15, stale])
    assert not result.ok
    assert any("never happens" in problem for problem in result.report["problems"])


USERS = str(Path(__file__).parent / "user_models.py")


@pytest.mark.xdist_group("torch")
def test_a_class_the_probe_cannot_tell_fails_only_the_costs_until_its_kind_is_declared(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, torch_threads: int
) -> None:
    """The stem's activation is a user's own class: sizes, structure and parameters are still checked; the
    multiply-add claims are errors that name the layer and say how to declare its kind; --kind declares it."""
    target = f"{USERS}:resnet18_with_own_rectifier"
    code, out, _ = check(capsys, target, "--paper", PAPER, "--variant", "resnet18", "--report", str(tmp_path))
    assert code == 1
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    errors = {item["claim"]: item["detail"] for item in report["records"] if item["status"] == "error"}
    assert errors and all(claim.endswith(("/macs", "_flops")) for claim in errors), sorted(errors)
    assert all(
        "conv1.relu (user_models.Rectifier)" in detail and "--kind CLASS=KIND" in detail for detail in errors.values()
    )
    assert {item["status"] for item in report["records"]} == {"match", "error"}
    code, out, _ = check(capsys, target, "--paper", PAPER, "--variant", "resnet18", "--kind", "Rectifier=relu")
    assert code == 0, out
    code, _, err = check(capsys, target, "--paper", PAPER, "--variant", "resnet18", "--kind", "Rectifier")
    assert code == 2 and "--kind expects CLASS=KIND" in err
    code, _, err = check(capsys, target, "--paper", PAPER, "--variant", "resnet18", "--kind", "Rectifier=rectifier")
    assert code == 2 and "declared kinds must be among" in err


SIBLING = """
def width() -> int:
    return 64
"""

NETWORK = """
from blocks import width  # a sibling module, as a repository's model file imports its blocks

from implementations.torch.resnet import resnet18


def build():
    assert width() == 64
    return resnet18()


def leaves():
    import sys

    sys.exit(0)
"""


@pytest.mark.xdist_group("torch")
def test_a_file_target_imports_its_siblings_and_an_exit_is_an_error_not_a_pass(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, torch_threads: int
) -> None:
    (tmp_path / "blocks.py").write_text(SIBLING, encoding="utf-8")
    (tmp_path / "network.py").write_text(NETWORK, encoding="utf-8")
    code, out, _ = check(capsys, f"{tmp_path / 'network.py'}:build", "--paper", PAPER, "--variant", "resnet18")
    assert code == 0, out
    code, _, err = check(capsys, f"{tmp_path / 'network.py'}:leaves", "--paper", PAPER, "--variant", "resnet18")
    assert code == 2 and "called sys.exit(0) instead of returning a model: nothing was checked" in err
    (tmp_path / "quits.py").write_text("import sys\n\nsys.exit(0)\n", encoding="utf-8")
    code, _, err = check(capsys, f"{tmp_path / 'quits.py'}:build", "--paper", PAPER, "--variant", "resnet18")
    assert code == 2 and "importing" in err and "called sys.exit(0)" in err


@pytest.mark.xdist_group("torch")
def test_a_head_written_with_functional_calls_is_seen(capsys: pytest.CaptureFixture[str], torch_threads: int) -> None:
    """`F.adaptive_avg_pool2d`, `torch.flatten` and `F.softmax` in the model's forward are the paper's average pool
    and softmax (Table 1's last row), found at the points `avgpool` and `softmax` without a map."""
    code, out, _ = check(capsys, f"{USERS}:resnet18_with_a_functional_head", "--paper", PAPER, "--variant", "resnet18")
    assert code == 0, out
    assert "he2016_resnet/table1/resnet18/head/structure           average pool, 1000-d fc, softmax  3 layers" in out

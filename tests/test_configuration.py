"""Which of a paper's configurations a model is (paperverify.configuration): claims printed for another are
skipped with the reason, never held against the model, and never hide what the model gets wrong."""

from __future__ import annotations

import pytest

from paperverify import verify
from tests.strangers import keras_mobilenet, torch_mobilenet, torch_senet

MOBILENET = "howard2017_mobilenet"
SENET = "hu2018_senet"
#: MobileNet's rows printed for other widths (Tables 3, 5, 6, 9), other networks (Table 3's and Table 4's full
#: convolutions, Table 5's shallow MobileNet) and other resolutions (Table 7, Table 9).
OTHER_WIDTHS = {
    *(f"table6/mobilenet_v1/mobilenet_{alpha}_224/{column}" for alpha in ("0.75", "0.5", "0.25")
      for column in ("macs", "params")),
    "table9/mobilenet_v1/mobilenet_0.50_160/macs", "table9/mobilenet_v1/mobilenet_0.50_160/params",
    "table5/mobilenet_v1/mobilenet_0.75/macs", "table5/mobilenet_v1/mobilenet_0.75/params",
    *(f"{row}/{column}" for row in ("table4/mobilenet_v1/conv_mobilenet", "table5/mobilenet_v1/shallow_mobilenet")
      for column in ("macs", "params")),
    *(f"table3/mobilenet_v1/{row}/{column}" for row in ("convolution", "alpha", "rho")
      for column in ("layer_macs", "layer_params")),
}  # fmt: skip
OTHER_SIZES = {
    *(f"table7/mobilenet_v1/mobilenet_1.0_{size}/macs" for size in (192, 160, 128)),
    "table10/mobilenet_v1/mobilenet_1.0_192/macs", "table12/mobilenet_v1/mobilenet_1.0_128/layer_macs",
}  # fmt: skip
#: Tables 10 and 12's rows of other widths (Table 12's unchecked Mult-Adds make no claim), and Table 10's
#: parameters, printed for a 120-way classifier.
OTHER_WIDTHS |= {
    *(f"table10/mobilenet_v1/mobilenet_0.75_{size}/macs" for size in (224, 192)),
    *(f"table10/mobilenet_v1/{row}/params" for row in ("mobilenet_1.0_224", "mobilenet_0.75_224",
                                                       "mobilenet_1.0_192", "mobilenet_0.75_192")),
    "table12/mobilenet_v1/mobilenet_0.5_224/layer_macs",
    *(f"table12/mobilenet_v1/mobilenet_{row}/layer_params" for row in ("0.5_224", "0.25_224", "0.5_128", "0.25_128")),
}  # fmt: skip


def _skipped(result) -> dict[str, str]:
    return {v.claim.removeprefix(f"{result.paper}/"): v.detail for v in result.verdicts if v.status == "skipped"}


@pytest.mark.xdist_group("torch")
def test_a_mobilenet_is_checked_as_the_width_its_parameters_say(torch_threads: int) -> None:
    """A 1.0 MobileNet whose 7×7 average pool takes only a 224 input: the rows of other widths are skipped, as our
    1.0 MobileNet does not give them either; those of smaller inputs, which it cannot take, are skipped saying
    so; every claim about 1.0 MobileNet-224 is checked and matches."""
    model = torch_mobilenet.mobilenet_v1()
    result = verify(model, paper=MOBILENET, variant="mobilenet_v1")
    assert result.ok, result.describe()
    params = sum(p.numel() for p in model.parameters())  # PyTorch's own count, not the probe's
    assert result.configuration == (
        "checked as mobilenet_v1(alpha=1.0, full_convolutions=False, num_classes=1000, shallow=False): our "
        f"mobilenet_v1(alpha=1.0, full_convolutions=False, num_classes=1000, shallow=False) has its {params:,} "
        "parameters"
    )
    skipped = _skipped(result)
    assert set(skipped) >= OTHER_WIDTHS | OTHER_SIZES
    assert not [claim for claim in set(skipped) - OTHER_WIDTHS if "1.0_224" in claim or claim.startswith("table1/")]
    assert (
        "which this model is not: it is mobilenet_v1(alpha=1.0, full_convolutions=False, num_classes=1000, "
        "shallow=False)" in skipped["table6/mobilenet_v1/mobilenet_0.5_224/macs"]
    )
    assert (
        "printed for a 192×192 input, which this model cannot take"
        in skipped["table7/mobilenet_v1/mobilenet_1.0_192/macs"]
    )
    at_224 = verify(torch_mobilenet.mobilenet_v1(), paper=MOBILENET, variant="mobilenet_v1", input_size=224)
    assert (
        at_224.ok
        and "this model is built for 224×224" in _skipped(at_224)["table7/mobilenet_v1/mobilenet_1.0_160/macs"]
    )


@pytest.mark.xdist_group("keras")
def test_a_keras_model_built_for_224_skips_the_rows_of_other_inputs(tf_threads: int, torch_threads: int) -> None:
    result = verify(keras_mobilenet.mobilenet(), paper=MOBILENET, variant="mobilenet_v1")
    assert result.ok, result.describe()
    skipped = _skipped(result)
    assert set(skipped) == OTHER_WIDTHS | OTHER_SIZES
    assert all("this model is built for 224×224" in skipped[claim] for claim in OTHER_SIZES)


@pytest.mark.xdist_group("torch")
def test_another_configuration_the_paper_prints_is_said_and_config_checks_the_one_meant(torch_threads: int) -> None:
    """An SE-ResNet-50 with reduction 8 is Table 10's r = 8 network: it passes as that, and says so; checked as
    the reduction-16 network of Table 1 (`config`), its excitation widths fail at their cells."""
    model = torch_senet.se_resnet50_reduction8()
    result = verify(model, paper=SENET, variant="se_resnet50")
    assert result.ok, result.describe()
    assert result.configuration.startswith("checked as se_resnet50(reduction=8, se_stages='2345')")
    assert "table1/se_resnet50/conv2_x/structure" in _skipped(result)
    meant = verify(model, paper=SENET, variant="se_resnet50", config={"reduction": 16})
    failing = {v.claim.removeprefix(f"{SENET}/") for v in meant.failures}
    assert {f"table1/se_resnet50/conv{n}_x/structure" for n in (2, 3, 4, 5)} <= failing
    assert not _skipped(meant)

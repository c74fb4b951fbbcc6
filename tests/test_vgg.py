"""VGG (Simonyan & Zisserman, arXiv 1409.1556v6): what the paper's arithmetic predicts, the `lrn` layer kind,
and a negative control of the numerical parity.

Expected values are written here from the paper (Table 1, p. 3; Sec. 2.1, p. 2; Sec. 3.1, p. 4; AlexNet's
LRN formula, Krizhevsky et al. 2012, Sec. 3.3, p. 4), never read from `implementations/specs/vgg.py`.

The generic invariants (identical Keras and PyTorch traces, parameters against the input size, the flop
counter, parity both ways) are tests/test_models.py's. The negative control runs the same parity
(`tests.parity`, our PyTorch model against our Keras implementation) at a 64×64 input, where pool5 is 2×2×512,
with fc6's rows left in PyTorch's C×H×W flatten order instead of Keras' H×W×C: the outputs must part at fc6.
"""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperverify import compare
from paperverify.claims import Config
from paperverify.closeness import DEFAULT, assert_close
from paperverify.counting import count_macs
from paperverify.probes import probe
from paperverify.tables import load_claims
from tests.models import CASES, VGGS
from tests.parity import parity, rows_in_chw_order

VARIANTS = VGGS  # Table 1's columns A, A-LRN, B, C, D, E
#: Table 1, p. 3: convolutions in each block (between maxpool rows), per column A, A-LRN, B, C, D, E.
BLOCK_CONVS = {
    "vgg11": (1, 1, 2, 2, 2),
    "vgg11_lrn": (1, 1, 2, 2, 2),
    "vgg13": (2, 2, 2, 2, 2),
    "vgg16_c": (2, 2, 3, 3, 3),
    "vgg16": (2, 2, 3, 3, 3),
    "vgg19": (2, 2, 4, 4, 4),
}
#: Sec. 2.2, p. 2: "starting from 64 in the first layer and then increasing by a factor of 2 after each
#: max-pooling layer, until it reaches 512".
WIDTHS = (64, 128, 256, 512, 512)
#: AlexNet (Krizhevsky et al., 2012), Sec. 3.3, p. 4: "we used k = 2, n = 5, α = 10−4, and β = 0.75".
K, N, ALPHA, BETA = 2.0, 5, 1e-4, 0.75

SEED = 0
#: tests/models.py's parity size, 64: pool5 is 2×2×512 there (at 32 it would be 1×1, and the order of fc6's rows
#: could not matter).
FC6_CONTROL_SIZE = CASES["vgg11"].parity_size

# Inputs of 32 to 256 pixels, in steps of 32 (five pools of stride 2), for every column; fc6 sized for the input.
configs = st.sampled_from(VARIANTS).flatmap(lambda variant: CASES[variant].configs)


@given(config=configs)
def test_pools_halve_the_size_and_convolutions_keep_it(config: Config, torch_threads: int) -> None:
    trace = probe(config, "torch")
    size = config.input_size
    for block, (convs, width) in enumerate(zip(BLOCK_CONVS[config.variant], WIDTHS, strict=True), start=1):
        layers = [layer for layer in trace.under((f"conv{block}",)) if layer.kind == "conv2d"]
        assert len(layers) == convs, block
        for layer in layers:  # Sec. 2.1: stride 1, padding that preserves the resolution
            assert layer.stride == (1, 1) and layer.input_shapes[0][:2] == layer.output_shape[:2], layer.name
        size //= 2  # Sec. 2.1: 2×2 max pooling with stride 2
        assert trace.point(f"pool{block}").output_shape == (size, size, width)
    fc6 = trace.point("fc6")
    assert fc6.input_shapes == ((size * size * 512,),) and fc6.output_shape == (4096,)
    assert trace.point("fc8").output_shape == (1000,)
    assert trace.layers[-1].kind == "softmax"


@given(config=configs)
def test_fully_connected_parameters_follow_pool5(config: Config, torch_threads: int) -> None:
    """Sec. 2.1: three FC layers, 4096, 4096 and 1000 channels; fc6 reads pool5's (size/32)²×512 features."""
    trace = probe(config, "torch")
    side = config.input_size // 32
    assert trace.point("fc6").params == (side * side * 512 + 1) * 4096
    assert trace.point("fc7").params == (4096 + 1) * 4096
    assert trace.point("fc8").params == (4096 + 1) * 1000


@pytest.mark.parametrize("variant", VARIANTS)
def test_relu_after_every_hidden_layer_and_dropout_after_fc6_and_fc7(variant: str, torch_threads: int) -> None:
    """Sec. 2.1: "All hidden layers are equipped with the rectification (ReLU)"; Sec. 2.2: A-LRN's LRN sits
    after conv1_1 (AlexNet: after the ReLU); Sec. 3.1: dropout for the first two FC layers."""
    kinds = [(layer.name, layer.kind) for layer in probe(Config(variant, 224), "torch").layers]
    for index, (name, kind) in enumerate(kinds):
        if kind == "conv2d" or name in ("fc6", "fc7"):
            assert kinds[index + 1][1] == "relu", name
        if name in ("fc6", "fc7"):
            assert kinds[index + 2][1] == "dropout", name
    lrn = [name for name, kind in kinds if kind == "lrn"]
    assert lrn == (["conv1.lrn"] if variant == "vgg11_lrn" else [])
    if lrn:
        assert [name for name, _ in kinds[:3]] == ["conv1.conv1_1", "conv1.relu1_1", "conv1.lrn"]
    assert [kind for _, kind in kinds[-2:]] == ["dense", "softmax"]


@pytest.mark.parametrize("variant", ["vgg16", "vgg19"])
def test_dropout_ratio_is_one_half_in_both_frameworks(variant: str, torch_threads: int, tf_threads: int) -> None:
    """Sec. 3.1, p. 4: "dropout ratio set to 0.5"."""
    import torch

    from paperverify.frameworks.keras.probe import build_without_weights
    from paperverify.registry import get

    with torch.device("meta"):
        torch_model = get(variant).builder("torch")()
    keras_model = build_without_weights(get(variant).builder("keras"))
    for name in ("drop6", "drop7"):
        assert torch_model.get_submodule(name).p == 0.5
        assert keras_model.get_layer(name).rate == 0.5


def test_a_size_the_classifier_was_not_built_for_fails_to_build_or_run(torch_threads: int, tf_threads: int) -> None:
    import torch

    from implementations.keras.vgg import vgg11 as keras_vgg11
    from implementations.torch.vgg import vgg11
    from paperverify.frameworks.torch.probe import probe_model

    with torch.device("meta"):
        model = vgg11(input_size=224)
    with pytest.raises(RuntimeError):  # fc6 expects 7×7×512 = 25088 inputs, gets 2×2×512
        probe_model(model, (64, 64, 3))
    with pytest.raises(ValueError, match="five 2×2 pools"):
        keras_vgg11(input_size=31)


# --- the lrn kind -----------------------------------------------------------------------------------------


def _alexnet_lrn(a: np.ndarray) -> np.ndarray:
    """AlexNet's formula on channels-last activations: b_i = a_i / (k + α Σ_{j=max(0,i−n/2)}^{min(N−1,i+n/2)}
    a_j²)^β."""
    channels = a.shape[-1]
    out = np.empty_like(a, dtype=np.float64)
    for i in range(channels):
        window = a[..., max(0, i - N // 2) : min(channels - 1, i + N // 2) + 1].astype(np.float64)
        out[..., i] = a[..., i] / (K + ALPHA * np.sum(window**2, axis=-1)) ** BETA
    return out


def test_lrn_counts_no_multiply_adds_and_both_probes_know_it(torch_threads: int) -> None:
    from torch import nn

    from implementations.keras.blocks import LocalResponseNorm
    from paperverify.frameworks.keras import probe as probe_keras
    from paperverify.frameworks.torch import probe as probe_torch

    assert count_macs("conv1.lrn", "lrn", ((224, 224, 64),), (224, 224, 64)) == 0
    assert probe_torch.kind_of("lrn", nn.LocalResponseNorm(5)) == "lrn"
    layer = LocalResponseNorm(5, 1e-4, 0.75, 2.0, name="lrn")
    assert probe_keras.kind_of(layer) == "lrn"
    assert layer.compute_output_shape((None, 7, 7, 64)) == (None, 7, 7, 64)
    clone = LocalResponseNorm.from_config(layer.get_config())
    assert (clone.size, clone.alpha, clone.beta, clone.k) == (5, 1e-4, 0.75, 2.0)


def test_both_frameworks_compute_alexnets_lrn(torch_threads: int, tf_threads: int) -> None:
    """The parametrisation is AlexNet's in both: a wrong alpha (divided or not by n) would miss by far more."""
    import keras
    import torch

    from implementations.keras.blocks import LocalResponseNorm
    from implementations.torch.vgg import vgg11_lrn

    a = np.random.default_rng(SEED).uniform(0, 60, (2, 3, 4, 16)).astype(np.float32)  # α·Σa² up to ~1.8
    expected = _alexnet_lrn(a)
    keras_out = keras.ops.convert_to_numpy(LocalResponseNorm(N, ALPHA, BETA, K)(a))
    lrn = vgg11_lrn(input_size=32).get_submodule("conv1.lrn")
    torch_out = lrn(torch.from_numpy(a.transpose(0, 3, 1, 2))).numpy().transpose(0, 2, 3, 1)
    assert_close(keras_out, expected, what="Keras' LocalResponseNorm against AlexNet's formula")
    assert_close(torch_out, expected, what="PyTorch's conv1.lrn against AlexNet's formula")
    # Sensitivity: PyTorch's convention (alpha averaged over n) differs visibly from AlexNet's.
    assert not DEFAULT.compare(keras.ops.convert_to_numpy(LocalResponseNorm(N, ALPHA / N, BETA, K)(a)), expected).close


# --- deliberately broken models fail the right claims -----------------------------------------------------

CLAIMS = {claim.id: claim for claim in load_claims()}


def test_no_printed_cell_is_lost() -> None:
    """Table 1: 14 checked rows (5 blocks, 5 maxpools, 3 FC, soft-max) × 6 columns; Table 2: 'A,A-LRN' for two
    configurations plus B ... E; the text: 6 column headers, 5 stride and 5 pool statements, 3 FC widths, the
    FC count, the soft-max and 3 widths for all 6 configurations, the 7×7 map before fc6 for all 6, and 10
    single-configuration depths (Sec. 2.2: 6, Sec. 4.1: 2, Sec. 5: 1, Appendix A.1: 1)."""
    by_table: dict[str, int] = {}
    for claim in CLAIMS.values():
        if claim.source.paper == "simonyan2015_vgg":
            by_table[claim.source.table] = by_table.get(claim.source.table, 0) + 1
    assert by_table == {"table1": 14 * 6, "table2": 2 + 4, "text": 6 + (5 + 5 + 3 + 1 + 1 + 3 + 1) * 6 + 10}


def test_a_missing_lrn_or_a_missing_convolution_fails_the_claims_that_print_them(torch_threads: int) -> None:
    import torch
    from torch import nn

    from implementations.torch.vgg import vgg11, vgg11_lrn
    from paperverify.frameworks.torch.probe import probe_model

    with torch.device("meta"):
        no_lrn, short = vgg11_lrn(), vgg11()
    no_lrn.conv1.lrn = nn.Identity()
    short.conv5.conv5_2 = nn.Identity()
    trace = probe_model(no_lrn, (224, 224, 3))
    verdict = compare.judge(CLAIMS["simonyan2015_vgg/table1/vgg11_lrn/conv1/structure"], trace)
    assert verdict.status == "mismatch" and "expected 2 printed layers, found 1" in verdict.detail
    trace = probe_model(short, (224, 224, 3))
    assert compare.judge(CLAIMS["simonyan2015_vgg/text/sec2.2_A_conv_depth"], trace).measured == "7"
    assert compare.judge(CLAIMS["simonyan2015_vgg/text/sec2.2_A_fc_depth"], trace).status == "match"
    assert compare.judge(CLAIMS["simonyan2015_vgg/table1/vgg11/conv5/structure"], trace).status == "mismatch"


# --- numerical parity: a negative control ---------------------------------------------------------------


def test_fc6_copied_without_the_chw_to_hwc_permutation_breaks_parity(torch_threads: int, tf_threads: int) -> None:
    result = parity("vgg11", "torch", size=FC6_CONTROL_SIZE, tamper={"fc6": rows_in_chw_order})
    assert not result.equivalent, result.describe()
    assert result.first_layer is not None and result.first_layer.ours == "fc6", result.describe()
    assert result.first_point is not None and result.first_point.point == "fc6", result.describe()

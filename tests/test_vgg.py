"""VGG (Simonyan & Zisserman, arXiv 1409.1556v6): what the paper's arithmetic predicts, the `lrn` layer kind,
and numerical parity of the Keras and PyTorch builders.

Expected values are written here from the paper (Table 1, p. 3; Sec. 2.1, p. 2; Sec. 3.1, p. 4; AlexNet's
LRN formula, Krizhevsky et al. 2012, Sec. 3.3, p. 4), never read from `implementations/specs/vgg.py`.

Parity: PyTorch weights (He-normal, random biases) are copied by layer name into the Keras model of the same
configuration at a 64×64 input, where pool5 is 2×2×512, so that fc6's rows must be permuted from PyTorch's
CHW flattening order to Keras' HWC order; in inference mode logits and soft-max outputs agree to 1e-4. In
A-LRN, conv1_1's weights are scaled up so that the LRN works in its non-linear range (α·Σa² of order 1),
and conv2_1's down by the same factor so that later activations, and float32 rounding, stay of order 1.
"""

from __future__ import annotations

import os
from collections.abc import Collection

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperverify import compare
from paperverify.counting import count_macs
from paperverify.probes import probe
from paperverify.tables import Config, load_claims

VARIANTS = ["vgg11", "vgg11_lrn", "vgg13", "vgg16_c", "vgg16", "vgg19"]
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

TOLERANCE = 1e-4
PARITY_SIZE = 64
SEED = 0

sizes = st.sampled_from(range(32, 257, 32))


def _config(variant: str, size: int) -> Config:
    """A configuration whose fc6 is sized for size×size inputs (the builders' `input_size` option)."""
    return Config(variant, size, (("input_size", size),))


configs = st.builds(_config, st.sampled_from(VARIANTS), sizes)


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


@given(config=configs, other=sizes)
def test_convolution_parameters_do_not_depend_on_input_size(config: Config, other: int, torch_threads: int) -> None:
    moved = probe(_config(config.variant, other), "torch")
    here = probe(config, "torch")

    def conv_params(trace) -> int:
        return sum(layer.params for layer in trace.layers if layer.kind == "conv2d")

    assert conv_params(here) == conv_params(moved)
    for fc in ("fc7", "fc8"):
        assert here.point(fc).params == moved.point(fc).params
    side = other // 32
    assert moved.point("fc6").params == (side * side * 512 + 1) * 4096


@given(config=configs)
def test_keras_and_torch_traces_are_identical(config: Config, torch_threads: int, tf_threads: int) -> None:
    keras_trace, torch_trace = probe(config, "keras"), probe(config, "torch")
    assert [layer.name for layer in keras_trace.layers] == [layer.name for layer in torch_trace.layers]
    for keras_layer, torch_layer in zip(keras_trace.layers, torch_trace.layers, strict=True):
        assert keras_layer == torch_layer, keras_layer.name


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

    from paperverify.probes.probe_keras import build_without_weights
    from paperverify.registry import get

    with torch.device("meta"):
        torch_model = get(variant).builder("torch")()
    keras_model = build_without_weights(get(variant).builder("keras"))
    for name in ("drop6", "drop7"):
        assert torch_model.get_submodule(name).p == 0.5
        assert keras_model.get_layer(name).rate == 0.5


@pytest.mark.parametrize("variant", VARIANTS)
def test_analytic_macs_equal_flop_counter(variant: str, torch_threads: int) -> None:
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from paperverify.registry import get

    with torch.device("meta"):
        model = get(variant).builder("torch")()
        counter = FlopCounterMode(display=False)
        with counter, torch.no_grad():
            model(torch.empty(1, 3, 224, 224))
    assert counter.get_total_flops() == 2 * probe(Config(variant, 224), "torch").macs


def test_a_size_the_classifier_was_not_built_for_fails_to_build_or_run(torch_threads: int, tf_threads: int) -> None:
    with pytest.raises(RuntimeError):  # fc6 expects 7×7×512 = 25088 inputs, gets 2×2×512
        probe(Config("vgg11", 64, (("input_size", 224),)), "torch")
    with pytest.raises(ValueError, match="input_size=224"):
        probe(Config("vgg11", 64, (("input_size", 224),)), "keras")


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

    from implementations.keras.vgg import LocalResponseNorm
    from paperverify.probes import probe_keras, probe_torch

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

    from implementations.keras.vgg import LocalResponseNorm
    from implementations.torch.vgg import vgg11_lrn

    a = np.random.default_rng(SEED).uniform(0, 60, (2, 3, 4, 16)).astype(np.float32)  # α·Σa² up to ~1.8
    expected = _alexnet_lrn(a)
    keras_out = keras.ops.convert_to_numpy(LocalResponseNorm(N, ALPHA, BETA, K)(a))
    lrn = vgg11_lrn(input_size=32).get_submodule("conv1.lrn")
    torch_out = lrn(torch.from_numpy(a.transpose(0, 3, 1, 2))).numpy().transpose(0, 2, 3, 1)
    assert np.max(np.abs(keras_out - expected)) < 1e-5 * np.max(np.abs(expected))
    assert np.max(np.abs(torch_out - expected)) < 1e-5 * np.max(np.abs(expected))
    # Sensitivity: PyTorch's convention (alpha averaged over n) differs visibly from AlexNet's.
    assert (
        np.max(np.abs(_alexnet_lrn(a) - keras.ops.convert_to_numpy(LocalResponseNorm(N, ALPHA / N, BETA, K)(a)))) > 0.1
    )


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
    from paperverify.probes.probe_torch import probe_model

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


# --- numerical parity -------------------------------------------------------------------------------------


def _build_torch(variant: str):
    """The PyTorch model in eval mode, He-normal weights and random biases, at the parity input size."""
    import torch
    from torch import nn

    from paperverify.registry import get

    torch.manual_seed(SEED)
    model = get(variant).builder("torch")(input_size=PARITY_SIZE)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
                module.bias.normal_(0.0, 0.1)
        if variant == "vgg11_lrn":  # large activations into the LRN, and back to order 1 after it
            model.conv1.conv1_1.weight.mul_(20.0)
            model.conv2.conv2_1.weight.div_(20.0)
    return model.eval()


def _build_keras(variant: str):
    import keras

    from paperverify.registry import get

    keras.utils.set_random_seed(SEED)
    return get(variant).builder("keras")(input_shape=(PARITY_SIZE, PARITY_SIZE, 3))


def _copy_weights(torch_model, keras_model, unpermuted: Collection[str] = ()) -> None:
    """Copies every PyTorch weight into the Keras layer of the same name; a dense layer fed by the flatten has
    its input rows permuted from CHW to HWC order unless it is in `unpermuted`."""
    import keras

    modules = dict(torch_model.named_modules())
    copied = set()
    for layer in keras_model.layers:
        if not layer.weights:
            continue
        module = modules[layer.name]
        weight, bias = (t.detach().numpy() for t in (module.weight, module.bias))
        if isinstance(layer, keras.layers.Conv2D):
            kernel = weight.transpose(2, 3, 1, 0)  # OIHW -> HWIO
        else:
            kernel = weight.T
            feeder = keras_model.layers[keras_model.layers.index(layer) - 1]
            if isinstance(feeder, keras.layers.Flatten) and layer.name not in unpermuted:
                height, width, channels = feeder.input.shape[1:]
                kernel = weight.reshape(-1, channels, height, width).transpose(2, 3, 1, 0).reshape(kernel.shape)
        layer.set_weights([kernel, bias])
        copied.add(layer.name)
    assert copied == {name for name, m in modules.items() if any(True for _ in m.parameters(recurse=False))}


def _outputs(torch_model, keras_model, x: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Every layer output the two models share by name, (torch, keras), channels last, in Keras order; not the
    flatten's, whose element order differs between the frameworks by design (CHW against HWC)."""
    import keras
    import torch

    modules = dict(torch_model.named_modules())
    names = [layer.name for layer in keras_model.layers[1:] if layer.name in modules and layer.name != "flatten"]
    recorded: dict[str, np.ndarray] = {}
    handles = [
        modules[name].register_forward_hook(lambda _m, _i, out, name=name: recorded.__setitem__(name, out.numpy()))
        for name in names
    ]
    try:
        with torch.no_grad():
            torch_model(torch.from_numpy(x))
    finally:
        for handle in handles:
            handle.remove()
    probe_model = keras.Model(keras_model.input, [keras_model.get_layer(name).output for name in names])
    keras_out = probe_model(x.transpose(0, 2, 3, 1), training=False)
    pairs = {}
    for name, theirs in zip(names, keras_out, strict=True):
        ours = recorded[name]
        pairs[name] = (ours.transpose(0, 2, 3, 1) if ours.ndim == 4 else ours, keras.ops.convert_to_numpy(theirs))
    return pairs


def _first_divergence(pairs: dict[str, tuple[np.ndarray, np.ndarray]]) -> str | None:
    return next((name for name, (a, b) in pairs.items() if not np.max(np.abs(a - b)) <= TOLERANCE), None)


def _random_input() -> np.ndarray:
    return np.random.default_rng(SEED).standard_normal((2, 3, PARITY_SIZE, PARITY_SIZE)).astype(np.float32)


@pytest.mark.parametrize("variant", ["vgg11_lrn", "vgg16"])
def test_copied_weights_give_the_same_output(variant: str, torch_threads: int, tf_threads: int) -> None:
    torch_model, keras_model = _build_torch(variant), _build_keras(variant)
    _copy_weights(torch_model, keras_model)
    pairs = _outputs(torch_model, keras_model, _random_input())
    torch_logits = pairs["fc8"][0]
    assert torch_logits.shape == (2, 1000) and np.std(torch_logits) > 100 * TOLERANCE
    if variant == "vgg11_lrn":  # the LRN works in its non-linear range: α·Σa² is not negligible against k
        relu = pairs["conv1.relu1_1"][0]
        assert ALPHA * np.max(np.sum(relu**2, axis=-1)) > 0.5
    differences = {name: float(np.max(np.abs(a - b))) for name, (a, b) in pairs.items()}
    assert differences["fc8"] <= TOLERANCE and differences["softmax"] <= TOLERANCE, (
        f"first diverging layer: {_first_divergence(pairs)}; {differences}"
    )


def test_fc6_copied_without_the_chw_to_hwc_permutation_breaks_parity(torch_threads: int, tf_threads: int) -> None:
    torch_model, keras_model = _build_torch("vgg11_lrn"), _build_keras("vgg11_lrn")
    _copy_weights(torch_model, keras_model, unpermuted={"fc6"})
    pairs = _outputs(torch_model, keras_model, _random_input())
    assert np.max(np.abs(pairs["fc8"][0] - pairs["fc8"][1])) > TOLERANCE
    assert _first_divergence(pairs) == "fc6"

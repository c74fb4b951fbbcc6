"""AlexNet (Krizhevsky, Sutskever, Hinton, NIPS 2012): what the paper's arithmetic predicts over the input size,
the response normalization against the paper's formula, and negative controls of the numerical parity.

Expected values come from the paper, written here: the kernels and strides of Sec. 3.5 (11×11 stride 4,
5×5, 3×3), the pooling of Sec. 3.4 (z = 3, s = 2), the normalization of Sec. 3.3 (k = 2, n = 5, α = 10^−4,
β = 0.75), dropout 0.5 in the first two fully-connected layers (Sec. 4.2). The only unprinted choice under
test is conv1's zero padding (2 at the paper's 224, 0 for the 227 reading).

The generic invariants (identical Keras and PyTorch traces, parameters against the input size, the flop
counter, parity both ways) are tests/test_models.py's. The negative controls here run the same parity
(`tests.parity`, our PyTorch model against our Keras implementation at 95×95, where conv5's pooled maps are
2×2, so the order of fc6's inputs matters) with one of AlexNet's traps sprung, and must see the outputs part
at that layer: a grouped kernel (OIHW with I/groups in PyTorch) perturbed in the second group; fc6's rows left
in PyTorch's C×H×W flatten order instead of Keras' H×W×C; PyTorch's LocalResponseNorm, which divides its
alpha by n, given the paper's α undivided (with conv1's kernels scaled up so that the normalization works in
its non-linear range, where parity must still hold with the right alpha).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest
from hypothesis import given

from paperverify.claims import Config
from paperverify.closeness import DEFAULT, assert_close
from paperverify.probes import probe
from tests.models import CASES
from tests.parity import Tamper, parity, perturb, rows_in_chw_order

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

# Sec. 3.5, p. 4-5: kernels of conv1 ... conv5 and the units of the fully-connected layers.
KERNELS = {"conv1": 96, "conv2": 256, "conv3": 384, "conv4": 384, "conv5": 256}
UNITS = {"fc6": 4096, "fc7": 4096, "fc8": 1000}
# Sec. 3.5: kernel depths 11×11×3, 5×5×48, 3×3×256, 3×3×192, 3×3×192 (the two GPUs as two groups).
KERNEL_SHAPES = {"conv1": (11, 3), "conv2": (5, 48), "conv3": (3, 256), "conv4": (3, 192), "conv5": (3, 192)}
# Sec. 3.3, p. 4.
K, N, ALPHA, BETA = 2.0, 5, 1e-4, 0.75
#: Where tests/models.py runs AlexNet's parity: conv5's pooled maps are 2×2.
PARITY_SIZE = CASES["alexnet"].parity_size


def out_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """Convolution arithmetic: floor((size + 2·padding − kernel) / stride) + 1."""
    return (size + 2 * padding - kernel) // stride + 1


def expected_sizes(input_size: int, conv1_padding: int) -> dict[str, int]:
    """The side of each named point's maps, from the paper's kernels, strides and pooling."""
    conv1 = out_size(input_size, 11, 4, conv1_padding)  # 11×11, stride 4
    conv2 = out_size(out_size(conv1, 3, 2, 0), 5, 1, 2)  # 3×3/2 pooling, then 5×5 keeping the size
    conv3 = out_size(out_size(conv2, 3, 2, 0), 3, 1, 1)  # 3×3/2 pooling, then 3×3 keeping the size
    return {"conv1.conv": conv1, "conv2.conv": conv2, "conv3.conv": conv3, "conv4.conv": conv3,
            "conv5.conv": conv3, "conv5.pool": out_size(conv3, 3, 2, 0)}  # fmt: skip


# Inputs from 67 pixels (the smallest that leaves conv5's pooled maps 1×1 without padding), conv1 padded or not.
configs = CASES["alexnet"].configs


def test_the_paper_network_has_figure_2s_sizes(torch_threads: int) -> None:
    """At the paper's 224 input, 55, 27, 13 and 6×6×256 = 9,216 features into fc6 (the decision on padding)."""
    assert expected_sizes(224, 2) == {"conv1.conv": 55, "conv2.conv": 27, "conv3.conv": 13, "conv4.conv": 13,
                                      "conv5.conv": 13, "conv5.pool": 6}  # fmt: skip
    assert expected_sizes(227, 0) == expected_sizes(224, 2)
    assert expected_sizes(224, 0)["conv1.conv"] == 54  # the printed 224 without padding misses Figure 2's 55
    trace = probe(Config("alexnet", 224), "torch")
    assert trace.point("flatten").output_shape == (9216,)


@given(config=configs)
def test_sizes_follow_convolution_arithmetic(config: Config, torch_threads: int) -> None:
    trace = probe(config, "torch")
    sizes = expected_sizes(config.input_size, config.kwargs()["conv1_padding"])
    for point, side in sizes.items():
        depth = KERNELS[point.split(".")[0]]
        assert trace.point(point).output_shape == (side, side, depth), point
    for name, units in UNITS.items():
        assert trace.point(f"{name}.fc").output_shape == (units,)


@given(config=configs)
def test_parameters_follow_section_3_5(config: Config, torch_threads: int) -> None:
    """Sec. 3.5's kernels, with one bias each; fc6 sees 256 maps of the pooled conv5 size, fc7 and fc8 4096."""
    trace = probe(config, "torch")
    side = expected_sizes(config.input_size, config.kwargs()["conv1_padding"])["conv5.pool"]
    assert trace.point("fc6.fc").params == (256 * side * side + 1) * 4096
    assert trace.point("fc7.fc").params == (4096 + 1) * 4096
    assert trace.point("fc8.fc").params == (4096 + 1) * 1000
    for name, (kernel, depth) in KERNEL_SHAPES.items():
        assert trace.point(f"{name}.conv").params == KERNELS[name] * (kernel * kernel * depth + 1), name


def test_layer_kinds_and_dropout(torch_threads: int, tf_threads: int) -> None:
    """Response normalization after conv1 and conv2 only (Sec. 3.5); dropout 0.5 in fc6 and fc7 only (Sec. 4.2)."""
    from implementations.keras.alexnet import alexnet as keras_alexnet
    from implementations.torch.alexnet import alexnet as torch_alexnet
    from paperverify.frameworks.keras.probe import build_without_weights

    trace = probe(Config("alexnet", 224), "torch")
    assert [layer.name for layer in trace.layers if layer.kind == "lrn"] == ["conv1.lrn", "conv2.lrn"]
    assert all(layer.macs == 0 and layer.params == 0 for layer in trace.layers if layer.kind == "lrn")
    assert [layer.name for layer in trace.layers if layer.kind == "dropout"] == ["fc6.dropout", "fc7.dropout"]
    import torch

    with torch.device("meta"):
        torch_model = torch_alexnet()
    assert {torch_model.fc6.dropout.p, torch_model.fc7.dropout.p} == {0.5}
    keras_model = build_without_weights(keras_alexnet)
    assert {keras_model.get_layer(f"{name}.dropout").rate for name in ("fc6", "fc7")} == {0.5}


def test_a_model_that_normalises_otherwise_or_drops_less_fails_those_words(torch_threads: int) -> None:
    """Sec. 3.3's k = 2, n = 5, α = 10^−4, β = 0.75 after conv1 and conv2 and Sec. 4.2's dropout 0.5 in fc6 and fc7
    are claims: a model with BatchNorm in place of conv1's normalisation, and a dropout of 0.3 in fc6, keeps every
    size and count and fails exactly those five."""
    import torch
    from torch import nn

    from implementations.torch.alexnet import alexnet as torch_alexnet
    from paperverify import verify

    with torch.device("meta"):
        model = torch_alexnet()
        model.conv1.lrn = nn.BatchNorm2d(96)
    model.fc6.dropout.p = 0.3
    result = verify(model, paper="krizhevsky2012_alexnet", variant="alexnet")
    failing = {verdict.claim.rpartition("/")[2]: verdict.measured for verdict in result.failures}
    assert failing == {
        "sec3.3_lrn_k_conv1": "0",
        "sec3.3_lrn_n_conv1": "0",
        "sec3.3_lrn_alpha_conv1": "0",
        "sec3.3_lrn_beta_conv1": "0",
        "sec4.2_dropout_fc6": "0.3",
    }, result.describe()


def _per_gpu(claim: str) -> bool:
    """Figure 2's rows of a layer's depth or units on each GPU."""
    return claim.startswith("fig2_") and claim.endswith(("_depth", "_units"))


def test_a_single_tower_alexnet_fails_figure_2s_depths_on_each_gpu(torch_threads: int) -> None:
    """Figure 2's boxes are each GPU's half: with conv2, conv4 and conv5 ungrouped (one tower, as a one-GPU port
    writes AlexNet) each layer's channels stand on one tower, and the seven per-GPU cells fail with the whole
    layer's count. Two towers of different widths are no one number of towers: an error, not a guess."""
    import torch
    from torch import nn

    from implementations.torch.alexnet import alexnet as torch_alexnet
    from paperverify import verify

    with torch.device("meta"):
        model = torch_alexnet()
        for name in ("conv2", "conv4", "conv5"):
            conv = getattr(model, name).conv
            getattr(model, name).conv = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size,
                                                  conv.stride, conv.padding)  # fmt: skip
    result = verify(model, paper="krizhevsky2012_alexnet", variant="alexnet")
    failing = {verdict.claim.rpartition("/")[2]: verdict.measured for verdict in result.failures}
    per_gpu = {name: value for name, value in failing.items() if _per_gpu(name)}
    assert per_gpu == {
        "fig2_conv1_depth": "96", "fig2_conv2_depth": "256", "fig2_conv3_depth": "384", "fig2_conv4_depth": "384",
        "fig2_conv5_depth": "256", "fig2_fc6_units": "4096", "fig2_fc7_units": "4096",
    }  # fmt: skip

    with torch.device("meta"):
        model = torch_alexnet()
        conv = model.conv4.conv
        model.conv4.conv = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding,
                                     groups=4)  # fmt: skip
    result = verify(model, paper="krizhevsky2012_alexnet", variant="alexnet")
    towers = [verdict for verdict in result.verdicts if _per_gpu(verdict.claim.rpartition("/")[2])]
    assert len(towers) == 7 and {verdict.status for verdict in towers} == {"error"}
    assert "[2, 4] groups" in towers[0].detail


def paper_lrn(a: np.ndarray, alpha: float = ALPHA) -> np.ndarray:
    """Sec. 3.3: b_i = a_i / (k + α Σ_{j=max(0, i−n/2)}^{min(N−1, i+n/2)} a_j²)^β over the last axis."""
    channels = a.shape[-1]
    b = np.empty_like(a, dtype=np.float64)
    for i in range(channels):
        window = a[..., max(0, i - N // 2) : min(channels - 1, i + N // 2) + 1].astype(np.float64)
        b[..., i] = a[..., i] / (K + alpha * np.sum(window**2, axis=-1)) ** BETA
    return b


def test_response_normalization_is_the_papers_formula(torch_threads: int, tf_threads: int) -> None:
    import keras
    import torch

    from implementations.keras.alexnet import alexnet as keras_alexnet
    from implementations.torch.alexnet import alexnet as torch_alexnet

    a = np.random.default_rng(0).uniform(0, 60, (2, 4, 4, 9)).astype(np.float32)  # NHWC, after a ReLU
    expected = paper_lrn(a)
    # Non-linear here: PyTorch's convention (α/n in place of α) would miss by far more than the closeness rule.
    assert not DEFAULT.compare(paper_lrn(a, ALPHA / N), expected).close
    torch_layer = torch_alexnet(input_size=67).conv1.lrn
    with torch.no_grad():
        torch_out = torch_layer(torch.from_numpy(a.transpose(0, 3, 1, 2))).numpy().transpose(0, 2, 3, 1)
    keras_layer = keras_alexnet(input_size=67).get_layer("conv1.lrn")
    keras_out = keras.ops.convert_to_numpy(keras_layer(a))
    assert_close(torch_out, expected, what="PyTorch's conv1.lrn against Sec. 3.3")
    assert_close(keras_out, expected, what="Keras' conv1.lrn against Sec. 3.3")


@pytest.mark.parametrize(
    ("tamper", "layer", "point"),
    [
        # Output map 300 lies in the second group: its 3×3×192 kernel, every entry moved.
        ({"conv4.conv": perturb((Ellipsis, 300), 0.05)}, "conv4.conv", "conv4"),
        ({"fc6.fc": rows_in_chw_order}, "fc6.fc", "fc6"),
    ],
    ids=["grouped-kernel-perturbed", "fc6-rows-in-chw-order"],
)
def test_a_wrong_weight_or_layout_breaks_parity(
    tamper: dict[str, Tamper], layer: str, point: str, torch_threads: int, tf_threads: int
) -> None:
    """A perturbed kernel of conv4's second group, or fc6 copied without the C×H×W -> H×W×C permutation:
    the outputs part at that layer."""
    result = parity("alexnet", "torch", size=PARITY_SIZE, tamper=tamper)
    assert not result.equivalent, result.describe()
    assert result.first_layer is not None and result.first_layer.ours == layer, result.describe()
    assert result.first_point is not None and result.first_point.point == point, result.describe()


def _undivided_alpha(model: Any) -> None:
    """tests/models.py's preparation (conv1's kernels scaled up, so the normalization works in its non-linear
    range), then PyTorch's LocalResponseNorm given the paper's α as it is."""
    CASES["alexnet"].parity_prepare(model)
    model.conv1.lrn.alpha = ALPHA


def test_pytorch_lrn_given_the_papers_alpha_undivided_breaks_parity(torch_threads: int, tf_threads: int) -> None:
    """PyTorch's LocalResponseNorm computes a / (k + alpha/n · Σa²)^β: built with alpha = n·α it is the paper's
    layer and parity holds where the normalization is non-linear; given the paper's α as it is, it divides by
    (k + α/n · Σa²)^β and the outputs part at conv1.lrn."""
    right = parity("alexnet", "torch", size=PARITY_SIZE)
    assert right.equivalent, right.describe()
    relu, lrn = (next(c for c in right.layers if c.ours == name) for name in ("conv1.relu", "conv1.lrn"))
    # Non-linear: the largest output is well below the largest input divided by k^β (the linear limit).
    assert lrn.difference.magnitude < 0.9 * relu.difference.magnitude / K**BETA
    wrong = parity("alexnet", "torch", size=PARITY_SIZE, prepare=_undivided_alpha)
    assert not wrong.equivalent, wrong.describe()
    assert wrong.first_layer is not None and wrong.first_layer.ours == "conv1.lrn", wrong.describe()
    assert wrong.first_point is not None and wrong.first_point.point == "conv1", wrong.describe()
    # Sec. 3.3 prints the constants, so ours keeps them and says how the model's differ.
    fixed = "conv1.lrn: yours n = 5, α = 2e-05, β = 0.75, k = 2, ours n = 5, α = 0.0001, β = 0.75, k = 2"
    assert f"{fixed}; the paper fixes them" in wrong.notes, wrong.notes


def test_a_users_normalisation_class_declared_lrn_has_its_constants_measured(
    torch_threads: int, tf_threads: int
) -> None:
    """A local response normalisation class of a user's whose attributes say nothing of its constants (a window
    radius `r`, a TensorFlow kernel) is declared `lrn` and its (n, α, β, k) are measured on its outputs: the
    stranger's Keras AlexNet with such a class passes Sec. 3.3; with k = 1 it fails k at conv1 and conv2 alone. The
    measurement itself recovers known constants in both conventions (PyTorch divides its alpha by n)."""
    import numpy as np
    import tensorflow as tf
    import torch
    from keras import layers

    from paperverify import kinds, verify
    from paperverify.frameworks.torch.probe import probe_model as probe_torch
    from paperverify.probes.numeric import normalisation
    from tests.strangers import keras_alexnet

    torch_lrn = torch.nn.LocalResponseNorm(3, alpha=3e-3, beta=0.5, k=1.5)
    measured = normalisation(
        lambda x: torch_lrn(torch.tensor(x).reshape(1, -1, 1, 1)).reshape(-1).numpy()  # float64
    )
    assert measured is not None and measured[0] == 3
    assert np.allclose(measured[1:], (1e-3, 0.5, 1.5), rtol=1e-6)

    class Normalise(layers.Layer):
        def __init__(self, k: float = 2.0, **kwargs) -> None:
            super().__init__(**kwargs)
            self.r, self.constant = 2, k

        def call(self, x):
            return tf.nn.local_response_normalization(x, self.r, self.constant, 1e-4, 0.75)

    class Normalisation(torch.nn.Module):  # the same in PyTorch, its window a radius
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.nn.functional.local_response_norm(x, 5, alpha=5e-4, beta=0.75, k=2.0)

    with kinds.declaring({"Normalisation": "lrn"}):
        trace = probe_torch(torch.nn.Sequential(torch.nn.Conv2d(3, 8, 1), Normalisation()), (4, 4, 3))
    [record] = [layer for layer in trace.layers if layer.kind == "lrn"]
    assert record.constants is not None and record.constants[0] == 5
    assert np.allclose(record.constants[1:], (1e-4, 0.75, 2.0), rtol=1e-5)

    class Unnormalised(Normalise):
        def __init__(self, **kwargs) -> None:
            super().__init__(k=1.0, **kwargs)

    failing = {}
    for normalise in (Normalise, Unnormalised):
        model = keras_alexnet.build_alexnet(normalise=normalise)
        result = verify(model, paper="krizhevsky2012_alexnet", kinds={normalise.__name__: "lrn"})
        failing[normalise.__name__] = {v.claim.rpartition("/")[2] for v in result.failures}
    assert failing == {"Normalise": set(), "Unnormalised": {"sec3.3_lrn_k_conv1", "sec3.3_lrn_k_conv2"}}, failing


def test_a_lambda_of_tensorflows_normalisation_is_told_by_what_it_computes(torch_threads: int, tf_threads: int) -> None:
    """`Lambda(lambda x: tf.nn.local_response_normalization(x, ...))`, common in Keras AlexNets, cannot be traced
    with Keras operations; the probe measures what it computes: an `lrn` layer with its constants (n = 2r + 1).
    A Lambda computing something else (a softmax, an L2 normalisation over the channels) stays unknown, and a
    window of even size (PyTorch's, one channel more below than above) is measured as it is, and a window that
    weighs its channels unequally is no local response normalisation."""
    import keras
    import tensorflow as tf
    import torch

    from paperverify import kinds
    from paperverify.frameworks.keras.probe import probe_model
    from paperverify.probes.numeric import normalisation

    inputs = keras.Input((6, 6, 16))
    x = keras.layers.Lambda(lambda t: tf.nn.local_response_normalization(t, 3, 2.0, 1e-4, 0.75))(inputs)
    x = keras.layers.Lambda(lambda t: tf.nn.softmax(t))(x)
    x = keras.layers.Lambda(lambda t: tf.nn.l2_normalize(t, axis=-1))(x)
    lrn, softmax, l2 = probe_model(keras.Model(inputs, x)).layers
    assert lrn.kind == "lrn" and lrn.constants is not None and lrn.constants[0] == 7
    assert np.allclose(lrn.constants[1:], (1e-4, 0.75, 2.0), rtol=1e-3)
    assert softmax.kind == l2.kind == kinds.UNKNOWN
    even = torch.nn.LocalResponseNorm(4, alpha=4e-3, beta=0.75, k=2.0)
    measured = normalisation(lambda v: even(torch.tensor(v).reshape(1, -1, 1, 1)).reshape(-1).numpy())
    assert measured is not None and measured[0] == 4 and np.allclose(measured[1:], (1e-3, 0.75, 2.0), rtol=1e-6)

    def weighted(values: np.ndarray) -> np.ndarray:  # the edges of its window weigh a quarter: not the paper's sum
        squares = np.pad(values**2, 2)
        sums = np.array([np.dot((0.25, 1, 1, 1, 0.25), squares[i : i + 5]) for i in range(len(values))])
        return values / (2 + 1e-2 * sums) ** 0.75

    assert normalisation(weighted) is None  # its middle channel alone fits (5, 0.01, 0.75, 2); a ramp does not

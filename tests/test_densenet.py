"""DenseNet (Huang et al., arXiv 1608.06993v5): what Table 1 (p. 4) and Sec. 3 (pp. 3-4) predict for any
growth rate, compression, bottleneck and input size, and a negative control of parity.

Expected values come from the paper, written out here, never from the implementations' spec:
- Table 1's layers per dense block; an initial convolution of 2k filters, 7×7, stride 2 (Sec. 3, p. 4);
- the ℓth layer of a block has k0 + k·(ℓ − 1) input feature-maps and adds k (Sec. 3, p. 3), so a block of n
  layers outputs k0 + n·k; with the bottleneck each 1×1 convolution produces 4k (p. 4); a transition layer
  turns m feature-maps into floor(θ·m) (p. 4); the learnable parameters summed from these widths, at any
  input size;
- sizes follow the convolution arithmetic of Table 1's kernels and strides (7×7/2 padded by 3, 3×3/2 max pool
  padded by 1, 3×3 convolutions padded by 1, 2×2/2 average pools), then a global pool to 1×1;
- each "conv" is BN-ReLU-Conv (Table 1 caption, p. 4);
- a filter changed in the weights copied into our Keras model makes `tests.parity` part the two at that layer.

The generic invariants (Keras trace == PyTorch trace, parameters independent of the input size, multiply-adds
against torch.utils.flop_counter, parity both ways with random BatchNorm statistics) are tests/test_models.py's.
"""

from __future__ import annotations

from fractions import Fraction
from math import floor

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperverify import compare
from paperverify.claims import Config
from paperverify.probes import probe
from paperverify.tables import load_claims
from tests.examples import probe_examples
from tests.models import CASES, DENSENETS
from tests.parity import parity, perturb

# Table 1, p. 4: the "× n" of Dense Block (1) to (4) in each column.
BLOCKS = {
    "densenet121": (6, 12, 24, 16),
    "densenet169": (6, 12, 32, 32),
    "densenet201": (6, 12, 48, 32),
    "densenet264": (6, 12, 64, 48),
}

# Every variant's input sizes, growth rates k, compressions θ = n/8 (0 < θ ≤ 1, exact in binary floating point,
# so floor(θ·m) has one meaning) and bottleneck or not.
configs = st.sampled_from(DENSENETS).flatmap(lambda variant: CASES[variant].configs)


def options(config: Config) -> tuple[int, float, bool]:
    """The growth rate k, the compression θ and whether the layers have bottlenecks."""
    kwargs = config.kwargs()
    return kwargs["growth_rate"], kwargs["compression"], kwargs["bottleneck"]


def out_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """Convolution arithmetic: floor((size + 2·padding − kernel) / stride) + 1."""
    return (size + 2 * padding - kernel) // stride + 1


@probe_examples
@given(config=configs)
def test_channels_and_sizes_follow_sec3_and_table1(config: Config, torch_threads: int) -> None:
    trace = probe(config, "torch")
    variant, (k, theta, bottleneck) = config.variant, options(config)
    side = out_size(config.input_size, 7, 2, 3)
    assert trace.point("conv1").output_shape == (side, side, 2 * k)  # "2k convolutions of size 7×7 with stride 2"
    side = out_size(side, 3, 2, 1)
    assert trace.point("pool1").output_shape == (side, side, 2 * k)
    channels = 2 * k
    for block, layers in enumerate(BLOCKS[variant], start=1):
        for number in range(1, layers + 1):
            name = f"dense_block{block}.layer{number}"
            first = trace.under((name,))[0]
            assert first.kind == "batchnorm" and first.input_shapes[0] == (side, side, channels + (number - 1) * k)
            if bottleneck:
                assert trace.point(f"{name}.conv1").output_shape == (side, side, 4 * k)
            assert trace.point(f"{name}.conv2").output_shape == (side, side, k)
        channels += layers * k
        assert trace.point(f"dense_block{block}").output_shape == (side, side, channels)
        if block < len(BLOCKS[variant]):
            channels = floor(Fraction(theta) * channels)
            assert trace.point(f"transition{block}.conv").output_shape == (side, side, channels)
            side = out_size(side, 2, 2, 0)
            assert trace.point(f"transition{block}.pool").output_shape == (side, side, channels)
    assert trace.point("classification.pool").output_shape == (1, 1, channels)
    assert trace.point("classification.fc").output_shape == (1000,)


@probe_examples
@given(config=configs)
def test_parameters_follow_sec3(config: Config, torch_threads: int) -> None:
    """Every learnable parameter, summed from the paper's layer widths: BN (2 per channel) before every
    convolution, convolutions without biases, the fully-connected layer with biases; no term follows the input
    size (the pool before the classifier is global)."""
    trace = probe(config, "torch")
    variant, (k, theta, bottleneck) = config.variant, options(config)
    expected = 2 * 3 + 7 * 7 * 3 * 2 * k  # conv1: BN over the RGB input, then 2k 7×7 filters
    channels = 2 * k
    for block, layers in enumerate(BLOCKS[variant], start=1):
        params, channels = _block_parameters(channels, layers, k, bottleneck)
        expected += params
        if block < len(BLOCKS[variant]):
            params, channels = _transition_parameters(channels, theta)
            expected += params
    expected += channels * 1000 + 1000
    assert trace.params == expected


def _block_parameters(channels: int, layers: int, k: int, bottleneck: bool) -> tuple[int, int]:
    """A dense block's parameters and output feature-maps, from k0 = `channels` (Sec. 3, pp. 3-4): BN (2 per
    channel) before each convolution, BN-ReLU-Conv(1×1, 4k) first with the bottleneck, no biases."""
    params = 0
    for _ in range(layers):
        if bottleneck:
            params += 2 * channels + channels * 4 * k + 2 * 4 * k + 3 * 3 * 4 * k * k
        else:
            params += 2 * channels + 3 * 3 * channels * k
        channels += k
    return params, channels


def _transition_parameters(channels: int, theta: float) -> tuple[int, int]:
    """A transition layer's parameters (BN, then a 1×1 convolution to floor(θ·m)) and its output feature-maps."""
    out = floor(Fraction(theta) * channels)
    return 2 * channels + channels * out, out


# Sec. 3, Implementation Details, p. 4: on CIFAR, three dense blocks of equal length, a first convolution of 16
# output channels (2k for DenseNet-BC), 3×3 convolutions padded to keep the size, maps of 32×32, 16×16, 8×8.
CIFAR_BLOCKS = 3
CIFAR_STEM = 16


@probe_examples
@given(config=CASES["densenet_cifar"].configs)
def test_the_cifar_networks_follow_sec3(config: Config, torch_threads: int) -> None:
    """Table 2's networks at any depth L, growth rate, compression and input size: n = (L − 4)/3 layers a block
    (n = (L − 4)/6 with the bottleneck's two convolutions), each block's maps half the previous one's, every
    parameter summed from the widths (the first convolution plain, no BN before it; ten classes), and depth L."""
    trace = probe(config, "torch")
    depth, (k, theta, bottleneck) = config.kwargs()["depth"], options(config)
    layers = (depth - 4) // (6 if bottleneck else 3)
    channels = 2 * k if bottleneck and theta < 1 else CIFAR_STEM
    expected = 3 * 3 * 3 * channels
    for block in range(1, CIFAR_BLOCKS + 1):
        params, channels = _block_parameters(channels, layers, k, bottleneck)
        expected += params
        concat = trace.point(f"dense_block{block}")
        side = out_size(config.input_size, 1, 1, 0)
        for _ in range(block - 1):
            side //= 2
        assert concat.output_shape == (side, side, channels), concat.name
        if block < CIFAR_BLOCKS:
            params, channels = _transition_parameters(channels, theta)
            expected += params
    expected += channels * 10 + 10
    assert trace.params == expected
    assert trace.depth == depth
    assert not [layer for layer in trace.layers if layer.kind in ("maxpool", "batchnorm") and layer.name == "conv1"]


def test_a_cifar_depth_that_is_no_3n_plus_4_is_refused() -> None:
    from implementations.torch.densenet import densenet_cifar

    with pytest.raises(ValueError, match=r"3n \+ 4 without the bottleneck.*depth=41"):
        densenet_cifar(depth=41)
    with pytest.raises(ValueError, match=r"6n \+ 4 with the bottleneck.*depth=48"):
        densenet_cifar(depth=48, bottleneck=True)


@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_every_convolution_is_bn_relu_conv(framework: str, torch_threads: int, tf_threads: int) -> None:
    """Table 1 caption, p. 4: each "conv" layer is the sequence BN-ReLU-Conv (conv1 included)."""
    layers = [layer for layer in probe(Config("densenet121", 224), framework).layers if layer.kind != "pad"]
    convolutions = [index for index, layer in enumerate(layers) if layer.kind == "conv2d"]
    assert len(convolutions) == 1 + 2 * sum(BLOCKS["densenet121"]) + 3
    for index in convolutions:
        norm, relu, conv = layers[index - 2 : index + 1]
        assert (norm.kind, relu.kind) == ("batchnorm", "relu"), conv.name
        assert norm.output_shape == relu.input_shapes[0] and norm.input_shapes[0][-1] == conv.input_shapes[0][-1]
        assert not conv.bias, conv.name
    dense = [layer for layer in layers if layer.kind == "dense"]
    assert [(layer.name, layer.bias) for layer in dense] == [("classification.fc", True)]


@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_kernels_and_strides_of_table1(framework: str, torch_threads: int, tf_threads: int) -> None:
    trace = probe(Config("densenet169", 224), framework)
    expected = {"conv1.conv": (7, 2), "pool1.pool": (3, 2)}
    expected |= {f"transition{b}.conv": (1, 1) for b in (1, 2, 3)} | {f"transition{b}.pool": (2, 2) for b in (1, 2, 3)}
    for block, layers in enumerate(BLOCKS["densenet169"], start=1):
        for number in range(1, layers + 1):
            expected |= {
                f"dense_block{block}.layer{number}.conv1": (1, 1),
                f"dense_block{block}.layer{number}.conv2": (3, 1),
            }
    for name, (kernel, stride) in expected.items():
        [record] = trace.under((name,))
        assert (record.kernel, record.stride) == ((kernel, kernel), (stride, stride)), name
    pool = trace.point("classification.pool")  # "7 × 7 global average pool"
    assert pool.input_shapes[0][:2] == (7, 7) and pool.output_shape[:2] == (1, 1)


def test_a_larger_input_breaks_the_global_pool_and_the_sizes(torch_threads: int) -> None:
    """At 448×448 the global pool sees 14×14, not Table 1's "7 × 7 global average pool"; the sizes double."""
    claims = {claim.id: claim for claim in load_claims() if claim.source.paper == "huang2017_densenet"}
    trace = probe(Config("densenet121", 448), "torch")
    pool = compare.judge(claims["huang2017_densenet/table1/densenet121/classification_pool/structure"], trace)
    assert pool.status == "mismatch" and "avgpool 14×14" in pool.detail
    conv1 = compare.judge(claims["huang2017_densenet/table1/densenet121/conv1/output_shape"], trace)
    assert (conv1.status, conv1.measured) == ("mismatch", "224×224×64")
    at_224 = probe(Config("densenet121", 224), "torch")
    at_224_pool = compare.judge(claims["huang2017_densenet/table1/densenet121/classification_pool/structure"], at_224)
    assert at_224_pool.status == "match"


def test_a_wrong_weight_breaks_parity(torch_threads: int, tf_threads: int) -> None:
    """One filter of a 3×3 convolution deep in dense block 3 changed in the Keras copy: the outputs part there,
    not earlier (the layers before it are concatenated into its block unchanged)."""
    tampered = "dense_block3.layer7.conv2"
    size = CASES["densenet121"].parity_size
    result = parity("densenet121", "torch", size=size, tamper={tampered: perturb((..., 0))})
    assert not result.equivalent, result.describe()
    assert result.first_layer is not None and result.first_layer.ours == tampered, result.describe()
    assert result.first_point is not None and result.first_point.point == "dense_block3.layer7"

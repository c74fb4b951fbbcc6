"""Depth along the longest path (parallel `branch<N>` components), and the point quantities GoogLeNet's
tables state: output channels, the depth of a named point, and a printed 1×1×C against a C-vector."""

from __future__ import annotations

from decimal import Decimal

from paperverify.claims import Claim, Config, Source
from paperverify.compare import judge
from paperverify.counting import count_macs
from paperverify.kinds import WEIGHT_LAYERS
from paperverify.printed import Interval
from paperverify.trace import LayerRecord, Trace, longest_path


def layer(name: str, kind: str = "conv2d", shape: tuple[int, ...] = (8, 8, 16)) -> LayerRecord:
    return LayerRecord(name, kind, ((8, 8, 4),), shape, 0, 0, 0)


# An Inception-like module between two convolutions: branch lengths 1, 2, 2 (pool + projection), 3.
LAYERS = (
    layer("stem"),
    layer("stem.relu", "relu"),
    layer("block.branch1.conv"),
    layer("block.branch2.reduce.conv"),
    layer("block.branch2.conv.conv"),
    layer("block.branch3.pool", "maxpool"),
    layer("block.branch3.proj.conv"),
    layer("block.branch4.a"),
    layer("block.branch4.b"),
    layer("block.branch4.c"),
    layer("block.concat", "concat", (8, 8, 64)),
    layer("pool", "maxpool", (4, 4, 64)),
    layer("shortcut_free.shortcut.conv"),
    layer("fc", "dense", (10,)),
)
TRACE = Trace("torch", (32, 32, 3), LAYERS)


def test_sibling_branches_count_as_the_deepest_and_sequences_add_up() -> None:
    assert TRACE.depth == 1 + 3 + 1  # stem, branch4 (a, b, c), fc; the shortcut is not counted
    assert TRACE.depth_with_pooling == 1 + 3 + 1 + 1  # and the pool after the block
    assert longest_path(TRACE.layers, WEIGHT_LAYERS | {"maxpool"}, among=TRACE.under(("block.branch3",))) == 2


def test_nested_branches() -> None:
    names = ["a.branch1.x.branch1.c", "a.branch1.x.branch2.c", "a.branch1.x.branch2.d", "a.branch2.c", "z"]
    assert longest_path([layer(name) for name in names], WEIGHT_LAYERS) == 2 + 1


def test_a_sequential_network_counts_every_weight_layer() -> None:
    assert longest_path([layer(f"conv{i}") for i in range(5)], WEIGHT_LAYERS) == 5


def claim(quantity: str, point: str, expected: Interval | tuple[int, ...]) -> Claim:
    source = Source("demo", "googlenet", "0", "table1", "Table 1", 1, "t.csv", point, "c")
    return Claim(f"demo/{point}/{quantity}", quantity, "", expected, "exact", Config("x", 32), source, point, (point,))


def test_channels_and_layer_depth_at_a_named_point() -> None:
    assert judge(claim("channels", "block", Interval.exactly(Decimal(64))), TRACE).status == "match"
    assert judge(claim("channels", "block.branch2.reduce", Interval.exactly(Decimal(16))), TRACE).status == "match"
    assert judge(claim("channels", "block", Interval.exactly(Decimal(63))), TRACE).status == "mismatch"
    assert judge(claim("layer_depth", "block", Interval.exactly(Decimal(3))), TRACE).status == "match"
    assert judge(claim("layer_depth", "pool", Interval.exactly(Decimal(0))), TRACE).status == "match"


def test_a_printed_1x1xc_is_a_c_vector() -> None:
    assert judge(claim("output_shape", "fc", (1, 1, 10)), TRACE).status == "match"
    assert judge(claim("output_shape", "fc", (1, 1, 11)), TRACE).status == "mismatch"
    assert judge(claim("output_shape", "fc", (2, 1, 10)), TRACE).status == "mismatch"


def test_normalisation_and_concatenation_count_zero_multiply_adds() -> None:
    assert count_macs("norm1", "lrn", ((56, 56, 64),), (56, 56, 64)) == 0
    assert count_macs("cat", "concat", ((28, 28, 64), (28, 28, 128)), (28, 28, 192)) == 0

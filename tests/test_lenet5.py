"""LeNet-5 (LeCun et al., Proc. IEEE 86(11), 1998; implementations/{torch,keras}/lenet.py).

- hypothesis, over input sizes from the paper's 32 up (tests/models.py's space): feature-map sizes follow the
  convolution arithmetic of Sec. II.B (5×5 valid convolutions, non-overlapping 2×2 subsampling), and every
  layer's connections follow Sec. II.B's count (each output unit's inputs plus its bias: C1's 122,304, S2's
  5,880, C3's 151,600, S4's 2,000, C5's 48,120 at 32×32), in both frameworks;
- hypothesis, over connection tables: a convolution with a connection table has one kh×kw kernel per X of
  its table plus one bias per output map (the rule that gives C3's 1516 parameters from Table I);
- Table I (reference_tables/lecun1998_lenet5/table1.csv): feeding one S2 map alone, exactly the C3 maps
  marked X in its row respond, in both frameworks;
- the squashing function is A tanh(S a) with Appendix A's constants (squashing.csv), and f(1) = 1;
- numerical parity, LeNet-5's own (tests/models.py: the equivalence check does not copy the subsampling
  coefficients and the RBF centres): PyTorch weights copied by layer name into the Keras model give the same
  output at every layer (`paperverify.closeness`) at 32×32 and at 40×40 (3×3 positions of F6 and the output);
  a tampered C3 kernel breaks it, first at C3.conv;
- `paperverify.verify` of a PyTorch LeNet-5 with real weights matches every claim (one input plane).

The generic invariants (identical Keras and PyTorch traces, parameters against the input size, the flop
counter) are tests/test_models.py's.
"""

from __future__ import annotations

import csv
import os
from collections import OrderedDict
from fractions import Fraction
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from paperverify.claims import Config
from paperverify.closeness import DEFAULT, assert_close
from paperverify.probes import probe
from paperverify.tables import load_claims
from tests.examples import network_examples
from tests.models import CASES

TABLES = Path(__file__).resolve().parents[1] / "reference_tables" / "lecun1998_lenet5"
SEED = 0

configs = CASES["lenet5"].configs  # inputs of 32 to 96 pixels


def _valid(size: int, kernel: int) -> int:
    """A valid convolution: size − kernel + 1."""
    return size - kernel + 1


def _halve(size: int) -> int:
    """Non-overlapping 2×2 subsampling: floor(size / 2)."""
    return size // 2


def _sides(size: int) -> dict[str, int]:
    """The side of each layer's maps at size×size: C5, F6 and the output keep C5's (replicated, Sec. VII)."""
    c1 = _valid(size, 5)
    s2 = _halve(c1)
    c3 = _valid(s2, 5)
    s4 = _halve(c3)
    c5 = _valid(s4, 5)
    return {"C1": c1, "S2": s2, "C3": c3, "S4": s4, "C5": c5, "F6": c5, "output": c5}


#: Maps of each layer (Fig. 2, PDF p. 6: 6@28x28, 6@14x14, 16@10x10, 16@5x5, 120, 84, 10 at 32×32).
MAPS = {"C1": 6, "S2": 6, "C3": 16, "S4": 16, "C5": 120, "F6": 84, "output": 10}


def _connections(size: int) -> dict[str, int]:
    """Sec. II.B's connections of each layer at size×size: for every output unit, its inputs plus its bias. Per
    position: 5×5 kernels in C1; 2×2 windows in S2 and S4; Table I's 60 connected S2 maps for C3's 16 maps; all
    16 of S4's maps for each C5 unit; C5's 120 for each F6 unit; F6's 84 for each RBF unit, which has no bias
    (Eq. 7; the connections errata in reference_tables/lecun1998_lenet5/paper.toml)."""
    sides = _sides(size)
    per_position = {
        "C1.conv": 6 * (25 + 1),
        "S2.subsample": 6 * (4 + 1),
        "C3.conv": 60 * 25 + 16,
        "S4.subsample": 16 * (4 + 1),
        "C5.conv": 120 * (16 * 25 + 1),
        "F6.fc": 84 * (120 + 1),
        "output": 10 * 84,
    }
    return {name: sides[name.split(".")[0]] ** 2 * count for name, count in per_position.items()}


@given(config=configs)
def test_sizes_follow_the_convolution_arithmetic(config: Config, torch_threads: int) -> None:
    trace = probe(config, "torch")
    for point, side in _sides(config.input_size).items():
        assert trace.point(point).output_shape == (side, side, MAPS[point]), point


@network_examples
@given(config=configs)
@example(config=Config("lenet5", 32))
def test_connections_follow_section_ii_b(config: Config, torch_threads: int, tf_threads: int) -> None:
    """The printed counts at 32×32 (C3's, corrected: 10·10·1516 = 151,600, not the printed 156,000), and the same
    rule at larger inputs, where C5, F6 and the output are replicated, in both frameworks."""
    expected = _connections(config.input_size)
    for framework in ("torch", "keras"):
        trace = probe(config, framework)
        found = {layer.name: layer.connections for layer in trace.layers if layer.connections}
        assert found == expected, framework
        assert trace.connections == sum(expected.values()), framework


connection_tables = st.lists(
    st.sets(st.integers(min_value=0, max_value=5), min_size=1).map(lambda maps: tuple(sorted(maps))),
    min_size=1,
    max_size=20,
).map(tuple)


def _table_conv_traces(table: tuple[tuple[int, ...], ...]):
    """Torch and Keras traces of one convolution with `table` over a 14×14×6 input (S2's maps)."""
    import keras
    import torch
    from torch import nn

    from implementations.keras.lenet import TableConv2D
    from implementations.torch.lenet import TableConv2d
    from paperverify.frameworks.keras import probe as probe_keras
    from paperverify.frameworks.torch import probe as probe_torch

    with torch.device("meta"):
        model = nn.Sequential(OrderedDict(C3=TableConv2d(6, table, 5)))
    torch_trace = probe_torch.probe_model(model, (14, 14, 6))
    with probe_keras.no_weights():
        inputs = keras.Input((14, 14, 6))
        keras_model = keras.Model(inputs, TableConv2D(table, 5, name="C3")(inputs))
    return torch_trace, probe_keras.probe_model(keras_model)


@given(table=connection_tables)
def test_a_connection_table_sets_the_parameters(table, torch_threads: int, tf_threads: int) -> None:
    """One 5×5 kernel per connected (input map, output map) pair plus one bias per output map: with Table I's
    60 pairs and 16 maps, 60·25 + 16 = 1516 (Sec. II.B, PDF p. 8)."""
    links = sum(len(maps) for maps in table)
    for trace in _table_conv_traces(table):
        [layer] = trace.layers
        assert layer.params == links * 25 + len(table), trace.framework
        assert layer.output_shape == (10, 10, len(table))
        assert (layer.links, layer.macs) == (links, 10 * 10 * links * 25)
        assert layer.connections == 10 * 10 * (links * 25 + len(table))


def _table_i() -> dict[int, set[int]]:
    """Table I as transcribed: S2 map -> the C3 maps marked X in its row."""
    with (TABLES / "table1.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {int(row["row"]): {int(column) for column, cell in row.items() if cell == "X"} for row in rows}


def test_no_printed_statement_is_lost() -> None:
    """30 printed statements (7 Fig. 2 labels, 23 sentences of Sec. II) each make one claim, Appendix A's two
    squashing constants one each, Fig. 12's LeNet-5 bar one; Table I makes none (it is checked below), nor Fig. 11
    (its LeNet-5 bar is unchecked, with the reason)."""
    by_table: dict[str, int] = {}
    for claim in load_claims():
        if claim.source.paper == "lecun1998_lenet5":
            by_table[claim.source.table] = by_table.get(claim.source.table, 0) + 1
    assert by_table == {"text": 30, "squashing": 2, "fig12": 1}


def test_table_i_as_transcribed_has_sixty_connections() -> None:
    table = _table_i()
    assert sorted(table) == list(range(6)) and sum(len(maps) for maps in table.values()) == 60


def _responding_maps(outputs: np.ndarray, baseline: np.ndarray) -> set[int]:
    """C3 maps (last axis) whose output differs from the output for an all-zero input."""
    return {m for m in range(outputs.shape[-1]) if not DEFAULT.compare(outputs[..., m], baseline[..., m]).close}


def test_c3_reads_the_s2_maps_of_table_i_in_torch(torch_threads: int) -> None:
    import torch

    from implementations.torch.lenet import lenet5

    torch.manual_seed(SEED)
    layer = lenet5().C3.conv
    generator = np.random.default_rng(SEED)
    with torch.no_grad():
        baseline = layer(torch.zeros(1, 6, 14, 14)).permute(0, 2, 3, 1).numpy()
        for s2_map, c3_maps in _table_i().items():
            x = np.zeros((1, 6, 14, 14), dtype=np.float32)
            x[0, s2_map] = generator.standard_normal((14, 14))
            out = layer(torch.from_numpy(x)).permute(0, 2, 3, 1).numpy()
            assert _responding_maps(out, baseline) == c3_maps, s2_map


def test_c3_reads_the_s2_maps_of_table_i_in_keras(tf_threads: int) -> None:
    import keras

    from implementations.keras.lenet import lenet5

    keras.utils.set_random_seed(SEED)
    layer = lenet5().get_layer("C3.conv")
    generator = np.random.default_rng(SEED)
    baseline = keras.ops.convert_to_numpy(layer(np.zeros((1, 14, 14, 6), dtype=np.float32)))
    for s2_map, c3_maps in _table_i().items():
        x = np.zeros((1, 14, 14, 6), dtype=np.float32)
        x[0, :, :, s2_map] = generator.standard_normal((14, 14))
        out = keras.ops.convert_to_numpy(layer(x))
        assert _responding_maps(out, baseline) == c3_maps, s2_map


def _squashing_constants() -> tuple[float, float]:
    with (TABLES / "squashing.csv").open(encoding="utf-8", newline="") as handle:
        values = {row["constant"]: row["value"] for row in csv.DictReader(handle)}
    return float(values["A"]), float(Fraction(values["S"]))


def test_the_squashing_function_is_appendix_a(torch_threads: int, tf_threads: int) -> None:
    import torch

    from implementations.keras.lenet import Squash as KerasSquash
    from implementations.torch.lenet import Squash as TorchSquash

    amplitude, slope = _squashing_constants()
    a = np.linspace(-4, 4, 81, dtype=np.float32)
    expected = amplitude * np.tanh(slope * a)
    torch_f = TorchSquash()(torch.from_numpy(a)).numpy()
    keras_f = np.asarray(KerasSquash()(a))
    assert_close(torch_f, expected, what="PyTorch's squashing function against Appendix A")
    assert_close(keras_f, expected, what="Keras' squashing function against Appendix A")
    # Appendix A, PDF p. 41: "the equalities f(1) = 1 and f(-1) = -1 are satisfied" (to the printed digits of A).
    one = torch_f[a.tolist().index(1.0)]
    assert abs(one - 1) < 1e-4 and abs(torch_f[a.tolist().index(-1.0)] + 1) < 1e-4


# Numerical parity ------------------------------------------------------------------------------------------


def _build_torch():
    import torch

    from implementations.torch.lenet import lenet5

    torch.manual_seed(SEED)
    model = lenet5()
    generator = torch.Generator().manual_seed(SEED + 1)
    with torch.no_grad():  # subsampling coefficients and biases away from their 1/4 and 0 start
        for name in ("S2", "S4"):
            layer = getattr(model, name).subsample
            layer.weight.copy_(0.5 + torch.rand(layer.weight.shape, generator=generator))
            layer.bias.copy_(0.2 * torch.randn(layer.bias.shape, generator=generator))
    return model.eval()


def _keras_weights(name: str, module) -> list[np.ndarray]:
    """The PyTorch module's weights in the layout and order of the Keras layer of the same name."""
    from torch import nn

    from implementations.torch.lenet import EuclideanRBF, Subsample, TableConv2d

    def numpy(tensor):
        return tensor.detach().cpu().numpy()

    if isinstance(module, nn.Conv2d):
        return [numpy(module.weight).transpose(2, 3, 1, 0), numpy(module.bias)]  # OIHW -> HWIO
    if isinstance(module, TableConv2d):
        return [numpy(module.weight).transpose(1, 2, 0), numpy(module.bias)]  # pairs×kh×kw -> kh×kw×pairs
    if isinstance(module, Subsample):
        return [numpy(module.weight), numpy(module.bias)]
    if isinstance(module, nn.Linear):
        return [numpy(module.weight).T, numpy(module.bias)]
    if isinstance(module, EuclideanRBF):
        return [numpy(module.centres)]
    raise TypeError(f"no weight mapping for {name}: {type(module).__name__}")


def _copy_weights(torch_model, keras_model) -> None:
    """Every PyTorch parameter and the RBF centres into the Keras layer of the same name, none left out."""
    modules = dict(torch_model.named_modules())
    copied = set()
    for layer in keras_model.layers:
        if not layer.weights:
            continue
        weights = _keras_weights(layer.name, modules[layer.name])
        assert [w.shape for w in weights] == [tuple(v.shape) for v in layer.weights], layer.name
        layer.set_weights(weights)
        copied.add(layer.name)
    holding = {name for name, m in modules.items() if list(m.parameters(recurse=False)) or name == "output"}
    assert copied == holding, sorted(copied ^ holding)


def _models(size: int):
    """The PyTorch LeNet-5 (`_build_torch`) and a Keras one at size×size holding its weights."""
    import keras

    from implementations.keras.lenet import lenet5

    torch_model = _build_torch()
    keras.utils.set_random_seed(SEED)
    keras_model = lenet5(input_size=size, input_channels=1)
    _copy_weights(torch_model, keras_model)
    return torch_model, keras_model


def _layer_outputs(torch_model, keras_model, size: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(PyTorch, Keras) outputs, NHWC, of every traced layer, by name in execution order, for two random
    images: each model run by the equivalence check's runner, which hands over each trace record's output."""
    from paperverify.frameworks.keras import run as run_keras
    from paperverify.frameworks.torch import run as run_torch

    names = [layer.name for layer in probe(Config("lenet5", size), "torch").layers]
    images = np.random.default_rng(SEED).standard_normal((2, size, size, 1)).astype(np.float32)
    found: tuple[dict[int, np.ndarray], dict[int, np.ndarray]] = ({}, {})
    run_torch.run(torch_model, images, range(len(names)), found[0].__setitem__)
    run_keras.run(keras_model, images, range(len(names)), found[1].__setitem__)
    assert sorted(found[0]) == sorted(found[1]) == list(range(len(names)))
    return {name: (found[0][index], found[1][index]) for index, name in enumerate(names)}


def _diverging(outputs: dict[str, tuple[np.ndarray, np.ndarray]]) -> dict[str, str]:
    """The layers whose outputs differ beyond `paperverify.closeness`, in execution order, with the difference."""
    differences = {name: DEFAULT.compare(*pair) for name, pair in outputs.items()}
    return {name: str(difference) for name, difference in differences.items() if not difference.close}


@pytest.mark.parametrize("size", [32, 40])
def test_copied_weights_give_the_same_output(size: int, torch_threads: int, tf_threads: int) -> None:
    outputs = _layer_outputs(*_models(size), size)
    torch_out, keras_out = outputs["output"]
    side = _sides(size)["output"]
    assert torch_out.shape == keras_out.shape == (2, side, side, 10)
    # The two images' RBF penalties differ beyond the rule, so agreeing on them says something.
    assert not DEFAULT.compare(torch_out[0], torch_out[1]).close
    assert not _diverging(outputs), _diverging(outputs)


def test_a_wrong_c3_kernel_breaks_parity(torch_threads: int, tf_threads: int) -> None:
    torch_model, keras_model = _models(32)
    layer = keras_model.get_layer("C3.conv")
    kernel, bias = layer.get_weights()
    kernel[:, :, [0, 1]] = kernel[:, :, [1, 0]]  # the kernels of two connections swapped (C3 map 0: S2 maps 0, 1)
    layer.set_weights([kernel, bias])
    diverging = list(_diverging(_layer_outputs(torch_model, keras_model, 32)))
    assert diverging[:1] == ["C3.conv"] and "output" in diverging, diverging


def test_verify_a_torch_lenet5_with_weights(torch_threads: int) -> None:
    """The public API probes a model with real weights at one input plane and checks all 33 claims."""
    import paperverify

    result = paperverify.verify(_build_torch(), paper="lecun1998_lenet5", variant="lenet5")
    statuses = [verdict.status for verdict in result.verdicts]
    assert len(statuses) == 33 and statuses.count("erratum") == 2 and statuses.count("match") == 31

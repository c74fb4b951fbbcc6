"""The generic invariants of every registered variant, as torchvision's test_models.py parametrizes over its
registry; what differs per variant (its configuration space, parity size, exceptions) is data in tests/models.py.

- the Keras and PyTorch traces are identical (names, kinds, shapes, parameters, buffers, multiply-adds), over
  the variant's configuration space;
- learnable parameters do not depend on the input size, but in the layers the case names (a fully-connected
  layer after a flatten, a token-mixing MLP);
- every layer's analytic multiply-adds are half of torch.utils.flop_counter's FLOPs for that module, and
  nothing is counted outside the layers, but in the layers the case names with the reason;
- parity both ways through `paperverify.equivalence`: our PyTorch model with random weights and BatchNorm
  statistics against our Keras implementation, and our Keras model against our PyTorch implementation.

Each architecture's own test file holds what is its own: the paper's formulas and its negative controls.
"""

from __future__ import annotations

from fnmatch import fnmatch

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperverify import registry
from paperverify.claims import Config
from paperverify.closeness import DEFAULT
from paperverify.probes import probe
from tests.examples import network_examples, probe_examples
from tests.models import CASES
from tests.parity import parity

VARIANTS = registry.variants()


def _matches(name: str, patterns: tuple[str, ...] | list[str]) -> bool:
    return any(fnmatch(name, pattern) for pattern in patterns)


def test_every_registered_variant_has_a_case() -> None:
    assert sorted(CASES) == VARIANTS, "add the variant's configuration space and exceptions to tests/models.py"


@pytest.mark.parametrize(
    "variant",
    [
        pytest.param(v, marks=[pytest.mark.slow(reason=CASES[v].slow_traces)] if CASES[v].slow_traces else [])
        for v in VARIANTS
    ],
)
@network_examples
@given(data=st.data())
def test_keras_and_torch_traces_are_identical(
    variant: str, data: st.DataObject, torch_threads: int, tf_threads: int
) -> None:
    config = data.draw(CASES[variant].configs, label="config")
    keras_trace, torch_trace = probe(config, "keras"), probe(config, "torch")
    assert [layer.name for layer in keras_trace.layers] == [layer.name for layer in torch_trace.layers]
    for keras_layer, torch_layer in zip(keras_trace.layers, torch_trace.layers, strict=True):
        # Constants measured on the layer's outputs (a squashing function's A and S) differ in their last bits.
        assert keras_layer._replace(constants=None) == torch_layer._replace(constants=None), keras_layer.name
        assert (keras_layer.constants is None) == (torch_layer.constants is None), keras_layer.name
        if keras_layer.constants is not None:
            assert DEFAULT.compare(np.array(keras_layer.constants), np.array(torch_layer.constants)).close


@pytest.mark.parametrize("variant", VARIANTS)
@probe_examples
@given(data=st.data())
def test_learnable_parameters_do_not_depend_on_the_input_size(
    variant: str, data: st.DataObject, torch_threads: int
) -> None:
    case = CASES[variant]
    config = data.draw(case.configs, label="config")
    other = data.draw(case.configs.map(lambda c: c.input_size), label="other input size")
    moved = Config(variant, other, config.options)
    first, second = probe(config, "torch"), probe(moved, "torch")
    assert [layer.name for layer in first.layers] == [layer.name for layer in second.layers]
    for one, two in zip(first.layers, second.layers, strict=True):
        if not _matches(one.name, case.input_dependent):
            assert (one.params, one.buffers) == (two.params, two.buffers), one.name


@pytest.mark.parametrize("variant", [v for v in VARIANTS if CASES[v].input_dependent])
def test_the_input_dependent_layers_are_there_and_have_a_reason(variant: str, torch_threads: int) -> None:
    case = CASES[variant]
    names = [layer.name for layer in probe(Config(variant, case.parity_size), "torch").layers if layer.params]
    assert case.input_dependent_reason
    for pattern in case.input_dependent:
        assert any(fnmatch(name, pattern) for name in names), f"{pattern} matches no layer with parameters"


def _flop_counts(config: Config) -> tuple[dict[str, int], int]:
    """torch.utils.flop_counter's FLOPs per module (by qualified name) and in all, one meta forward pass."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    variant = registry.get(config.variant)
    builder = variant.builder("torch")
    with torch.device("meta"):
        model = builder(input_size=config.input_size, input_channels=variant.input_channels, **config.kwargs()).eval()
    counter = FlopCounterMode(display=False)
    side = config.input_size
    with counter, torch.no_grad():
        model(torch.empty(1, variant.input_channels, side, side, device="meta"))
    root = type(model).__name__
    counts = {
        name.removeprefix(f"{root}."): sum(ops.values())
        for name, ops in counter.get_flop_counts().items()
        if name.startswith(f"{root}.")
    }
    return counts, counter.get_total_flops()


def _check_flops(config: Config) -> None:
    """Every layer's analytic multiply-adds are half the flop counter's FLOPs for that module (but in the layers
    the case excepts, each of which must exist), and the flop counter counts nothing outside the layers."""
    case = CASES[config.variant]
    trace = probe(config, "torch")
    counts, total = _flop_counts(config)
    blind = list(case.flop_counter_blind)
    for pattern in blind:
        assert any(fnmatch(layer.name, pattern) for layer in trace.layers), f"{pattern} matches no layer"
    counted = 0
    for layer in trace.layers:
        flops = counts.get(layer.name, 0)
        counted += flops
        if not _matches(layer.name, blind):
            assert 2 * layer.macs == flops, layer.name
    assert counted == total, "the flop counter counted operations outside the traced layers"


#: The variants whose flop-counter cross-checks are marked slow (tests/models.py's `slow_flops`).
FLOP_VARIANTS = [
    pytest.param(v, marks=[pytest.mark.slow(reason=CASES[v].slow_flops)] if CASES[v].slow_flops else [])
    for v in VARIANTS
]


@pytest.mark.parametrize("variant", FLOP_VARIANTS)
def test_analytic_multiply_adds_are_half_the_flop_counters_at_the_papers_input(
    variant: str, torch_threads: int
) -> None:
    _check_flops(Config(variant, CASES[variant].paper_size))


@pytest.mark.parametrize("variant", FLOP_VARIANTS)
@network_examples
@given(data=st.data())
def test_analytic_multiply_adds_are_half_the_flop_counters_over_the_configurations(
    variant: str, data: st.DataObject, torch_threads: int
) -> None:
    _check_flops(data.draw(CASES[variant].configs, label="config"))


def _parity_marks(variant: str, framework: str) -> list[pytest.MarkDecorator]:
    slow = CASES[variant].slow_parity.get(framework)
    return [pytest.mark.xdist_group(f"parity-{variant}"), *([pytest.mark.slow(reason=slow)] if slow else [])]


PARITY = [
    pytest.param(variant, framework, id=f"{variant}-{framework}", marks=_parity_marks(variant, framework))
    for variant in VARIANTS
    if not CASES[variant].no_parity
    for framework in ("torch", "keras")
]


@pytest.mark.parametrize(("variant", "framework"), PARITY)
def test_parity_through_equivalence(variant: str, framework: str, torch_threads: int, tf_threads: int) -> None:
    """Our `framework` model with random weights computes what our other implementation computes."""
    case = CASES[variant]
    result = parity(variant, framework, size=case.parity_size, options=case.parity_options)
    assert result.equivalent, result.describe()
    assert result.points and result.layers


def test_variants_without_parity_say_why() -> None:
    for variant, case in CASES.items():
        if case.no_parity:
            assert "tests/" in case.no_parity, f"{variant}: name the test that checks it instead"

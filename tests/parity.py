"""Parity of our two implementations of a variant, through `paperverify.equivalence`, for the registry-driven
model test and the architectures' negative controls.

`parity(variant, "torch")` builds our PyTorch model with random weights and random BatchNorm statistics and
checks it against our Keras implementation of the same variant (its weights copied into ours, both run on one
image, every named point and layer compared by `paperverify.closeness`); `parity(variant, "keras")` goes the
other way. A negative control changes one thing and must see the outputs part at that place:

- `prepare` changes the model under test before the check (PyTorch's LocalResponseNorm given the paper's α);
- `tamper` spoils the weights copied into the reference, by our layer name (one kernel entry perturbed, a
  kernel with kh and kw swapped, a dense kernel's rows left in C, H, W order, a BatchNorm left uncopied).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from typing import Any

import numpy as np
import pytest

from paperverify import frameworks, registry
from paperverify.equivalence import EquivalenceResult, equivalence
from paperverify.probes.numeric import Weights
from tests.models import CASES
from tests.weights import random_keras_weights, randomise_keras_weights, randomise_torch_weights

OTHER = {"keras": "torch", "torch": "keras"}

#: Changes the canonical weights written into one layer of the reference: (weights, flattened map) -> weights.
Tamper = Callable[[Weights, Any], Weights]


@cache
def paper_of(variant: str) -> str:
    """The paper whose tables describe `variant`'s architecture."""
    from paperverify.tables import default_roots, load_claims

    architecture = registry.get(variant).architecture
    return next(c.source.paper for c in load_claims(default_roots()) if c.source.architecture == architecture)


def build(variant: str, framework: str, size: int, options: Mapping[str, Any], seed: int = 0) -> Any:
    """Our `variant` in `framework` at size×size with random weights and random BatchNorm parameters and
    statistics (fresh ones are the identity in inference, which would hide a misplaced BatchNorm)."""
    registered = registry.get(variant)
    builder = registered.builder(framework)
    kwargs = {"input_size": size, "input_channels": registered.input_channels, **options}
    if framework == "torch":
        import torch

        torch.manual_seed(seed)
        return randomise_torch_weights(builder(**kwargs), seed + 1).eval()
    from paperverify.frameworks.keras.probe import no_weights

    with no_weights():  # Keras' initialisers cost most of a build: numpy draws the weights instead
        model = builder(**kwargs)
    return randomise_keras_weights(random_keras_weights(model, seed), seed + 1)


@contextmanager
def tampered(reference_framework: str, tampers: Mapping[str, Tamper]) -> Iterator[None]:
    """While active, the weights equivalence writes into the reference layers named in `tampers` are changed
    by their tamper first; every named layer must be written exactly once."""
    adapter = frameworks.get(reference_framework)
    names: dict[int, str] = {}
    written: list[str] = []
    build_reference, write = adapter.build_reference, adapter.write

    def capture(*args: Any, **kwargs: Any) -> Any:
        model = build_reference(*args, **kwargs)
        if hasattr(model, "named_modules"):
            names.update({id(module): name for name, module in model.named_modules()})
        return model

    def spoil(layer: Any, weights: Weights, flattened: Any) -> None:
        name = names.get(id(layer), getattr(layer, "name", None))
        if name in tampers:
            weights = tampers[name](weights, flattened)
            written.append(name)
        write(layer, weights, flattened)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(adapter, "build_reference", capture)
        patch.setattr(adapter, "write", spoil)
        yield
    assert sorted(written) == sorted(tampers), f"tampered {sorted(written)}, asked for {sorted(tampers)}"


def parity(
    variant: str,
    framework: str,
    *,
    size: int,
    options: Mapping[str, Any] | None = None,
    seed: int = 0,
    prepare: Callable[[Any], None] | None = None,
    tamper: Mapping[str, Tamper] | None = None,
) -> EquivalenceResult:
    """Our `variant` built in `framework` (random weights), checked against our implementation in the other
    framework by `paperverify.equivalence` at size×size."""
    options = dict(options or {})
    model = build(variant, framework, size, options, seed)
    prepare = prepare or CASES[variant].parity_prepare
    if prepare is not None:
        prepare(model)
    reference = OTHER[framework]
    with tampered(reference, tamper or {}):
        return equivalence(
            model,
            paper=paper_of(variant),
            variant=variant,
            options=options,
            reference_framework=reference,
            input_size=size if framework == "torch" else None,
            seed=seed,
        )


def perturb(index: tuple[Any, ...], amount: float = 0.1) -> Tamper:
    """The kernel entries at `index` (one entry, or `(Ellipsis, j)` for output map j) changed by `amount`."""

    def change(weights: Weights, _flattened: Any) -> Weights:
        kernel = weights.kernel.copy()
        kernel[index] += amount
        weights.kernel = kernel
        return weights

    return change


def scale_kernel(layer: str, factor: float) -> Callable[[Any], None]:
    """A `prepare` that multiplies one layer's kernel by `factor` in the model under test, in either framework
    (to drive a response normalization after it out of its nearly linear range)."""

    def scale(model: Any) -> None:
        if hasattr(model, "get_submodule"):
            import torch

            with torch.no_grad():
                model.get_submodule(layer).weight.mul_(factor)
        else:
            kernel = model.get_layer(layer).kernel
            kernel.assign(kernel * factor)

    return scale


def swap_kh_kw(weights: Weights, _flattened: Any) -> Weights:
    """A square kernel transposed in its two spatial axes: the shapes agree, the filters do not."""
    weights.kernel = np.ascontiguousarray(weights.kernel.transpose(1, 0, 2, 3))
    return weights


def rows_in_chw_order(weights: Weights, flattened: tuple[int, int, int] | None) -> Weights:
    """A dense kernel whose rows stay in PyTorch's C, H, W flatten order instead of Keras' H, W, C."""
    from paperverify.probes.numeric import unflatten_rows

    assert flattened is not None and flattened[0] * flattened[1] > 1, "the dense layer reads no flattened map"
    weights.kernel = unflatten_rows(weights.kernel, flattened)
    return weights


def uncopied(weights: Weights, _flattened: Any) -> Weights:
    """A BatchNorm left as initialised: scale 1, offset 0, mean 0, variance 1."""
    return Weights(epsilon=weights.epsilon)

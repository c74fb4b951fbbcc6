"""Which of a paper's configurations a model is, so that claims printed for another are not held against it.

A paper prints numbers for several configurations of one network: MobileNet's width multipliers and
resolutions (Tables 6, 7), SENet's reduction ratios (Table 10), ShuffleNet's scale factors (Table 2). A model
someone wrote is one of them, or none. Its configuration is read from the model itself, with no name: those
(builder options, our builder's defaults filled in) under which our implementation has exactly the model's
parameters; for a model that is none (a departure), the paper's main configuration and the one nearest to its
parameters. A claim the model fails is `skipped`, with the reason, when it is printed for another configuration
and our implementation, verified against the paper, fails it too in each configuration the model may be (0.5
MobileNet's 149 million Mult-Adds are not a 1.0 MobileNet's), or when it is printed for another input than the
model is built for. A claim that holds in the model's configuration is judged as any other: ResNet's Table 1 sizes,
printed for option A shortcuts, hold with projections too, and a model that misses them fails.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from paperverify import compare, frameworks, registry
from paperverify.claims import Claim, Config
from paperverify.probes import reference
from paperverify.trace import Trace

Options = tuple[tuple[str, Any], ...]


def options_of(claim: Claim, defaults: Mapping[str, Any]) -> Options:
    """The builder options a claim is printed for, less the input size, with the builder's defaults filled in
    (MobileNet Table 1's rows and Table 6's `alpha = 1.0` row are one configuration)."""
    options = {**defaults, **claim.config.kwargs()}
    options.pop("input_size", None)
    return tuple(sorted(options.items()))


def builder_defaults(claims: Iterable[Claim], framework: str) -> dict[str, Any]:
    """Our builder's default for every option some claim sets (`reduction=16` for SENet), read from our builder in
    `framework` where there is one (its framework is imported already: a Keras model's check need not import
    PyTorch for it), else from the one references are built in; the frameworks' builders share their defaults."""
    claims = list(claims)
    keys = {key for claim in claims for key in claim.config.kwargs() if key != "input_size"}
    if not claims or not keys:
        return {}
    variant = registry.get(claims[0].config.variant)
    own = framework in variant.frameworks
    builder = variant.builder(framework if own else frameworks.for_references(variant.frameworks, framework))
    parameters = inspect.signature(builder).parameters
    return {
        key: parameters[key].default
        for key in keys
        if key in parameters and parameters[key].default is not inspect.Parameter.empty
    }


@dataclass(frozen=True)
class Configuration:
    """The configurations a model may be, read from its parameters, and the one it is lined up with."""

    variant: str
    #: The option sets under which our implementation has the model's parameters; if none has them, the main one
    #: and the one nearest to the model's parameters.
    candidates: tuple[Options, ...]
    #: Whether some configuration has exactly the model's parameters.
    inferred: bool
    params: int
    defaults: Mapping[str, Any]
    framework: str
    #: Told by the weights of its convolutions and dense layers (this many), the model having no BatchNorm of its
    #: own (folded into its convolutions), rather than by its parameters; 0 otherwise.
    kernels: int = 0

    @property
    def chosen(self) -> Options:
        """The option set the model is lined up and described with."""
        return self.candidates[0]

    def describe(self) -> str:
        names = " or ".join(map(self._name, self.candidates))
        if self.inferred and self.kernels:
            return (
                f"checked as {names}: our {names} has its {self.kernels:,} weights of convolutions and dense layers "
                "(it has no BatchNorm: folded into its convolutions, as an inference export does)"
            )
        if self.inferred:
            return f"checked as {names}: our {names} has its {self.params:,} parameters"
        return (
            f"no configuration the paper prints has its {self.params:,} parameters: checked as {names} (the paper's "
            "main configuration and the one nearest to its parameters)"
        )

    def not_applicable(self, claim: Claim) -> str | None:
        """Why a claim the model fails is printed for another configuration than the model's: our implementation
        fails it too in each configuration the model may be (None if it holds in one of them, or the claim is
        printed for one of them)."""
        if options_of(claim, self.defaults) in self.candidates:
            return None
        for options in self.candidates:
            ours = reference(Config(self.variant, claim.config.input_size, options), self.framework)
            if compare.safe_judge(claim, ours).status in compare.PASSING:
                return None
        names = " or ".join(map(self._name, self.candidates))
        told = "its weights" if self.kernels else "its parameters"
        return (
            f"printed for {claim.config}, which this model is not: it is {names} by {told}, where our "
            "implementation does not give the printed value either (--config K=V checks it as another configuration)"
        )

    def _name(self, options: Options) -> str:
        listed = ", ".join(f"{key}={value!r}" for key, value in options if value is not None)
        return f"{self.variant}({listed})" if listed else self.variant


def infer(claims: list[Claim], trace: Trace) -> Configuration | None:
    """Which configuration the model `trace` was probed from is, among those `claims` are printed for (None when
    they are printed for one only): those under which our implementation has the model's parameters; for a model
    that none is (a departure), the paper's main one and the one nearest to its parameters."""
    defaults = builder_defaults(claims, trace.framework)
    configs: dict[Options, Config] = {}
    for claim in claims:
        configs.setdefault(options_of(claim, defaults), claim.config)
    if len(configs) < 2:
        return None
    main = tuple(sorted(defaults.items()))
    if main not in configs:
        main = next(iter(configs))
    ours = {key: reference(config, trace.framework) for key, config in configs.items()}
    distance = {key: abs(ours[key].params - trace.params) for key, config in configs.items()}
    same = sorted((key for key in configs if distance[key] == 0), key=lambda key: key != main)
    kernels = 0
    if not same and trace.batchnorms == 0:  # BatchNorm folded into the convolutions: their kernels are the same
        same = sorted((key for key in configs if ours[key].kernels == trace.kernels), key=lambda key: key != main)
        kernels = trace.kernels if same else 0
    nearest = min(configs, key=lambda key: (distance[key], key != main))
    candidates = tuple(same) if same else tuple(dict.fromkeys([main, nearest]))
    variant = claims[0].config.variant
    return Configuration(variant, candidates, bool(same), trace.params, defaults, trace.framework, kernels)


def other_input(claim: Claim, size: int | None, found: Trace | Exception | None) -> str | None:
    """Why a claim is printed for another input than the model takes: it is built for `size`, another input the
    paper prints claims for, or it cannot be probed at the claim's (`found` is the error); None if neither."""
    side = claim.config.input_size
    if size is not None and side != size:
        return f"printed for a {side}×{side} input; this model is built for {size}×{size}"
    if isinstance(found, Exception):
        return f"printed for a {side}×{side} input, which this model cannot take ({type(found).__name__}: {found})"
    return None

"""Every registered variant's configuration space and its exceptions to the generic model tests, as data.

`CASES[variant]` says, for tests/test_models.py and the architectures' own tests:

- `configs`: the configurations the builders accept (input sizes, builder options), as a hypothesis strategy
  of `Config`s; the architectures' property tests draw from the same spaces;
- `paper_size`: the input the paper's network reads (EfficientNet's: the released code's resolutions), where the
  flop counter cross-checks the counts besides the drawn configurations;
- `parity_size` / `parity_options` / `parity_prepare`: where parity through `paperverify.equivalence` runs (a
  small input keeps it cheap; a fixed-size head is built for it; maps of at least 2×2 before a flatten, so the
  rows of the dense layer after it are permuted between the frameworks) and what to do to the model first;
- `input_dependent`: shell patterns of the layers whose parameters follow the input size (a fully-connected
  layer after a flatten, a token-mixing MLP), with the reason;
- `flop_counter_blind`: shell patterns of the layers whose multiply-adds torch.utils.flop_counter counts
  otherwise than the analytic rule (or not at all), with the reason;
- `no_parity`: why parity through `paperverify.equivalence` cannot run, and which test covers it instead;
- `slow_parity`: the directions of parity (the framework of the model checked) marked slow, run with
  `--run-slow`, and why: the deeper members of a family repeat their smallest member's blocks, which runs both
  ways in every run; the largest Mixers copy hundreds of millions of weights;
- `slow_traces`: why the Keras-PyTorch trace identity of a deeper member is marked slow (the same reason);
- `slow_flops`: why its cross-checks against torch.utils.flop_counter are marked slow.

A variant registered without a case fails tests/test_models.py::test_every_registered_variant_has_a_case.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from implementations.specs.efficientnet import SCALINGS
from paperverify.claims import Config


@dataclass(frozen=True)
class Case:
    configs: st.SearchStrategy[Config]
    paper_size: int = 224
    parity_size: int = 64
    parity_options: Mapping[str, Any] = field(default_factory=dict)
    parity_prepare: Callable[[Any], None] | None = None
    input_dependent: tuple[str, ...] = ()
    input_dependent_reason: str = ""
    flop_counter_blind: Mapping[str, str] = field(default_factory=dict)
    no_parity: str = ""
    slow_parity: Mapping[str, str] = field(default_factory=dict)
    slow_traces: str = ""
    slow_flops: str = ""


def space(variant: str, sizes: st.SearchStrategy[int], **options: st.SearchStrategy[Any]) -> st.SearchStrategy[Config]:
    """Configurations of `variant`: an input size from `sizes`, each builder option from its strategy."""
    names = sorted(options)

    def make(size: int, *values: Any) -> Config:
        return Config(variant, size, tuple(zip(names, values, strict=True)))

    return st.builds(make, sizes, *(options[name] for name in names))


def sized(variant: str, sides: st.SearchStrategy[int], unit: int) -> st.SearchStrategy[Config]:
    """Configurations of `variant` at inputs of `unit` × side pixels (a multiple of a patch or of a stride)."""
    return sides.map(lambda side: Config(variant, side * unit))


def _lrn_at_work(conv: str) -> Callable[[Any], None]:
    """The first convolution's kernel ×40, so that the response normalization after it works far from its
    nearly linear range, where the α/n of PyTorch's LocalResponseNorm and the paper's α part clearly."""

    def prepare(model: Any) -> None:
        from tests.parity import scale_kernel

        scale_kernel(conv, 40.0)(model)

    return prepare


def _each(variants: list[str], make: Callable[[str], Case]) -> dict[str, Case]:
    return {variant: make(variant) for variant in variants}


# Fixed-size heads: the builders size them for the input (`input_size`), so their parameters follow it.
_FLATTEN_FC = "the first fully-connected layer reads the flattened maps, whose size follows the input's"
# torch.utils.flop_counter counts convolutions and matrix products only.
_PRODUCT = "an element-wise product (SE's excitation scaling its input): the flop counter counts none"

_BIG_MIXERS = ("mixer_l32", "mixer_l16", "mixer_h14")
_BIG_MIXER = (
    "L and H: 200-430 million weights built, copied and run twice, 8-20 s a direction; their blocks are the "
    "S and B variants' code at other widths"
)


def _deeper(smallest: str) -> dict[str, Any]:
    """A member of a family whose blocks another member runs in every run (at fewer repeats, other group counts,
    another patch size): its parity both ways and its Keras-PyTorch trace identity marked slow (2-6 s each)."""
    reason = f"the blocks of {smallest} (checked in every run) again, at other repeats, groups or patches; 2-6 s each"
    return {"slow_parity": dict.fromkeys(("torch", "keras"), reason), "slow_traces": reason}


RESNETS = ["resnet18", "resnet34", "resnet50", "resnet101", "resnet152"]
_RESNET1202 = "ResNet-20's blocks 200 times over: the flop counter runs its 4,200 layers, 5-6 s a check"
CIFAR_RESNETS = ["resnet20", "resnet32", "resnet44", "resnet56", "resnet110", "resnet1202"]
VGGS = ["vgg11", "vgg11_lrn", "vgg13", "vgg16_c", "vgg16", "vgg19"]
DENSENETS = ["densenet121", "densenet169", "densenet201", "densenet264"]
SQUEEZENETS = ["squeezenet", "squeezenet_simple_bypass", "squeezenet_complex_bypass"]
SHUFFLENETS = ["shufflenet_g1", "shufflenet_g2", "shufflenet_g3", "shufflenet_g4", "shufflenet_g8"]
SENETS = ["se_resnet50", "se_resnet101", "se_resnet152", "se_resnext50"]
EFFICIENTNETS = [f"efficientnet_b{i}" for i in range(8)]
#: MLP-Mixer variants and their patch sizes (Table 1 names: S/32 ... H/14).
MIXERS = {"mixer_s32": 32, "mixer_s16": 16, "mixer_b32": 32, "mixer_b16": 16, "mixer_l32": 32, "mixer_l16": 16,
          "mixer_h14": 14}  # fmt: skip

# The spaces: what each builder accepts. Strides of 32 in MobileNet and ShuffleNet halve the side exactly at
# multiples of 32; SqueezeNet's squeeze ratio and 3×3 share in eighths give whole filters; ShuffleNet's scale
# factors are the paper's (Tables 2 and 5).
#: B0 scaled by any depth and width coefficients (Eq. 3's d = α^φ, w = β^φ are two of them).
_COEFFICIENTS = {"depth_coefficient": st.floats(1.0, 2.5), "width_coefficient": st.floats(1.0, 2.0)}
SHUFFLE_SCALES = st.sampled_from([0.25, 0.5, 1.0, 1.5, 2.0])
EIGHTHS = st.integers(min_value=1, max_value=8).map(lambda n: n / 8)

CASES: dict[str, Case] = {
    **_each(
        RESNETS,
        lambda v: Case(
            space(v, st.integers(32, 320), shortcut=st.sampled_from(["A", "B", "C"])),
            **(
                _deeper("resnet50")
                if v in ("resnet101", "resnet152")
                else _deeper("resnet18")
                if v == "resnet34"
                else {}
            ),
        ),
    ),
    **_each(
        CIFAR_RESNETS,
        lambda v: Case(
            # ResNet-1202 (4,200 layers, 3-10 s a build or a flop count) repeats ResNet-20's blocks: at 32 only.
            space(v, st.just(32) if v == "resnet1202" else st.integers(8, 96)),
            paper_size=32,
            parity_size=32,
            slow_flops=_RESNET1202 if v == "resnet1202" else "",
            **(_deeper("resnet20") if v != "resnet20" else {}),
        ),
    ),
    **_each(
        ["plain18", "plain34"],
        lambda v: Case(space(v, st.integers(32, 320)), **(_deeper("plain18") if v == "plain34" else {})),
    ),
    **_each(
        VGGS,
        lambda v: Case(
            sized(v, st.integers(1, 8), 32),
            parity_size=64,
            parity_prepare=_lrn_at_work("conv1.conv1_1") if v == "vgg11_lrn" else None,
            input_dependent=("fc6",),
            input_dependent_reason=_FLATTEN_FC,
            **({"vgg13": _deeper("vgg11"), "vgg19": _deeper("vgg16")}.get(v, {})),
        ),
    ),
    "alexnet": Case(
        space("alexnet", st.integers(67, 320), conv1_padding=st.sampled_from([0, 2])),
        parity_size=95,  # conv5's pooled maps are 2×2
        parity_prepare=_lrn_at_work("conv1.conv"),
        input_dependent=("fc6.*",),
        input_dependent_reason=_FLATTEN_FC,
    ),
    "nin_cifar10": Case(
        space("nin_cifar10", st.integers(8, 96), maps=st.integers(4, 64), kernel=st.sampled_from([1, 3, 5])),
        paper_size=32,
        parity_size=32,
    ),
    "lenet5": Case(
        space("lenet5", st.integers(32, 96)),
        paper_size=32,
        parity_size=32,
        flop_counter_blind={
            "C3.conv": "C3's connection table: the flop counter counts the full 16×6 kernel the layer assembles, "
            "the analytic count only the 60 connected kernels (tests/test_lenet5.py checks the connections)",
            "S?.subsample": "a window sum times a coefficient: the flop counter counts no pooling",
            "output": "squared distances to fixed centres: the flop counter counts no element-wise arithmetic",
        },
        no_parity="its subsampling and RBF layers hold weights of their own kinds, which the equivalence check "
        "does not copy; tests/test_lenet5.py copies them by name and compares every layer",
    ),
    "googlenet": Case(space("googlenet", st.integers(64, 320))),
    "bn_inception": Case(space("bn_inception", st.integers(32, 320))),
    **_each(
        DENSENETS,
        lambda v: Case(
            space(
                v, st.integers(32, 320), growth_rate=st.integers(1, 48), compression=EIGHTHS, bottleneck=st.booleans()
            ),
            **(_deeper("densenet121") if v != "densenet121" else {}),
        ),
    ),
    "densenet_cifar": Case(
        # Depths valid with and without the bottleneck (3n + 4 = 6m + 4): one to three bottleneck layers a block;
        # growth rates from 4, so that θ = 1/8 leaves every transition a feature-map or more.
        space(
            "densenet_cifar",
            st.integers(8, 64),
            depth=st.sampled_from([10, 16, 22]),
            growth_rate=st.integers(4, 24),
            compression=EIGHTHS,
            bottleneck=st.booleans(),
        ),
        paper_size=32,
        parity_size=32,
    ),
    **_each(
        SQUEEZENETS,
        lambda v: Case(
            space(v, st.integers(48, 320), squeeze_ratio=EIGHTHS, pct3x3=st.integers(1, 7).map(lambda n: n / 8))
        ),
    ),
    "mobilenet_v1": Case(
        space(
            "mobilenet_v1",
            st.sampled_from(range(96, 257, 32)),
            alpha=st.sampled_from([0.25, 0.5, 0.75, 1.0]),
            full_convolutions=st.booleans(),
            shallow=st.booleans(),
        )
    ),
    **_each(
        SHUFFLENETS,
        lambda v: Case(
            space(v, st.sampled_from(range(96, 257, 32)), scale=SHUFFLE_SCALES),
            **(_deeper("shufflenet_g3") if v in ("shufflenet_g2", "shufflenet_g4", "shufflenet_g8") else {}),
        ),
    ),
    **_each(
        SENETS,
        lambda v: Case(
            space(v, st.integers(32, 320), reduction=st.sampled_from([1, 4, 16, 64]), se_bias=st.booleans()),
            parity_options={"se_bias": True} if v == "se_resnext50" else {},
            **(_deeper("se_resnet50") if v in ("se_resnet101", "se_resnet152") else {}),
            flop_counter_blind={"*.se.scale": _PRODUCT},
        ),
    ),
    **_each(
        EFFICIENTNETS,
        lambda v: Case(
            space(v, st.integers(32, 320), **(_COEFFICIENTS if v == "efficientnet_b0" else {})),
            paper_size=SCALINGS[v].resolution,
            flop_counter_blind={"*.se.scale": _PRODUCT},
            **(_deeper("efficientnet_b0") if v != "efficientnet_b0" else {}),
        ),
    ),
    "xception": Case(space("xception", st.integers(7, 320), middle_repeats=st.integers(0, 8)), paper_size=299),
    **{
        v: Case(
            sized(v, st.integers(1, 8), patch),
            parity_size=2 * patch,
            input_dependent=("*.token_mixing.fc*",),
            input_dependent_reason="the token-mixing MLP acts across the patches, whose number follows the input",
            **(
                {"slow_parity": dict.fromkeys(("torch", "keras"), _BIG_MIXER)}
                if v in _BIG_MIXERS
                else _deeper("mixer_s32" if v == "mixer_s16" else "mixer_b16")
                if v in ("mixer_s16", "mixer_b32")
                else {}
            ),
        )
        for v, patch in MIXERS.items()
    },
}

"""The layer kinds a trace may hold, defined once, as data: how each counts and what it is.

For every kind: its multiply-add rule and its connection rule (`paperverify.counting`; None where the kind has
none: a claim that needs it is an error naming the layer), whether it is a weight layer (counted in a
network's depth), a pooling layer (counted by a depth "if we also count pooling"), a merge of several inputs,
and whether the equivalence check copies its weights. The probes map each framework's classes to these names
(`paperverify/frameworks/<name>/probe.py`); a class may declare its own `paperverify_kind`, which must be one
of them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass

from paperverify import counting
from paperverify.counting import ConnectionCounter, Counter


@dataclass(frozen=True)
class Kind:
    """One layer kind and its rules."""

    name: str
    #: Multiply-adds from (inputs, output, kernel, groups[, links]); None: no rule.
    macs: Counter | None
    #: Connections, as LeCun et al. (1998, Sec. II.B) count them; None: no rule.
    connections: ConnectionCounter | None = None
    #: A weight layer: it makes up a network's depth ("34 parameter layers").
    weight_layer: bool = False
    #: Pooling: counted in a depth "if we also count pooling" (GoogLeNet, Sec. 5).
    pooling: bool = False
    #: Merges several inputs (a wiring comparison looks at what feeds it).
    merge: bool = False
    #: The equivalence check copies its weights between frameworks (paperverify.probes.numeric.Weights).
    copyable: bool = False
    #: Passes its values on unchanged in inference, only reshaped (flatten, dropout): where it sits among
    #: the layers around it changes nothing, so a wiring comparison reads through it.
    inert: bool = False
    #: An element-wise activation function: the words papers print for it (lower case), which a claim of the
    #: quantity `activation` names it by.
    printed: tuple[str, ...] | None = None
    #: What it is, for an error message.
    description: str = ""


_zero, _none = counting.zero, counting.no_connections
#: The kind of a layer the probe cannot tell (its record keeps the class in `origin`).
UNKNOWN = "unknown"
#: Batch normalisation, which an inference export may fold into the convolution before it.
BATCHNORM = "batchnorm"

_KINDS = (
    Kind("conv2d", counting.conv2d, counting.conv2d_connections, weight_layer=True, copyable=True,
         description="a convolution (grouped or depthwise: groups; with a connection table: links)"),
    Kind("dense", counting.dense, counting.dense_connections, weight_layer=True, copyable=True,
         description="a fully-connected layer, applied at every position of its input"),
    Kind("subsample", counting.per_output, counting.subsample_connections, weight_layer=True,
         description="LeNet-5's trainable subsampling: a window summed, times a coefficient, plus a bias"),
    Kind("rbf", counting.dense, counting.rbf_connections, weight_layer=True,
         description="LeNet-5's Euclidean RBF output: squared distances to one parameter vector per class"),
    Kind("multiply", counting.per_output, _none,
         description="an element-wise product, as SENet's channel-wise scale (Eq. 4) and EfficientNet's excitation"),
    Kind(BATCHNORM, _zero, copyable=True, description="batch normalisation"),
    Kind("layernorm", _zero, copyable=True, description="layer normalisation"),
    Kind("lrn", _zero, description="local response normalisation"),
    Kind("relu", _zero, _none, printed=("relu", "rectified linear activation", "rectification"),
         description="an activation"),
    Kind("tanh", _zero, _none, printed=("tanh", "hyperbolic tangent", "scaled hyperbolic tangent"),
         description="an activation, A tanh(S a) (its constants (A, S): 1 and 1 for a plain tanh)"),
    Kind("sigmoid", _zero, _none, printed=("sigmoid",), description="an activation"),
    Kind("swish", _zero, _none, printed=("swish", "silu"), description="an activation"),
    Kind("gelu", _zero, _none, printed=("gelu",), description="an activation"),
    Kind("activation", _zero, _none, printed=(),
         description="another element-wise activation (ELU, ReLU6, ...)"),
    Kind("softmax", _zero, _none, description="a softmax"),
    Kind("maxpool", _zero, _none, pooling=True, description="max pooling"),
    Kind("avgpool", _zero, _none, pooling=True, description="average pooling (or a global one)"),
    Kind("add", _zero, _none, merge=True, description="an element-wise sum"),
    Kind("concat", _zero, _none, merge=True, description="a concatenation along the channels"),
    Kind("flatten", _zero, _none, inert=True, description="a flatten or reshape"),
    Kind("transpose", _zero, _none, description="a transpose"),
    Kind("pad", _zero, _none, description="zero padding"),
    Kind("pad_channels", _zero, _none, description="zero channels appended (ResNet's option A shortcut)"),
    Kind("dropout", _zero, _none, inert=True, description="dropout (the identity in inference)"),
    Kind("channel_shuffle", _zero, _none,
         description="ShuffleNet's channel shuffle (Sec. 3.1), a permutation: it moves values, computes nothing"),
    Kind("rescaling", _zero, description="input preprocessing (keras.applications' Rescaling)"),
    Kind("input_normalization", _zero, description="input preprocessing (keras.applications' Normalization)"),
    Kind("identity", _zero, _none, description="the identity: never recorded in a trace"),
    Kind(UNKNOWN, None, description="a layer whose kind the probe cannot tell: its cost, connections and whether "
         "it is a weight layer are unknown until its kind is declared"),
)  # fmt: skip

#: Every kind, by name.
KINDS: dict[str, Kind] = {kind.name: kind for kind in _KINDS}
#: Kinds that make up a network's depth.
WEIGHT_LAYERS = frozenset(kind.name for kind in _KINDS if kind.weight_layer)
#: Pooling kinds.
POOLING = frozenset(kind.name for kind in _KINDS if kind.pooling)
#: Kinds that merge several inputs.
MERGES = frozenset(kind.name for kind in _KINDS if kind.merge)
#: Kinds that pass their values on unchanged in inference (`Kind.inert`).
INERT = frozenset(kind.name for kind in _KINDS if kind.inert)
#: Activation kinds, by each word papers print for one (`ReLU`, `hyperbolic tangent`), lower case.
ACTIVATION_WORDS = {word: kind.name for kind in _KINDS for word in kind.printed or ()}
#: Kinds that are element-wise activation functions.
ACTIVATIONS = frozenset(kind.name for kind in _KINDS if kind.printed is not None)
#: Kinds whose weights the equivalence check copies, in a stable order for messages.
COPYABLE = tuple(kind.name for kind in _KINDS if kind.copyable)


def tiling_window(kind: str, inputs: tuple[tuple[int, ...], ...], output: tuple[int, ...]) -> dict[str, object]:
    """The window and stride of a pooling or subsampling layer of a class declared with `--kind` (`declaring`)
    that states none: the one that tiles its input into its output, 28×28 into 14×14 by 2×2 windows of stride 2
    (and a subsampling unit's bias); empty where the sides do not divide (then what needs the window says so)."""
    if (kind not in POOLING and kind != "subsample") or len(inputs) != 1 or len(inputs[0]) != 3 or len(output) != 3:
        return {}
    (height, width, _), (rows, columns, _) = inputs[0], output
    if not rows or not columns or height % rows or width % columns:
        return {}
    window = (height // rows, width // columns)
    # LeCun et al. (1998, Sec. II.B): a subsampling unit's sum is "multiplied by a trainable coefficient, and added
    # to a trainable bias"; the bias is part of what the kind is.
    return {"kernel": window, "stride": window, **({"bias": True} if kind == "subsample" else {})}


class UnknownKindError(ValueError):
    """A layer whose kind is not in KINDS, or has no rule for what is asked of it."""


def get(name: str, layer: str) -> Kind:
    """The kind `name`; UnknownKindError naming `layer` and listing the kinds otherwise."""
    if name not in KINDS:
        raise UnknownKindError(f"layer {layer!r}: unknown kind {name!r}. Known kinds: {sorted(KINDS)}")
    return KINDS[name]


#: How to declare a layer's kind, for messages about a layer whose kind is unknown.
HOW_TO_DECLARE = (
    "declare its class's kind: `paperverify check ... --kind CLASS=KIND`, `verify(..., kinds={'CLASS': 'KIND'})`, "
    "or a `paperverify_kind = 'KIND'` attribute on the class"
)

_declared: dict[str, str] = {}


def declared(cls: type) -> str | None:
    """The kind a user declared for `cls`, by its qualified name (`mypkg.blocks.Shuffle`) or its bare name."""
    if not _declared:
        return None
    return (
        _declared.get(f"{cls.__module__}.{cls.__qualname__}")
        or _declared.get(cls.__qualname__)
        or _declared.get(cls.__name__)  # a class defined inside a function or another class, by its own name
    )


def declared_kinds() -> dict[str, str]:
    """The kinds declared now (class name -> kind)."""
    return dict(_declared)


def declaring(kinds: Mapping[str, str]) -> AbstractContextManager[None]:
    """While inside, the probes take these classes (qualified or bare names) to be of these kinds;
    UnknownKindError at once for a kind that is not one."""
    unknown = {name: kind for name, kind in kinds.items() if kind not in KINDS or kind == UNKNOWN}
    if unknown:
        raise UnknownKindError(f"declared kinds must be among {sorted(set(KINDS) - {UNKNOWN})}. Received: {unknown}")
    return _declaring(dict(kinds))


@contextmanager
def _declaring(kinds: dict[str, str]) -> Iterator[None]:
    saved = dict(_declared)
    _declared.update(kinds)
    try:
        yield
    finally:
        _declared.clear()
        _declared.update(saved)

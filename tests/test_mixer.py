"""MLP-Mixer (Tolstikhin et al., arXiv 2105.01601, HTML rendering: Table 1 and Sec. 2): what Table 1's widths
predict at any input size, and a negative control of numerical parity.

Expected values come from the paper, written out here, never from the implementations' spec:
- Table 1: layers, hidden size C, D_S and D_C per scale, patch resolution P per variant;
- S = HW/P² tokens (Sec. 2); the stem holds P²·3·C + C parameters, each Mixer layer two LayerNorms (2C each),
  a token-mixing MLP of S·D_S + D_S (fc1) and D_S·S + S (fc2) parameters, the only ones that follow the number
  of patches, and a channel-mixing MLP of C·D_C + D_C and D_C·C + C;
- the token-mixing dense layers act along the tokens: C·S·D_S multiply-adds each (in·out per position, one
  position per channel), the channel-mixing ones S·C·D_C;
- GELU is the exact x·Φ(x) in both frameworks.

tests/test_models.py checks what every variant shares (Keras trace == PyTorch trace, parameters independent of
the input size but the token-mixing MLP's, multiply-adds against the flop counter, parity both ways). Here, a
token-mixing kernel whose outputs are the tokens in reverse order must break parity at that layer.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperverify.claims import Config
from paperverify.closeness import DEFAULT, assert_close
from paperverify.probes import probe
from paperverify.probes.numeric import Weights
from tests.examples import probe_examples
from tests.models import CASES, MIXERS
from tests.parity import parity

#: Table 1: scale -> (number of layers, hidden size C, D_S, D_C); variant -> (scale, patch resolution P).
SCALES = {"S": (8, 512, 256, 2048), "B": (12, 768, 384, 3072), "L": (24, 1024, 512, 4096), "H": (32, 1280, 640, 5120)}
VARIANTS = {
    "mixer_s32": ("S", 32),
    "mixer_s16": ("S", 16),
    "mixer_b32": ("B", 32),
    "mixer_b16": ("B", 16),
    "mixer_l32": ("L", 32),
    "mixer_l16": ("L", 16),
    "mixer_h14": ("H", 14),
}


def config(variant: str, patches: int) -> Config:
    """The variant at an input of `patches` × `patches` patches."""
    return Config(variant, patches * VARIANTS[variant][1])


def test_patch_sizes_are_table1s() -> None:
    """tests/models.py sizes each variant's inputs in multiples of its patch resolution P: Table 1's."""
    assert {variant: patch for variant, (_, patch) in VARIANTS.items()} == MIXERS


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@probe_examples
@given(data=st.data())
def test_widths_and_parameters_follow_table1(variant: str, data: st.DataObject, torch_threads: int) -> None:
    """Over the variant's input sizes, multiples of P (tests/models.py)."""
    scale, patch = VARIANTS[variant]
    layers, c, d_s, d_c = SCALES[scale]
    drawn = data.draw(CASES[variant].configs, label="config")
    assert drawn.input_size % patch == 0
    s = (drawn.input_size // patch) ** 2  # S = HW/P²
    trace = probe(drawn, "torch")
    blocks = sorted({layer.name.split(".")[1] for layer in trace.layers if layer.name.startswith("blocks.")})
    assert blocks == sorted(f"block{index}" for index in range(1, layers + 1))
    assert trace.point("stem").output_shape == (s, c)
    assert sum(layer.params for layer in trace.under(("stem",))) == patch * patch * 3 * c + c
    for index in range(1, layers + 1):
        block = f"blocks.block{index}"
        token = [layer for layer in trace.under((f"{block}.token_mixing",)) if layer.kind == "dense"]
        channel = [layer for layer in trace.under((f"{block}.channel_mixing",)) if layer.kind == "dense"]
        assert [(t.input_shapes[0], t.output_shape) for t in token] == [((c, s), (c, d_s)), ((c, d_s), (c, s))]
        assert [(t.input_shapes[0], t.output_shape) for t in channel] == [((s, c), (s, d_c)), ((s, d_c), (s, c))]
        assert [t.macs for t in token] == [c * s * d_s] * 2 and [t.macs for t in channel] == [s * c * d_c] * 2
        assert [t.params for t in token] == [s * d_s + d_s, d_s * s + s]
        assert [t.params for t in channel] == [c * d_c + d_c, d_c * c + c]
        norms = [layer for layer in trace.under((block,)) if layer.kind == "layernorm"]
        assert [norm.params for norm in norms] == [2 * c, 2 * c] and not any(norm.macs for norm in norms)
    body = sum(layer.params for layer in trace.under(("stem", "blocks")))
    per_layer = 4 * c + (2 * s * d_s + d_s + s) + (2 * c * d_c + d_c + c)
    assert body == patch * patch * 3 * c + c + layers * per_layer
    assert trace.params == body + c * 1000 + 1000  # the head: a linear classifier


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_layer_kinds_gelu_and_head(variant: str, torch_threads: int) -> None:
    """Sec. 2: GELU in every MLP, no position embedding, global average pooling and a linear classifier."""
    trace = probe(config(variant, 7 if VARIANTS[variant][1] == 32 else 2), "torch")
    kinds = {layer.kind for layer in trace.layers}
    assert kinds == {"conv2d", "flatten", "layernorm", "transpose", "dense", "gelu", "add", "avgpool"}
    mlp = [layer.kind for layer in trace.under(("blocks.block1.channel_mixing",))]
    assert mlp == ["layernorm", "dense", "gelu", "dense"]
    assert [(layer.name, layer.kind) for layer in trace.layers[-2:]] == [("pool", "avgpool"), ("head", "dense")]
    assert trace.layers[0].name == "stem.conv" and trace.layers[0].params == trace.layers[0].channels * (
        3 * VARIANTS[variant][1] ** 2 + 1
    )


def test_gelu_is_exact_in_both_frameworks(torch_threads: int, tf_threads: int) -> None:
    """GELU(x) = x·Φ(x) with the normal CDF Φ (Hendrycks & Gimpel), not the tanh approximation."""
    import keras
    import torch

    from implementations.keras.mixer import GELU

    x = np.linspace(-3, 3, 101).astype(np.float32)
    exact = np.array([v * 0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x.astype(np.float64)])
    approximate = 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
    assert not DEFAULT.compare(approximate, exact).close  # the closeness rule tells the two apart on [-3, 3]
    torch_gelu = torch.nn.GELU()(torch.from_numpy(x)).numpy()
    keras_gelu = keras.ops.convert_to_numpy(GELU()(x))
    assert_close(torch_gelu, exact, what="PyTorch's GELU and x·Φ(x)")
    assert_close(keras_gelu, exact, what="Keras' GELU and x·Φ(x)")


def _tokens_reversed(weights: Weights, _flattened: object) -> Weights:
    """A token-mixing fc2 kernel (D_S × S) with its output columns, the tokens, in reverse order."""
    weights.kernel = np.ascontiguousarray(weights.kernel[:, ::-1])
    return weights


def test_token_order_reversed_in_a_token_mixing_kernel_breaks_parity(torch_threads: int, tf_threads: int) -> None:
    """Mixer-S/32 at 2 × 2 patches (S = 4): block 4's token-mixing fc2 kernel, 256 × 4, replaced in the Keras
    reference by the same kernel mixing into the tokens in reverse order. Blocks 1-3 agree; the outputs part at
    that layer, and so the token-mixing MLP's output."""
    tampered = "blocks.block4.token_mixing.fc2"
    result = parity("mixer_s32", "torch", size=CASES["mixer_s32"].parity_size, tamper={tampered: _tokens_reversed})
    assert result.compared and not result.equivalent, result.describe()
    assert result.first_layer is not None and result.first_layer.ours == tampered, result.describe()
    assert result.first_point is not None and result.first_point.point == "blocks.block4.token_mixing"

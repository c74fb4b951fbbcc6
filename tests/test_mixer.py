"""MLP-Mixer (Tolstikhin et al., arXiv 2105.01601, HTML rendering: Table 1 and Sec. 2): what Table 1's widths
predict at any input size, the two frameworks against each other, and numerical parity.

Expected values come from the paper, written out here, never from the implementations' spec:
- Table 1: layers, hidden size C, D_S and D_C per scale, patch resolution P per variant;
- S = HW/P² tokens (Sec. 2); the stem holds P²·3·C + C parameters, each Mixer layer two LayerNorms (2C each),
  a token-mixing MLP of 2·S·D_S + D_S + S and a channel-mixing MLP of 2·C·D_C + D_C + C; only the token-mixing
  MLP depends on the number of patches;
- the token-mixing dense layers act along the tokens: C·S·D_S multiply-adds each (in·out per position, one
  position per channel), the channel-mixing ones S·C·D_C;
- GELU is the exact x·Φ(x) in both frameworks; Keras and PyTorch traces are identical; parity ≤ 1e-4.
"""

from __future__ import annotations

import math
import os

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperverify.probes import probe
from paperverify.tables import Config

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

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
    size = patches * VARIANTS[variant][1]
    return Config(variant, size, (("input_size", size),))


variants = st.sampled_from(sorted(VARIANTS))
patches = st.integers(min_value=1, max_value=20)


@given(variant=variants, side=patches)
def test_widths_and_parameters_follow_table1(variant: str, side: int, torch_threads: int) -> None:
    scale, patch = VARIANTS[variant]
    layers, c, d_s, d_c = SCALES[scale]
    s = side * side  # S = HW/P²
    trace = probe(config(variant, side), "torch")
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
        assert sum(t.params for t in token) == 2 * s * d_s + d_s + s
        assert sum(t.params for t in channel) == 2 * c * d_c + d_c + c
        norms = [layer for layer in trace.under((block,)) if layer.kind == "layernorm"]
        assert [norm.params for norm in norms] == [2 * c, 2 * c] and not any(norm.macs for norm in norms)
    body = sum(layer.params for layer in trace.under(("stem", "blocks")))
    per_layer = 4 * c + (2 * s * d_s + d_s + s) + (2 * c * d_c + d_c + c)
    assert body == patch * patch * 3 * c + c + layers * per_layer
    assert trace.params == body + c * 1000 + 1000  # the head: a linear classifier


@given(variant=variants, side=patches, other=patches)
def test_only_token_mixing_depends_on_the_number_of_patches(
    variant: str, side: int, other: int, torch_threads: int
) -> None:
    one, two = probe(config(variant, side), "torch"), probe(config(variant, other), "torch")

    def params(trace, token_mixing: bool) -> dict[str, int]:
        return {
            layer.name: layer.params
            for layer in trace.layers
            if (".token_mixing.fc" in layer.name) == token_mixing and layer.params
        }

    assert params(one, False) == params(two, False)
    _, d_s = SCALES[VARIANTS[variant][0]][1:3]
    for name, count in params(one, True).items():
        tokens = side * side
        assert count == (tokens * d_s + d_s if name.endswith("fc1") else d_s * tokens + tokens), name


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


@given(variant=st.sampled_from(["mixer_s32", "mixer_s16", "mixer_b32"]), side=st.integers(min_value=1, max_value=8))
def test_keras_and_torch_traces_are_identical(variant: str, side: int, torch_threads: int, tf_threads: int) -> None:
    keras_trace, torch_trace = probe(config(variant, side), "keras"), probe(config(variant, side), "torch")
    assert [layer.name for layer in keras_trace.layers] == [layer.name for layer in torch_trace.layers]
    for keras_layer, torch_layer in zip(keras_trace.layers, torch_trace.layers, strict=True):
        assert keras_layer == torch_layer, keras_layer.name


def test_gelu_is_exact_in_both_frameworks(torch_threads: int, tf_threads: int) -> None:
    """GELU(x) = x·Φ(x) with the normal CDF Φ (Hendrycks & Gimpel), not the tanh approximation."""
    import keras
    import torch

    from implementations.keras.mixer import GELU

    x = np.linspace(-4, 4, 101).astype(np.float32)
    exact = np.array([v * 0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x.astype(np.float64)])
    approximate = 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
    assert np.abs(exact - approximate).max() > 1e-4  # the two are told apart at this tolerance
    torch_gelu = torch.nn.GELU()(torch.from_numpy(x)).numpy()
    keras_gelu = keras.ops.convert_to_numpy(GELU()(x))
    assert np.abs(torch_gelu - exact).max() < 1e-6 and np.abs(keras_gelu - exact).max() < 1e-6


@pytest.fixture(scope="module")
def models(torch_threads: int, tf_threads: int):
    """Mixer-S/32 at 64×64 (S = 4) in PyTorch, its weights copied into the Keras model by layer name."""
    import keras
    import torch
    from torch import nn

    from implementations.keras import mixer as keras_mixer
    from implementations.torch import mixer as torch_mixer

    torch.manual_seed(0)
    torch_model = torch_mixer.mixer_s32(input_size=64).eval()
    with torch.no_grad():
        for module in torch_model.modules():
            if isinstance(module, nn.LayerNorm):  # non-trivial affine parameters
                module.weight.copy_(0.5 + torch.rand(module.weight.shape))
                module.bias.copy_(0.2 * torch.randn(module.bias.shape))
    keras.utils.set_random_seed(0)
    keras_model = keras_mixer.mixer_s32(input_shape=(64, 64, 3))
    modules = dict(torch_model.named_modules())
    copied = set()
    for layer in keras_model.layers:
        if not layer.weights:
            continue
        module = modules[layer.name]
        weight, bias = module.weight.detach().numpy(), module.bias.detach().numpy()
        if isinstance(module, nn.Conv2d):
            weight = weight.transpose(2, 3, 1, 0)  # OIHW -> HWIO
        elif isinstance(module, nn.Linear):
            weight = weight.T
        layer.set_weights([weight, bias])
        copied.add(layer.name)
    assert copied == {name for name, m in modules.items() if any(True for _ in m.parameters(recurse=False))}
    return torch_model, keras_model


def _logits(torch_model, keras_model) -> tuple[np.ndarray, np.ndarray]:
    import keras
    import torch

    x = np.random.default_rng(0).standard_normal((2, 3, 64, 64)).astype(np.float32)
    with torch.no_grad():
        torch_logits = torch_model(torch.from_numpy(x)).numpy()
    return torch_logits, keras.ops.convert_to_numpy(keras_model(x.transpose(0, 2, 3, 1)))


def test_parity(models) -> None:
    torch_logits, keras_logits = _logits(*models)
    assert np.abs(torch_logits).max() > 1e-2
    assert np.abs(torch_logits - keras_logits).max() <= 1e-4


def test_token_order_reversed_in_a_token_mixing_kernel_breaks_parity(models) -> None:
    """A token-mixing fc2 kernel (D_S × S, here 256 × 4) replaced by another of the same shape: its rows
    mix the tokens differently, and the outputs part."""
    torch_model, keras_model = models
    layer = keras_model.get_layer("blocks.block4.token_mixing.fc2")
    kernel, bias = layer.get_weights()
    layer.set_weights([kernel[:, ::-1].copy(), bias])  # the tokens' order reversed
    try:
        torch_logits, keras_logits = _logits(torch_model, keras_model)
    finally:
        layer.set_weights([kernel, bias])
    assert np.abs(torch_logits - keras_logits).max() > 10 * 1e-4

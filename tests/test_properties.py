"""Properties over the ResNets' configuration space (hypothesis, tests/models.py's space): what the paper's
arithmetic predicts.

- per-stage output sizes follow the convolution arithmetic of Table 1's kernels and strides, and the stages'
  widths are Table 1's.

The generic invariants (identical Keras and PyTorch traces, parameters against the input size, the flop
counter, parity both ways) are tests/test_models.py's.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from paperverify.claims import Config
from paperverify.probes import probe
from tests.models import CASES, RESNETS

# Table 1: output channels of conv1 and of conv2_x ... conv5_x.
CHANNELS = {
    "basic": (64, 64, 128, 256, 512),
    "bottleneck": (64, 256, 512, 1024, 2048),
}

# Inputs of 32 to 320 pixels, shortcut option A, B or C, for every ResNet of Table 1.
configs = st.sampled_from(RESNETS).flatmap(lambda variant: CASES[variant].configs)


def out_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """Convolution arithmetic: floor((size + 2·padding − kernel) / stride) + 1."""
    return (size + 2 * padding - kernel) // stride + 1


@given(config=configs)
def test_stage_sizes_follow_convolution_arithmetic(config: Config, torch_threads: int) -> None:
    trace = probe(config, "torch")
    size = out_size(config.input_size, 7, 2, 3)  # conv1: 7×7, 64, stride 2
    expected = {"conv1": size}
    size = out_size(size, 3, 2, 1)  # 3×3 max pool, stride 2
    expected["conv2_x"] = size
    for stage in ("conv3_x", "conv4_x", "conv5_x"):  # conv3_1, conv4_1, conv5_1 downsample by 2
        size = out_size(size, 1, 2, 0)
        expected[stage] = size
    channels = CHANNELS["basic" if config.variant in ("resnet18", "resnet34") else "bottleneck"]
    for (point, side), depth in zip(expected.items(), channels, strict=True):
        assert trace.point(point).output_shape == (side, side, depth), point
    assert trace.point("avgpool").output_shape == (1, 1, channels[-1])
    assert trace.point("fc").output_shape == (1000,)

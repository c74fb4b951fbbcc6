"""LeNet-5 as LeCun, Bottou, Bengio and Haffner describe it (Gradient-based learning applied to document
recognition, Proc. IEEE 86(11), 1998), shared by the Keras and PyTorch builders.

Pages are the PDF's own 1-based index, with the journal page after it (PDF p. 1 = p. 2278). The layers
are Sec. II.B (PDF pp. 7-8, pp. 2284-2285) and Fig. 2 (PDF p. 6, p. 2283); the squashing function is
Eq. (6) (PDF p. 8) with the constants of Appendix A (PDF p. 41, p. 2318).
"""

from __future__ import annotations

from dataclasses import dataclass

#: Sec. II.B, PDF p. 7 (p. 2284): "The input is a 32×32 pixel image" (one grey plane).
INPUT_SIZE = 32
INPUT_CHANNELS = 1

#: Eq. (6), PDF p. 8 (p. 2285): f(a) = A tanh(S a), "The constant A is chosen to be 1.7159";
#: Appendix A, PDF p. 41 (p. 2318): "we use A = 1.7159 and S = 2/3", so that f(1) = 1 and f(-1) = -1.
SQUASH_A = 1.7159
SQUASH_S = 2 / 3

#: Table I, PDF p. 8 (p. 2285): "Each column indicates which feature map in S2 are combined by the units
#: in a particular feature map of C3". Entry j lists the S2 maps C3 map j reads: the first six read every
#: contiguous subset of three, the next six every contiguous subset of four, the next three some
#: discontinuous subsets of four, the last one all six (Sec. II.B, PDF p. 8). 60 connected pairs.
C3_TABLE: tuple[tuple[int, ...], ...] = (
    (0, 1, 2),
    (1, 2, 3),
    (2, 3, 4),
    (3, 4, 5),
    (0, 4, 5),
    (0, 1, 5),
    (0, 1, 2, 3),
    (1, 2, 3, 4),
    (2, 3, 4, 5),
    (0, 3, 4, 5),
    (0, 1, 4, 5),
    (0, 1, 2, 5),
    (0, 1, 3, 4),
    (1, 2, 4, 5),
    (0, 2, 3, 5),
    (0, 1, 2, 3, 4, 5),
)


@dataclass(frozen=True)
class Convolution:
    """A convolutional layer Cx: its feature maps and kernel; `table` lists the input maps each output map
    reads (None: every input map, a full connection)."""

    name: str
    maps: int
    kernel: int
    table: tuple[tuple[int, ...], ...] | None = None


@dataclass(frozen=True)
class Subsampling:
    """A subsampling layer Sx: each unit sums a non-overlapping window×window neighbourhood of its own map,
    multiplies the sum by a trainable coefficient and adds a trainable bias (one of each per map).

    Sec. II.B, PDF p. 7-8: "The four inputs to a unit in S2 are added, then multiplied by a trainable
    coefficient, and then added to a trainable bias." (Sec. II.A, PDF p. 7, says "the average of its four
    inputs"; the factor 1/4 is absorbed by the trainable coefficient. We follow Sec. II.B.)
    """

    name: str
    window: int


@dataclass(frozen=True)
class FullConnection:
    """A fully connected layer Fx of `units` units, each a dot product plus a bias."""

    name: str
    units: int


# Sec. II.B, PDF pp. 7-8 (pp. 2284-2285), and Fig. 2, PDF p. 6 (p. 2283). Every layer up to F6 is followed
# by the squashing function (Eq. 5, PDF p. 8: "This weighted sum ... is then passed through a sigmoid
# squashing function"; S2: "The result is passed through a sigmoidal function").
C1 = Convolution("C1", maps=6, kernel=5)  # "six feature maps ... connected to a 5×5 neighborhood" (p. 7)
S2 = Subsampling("S2", window=2)  # "six feature maps of size 14×14 ... a 2×2 neighborhood" (p. 7)
C3 = Convolution("C3", maps=16, kernel=5, table=C3_TABLE)  # "16 feature maps ... several 5×5 neighborhoods" (p. 8)
S4 = Subsampling("S4", window=2)  # "16 feature maps of size 5×5 ... a 2×2 neighborhood" (p. 8)
C5 = Convolution("C5", maps=120, kernel=5)  # "120 feature maps ... a 5×5 neighborhood on all 16" (p. 8)
F6 = FullConnection("F6", units=84)  # "Layer F6 contains 84 units ... fully connected to C5" (p. 8)

#: The output layer: "Euclidean RBF units, one for each class, with 84 inputs each", y_i = Σ_j (x_j − w_ij)²
#: (Eq. 7, PDF p. 8). "The parameter vectors of these units were chosen by hand and kept fixed (at least
#: initially). The components of those parameters vectors were set to −1 or +1" (p. 8): the builders hold
#: them as fixed (non-trainable) weights. The hand-drawn codes of Fig. 3 (7×12 bitmaps of the ASCII
#: characters, PDF p. 9) are not reproduced: the builders draw −1/+1 at random, which the paper names as
#: the alternative ("they could have been chosen at random with equal probabilities for −1 and +1").
#: Fig. 2, PDF p. 6: "OUTPUT 10", one unit per digit class.
NUM_CLASSES = 10

# Larger inputs: C5 "is labeled as a convolutional layer, instead of a fully connected layer, because if
# LeNet-5 input were made bigger with everything else kept constant, the feature map dimension would be
# larger than 1×1" (p. 8); Sec. VII (PDF p. 29, p. 2306) replicates the network over a larger input "by
# increasing the size of the fields over which the convolutions are performed and by replicating the output
# layer accordingly". F6 and the RBF output are therefore applied at every position of C5's map, and no
# parameter depends on the input size. At 32×32, C5's map is 1×1 and F6 is the paper's full connection.

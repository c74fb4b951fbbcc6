"""The table loader: valid tables load, and each kind of bad input gives its documented error, located by
file, row and column, saying what was expected and what was received."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperverify import tables
from paperverify.claims import TableValidationError
from paperverify.csvtable import CR_ONLY
from paperverify.printed import PrintedValueError, parse_number, parse_shape, unit_of
from paperverify.structure import LayerSpec, parse_structure
from paperverify.tables import check_paper, load_claims

SIDECAR = """\
[paper]
id = "demo2016_net"
title = "Demo"
authors = ["A. Author"]
year = 2016
arxiv = "0000.00000"
arxiv_version = "v1"
architecture = "resnet"
input_size = 224

[[tables]]
id = "table1"
kind = "grid"
file = "table1.csv"
label = "Table 1"
page = 3
row_key = "row"

[tables.added_columns]
row = "row key"

[tables.columns."output size"]
quantity = "output_shape"
variants = "all"

[tables.columns."50-layer"]
variant = "resnet50"

[tables.rows.conv1]
point = "conv1"
quantity = "structure"

[tables.rows.flops]
quantity = "macs"
"""

CSV = """\
row,output size,50-layer
conv1,112×112,"7×7, 64, stride 2"
flops,,3.9×10^9
"""


def write(folder: Path, sidecar: str = SIDECAR, table: str = CSV) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "paper.toml").write_text(sidecar, encoding="utf-8")
    if table is not None:
        (folder / "table1.csv").write_text(table, encoding="utf-8")
    return folder


@pytest.fixture
def paper(tmp_path: Path) -> Path:
    return tmp_path / "demo2016_net"


def problems(folder: Path) -> list[str]:
    _, found = check_paper(folder)
    return [str(problem) for problem in found]


def test_a_valid_table_loads_into_claims(paper: Path) -> None:
    claims = {claim.id: claim for claim in load_claims([write(paper)])}
    assert sorted(claims) == [
        "demo2016_net/table1/resnet50/conv1/output_shape",
        "demo2016_net/table1/resnet50/conv1/structure",
        "demo2016_net/table1/resnet50/macs",
    ]
    macs = claims["demo2016_net/table1/resnet50/macs"]
    assert macs.expected.low == Decimal("3.85e9") and macs.expected.high == Decimal("3.95e9")
    assert macs.source.page == 3 and macs.source.row == "flops" and macs.source.column == "50-layer"


def test_missing_file(paper: Path) -> None:
    write(paper, table=None)
    [problem] = problems(paper)
    assert "table1.csv" in problem and "no such file" in problem


def test_missing_column(paper: Path) -> None:
    write(paper, table=CSV.replace("output size,", "").replace("112×112,", "").replace(",,", ","))
    found = problems(paper)
    assert any("column 'output size'" in p and "paper.toml declares column" in p for p in found), found


def test_unparseable_number(paper: Path) -> None:
    write(paper, table=CSV.replace("3.9×10^9", "3.9x10e9"))
    [problem] = problems(paper)
    assert "table1.csv, row 'flops' (line 3), column '50-layer'" in problem
    assert "expected a number" in problem and "Received: '3.9x10e9'" in problem


def test_unknown_quantity(paper: Path) -> None:
    write(paper, sidecar=SIDECAR.replace('quantity = "macs"', 'quantity = "gflops"'))
    [problem] = problems(paper)
    assert "row 'flops' (line 3), column '50-layer'" in problem and "unknown quantity 'gflops'" in problem


def test_duplicate_row_id(paper: Path) -> None:
    write(paper, table=CSV + "flops,,4.0×10^9\n")
    found = problems(paper)
    assert any("duplicate row key 'flops' (first on line 3)" in p and "(line 4)" in p for p in found), found


def test_row_that_maps_to_no_model_variant(paper: Path) -> None:
    write(paper, sidecar=SIDECAR.replace('variant = "resnet50"', 'variant = "resnet51"'))
    found = problems(paper)
    assert found and all("'resnet51', which no implementation registers" in p for p in found), found
    assert any("row 'flops' (line 3), column '50-layer'" in p for p in found)


def test_widened_tolerance_needs_a_reason_and_citation(paper: Path) -> None:
    entry = '\n[[tables.tolerances]]\nrow = "flops"\ncolumn = "50-layer"\nabsolute = "0.2×10^9"\n'
    write(paper, sidecar=SIDECAR + entry)
    [problem] = problems(paper)
    assert "needs ['reason', 'citation']" in problem


def test_erratum_must_name_the_printed_value(paper: Path) -> None:
    entry = (
        '\n[[tables.errata]]\nrow = "flops"\ncolumn = "50-layer"\nprinted = "3.8×10^9"\n'
        'corrected = "3.9×10^9"\nreason = "r"\ncitation = "c"\n'
    )
    write(paper, sidecar=SIDECAR + entry)
    [problem] = problems(paper)
    assert "erratum says the paper printed '3.8×10^9'. Received: the cell holds '3.9×10^9'" in problem


def test_an_unchecked_cell_makes_no_claim_and_needs_a_reason_and_no_other_entry(paper: Path) -> None:
    """`[[tables.unchecked]]` leaves one printed cell of a checked row and column unchecked, saying why."""
    cell = '\n[[tables.unchecked]]\nrow = "flops"\ncolumn = "50-layer"\n'
    claims = [claim.id for claim in load_claims([write(paper, sidecar=SIDECAR + cell + 'reason = "cited"\n')])]
    assert "demo2016_net/table1/resnet50/macs" not in claims and len(claims) == 2
    write(paper, sidecar=SIDECAR + cell)
    [problem] = problems(paper)
    assert "a [[tables.unchecked]] entry needs ['reason']" in problem
    widened = '\n[[tables.tolerances]]\nrow = "flops"\ncolumn = "50-layer"\nabsolute = "0.2×10^9"\n'
    write(paper, sidecar=SIDECAR + widened + 'reason = "r"\ncitation = "c"\n' + cell + 'reason = "cited"\n')
    [problem] = problems(paper)
    assert "an unchecked cell has no tolerance or erratum (row 'flops', column '50-layer'): keep one" in problem


def test_all_problems_are_reported_together(paper: Path) -> None:
    write(paper, table=CSV.replace("3.9×10^9", "?").replace("112×112", "112x112"))
    with pytest.raises(TableValidationError) as caught:
        load_claims([paper])
    assert len(caught.value.problems) == 2


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("3.8×10^9", "3.75e9", "3.85e9"),
        ("569", "568.5", "569.5"),
        ("4.2", "4.15", "4.25"),
        ("25.6M", "25.55e6", "25.65e6"),
        ("60,000", "59999.5", "60000.5"),
        ("11.3×10^9", "11.25e9", "11.35e9"),
        ("122 304", "122303.5", "122304.5"),  # digits grouped by a space, as Proc. IEEE prints them
        ("345\u2009308", "345307.5", "345308.5"),  # by a thin space
        ("60 000", "59999.5", "60000.5"),
        ("13.6 · 10^6", "13.55e6", "13.65e6"),
        ("10^\u22124", "0.5e-4", "1.5e-4"),  # a power of ten alone, with a minus sign (AlexNet's α = 10^−4)
    ],
)
def test_tolerance_comes_from_printed_precision(text: str, low: str, high: str) -> None:
    interval = parse_number(text).interval()
    assert (interval.low, interval.high) == (Decimal(low), Decimal(high))


@given(
    digits=st.integers(min_value=0, max_value=10**6),
    decimals=st.integers(min_value=0, max_value=4),
    exponent=st.integers(min_value=0, max_value=12),
)
def test_printed_numbers_round_trip(digits: int, decimals: int, exponent: int) -> None:
    value = Decimal(digits).scaleb(-decimals)
    text = f"{value:.{decimals}f}×10^{exponent}"
    number = parse_number(text)
    assert number.value == value.scaleb(exponent)
    interval = number.interval()
    assert interval.high - interval.low == Decimal(1).scaleb(exponent - decimals)
    assert number.value in interval and interval.high not in interval


@pytest.mark.parametrize("text", ["3.8x10^9", "", "1e9", "about 4", "3.8×10^", "12 34", "60  000", "1,000 000"])
def test_bad_numbers_are_rejected(text: str) -> None:
    with pytest.raises(PrintedValueError, match="Received"):
        parse_number(text)


def test_shapes_and_structures_parse() -> None:
    assert parse_shape("56×56") == (56, 56)
    assert (
        parse_structure("[1×1, 64; 3×3, 64; 1×1, 256] ×2")
        == (
            LayerSpec("conv2d", 1, 64),
            LayerSpec("conv2d", 3, 64),
            LayerSpec("conv2d", 1, 256),
        )
        * 2
    )
    assert parse_structure("3×3 max pool, stride 2") == (LayerSpec("maxpool", 3, None, 2),)
    assert parse_structure("average pool, 1000-d fc, softmax") == (
        LayerSpec("avgpool"),
        LayerSpec("dense", None, 1000),
        LayerSpec("softmax"),
    )
    with pytest.raises(PrintedValueError, match="Received: '3×3 convolution'"):
        parse_structure("[3×3 convolution; 3×3, 64] ×2")


def test_a_centred_dot_is_a_multiplication_sign() -> None:
    """BN-Inception (arXiv 1502.03167v3, Sec. 4.2, p. 6) prints "13.6 · 10^6 parameters": its unit is ×10^6."""
    assert parse_number("13.6 · 10^6").value == parse_number("13.6×10^6").value == Decimal("13.6e6")
    assert unit_of("13.6 · 10^6") == unit_of("13.6×10^6") == "×10^6"
    with pytest.raises(PrintedValueError, match="Received"):
        parse_number("13.6 · 10")


def test_inception_pool_projection_notation_parses() -> None:
    """BN-Inception's Figure 5 (arXiv 1502.03167v3, p. 11), column 'Pool +proj'."""
    assert parse_structure("avg + 32") == (LayerSpec("avgpool"), LayerSpec("conv2d", None, 32))
    assert parse_structure("max + 128") == (LayerSpec("maxpool"), LayerSpec("conv2d", None, 128))
    assert parse_structure("max + pass through") == (LayerSpec("maxpool"),)
    with pytest.raises(PrintedValueError, match="Received: 'min \\+ 32'"):
        parse_structure("min + 32")


def test_senet_notation_parses() -> None:
    """SENet Table 1 (arXiv 1709.01507v4, p. 5): the operation named first, ResNeXt's cardinality 'C = 32' on the
    grouped 3×3, and an SE module 'fc, [16, 256]' (its squeeze, a global average pool, and two fc layers) inside
    a block's bracket."""
    assert parse_structure("conv, 7×7, 64, stride 2") == (LayerSpec("conv2d", 7, 64, 2),)
    assert parse_structure("max pool, 3×3, stride 2") == (LayerSpec("maxpool", 3, None, 2),)
    assert parse_structure("global average pool, 1000-d fc, softmax") == (
        LayerSpec("avgpool"),
        LayerSpec("dense", None, 1000),
        LayerSpec("softmax"),
    )
    block = (
        LayerSpec("conv2d", 1, 128),
        LayerSpec("conv2d", 3, 128, groups=32),
        LayerSpec("conv2d", 1, 256),
        LayerSpec("avgpool"),
        LayerSpec("dense", None, 16),
        LayerSpec("dense", None, 256),
    )
    assert parse_structure("[conv, 1×1, 128; conv, 3×3, 128 C = 32; conv, 1×1, 256; fc, [16, 256]] ×3") == block * 3
    assert str(block[1]) == "conv2d 3×3 128 groups 32"
    for broken in ("[conv, 1×1, 64; fc, [16, 256] ×3", "[conv, 1×1, 64; fc, [16]] ×3", "conv, 3×3, 128 C = "):
        with pytest.raises(PrintedValueError, match="Received"):
            parse_structure(broken)


def test_input_size_of_the_wrong_type(paper: Path) -> None:
    write(paper, sidecar=SIDECAR.replace("input_size = 224", 'input_size = "224"'))
    found = problems(paper)
    assert any("input_size must be an integer. Received: '224'" in p for p in found), found


def test_tables_of_the_wrong_type(paper: Path) -> None:
    write(paper, sidecar='tables = "table1.csv"\n' + SIDECAR[: SIDECAR.index("[[tables]]")])
    [problem] = problems(paper)
    assert "expected [[tables]] entries. Received: tables = 'table1.csv'" in problem


def test_vgg_notation_parses() -> None:
    """VGG Table 1 (arXiv 1409.1556v6, p. 3): conv<receptive field>-<channels>, LRN, maxpool, FC-n, soft-max."""
    assert parse_structure("conv3-64, LRN") == (LayerSpec("conv2d", 3, 64), LayerSpec("lrn"))
    assert parse_structure("conv3-256, conv3-256, conv1-256") == (
        LayerSpec("conv2d", 3, 256),
        LayerSpec("conv2d", 3, 256),
        LayerSpec("conv2d", 1, 256),
    )
    assert parse_structure("maxpool") == (LayerSpec("maxpool"),)
    assert parse_structure("FC-4096") == (LayerSpec("dense", None, 4096),)
    assert parse_structure("soft-max") == (LayerSpec("softmax"),)
    with pytest.raises(PrintedValueError, match="Received: 'conv3 64'"):
        parse_structure("conv3-64, conv3 64")


SCALED_ROWS = """
[tables.rows.params]
quantity = "params"
scale = "10^6"

[tables.rows.note]
check = false
reason = "a label the transcriber keeps but does not check"
"""


def test_a_row_in_millions_is_scaled_and_a_row_can_be_left_unchecked(paper: Path) -> None:
    table = CSV + "params,,25.6\nnote,,a note\n"
    claims = {claim.id: claim for claim in load_claims([write(paper, SIDECAR + SCALED_ROWS, table)])}
    params = claims["demo2016_net/table1/resnet50/params"]
    assert (params.expected.low, params.expected.high) == (Decimal("25.55e6"), Decimal("25.65e6"))
    assert params.printed == "25.6" and params.tolerance == "printed precision ±0.05×10^6"
    assert not any("/note" in claim_id for claim_id in claims)


def test_a_bad_scale_and_an_unchecked_row_without_reason_are_reported(paper: Path) -> None:
    sidecar = SIDECAR + SCALED_ROWS.replace('"10^6"', '"millions"').replace('reason = "a label', 'label = "a label')
    found = problems(write(paper, sidecar, CSV + "params,,25.6\nnote,,a note\n"))
    assert any("row 'params' (line 4)" in p and "Received: 'millions'" in p for p in found), found
    assert any("row note" in p and "check = false needs a reason" in p for p in found), found


def test_a_kernel_prints_its_depth() -> None:
    """AlexNet, Sec. 3.5: '256 kernels of size 5 × 5 × 48' is written `5×5×48, 256`."""
    assert parse_structure("5×5×48, 256") == (LayerSpec("conv2d", 5, 256, None, 48),)
    assert parse_structure("11×11×3, 96, stride 4") == (LayerSpec("conv2d", 11, 96, 4, 3),)
    assert str(LayerSpec("conv2d", 5, 256, None, 48)) == "conv2d 5×5×48 256"
    with pytest.raises(PrintedValueError, match="Received: '5×5×48'"):
        parse_structure("5×5×48")


def test_densenet_notation_parses() -> None:
    """DenseNet Table 1 (arXiv 1608.06993v5, p. 4): convolutions without their filters, a global pool with
    its window, a fully-connected layer written 1000D."""
    assert parse_structure("7×7 conv, stride 2") == (LayerSpec("conv2d", 7, None, 2),)
    assert parse_structure("[1×1 conv; 3×3 conv] ×6") == (LayerSpec("conv2d", 1), LayerSpec("conv2d", 3)) * 6
    assert parse_structure("2×2 average pool, stride 2") == (LayerSpec("avgpool", 2, None, 2),)
    assert parse_structure("7×7 global average pool") == (LayerSpec("avgpool", 7),)
    assert parse_structure("1000D fully-connected, softmax") == (LayerSpec("dense", None, 1000), LayerSpec("softmax"))
    with pytest.raises(PrintedValueError, match="Received: '1000D fc'"):
        parse_structure("1000D fc, softmax")
    with pytest.raises(PrintedValueError, match="Received: '7×5 conv'"):
        parse_structure("[7×5 conv; 3×3 conv] ×2")


STATEMENTS_SIDECAR = (
    SIDECAR[: SIDECAR.index("[[tables]]")]
    + """\
[[tables]]
id = "text"
kind = "statements"
file = "table1.csv"
label = "Text"
row_key = "id"

[tables.rows.lrn_k]
check = false
reason = "A hyper-parameter; no quantity measures it."

[tables.rows.units]
point = "fc"
layers = ["conv1", "fc"]
"""
)

STATEMENTS = """\
id,page,location,quote,variant,quantity,value
lrn_k,4,Sec. 3.3,we used k = 2,resnet50,lrn_k,2
units,5,Fig. 2,"the number of neurons ... is given by 800,000–1000",resnet50,neurons,"801,000"
"""


def test_an_unchecked_statement_is_transcribed_with_a_reason(paper: Path) -> None:
    claims = load_claims([write(paper, sidecar=STATEMENTS_SIDECAR, table=STATEMENTS)])
    [claim] = claims  # the unchecked row makes no claim, and its free-text quantity is no problem
    assert (claim.id, claim.quantity, claim.layers) == ("demo2016_net/text/units", "neurons", ("conv1", "fc"))
    write(paper, sidecar=STATEMENTS_SIDECAR.replace('reason = "A hyper-parameter; no quantity measures it."\n', ""),
          table=STATEMENTS)  # fmt: skip
    [problem] = problems(paper)
    assert "row lrn_k" in problem and "check = false needs a reason" in problem


def test_an_unchecked_grid_row_makes_no_claim(paper: Path) -> None:
    unchecked = '[tables.rows.conv1]\ncheck = false\nreason = "per GPU"\n'
    write(paper, sidecar=SIDECAR.replace('[tables.rows.conv1]\npoint = "conv1"\nquantity = "structure"\n', unchecked))
    assert [claim.id for claim in load_claims([paper])] == ["demo2016_net/table1/resnet50/macs"]


def test_an_unchecked_row_with_another_entrys_keys_is_an_error(paper: Path) -> None:
    """A lost section header merges the next entry's keys into an unchecked row: its claim would silently lose
    its configuration."""
    unchecked = '[tables.rows.conv1]\ncheck = false\nreason = "per GPU"\nconfig = { input_size = 600 }\n'
    write(paper, sidecar=SIDECAR.replace('[tables.rows.conv1]\npoint = "conv1"\nquantity = "structure"\n', unchecked))
    found = problems(paper)
    assert any(
        "row conv1:" in p and "check = false makes no claim, so only a reason goes with it. Received: config" in p
        for p in found
    ), found


def test_a_paper_not_on_arxiv_is_cited_by_its_venue(paper: Path) -> None:
    sidecar = SIDECAR.replace('arxiv = "0000.00000"\narxiv_version = "v1"', 'venue = "Proc. Demo 1(1), 1998"')
    claims = load_claims([write(paper, sidecar=sidecar)])
    assert claims and all(claim.source.arxiv == "" for claim in claims)
    assert str(claims[0].source).startswith("Proc. Demo 1(1), 1998, Table 1, p. 3")


def test_a_paper_needs_an_arxiv_id_with_its_version_or_a_venue(paper: Path) -> None:
    write(paper, sidecar=SIDECAR.replace('arxiv = "0000.00000"\n', ""))
    found = problems(paper)
    assert any("[paper] needs 'arxiv (with arxiv_version) or venue'" in p for p in found), found
    write(paper, sidecar=SIDECAR.replace('arxiv_version = "v1"\n', ""))
    assert any("[paper] needs 'arxiv_version'" in p for p in problems(paper))


def test_connections_are_a_numeric_quantity_total_and_per_layer(paper: Path) -> None:
    rows = '\n[tables.rows.connections]\nquantity = "connections"\n'
    rows += '\n[tables.rows.conv1_connections]\npoint = "conv1"\nquantity = "layer_connections"\n'
    table = CSV + "connections,,345 308\nconv1_connections,,122 304\n"
    claims = {claim.id: claim for claim in load_claims([write(paper, sidecar=SIDECAR + rows, table=table)])}
    total = claims["demo2016_net/table1/resnet50/connections"]
    assert (total.expected.low, total.expected.high) == (Decimal("345307.5"), Decimal("345308.5"))
    layer = claims["demo2016_net/table1/resnet50/conv1_connections/layer_connections"]
    assert layer.point == "conv1" and Decimal(122304) in layer.expected


CONFIGS_SIDECAR = """\
[paper]
id = "demo2016_net"
title = "Demo"
authors = ["A. Author"]
year = 2016
arxiv = "0000.00000"
arxiv_version = "v1"
architecture = "mobilenet"
input_size = 224

[[tables]]
id = "table1"
kind = "grid"
file = "table1.csv"
label = "Table 1"
page = 3
row_key = "row"
claims = 5

[tables.added_columns]
row = "row key"

[tables.columns.Model]
check = false
reason = "label"

[tables.columns."Type / Stride"]
quantity = "structure"
variants = ["mobilenet_v1"]
claim_name = "type_stride"

[tables.columns."Input Size"]
quantity = "input_shape"
variants = ["mobilenet_v1"]

[tables.columns."Mult-Adds"]
quantity = "macs_share"
variants = ["mobilenet_v1"]
unit = "%"

[tables.columns."Million Mult-Adds"]
quantity = "macs"
scale = "10^6"
unit = ""

[tables.rows.dw]
point = "conv_dw_7"
layers = ["conv_dw_7", "conv_dw_8"]
repeat = 2

[tables.rows.small]
variant = "mobilenet_v1"
config = { alpha = 0.5, input_size = 160 }

[tables.rows.large]
variant = "mobilenet_v1"
config = { alpha = 1.0 }
"""

CONFIGS_CSV = """\
row,Model,Type / Stride,Input Size,Mult-Adds,Million Mult-Adds
dw,,Conv dw / s1,14 × 14 × 512,3.06%,
small,0.5 MobileNet-160,,,,76
large,1.0 MobileNet-224,,,,569
"""


def test_rows_about_configurations_percentages_repeats_and_input_sizes(paper: Path) -> None:
    write(paper, CONFIGS_SIDECAR, CONFIGS_CSV)
    claims = {claim.id: claim for claim in load_claims([paper])}
    assert sorted(claims) == [
        "demo2016_net/table1/mobilenet_v1/dw/input_shape",
        "demo2016_net/table1/mobilenet_v1/dw/macs_share",
        "demo2016_net/table1/mobilenet_v1/dw/type_stride",
        "demo2016_net/table1/mobilenet_v1/large/macs",
        "demo2016_net/table1/mobilenet_v1/small/macs",
    ]
    # A row's config may set the input size: the model is probed there (and a builder that takes an
    # input_size is told, see registry.builder_options); the other options go to the builder.
    small = claims["demo2016_net/table1/mobilenet_v1/small/macs"].config
    assert (small.input_size, small.kwargs()) == (160, {"alpha": 0.5})
    assert claims["demo2016_net/table1/mobilenet_v1/large/macs"].config.input_size == 224
    share = claims["demo2016_net/table1/mobilenet_v1/dw/macs_share"]
    assert (share.expected.low, share.expected.high) == (Decimal("0.03055"), Decimal("0.03065"))
    assert share.layers == ("conv_dw_7", "conv_dw_8")
    structure = claims["demo2016_net/table1/mobilenet_v1/dw/type_stride"].expected
    assert structure == (LayerSpec("conv2d", stride=1, depth=1),) * 2  # the row's repeat
    assert claims["demo2016_net/table1/mobilenet_v1/dw/input_shape"].expected == (14, 14, 512)


def test_a_config_input_size_must_be_a_positive_integer(paper: Path) -> None:
    write(paper, CONFIGS_SIDECAR.replace("input_size = 160", 'input_size = "160"'), CONFIGS_CSV)
    assert any("config input_size must be a positive integer" in p and "row small" in p for p in problems(paper))
    for repeat in ("0", "1000000000"):
        write(paper, CONFIGS_SIDECAR.replace("repeat = 2", f"repeat = {repeat}"), CONFIGS_CSV)
        assert any(f"repeat must be an integer from 1 to 1000. Received: {repeat}" in p for p in problems(paper))


def test_mobilenet_notation_parses() -> None:
    assert parse_structure("Conv / s2") == (LayerSpec("conv2d", stride=2),)
    assert parse_structure("Conv dw / s1") == (LayerSpec("conv2d", stride=1, depth=1),)
    assert parse_structure("Avg Pool / s1") == (LayerSpec("avgpool", stride=1),)
    assert parse_structure("FC / s1") == (LayerSpec("dense"),)
    assert parse_structure("Softmax / s1") == parse_structure("Classifier") == (LayerSpec("softmax"),)
    assert parse_structure("3 × 3 × 3 × 32") == (LayerSpec("conv2d", 3, 32, depth=3),)
    assert parse_structure("3 × 3 × 512 dw") == (LayerSpec("conv2d", 3, 512, depth=1),)
    assert parse_structure("1024 × 1000") == (LayerSpec("dense", channels=1000, depth=1024),)
    assert parse_structure("Pool 7 × 7") == (LayerSpec("pool", 7),)
    for bad in ("Conv dw / 2", "3 × 5 × 32 dw", "Pool 7 × 5"):
        with pytest.raises(PrintedValueError):
            parse_structure(bad)


def test_xception_notation_parses() -> None:
    """Xception's Figure 5 (arXiv 1610.02357v3, p. 5): boxes of stacked layers, one per line, with an ASCII x;
    a separable convolution is a depthwise k×k convolution (kernel depth 1), then a 1×1 one."""
    depthwise = LayerSpec("conv2d", 3, depth=1)
    assert parse_structure("Conv 32, 3x3, stride=2x2\nReLU") == (
        LayerSpec("conv2d", 3, 32, 2),
        LayerSpec("relu"),
    )
    assert parse_structure("Conv 64, 3x3") == (LayerSpec("conv2d", 3, 64),)
    assert parse_structure("Conv 1x1 stride=2x2") == (LayerSpec("conv2d", 1, stride=2),)
    assert parse_structure("ReLU\nSeparableConv 728, 3x3") == (
        LayerSpec("relu"),
        depthwise,
        LayerSpec("conv2d", 1, 728),
    )
    assert parse_structure("SeparableConv 2048, 3x3\nReLU")[-1] == LayerSpec("relu")
    assert parse_structure("MaxPooling 3x3, stride=2x2") == (LayerSpec("maxpool", 3, stride=2),)
    assert parse_structure("GlobalAveragePooling") == (LayerSpec("avgpool"),)
    assert parse_structure("Logistic regression") == (LayerSpec("dense"), LayerSpec("softmax"))
    for bad in ("SeparableConv 728, 3x5", "MaxPooling 3x3, stride=2x1", "ReLU\nSeparableConv 728", "Conv 1x2"):
        with pytest.raises(PrintedValueError):
            parse_structure(bad)


def test_xception_sizes_parse() -> None:
    """Xception's Figure 5 prints `299x299x3 images`, `19x19x728 feature maps`, `2048-dimensional vectors`."""
    assert parse_shape("299x299x3 images") == (299, 299, 3)
    assert parse_shape("19x19x728 feature maps") == (19, 19, 728)
    assert parse_shape("2048-dimensional vectors") == (2048,)
    for bad in ("19x19x728", "19x19x728 pixels", "2048-dimensional", "19×19x728 feature maps"):
        with pytest.raises(PrintedValueError):
            parse_shape(bad)


def test_a_percentage_is_a_number_in_hundredths() -> None:
    printed = parse_number("94.86%")
    assert (printed.value, printed.precision()) == (Decimal("0.9486"), "0.005%")
    assert str(printed.interval()) == "[0.94855, 0.94865)"


def test_an_unpaginated_source_is_cited_without_pages(paper: Path) -> None:
    """MLP-Mixer (arXiv 2105.01601) is available here only as an HTML rendering: no page to cite. With [paper]
    unpaginated, a grid table needs no page and a statement leaves its page empty; a page given anyway is an error."""
    venue = 'venue = "arXiv 0000.00000, HTML rendering"\nunpaginated = "an HTML rendering, no page numbers"'
    sidecar = SIDECAR.replace('arxiv = "0000.00000"\narxiv_version = "v1"', venue)
    claims = load_claims([write(paper, sidecar=sidecar.replace("page = 3\n", ""))])
    assert claims and all(claim.source.page is None for claim in claims)
    assert str(claims[0].source).startswith("arXiv 0000.00000, HTML rendering, Table 1, row")
    write(paper, sidecar=sidecar)
    [problem] = problems(paper)
    assert "unpaginated says the source has no page numbers. Received: page = 3" in problem
    statements = STATEMENTS_SIDECAR.replace('arxiv = "0000.00000"\narxiv_version = "v1"', venue)
    pageless = STATEMENTS.replace(",4,Sec. 3.3", ",,Sec. 3.3")
    [claim] = load_claims([write(paper, sidecar=statements, table=pageless.replace(",5,Fig. 2", ",,Fig. 2"))])
    assert claim.source.page is None
    write(paper, sidecar=statements, table=pageless)
    [problem] = problems(paper)
    assert "row 'units' (line 3), column 'page'" in problem and "expected an empty cell" in problem
    write(paper, sidecar=SIDECAR.replace("page = 3\n", ""))
    [problem] = problems(paper)
    assert "a grid table needs its page" in problem


@pytest.mark.parametrize(
    "name", ["../outside/secret.csv", "/etc/passwd", "sub/../../table1.csv"], ids=["parent", "absolute", "climbs"]
)
def test_a_table_file_outside_the_papers_folder_is_never_read(paper: Path, name: str) -> None:
    """A path in paper.toml stays inside the paper's folder: nothing elsewhere is read or echoed."""
    (paper.parent / "outside").mkdir(exist_ok=True)
    (paper.parent / "outside" / "secret.csv").write_text("row,secret\nx,42\n", encoding="utf-8")
    write(paper, sidecar=SIDECAR.replace('file = "table1.csv"', f'file = "{name}"'))
    found = problems(paper)
    assert any(f"file must name a file inside the paper's folder. Received: {name!r}" in p for p in found), found
    assert not any("secret" in p.replace(name, "") or "root:" in p for p in found), found


def test_a_table_id_is_a_plain_name(paper: Path) -> None:
    write(paper, sidecar=SIDECAR.replace('id = "table1"', 'id = "../table1"'))
    assert any("id must be a plain name" in p and "'../table1'" in p for p in problems(paper))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda path: path.mkdir(), "a folder, not a file"),
        (lambda path: path.symlink_to(path), "cannot resolve file"),
        (lambda path: path.symlink_to(path.parent / "nowhere.csv"), "a symbolic link to nothing"),
    ],
    ids=["folder", "link-loop", "dangling-link"],
)
def test_a_table_file_that_is_no_regular_file_says_what_it_is(paper: Path, make, message: str) -> None:
    write(paper)
    table = paper / "table1.csv"
    table.unlink()
    make(table)
    assert any(message in p and "table1.csv" in p for p in problems(paper)), problems(paper)


def test_an_unreadable_file_or_a_too_deeply_nested_paper_toml_is_one_error(
    paper: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(paper, sidecar=SIDECAR + "deep = " + "[" * 500 + "]" * 500 + "\n")
    assert any("nested too deep" in p for p in problems(paper)), problems(paper)
    write(paper)
    read_bytes = Path.read_bytes

    def denied(path: Path) -> bytes:
        if path.name == "table1.csv":
            raise PermissionError(13, "Permission denied")
        return read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", denied)
    assert any("table1.csv" in p and "cannot read the file: Permission denied" in p for p in problems(paper))


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("3.8×10^1000000", "expected a power of ten up to 10^30"),
        ("9" * 5000, "expected at most 28 significant digits"),
        ("1234567890123456789012345678.9", "expected at most 28 significant digits"),
        ("1\u0660" + "8×10^9", "expected a number"),
    ],
    ids=["huge-exponent", "5000-digits", "29-digits", "arabic-indic-digit"],
)
def test_a_number_beyond_what_a_paper_prints_is_an_error_not_a_crash_or_a_rounding(
    paper: Path, cell: str, message: str
) -> None:
    write(paper, table=CSV.replace("3.9×10^9", cell))
    found = problems(paper)
    assert any(message in p and "row 'flops'" in p for p in found), found


def test_a_repeat_beyond_a_thousand_is_an_error_quickly(paper: Path) -> None:
    write(paper, table=CSV.replace('"7×7, 64, stride 2"', '"[3×3, 64; 3×3, 64] ×99999999999"'))
    assert any("expected a repeat from ×1 to ×1000" in p for p in problems(paper)), problems(paper)


def test_a_config_value_too_large_to_build_is_an_error(paper: Path) -> None:
    write(paper, CONFIGS_SIDECAR.replace("input_size = 160", "input_size = 160, middle_repeats = 3000000"), CONFIGS_CSV)
    assert any("config values are at most 10000" in p and "middle_repeats" in p for p in problems(paper))


def _erratum(corrected: str, printed: str = "3.9×10^9") -> str:
    return (
        f'\n[[tables.errata]]\nrow = "flops"\ncolumn = "50-layer"\nprinted = "{printed}"\n'
        f'corrected = "{corrected}"\nreason = "r"\ncitation = "c"\n'
    )


def _tolerance(absolute: str, row: str = "flops") -> str:
    return (
        f'\n[[tables.tolerances]]\nrow = "{row}"\ncolumn = "50-layer"\nabsolute = "{absolute}"\n'
        'reason = "r"\ncitation = "c"\n'
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (_erratum("3.8×10^9") + _erratum("3.7×10^9"), "two errata entries for one cell (row 'flops'"),
        (_tolerance("0.1×10^9") + _tolerance("0.2×10^9"), "two tolerances entries for one cell (row 'flops'"),
        (_erratum("3.9×10^9"), "its corrected value must differ from the printed one"),
        (_erratum("about 4"), "the erratum's corrected value: expected a number"),
        (_tolerance("-0.1×10^9"), "the tolerance's absolute: expected a number"),
        (_tolerance("0"), "the tolerance's absolute: expected a positive width"),
        (_tolerance("2", row="conv1"), "a structure is no number, so none applies"),
    ],
    ids=[
        "two-errata",
        "two-tolerances",
        "erratum-equal",
        "erratum-unparseable",
        "tolerance-negative",
        "tolerance-zero",
        "tolerance-on-a-structure",
    ],
)
def test_errata_and_tolerances_that_would_silently_mislead_are_errors_in_paper_toml(
    paper: Path, extra: str, message: str
) -> None:
    write(paper, sidecar=SIDECAR + extra)
    found = problems(paper)
    assert any(message in p and p.startswith(str(paper / "paper.toml")) for p in found), found


def test_a_tolerance_on_an_exact_count_applies(paper: Path) -> None:
    """A count the paper and the code make differently (EfficientNet's 36 layers of Figure 4 against the released
    code's 34) is accepted within a written tolerance: applied, not ignored."""
    sidecar = SIDECAR + '\n[tables.rows.depth]\nquantity = "depth"\n' + _tolerance("2", row="depth")
    claims = {c.id: c for c in load_claims([write(paper, sidecar=sidecar, table=CSV + "depth,,36\n")])}
    claim = claims["demo2016_net/table1/resnet50/depth"]
    assert 34 in claim.expected and 35 in claim.expected and 33 not in claim.expected
    assert claim.tolerance == "±2 (widened)"


def test_two_tables_on_one_csv_and_a_nonsense_page_or_year_are_errors(paper: Path) -> None:
    second = SIDECAR[SIDECAR.index("[[tables]]") :].replace('id = "table1"', 'id = "again"')
    write(paper, sidecar=SIDECAR + "\n" + second)
    assert any("two [[tables]] entries declare 'table1.csv'" in p for p in problems(paper))
    write(paper, sidecar=SIDECAR.replace("page = 3", "page = -3"))
    assert any("a page is a positive integer. Received: page = -3" in p for p in problems(paper))
    write(paper, sidecar=SIDECAR.replace("year = 2016", "year = -2016"))
    assert any("year is a year of publication. Received: year = -2016" in p for p in problems(paper))


def test_what_a_paper_leaves_open_is_a_known_convention_with_its_source(paper: Path) -> None:
    """`leaves_open` names conventions the equivalence check knows, each shown by a quote; the claims carry it."""
    sidecar = SIDECAR.replace(
        "input_size = 224\n",
        'input_size = 224\nleaves_open = ["lrn_constants"]\nleaves_open_source = "Figure 3, p. 7: no constants"\n',
    )
    write(paper, sidecar=sidecar)
    assert problems(paper) == []
    assert {claim.source.leaves_open for claim in load_claims([paper.parent])} == {("lrn_constants",)}
    write(paper, sidecar=sidecar.replace('["lrn_constants"]', '["lrn_constant"]'))
    assert any(
        "leaves_open names what a paper may leave open, one of ['lrn_constants']. Received: 'lrn_constant'" in p
        for p in problems(paper)
    ), problems(paper)
    write(paper, sidecar=sidecar.replace('leaves_open_source = "Figure 3, p. 7: no constants"\n', ""))
    assert any("leaves_open needs leaves_open_source" in p for p in problems(paper)), problems(paper)


def test_a_table_left_out_is_named_with_its_reason_and_listed(paper: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`left_out` maps a printed table not transcribed to why; `paperverify tables` lists it beside the others."""
    from paperverify.cli import main

    sidecar = SIDECAR.replace("input_size = 224\n", 'input_size = 224\nleft_out = { "Table 9" = "accuracy only" }\n')
    write(paper, sidecar=sidecar)
    assert problems(paper) == []
    assert main(["tables", "--tables", str(paper.parent)]) == 0
    listed = [line.split() for line in capsys.readouterr().out.splitlines() if line.startswith("demo2016_net")]
    assert listed[0][:4] == ["demo2016_net", "table1", "Table", "1"]
    assert ["demo2016_net", "–", "Table", "9", "left", "out:", "accuracy", "only"] in listed
    write(paper, sidecar=sidecar.replace('"Table 9" = "accuracy only"', '"Table 1" = "a duplicate"'))
    assert any("left_out names tables that are transcribed too: ['Table 1']" in p for p in problems(paper))
    write(paper, sidecar=sidecar.replace('"accuracy only"', '""'))
    assert any("left_out maps a printed table the tables leave out to the reason why" in p for p in problems(paper))


def test_cr_only_line_ends_are_named_as_such_in_a_csv_and_read_in_paper_toml(paper: Path) -> None:
    write(paper, table=CSV.replace("\n", "\r"))
    assert problems(paper) == [f"{paper / 'table1.csv'}: {CR_ONLY}"]
    write(paper, sidecar=SIDECAR.replace("\n", "\r"))  # TOML is read as text: any line end is one
    assert problems(paper) == []


def test_one_problem_is_said_once(paper: Path) -> None:
    """A bad input_size in [paper] reaches every claim: it is said once, where it is written; a problem found
    several times at one place is one line with its count."""
    write(paper, sidecar=SIDECAR.replace("input_size = 224", "input_size = -1"))
    assert [p for p in problems(paper) if "input_size" in p] == [
        f"{paper / 'paper.toml'}: [paper] input_size must be a positive integer. Received: input_size = -1"
    ]
    from paperverify.claims import TableError
    from paperverify.tables import _once

    twice = [TableError("t.csv", "bad", row="r"), TableError("t.csv", "bad", row="r"), TableError("t.csv", "other")]
    assert [str(p) for p in _once(twice)] == ["t.csv, row r: bad (2 times)", "t.csv: other"]


def test_the_paper_toml_reference_is_generated_from_the_schema(capsys: pytest.CaptureFixture[str]) -> None:
    """docs/paper-toml.md is what `paperverify tables --schema` prints from paperverify/schema.py, the schema the
    tables are validated from: after a change to the schema, regenerate it."""
    from paperverify.cli import main

    assert main(["tables", "--schema"]) == 0
    reference = Path(__file__).resolve().parents[1] / "docs" / "paper-toml.md"
    assert capsys.readouterr().out == reference.read_text(encoding="utf-8")


def test_every_schema_key_is_documented_and_an_unknown_one_is_named(tmp_path: Path) -> None:
    """Each section's keys appear in the reference; a key the schema does not know is an error listing the keys
    it does know."""
    from paperverify import schema

    reference = schema.reference()
    for section in schema.SECTIONS:
        assert f"## `{section.header}`" in reference
        assert all(f"| `{key.name}` |" in reference for key in section.keys)
    folder = tmp_path / "demo2016_net"
    shutil.copytree(Path(tables.default_roots()[0]) / "he2016_resnet", folder)
    toml = folder / "paper.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace("[paper]\n", '[paper]\nlicence = "none"\n', 1), encoding="utf-8"
    )
    _, problems = check_paper(folder)
    assert any("unknown key 'licence'" in str(problem) and "'left_out'" in str(problem) for problem in problems)

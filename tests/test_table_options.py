"""Loader options that GoogLeNet's Table 1 needs, each with its documented error: binary prefixes (K = 1024),
a point per column (the filters of each branch of an Inception row), unchecked rows with a reason, and the
configuration a quantity column declares."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from paperverify.printed import parse_number
from paperverify.tables import check_paper, load_claims

SIDECAR = """\
[paper]
id = "demo2015_net"
title = "Demo"
authors = ["A. Author"]
year = 2015
arxiv = "0000.00000"
arxiv_version = "v1"
architecture = "googlenet"
input_size = 224

[[tables]]
id = "table1"
kind = "grid"
file = "table1.csv"
label = "Table 1"
page = 6
row_key = "row"

[tables.added_columns]
row = "row key"

[tables.columns."#1×1"]
quantity = "channels"
variants = ["googlenet"]

[tables.columns."#3×3"]
quantity = "channels"
variants = ["googlenet"]

[tables.columns.params]
quantity = "layer_params"
variants = ["googlenet"]
prefixes = "binary"
prefixes_reason = "K = 1024"
config = { bias = false }
config_reason = "weights only"

[tables.rows.inception_3a]
point = "inception_3a"

[tables.rows.inception_3a.points]
"#1×1" = "inception_3a.branch1"
"#3×3" = "inception_3a.branch2.conv"

[[tables]]
id = "text"
kind = "statements"
file = "statements.csv"
label = "Text"
row_key = "id"

[tables.added_columns]
id = "key"

[tables.rows.blocks]
check = false
reason = "depends on the infrastructure"
"""

CSV = """\
row,#1×1,#3×3,params
inception_3a,64,128,159K
"""

STATEMENTS = """\
id,page,location,quote,variant,quantity,value,point
depth,6,Sec. 5,22 layers deep,googlenet,depth,22,
blocks,6,Sec. 5,about 100,,,,
"""


def write(folder: Path, sidecar: str = SIDECAR, table: str = CSV, statements: str = STATEMENTS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "paper.toml").write_text(sidecar, encoding="utf-8")
    (folder / "table1.csv").write_text(table, encoding="utf-8")
    (folder / "statements.csv").write_text(statements, encoding="utf-8")
    return folder


@pytest.fixture
def paper(tmp_path: Path) -> Path:
    return tmp_path / "demo2015_net"


def problems(folder: Path) -> list[str]:
    _, found = check_paper(folder)
    return [str(problem) for problem in found]


def test_columns_name_their_own_points_and_unchecked_rows_make_no_claim(paper: Path) -> None:
    claims = {claim.id: claim for claim in load_claims([write(paper)])}
    assert sorted(claims) == [
        "demo2015_net/table1/googlenet/inception_3a.branch1/channels",
        "demo2015_net/table1/googlenet/inception_3a.branch2.conv/channels",
        "demo2015_net/table1/googlenet/inception_3a/layer_params",
        "demo2015_net/text/depth",
    ]
    branch = claims["demo2015_net/table1/googlenet/inception_3a.branch2.conv/channels"]
    assert branch.point == "inception_3a.branch2.conv" and branch.layers == ("inception_3a.branch2.conv",)
    assert branch.expected.low == branch.expected.high == 128 and branch.tolerance == "exact"
    assert branch.config.options == ()


def test_binary_prefixes_and_the_quantity_column_config(paper: Path) -> None:
    claims = {claim.id: claim for claim in load_claims([write(paper)])}
    params = claims["demo2015_net/table1/googlenet/inception_3a/layer_params"]
    # 159K with K = 1024: [158.5, 159.5) × 1024.
    assert (params.expected.low, params.expected.high) == (Decimal(158.5 * 1024), Decimal(159.5 * 1024))
    assert params.tolerance == "printed precision ±0.5K (K = 1024)"
    assert params.config.options == (("bias", False),) and params.notes == ("weights only",)


def test_binary_prefixes_scale_by_powers_of_1024() -> None:
    assert parse_number("112K", binary=True).value == 112 * 1024
    assert parse_number("1.5M", binary=True).value == Decimal("1.5") * 1024**2
    assert parse_number("2.7K", binary=True).interval().low == Decimal("2.65") * 1024
    assert parse_number("569", binary=True).value == 569  # no suffix, nothing to scale
    assert parse_number("112K").value == 112_000


def test_binary_prefixes_need_a_reason(paper: Path) -> None:
    write(paper, sidecar=SIDECAR.replace('prefixes_reason = "K = 1024"\n', ""))
    [problem] = problems(paper)
    assert "column 'params'" in problem and "binary prefixes (K = 1024) need a prefixes_reason" in problem


def test_unknown_prefixes_are_an_error(paper: Path) -> None:
    write(paper, sidecar=SIDECAR.replace('prefixes = "binary"', 'prefixes = "octal"'))
    [problem] = problems(paper)
    assert "prefixes must be one of ['decimal', 'binary']. Received: 'octal'" in problem


def test_an_unchecked_row_needs_a_reason(paper: Path) -> None:
    write(paper, sidecar=SIDECAR.replace('reason = "depends on the infrastructure"\n', ""))
    [problem] = problems(paper)
    assert "row blocks" in problem and "a row with check = false needs a reason" in problem


def test_a_checked_statement_still_needs_its_value(paper: Path) -> None:
    write(paper, statements=STATEMENTS.replace("googlenet,depth,22,", "googlenet,depth,,"))
    [problem] = problems(paper)
    assert "row 'depth' (line 2), column 'value'" in problem and "provenance is required" in problem


def test_points_must_name_a_column(paper: Path) -> None:
    write(
        paper, sidecar=SIDECAR.replace('"#3×3" = "inception_3a.branch2.conv"', '"#3x3" = "inception_3a.branch2.conv"')
    )
    [problem] = problems(paper)
    assert "row inception_3a" in problem and "points names column '#3x3'" in problem


MODELS_SIDECAR = """\
[paper]
id = "demo2019_net"
title = "Demo"
authors = ["A. Author"]
year = 2019
arxiv = "0000.00000"
arxiv_version = "v1"
architecture = "efficientnet"
input_size = 224

[[tables]]
id = "table2"
kind = "grid"
file = "table2.csv"
label = "Table 2"
page = 6
row_key = "row"

[tables.added_columns]
row = "row key"

[tables.columns."#Params"]
quantity = "params"

[tables.columns.Resolution]
quantity = "input_shape"

[tables.rows.b0]
variant = "efficientnet_b0"
point = "stage1"

[tables.rows.b1]
variant = "efficientnet_b1"
point = "stage1"
config = { input_size = 240, width_coefficient = 1.0 }
"""

MODELS_CSV = """\
row,#Params,Resolution
b0,5.3M,224 × 224
b1,7.8M,240 × 240
"""


def write_models(folder: Path, sidecar: str = MODELS_SIDECAR) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "paper.toml").write_text(sidecar, encoding="utf-8")
    (folder / "table2.csv").write_text(MODELS_CSV, encoding="utf-8")
    return folder


def test_rows_that_are_models_and_a_config_that_sets_the_input_size(tmp_path: Path) -> None:
    """EfficientNet's Table 2 has a row per model, each at its own resolution."""
    claims = {claim.id: claim for claim in load_claims([write_models(tmp_path / "demo2019_net")])}
    assert sorted(claims) == [
        "demo2019_net/table2/efficientnet_b0/b0/input_shape",
        "demo2019_net/table2/efficientnet_b0/b0/params",
        "demo2019_net/table2/efficientnet_b1/b1/input_shape",
        "demo2019_net/table2/efficientnet_b1/b1/params",
    ]
    b1 = claims["demo2019_net/table2/efficientnet_b1/b1/params"]
    assert b1.config.input_size == 240 and b1.config.options == (("width_coefficient", 1.0),)
    b0 = claims["demo2019_net/table2/efficientnet_b0/b0/input_shape"]
    assert b0.config.input_size == 224 and b0.expected == (224, 224)


def test_a_config_input_size_must_be_a_positive_integer(tmp_path: Path) -> None:
    folder = write_models(tmp_path / "demo2019_net", MODELS_SIDECAR.replace("input_size = 240", "input_size = 240.5"))
    found = problems(folder)
    assert found and all("config input_size must be a positive integer. Received: 240.5" in p for p in found)

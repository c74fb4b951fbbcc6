"""Automatic alignment: a model whose names are its own is lined up with our implementation by structure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from paperverify import verify
from paperverify.alignment import SOFTMAX_LEFT_TO_LOSS, align
from paperverify.claims import Config
from paperverify.cli import main
from paperverify.probes import probe
from paperverify.registry import variants
from paperverify.trace import SHORTCUT, LayerRecord, Trace

STRANGERS = Path(__file__).parent / "strangers"
PAPER = "he2016_resnet"


def _opaque(trace: Trace, order: list[int] | None = None) -> Trace:
    """The trace with every name replaced by one that says nothing (`layer17`), optionally reordered."""
    order = list(range(len(trace.layers))) if order is None else order
    position = {old: new for new, old in enumerate(order)}
    layers = tuple(trace.layers[i]._replace(name=f"layer{i}", sources=_moved(trace.layers[i], position)) for i in order)
    return Trace(trace.framework, trace.input_shape, layers)


def _moved(layer: LayerRecord, position: dict[int, int]) -> tuple[int, ...] | None:
    """`layer`'s sources in the reordered trace (the model's input stays where it is)."""
    return None if layer.sources is None else tuple(position.get(source, source) for source in layer.sources)


@pytest.mark.parametrize("variant", sorted(variants()))
def test_our_own_layers_under_names_that_say_nothing_get_their_names_back(variant: str, torch_threads: int) -> None:
    from tests.models import CASES

    ours = probe(Config(variant, CASES[variant].paper_size), "torch")
    alignment = align(_opaque(ours), ours)
    assert [new for _, new in alignment.names] == [layer.name for layer in ours.layers]
    assert alignment.unpaired_ours == [] and alignment.unpaired_yours == [] and alignment.differences() == []


@pytest.mark.xdist_group("torch")
def test_shortcuts_run_before_the_main_path_are_found_where_they_belong(torch_threads: int) -> None:
    """keras.applications and many notebooks build a block's projection shortcut first: in execution order it
    comes before the main path, and the alignment still names it as our shortcut (so depth leaves it out)."""
    ours = probe(Config("resnet50", 224), "torch")
    order = list(range(len(ours.layers)))
    blocks: dict[str, list[int]] = {}
    for index, layer in enumerate(ours.layers):
        if layer.on_shortcut:
            blocks.setdefault(layer.name.split(f".{SHORTCUT}.")[0], []).append(index)
    assert len(blocks) == 4
    for block, shortcut in blocks.items():
        first = next(i for i, layer in enumerate(ours.layers) if layer.name.startswith(block + "."))
        for index in shortcut:
            order.remove(index)
        order[order.index(first) : order.index(first)] = shortcut
    yours = _opaque(ours, order)
    renamed = align(yours, ours).apply()
    assert [layer.name for layer in renamed.layers] == [ours.layers[i].name for i in order]
    assert renamed.depth == 50


@pytest.mark.xdist_group("torch")
def test_auxiliary_heads_are_lined_up_wherever_the_model_runs_them(torch_threads: int) -> None:
    """Our GoogLeNet runs its auxiliary classifiers after the main output; a PyTorch forward may run each right
    after the inception it reads (4a, 4d), and a Keras model listing them as its first outputs is probed in that
    order too. The alignment lines a model's main path up first and its heads after it, wherever they ran."""
    ours = probe(Config("googlenet", 224, (("aux_logits", True),)), "torch")
    names = [layer.name for layer in ours.layers]
    heads = {aux: [i for i, name in enumerate(names) if name.startswith(f"{aux}.")] for aux in ("aux1", "aux2")}
    order = [i for i in range(len(names)) if i not in heads["aux1"] + heads["aux2"]]
    for aux, point in (("aux1", "inception_4a"), ("aux2", "inception_4d")):
        last = max(i for i in order if names[i].startswith(f"{point}."))
        order[order.index(last) + 1 : order.index(last) + 1] = heads[aux]
    alignment = align(_opaque(ours, order), ours)
    assert [new for _, new in alignment.names] == [names[i] for i in order]
    assert alignment.unpaired_ours == [] and alignment.unpaired_yours == []


@pytest.mark.parametrize(
    "framework", [pytest.param(name, marks=pytest.mark.xdist_group(name)) for name in ("torch", "keras")]
)
def test_a_strangers_resnet_passes_with_no_map_and_a_planted_departure_is_flagged_at_its_layer(
    framework: str, torch_threads: int, tf_threads: int
) -> None:
    module = pytest.importorskip(f"tests.strangers.{framework}_resnet")
    faithful = verify(module.resnet50(), paper=PAPER, variant="resnet50")
    assert faithful.ok, faithful.describe()
    assert faithful.alignment is not None and not faithful.alignment.unpaired_ours
    broken = verify(module.resnet50_stride_on_3x3(), paper=PAPER, variant="resnet50")
    assert {v.claim for v in broken.failures} == {
        f"{PAPER}/table1/resnet50/macs",
        f"{PAPER}/text/sec4.1_resnet50_flops",
    }
    differences = broken.alignment.differences()
    assert len([d for d in differences if "-> conv3_x.conv3_1.conv1: stride 1×1, ours 2×2" in d]) == 1, differences
    assert "conv3_x.conv3_1.conv2: stride 2×2, ours 1×1" in broken.describe()


@pytest.mark.xdist_group("torch")
def test_the_alignment_is_written_as_a_map_that_reads_back_and_an_entry_overrides_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], torch_threads: int
) -> None:
    target = f"{STRANGERS / 'torch_resnet.py'}:resnet50"
    written = tmp_path / "resnet50.toml"
    args = [target, "--paper", PAPER, "--variant", "resnet50"]
    assert main(["check", *args, "--write-map", str(written), "--report", str(tmp_path / "auto")]) == 0
    assert "lined up by structure with our implementation: 72 of our 72" in capsys.readouterr().out
    assert '"conv3_x.conv3_1.shortcut.conv" = "layer2.0.downsample.0"' in written.read_text(encoding="utf-8")
    assert main(["check", *args, "--map-file", str(written), "--report", str(tmp_path / "mapped")]) == 0

    def measured(folder: str) -> dict[str, str]:
        report = json.loads((tmp_path / folder / "report.json").read_text(encoding="utf-8"))
        return {item["claim"]: item["measured"] for item in report["records"]}

    assert measured("auto") == measured("mapped")
    # An entry edited in the file, or given with --map, wins: the last block's last convolution lined up with our
    # fc puts a convolution at the head of Table 1.
    entry = '"conv5_x.conv5_3.conv3" = "layer4.2.conv3"'
    written.write_text(written.read_text(encoding="utf-8").replace(entry, '"fc" = "layer4.2.conv3"'), encoding="utf-8")
    assert main(["check", *args, "--map-file", str(written), "--report", str(tmp_path / "edited")]) == 1
    assert main(["check", *args, "--map", "fc=layer4.2.conv3", "--report", str(tmp_path / "override")]) == 1
    capsys.readouterr()
    head = f"{PAPER}/table1/resnet50/head/structure"
    assert measured("edited")[head] == measured("override")[head] == "4 layers" != measured("auto")[head]


@pytest.mark.xdist_group("torch")
def test_a_model_that_ends_in_logits_has_the_papers_softmax_left_to_its_loss(torch_threads: int) -> None:
    """torch_resnet returns the fc's logits, as PyTorch classifiers do: Table 1's "average pool, 1000-d fc,
    softmax" matches, and the verdict and the alignment say the softmax was taken as left to the loss."""
    from tests.strangers.torch_resnet import resnet50

    result = verify(resnet50(), paper=PAPER, variant="resnet50")
    head = next(v for v in result.verdicts if v.claim == f"{PAPER}/table1/resnet50/head/structure")
    assert head.status == "match" and SOFTMAX_LEFT_TO_LOSS in head.detail
    assert any(SOFTMAX_LEFT_TO_LOSS in line for line in result.alignment.summary())


@pytest.mark.xdist_group("torch")
def test_a_bad_map_file_is_a_usage_error_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "map.toml"
    bad.write_text("[points]\nconv1 = 3\n", encoding="utf-8")
    target = f"{STRANGERS / 'torch_resnet.py'}:resnet50"
    assert main(["check", target, "--paper", PAPER, "--map-file", str(bad)]) == 2
    assert str(bad) in capsys.readouterr().err
    assert main(["check", target, "--paper", PAPER, "--write-map", str(tmp_path / "nowhere" / "map.toml")]) == 2
    assert "no such folder" in capsys.readouterr().err

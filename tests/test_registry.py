"""The registry refuses duplicates, lists sorted, and resolves builders lazily."""

from __future__ import annotations

import pytest

from paperverify import registry


def test_listing_is_sorted_and_holds_the_resnets() -> None:
    names = registry.variants()
    assert names == sorted(names)
    assert {"resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "plain34"} <= set(names)


def test_a_duplicate_variant_is_refused() -> None:
    with pytest.raises(registry.RegistryError, match="'resnet50' is registered twice"):
        registry.register("other", ["resnet50"], torch="somewhere")


def test_an_unknown_framework_is_refused() -> None:
    with pytest.raises(registry.RegistryError, match="unknown frameworks"):
        registry.register("other", ["other1"], jax="somewhere")


def test_unknown_variant_lists_the_registered_ones() -> None:
    with pytest.raises(registry.RegistryError, match=r"no variant 'resnet51'.*resnet50"):
        registry.get("resnet51")


def test_a_variant_records_the_channels_of_its_input_image() -> None:
    assert registry.get("resnet50").input_channels == 3
    assert registry.get("lenet5").input_channels == 1  # LeNet-5 reads one grey 32×32 plane (Sec. II.B)


def test_a_duplicate_registered_before_the_registry_has_loaded_is_refused() -> None:
    """A user's `register` in a fresh interpreter, before anything asked the registry: ours load first."""
    import subprocess
    import sys

    code = (
        "from paperverify import registry\n"
        "try:\n"
        "    registry.register('mine', ['resnet50'], torch='my.module')\n"
        "except registry.RegistryError as err:\n"
        "    print('refused:', err)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "refused: variant 'resnet50' is registered twice: by 'resnet' and by 'mine'" in result.stdout


def test_every_variants_builders_share_their_options_defaults(torch_threads: int, tf_threads: int) -> None:
    """A claim's configuration fills the options it leaves open from our builder's defaults, read from whichever
    framework's builder is at hand (paperverify.configuration.builder_defaults): the frameworks' builders must
    agree on every option, and every builder takes its input as `input_size` and `input_channels` (the registry's
    calling convention), its channels by default those the variant records."""
    import inspect

    def defaults(builder: object) -> dict[str, object]:
        parameters = inspect.signature(builder).parameters.items()  # type: ignore[arg-type]
        return {k: p.default for k, p in parameters if p.kind is p.KEYWORD_ONLY and p.default is not p.empty}

    for name in registry.variants():
        variant = registry.get(name)
        found = {framework: defaults(variant.builder(framework)) for framework in variant.frameworks}
        first = next(iter(found.values()))
        assert all(d == first for d in found.values()), (name, found)
        assert first.get("input_channels") == variant.input_channels and "input_size" in first, (name, first)


def test_every_torch_builder_builds_the_input_it_is_told(torch_threads: int) -> None:
    """A builder that ignored `input_channels` or a size-dependent layer's `input_size` fails here: the probe runs
    the model on an input of that shape (one variant per architecture, on the meta device)."""
    from paperverify.frameworks.torch.probe import build_and_probe

    architectures = {registry.get(name).architecture: name for name in reversed(registry.variants())}
    for architecture, name in sorted(architectures.items()):
        builder = registry.get(name).builder("torch")
        side = 64 if architecture == "lenet" else 256
        trace = build_and_probe(builder, side, {}, channels=2)
        assert trace.layers[0].input_shapes[0] == (side, side, 2), (name, trace.layers[0])


def test_a_keras_builder_builds_the_input_it_is_told(tf_threads: int) -> None:
    from paperverify.frameworks.keras.probe import build_without_weights

    for name, side in (("resnet20", 40), ("mobilenet_v1", 160)):
        model = build_without_weights(registry.get(name).builder("keras"), input_size=side, input_channels=2)
        assert tuple(model.input_shape) == (None, side, side, 2), name

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


def test_a_builder_that_takes_an_input_size_is_told_the_size_a_claim_is_probed_at() -> None:
    from paperverify.registry import builder_options

    def sized(*, alpha: float = 1.0, input_size: int = 224) -> None: ...

    def unsized(*, alpha: float = 1.0) -> None: ...

    assert builder_options(sized, 160, {"alpha": 0.5}) == {"alpha": 0.5, "input_size": 160}
    assert builder_options(unsized, 160, {"alpha": 0.5}) == {"alpha": 0.5}
    assert builder_options(sized, 160, {"input_size": 192}) == {"input_size": 192}


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
    agree on every option but how each is told its input."""
    import inspect

    def defaults(builder: object) -> dict[str, object]:
        parameters = inspect.signature(builder).parameters.items()  # type: ignore[arg-type]
        return {k: p.default for k, p in parameters if p.default is not inspect.Parameter.empty}

    inputs = {"input_size", "input_shape"}
    for name in registry.variants():
        variant = registry.get(name)
        found = {framework: defaults(variant.builder(framework)) for framework in variant.frameworks}
        options = [{k: v for k, v in d.items() if k not in inputs} for d in found.values()]
        assert all(o == options[0] for o in options), (name, found)

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

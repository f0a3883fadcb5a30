"""The model families: one module each, one line each in :data:`FAMILIES`.

A family module defines ``FAMILY`` (a :class:`~tvbench.models.families.spec.FamilySpec`), its
transformers adapter and its offline checkpoints. Everything else (the backends, ``tiny``,
``bench``, the listings) reads families from here. Third-party packages add families through
the ``tvbench.models`` entry-point group, pointing at their ``FamilySpec``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Generic, TypeVar

from tvbench.models.families.spec import Architecture, FamilySpec
from tvbench.registry import DuplicateNameError, Registry

FAMILIES: Registry[FamilySpec] = Registry("model family", "tvbench.models", {
    "towervision": "tvbench.models.families.towervision:FAMILY",
    "qwen2_5_vl": "tvbench.models.families.qwen2_5_vl:FAMILY",
    "gemma3": "tvbench.models.families.gemma3:FAMILY",
    "aya_vision": "tvbench.models.families.aya_vision:FAMILY",
})


def get_family(name: str) -> FamilySpec:
    """The registered family ``name``; an unknown name is an error listing near matches."""
    spec = FAMILIES.get(name)
    if not isinstance(spec, FamilySpec):
        raise TypeError(f"model family {name!r} is registered as {spec!r}, not a FamilySpec")
    if spec.name != name:
        raise ValueError(f"model family registered as {name!r} calls itself {spec.name!r}")
    return spec


def architectures() -> dict[str, tuple[FamilySpec, Architecture]]:
    """Every family's architectures by name (the names ``tvbench tiny`` accepts)."""
    found: dict[str, tuple[FamilySpec, Architecture]] = {}
    for name in FAMILIES.names():
        spec = get_family(name)
        for arch in spec.architectures:
            if arch.name in found:
                raise DuplicateNameError(
                    f"architecture {arch.name!r} is declared by model families "
                    f"{found[arch.name][0].name!r} and {name!r}")
            found[arch.name] = (spec, arch)
    return found


V = TypeVar("V")


class RegistryView(Mapping[str, V], Generic[V]):
    """A read-only mapping recomputed from the registry on each use, so nothing is imported
    when a module defines one and families registered later are seen."""

    def __init__(self, compute: Callable[[], Mapping[str, V]]) -> None:
        self._compute = compute

    def __getitem__(self, key: str) -> V:
        return self._compute()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._compute())

    def __len__(self) -> int:
        return len(self._compute())


#: Training languages each family declares when a checkpoint's entry gives none.
FAMILY_LANGUAGES: Mapping[str, tuple[str, ...] | None] = RegistryView(
    lambda: {name: get_family(name).languages for name in FAMILIES.names()})

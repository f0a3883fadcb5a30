"""Fixed item subsets for CI budgets: the same ids for the same data and seed, whoever runs them.

``--subset N --seed S`` keeps, per task and per language, the N items whose key
``sha256(S, task, item id)`` is smallest (every item of a language that has N or fewer). The
key depends on the item's own id and nothing else, so the choice does not move with the batch
size, the number of processes, the order of the data or the other tasks of the run; and for one
seed a larger N contains a smaller one, so growing a subset only adds items.

N counts per language, like ``--limit``, so every language of a task gets the same sample size
(and the per-language gate checks the same power) whatever its share of the data.

The digest of the chosen ids goes into every signature as ``subset:N,seedS#digest`` (per
language: the ids of that language), so scores on different subsets are never compared.
Subset runs write to their own run folder (:func:`folder_name`); see :mod:`tvbench.runs.reuse`
for how they share finished items with the model's other runs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from tvbench.data.item import Item


def ids_digest(ids: Iterable[str]) -> str:
    """Short sha256 of a set of item ids (sorted, so the data's order does not matter)."""
    return hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()[:8]


@dataclass(frozen=True)
class Subset:
    """N items per language, chosen by a seeded hash of their ids."""

    per_language: int
    seed: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.per_language, bool) or self.per_language < 1:
            raise ValueError(f"--subset must be at least 1, got {self.per_language!r}")
        if isinstance(self.seed, bool) or self.seed < 0:
            raise ValueError(f"--seed must be 0 or more, got {self.seed!r}")

    def key(self, task: str, item_id: str) -> str:
        return hashlib.sha256(f"{self.seed}\x00{task}\x00{item_id}".encode()).hexdigest()

    def select(self, task: str, items: Sequence[Item]) -> list[Item]:
        """The chosen items, in the order of ``items`` (the data's order)."""
        by_lang: dict[str, list[tuple[str, str]]] = {}
        for it in items:
            by_lang.setdefault(it.lang, []).append((self.key(task, it.id), it.id))
        keep = {item_id for keyed in by_lang.values()
                for _, item_id in sorted(keyed)[: self.per_language]}
        return [it for it in items if it.id in keep]

    def signature_field(self, ids: Iterable[str]) -> str:
        """``N,seedS#digest`` for the ids a score covers."""
        return f"{self.per_language},seed{self.seed}#{ids_digest(ids)}"

    def describe(self, chosen: Sequence[Item], available: int) -> dict[str, Any]:
        """The ``subset`` block of a task in results.json."""
        return {"per_language": self.per_language, "seed": self.seed,
                "ids": ids_digest(it.id for it in chosen), "n": len(chosen),
                "available": available}

    @property
    def suffix(self) -> str:
        return f"subset{self.per_language}-seed{self.seed}"


def folder_name(model_folder: str, subset: Subset | None) -> str:
    """The run folder of a model: its own name for full runs, ``NAME.subsetN-seedS`` for a
    subset, so a subset run never rewrites the results of a full run (or another subset)."""
    return model_folder if subset is None else f"{model_folder}.{subset.suffix}"

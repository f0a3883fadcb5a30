"""Does batching change what the model says? The ``--check-parity`` re-run, and the record
``tvbench gate`` reads to know where batched outputs are exact.

On the CPU in float32 batched outputs equal batch size 1 (the tests check it on every
family); in bf16 on a GPU they can differ. ``--check-parity N`` re-runs N items of each task
alone and reports the divergence rate; :func:`batching_record` writes where the model ran.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from tvbench.data.inputs import GenerationSettings, ScoringSettings
from tvbench.data.record import ItemRecord
from tvbench.models.base import Adapter
from tvbench.runs.items import Prepared

#: Log-likelihoods within this many nats of batch size 1's are equal (float32 on CPU agrees
#: to about 1e-5).
PARITY_NATS = 1e-4

Groups = Callable[[list[Prepared]], Iterable[tuple[GenerationSettings, list[Prepared]]]]


def check_parity(adapter: Adapter, kind: str, chosen: Sequence[tuple[Prepared, ItemRecord]],
                 batch_size: int, groups: Groups, scoring: ScoringSettings | None = None
                 ) -> dict[str, Any]:
    """Re-run ``chosen`` at batch size 1 and compare with their stored outputs: the text of a
    generation, or every candidate's log-probability within :data:`PARITY_NATS`.
    ``groups`` splits generation items by their decoding settings."""
    if not chosen:
        return {"checked": 0, "batch_size": batch_size, "mismatches": [], "divergence": 0.0}
    extra: dict[str, Any] = {}
    stored = {p.item.id: r for p, r in chosen}
    mismatches: list[str] = []
    if kind == "generate":
        for generation, group in groups([p for p, _ in chosen]):
            single = adapter.generate([p.requests[0][0] for p in group], generation,
                                      batch_size=1)
            mismatches += [p.item.id for p, g in zip(group, single, strict=True)
                           if g.text != stored[p.item.id].text]
    else:
        mismatches, extra["max_abs_diff"] = _loglikelihood(adapter, chosen, scoring)
    return {"checked": len(chosen), "batch_size": batch_size, "mismatches": mismatches,
            "divergence": len(mismatches) / len(chosen), **extra}


def _loglikelihood(adapter: Adapter, chosen: Sequence[tuple[Prepared, ItemRecord]],
                   scoring: ScoringSettings | None) -> tuple[list[str], float]:
    inputs = [inp for p, _ in chosen for inp, _ in p.requests]
    conts = [c or "" for p, _ in chosen for _, c in p.requests]
    kw: dict[str, Any] = {} if scoring is None else {"scoring": scoring}
    single = iter(adapter.loglikelihood(inputs, conts, batch_size=1, **kw))
    mismatches, worst = [], 0.0
    for p, r in chosen:
        stored = r.output if isinstance(r.output, tuple) else ()
        fresh = [next(single) for _ in p.requests]
        diffs = [abs(ll.total - c.total) if c.total is not None else math.inf
                 for c, ll in zip(stored, fresh, strict=True)]
        worst = max([worst, *diffs])
        if any(not d <= PARITY_NATS for d in diffs):
            mismatches.append(p.item.id)
    return mismatches, worst


def divergence(parity: Mapping[str, Any]) -> str:
    """"12.5 % divergence", with the largest log-likelihood difference when scored."""
    n, bad = int(parity.get("checked", 0)), len(parity.get("mismatches", []))
    text = f"{100 * bad / n:.1f} % divergence" if n else "nothing checked"
    if isinstance(parity.get("max_abs_diff"), int | float):
        text += f", largest log-likelihood difference {parity['max_abs_diff']:.2g} nats"
    return text


def parity_note(parity: Mapping[str, Any]) -> str:
    """The parity check as one line, for the reports (older blocks may lack fields)."""
    n, bad = int(parity.get("checked", 0)), len(parity.get("mismatches", []))
    return (f"parity: {bad}/{n} checked items differ from batch size 1 at batch size "
            f"{parity.get('batch_size', '?')} ({divergence(parity)})")


def batching_record(adapter: Adapter) -> dict[str, Any]:
    """Where the model ran, for ``tvbench gate``: outputs equal batch size 1's exactly only
    on the CPU in float32 (the tested case); elsewhere they can depend on the batch."""
    device = getattr(adapter, "device", None)
    return {"device": device,
            "batch_exact": device == "cpu" and adapter.spec.dtype == "float32"}

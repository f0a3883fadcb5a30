"""The evidence a gate check rests on: per-item statistics of the items both runs share.

A paired test needs, for each item both runs scored, the statistics its metric aggregates
(stored per record under ``stats`` since tvbench records them) and the aggregation itself
(named in results.json, rebuilt by :func:`tvbench.metrics.aggregate.by_name`). Items pair by
id *and* input hash: an item whose prompt or media differ between the runs is a different
item, whatever its id says. When no paired test is possible (a reported baseline, a folder
written before records carried statistics, an aggregation this tvbench does not know) the
evidence says why, and the gate falls back to the tolerance alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tvbench.data.record import ItemRecord
from tvbench.metrics.aggregate import Aggregation, by_name
from tvbench.runs.store import RunFolder

#: Statistics of aligned items per language: ``(baseline rows, candidate rows)``.
Strata = dict[str, tuple[list[Sequence[float]], list[Sequence[float]]]]


@dataclass(frozen=True)
class RunSide:
    """One side of the comparison: its results.json and, for measured runs, its folder."""

    path: Path
    results: Mapping[str, Any]

    @property
    def reported(self) -> bool:
        """Numbers copied from a paper: no item records, no signature worth comparing."""
        return isinstance(self.results.get("reported"), Mapping)

    @property
    def tasks(self) -> Mapping[str, Mapping[str, Any]]:
        tasks = self.results.get("tasks")
        return {str(k): v for k, v in tasks.items() if isinstance(v, Mapping)} if isinstance(
            tasks, Mapping) else {}

    @property
    def seen_languages(self) -> list[str] | None:
        model = self.results.get("model")
        seen = model.get("seen_languages") if isinstance(model, Mapping) else None
        return [s for s in seen if isinstance(s, str)] if isinstance(seen, list) else None

    def records(self, task: str) -> dict[str, ItemRecord]:
        return {} if self.reported else RunFolder(self.path).read_records(task)


def load_side(path: str | Path) -> RunSide:
    """A run folder's results; a folder without results.json is an error naming it."""
    folder = RunFolder(path)
    results = folder.read_results()
    if results is None:
        raise FileNotFoundError(f"{path}: no results.json (not a run folder)")
    return RunSide(Path(path), results)


@dataclass(frozen=True)
class Evidence:
    """What one task's paired test can use, or why there is none (``problem``)."""

    metric: str
    higher_is_better: bool
    aggregation: Aggregation | None = None
    strata: Strata = field(default_factory=dict)
    n_shared: int = 0
    n_hash_differs: int = 0
    n_unscored: int = 0  # shared items without statistics on one side (errors, unscored)
    n_one_side: int = 0  # ids only one run has
    problem: str | None = None

    @property
    def paired(self) -> bool:
        return self.problem is None

    def within(self, langs: Sequence[str]) -> Strata:
        """The strata of these languages that have shared items."""
        return {g: self.strata[g] for g in langs if g in self.strata and self.strata[g][0]}

    def count(self, langs: Sequence[str]) -> int:
        return sum(len(self.strata[g][0]) for g in langs if g in self.strata)

    def notes(self) -> list[str]:
        out = []
        if self.n_hash_differs:
            out.append(f"{self.n_hash_differs} item(s) with the same id but different inputs "
                       "(input hash) are not paired")
        if self.n_unscored:
            out.append(f"{self.n_unscored} shared item(s) unscored on one side are left out "
                       "of the paired test")
        if self.n_one_side:
            out.append(f"{self.n_one_side} item id(s) appear in one run only")
        return out


def _has_stats(records: Mapping[str, ItemRecord]) -> bool:
    return any(r.stats for r in records.values())


def evidence(task: str, metric: str, block: Mapping[str, Any], baseline: RunSide,
             candidate: RunSide) -> Evidence:
    """Pair the task's items of both runs for the paired bootstrap on ``metric``."""
    higher = block.get("higher_is_better", True)
    higher = higher if isinstance(higher, bool) else True
    base = Evidence(metric, higher)
    if baseline.reported:
        return _without(base, "the baseline is a reported paper number with no per-item "
                              "scores: tolerance-only test")
    agg_name = block.get("aggregation")
    if not isinstance(agg_name, str):
        return _without(base, "the candidate's results.json names no aggregation (written by "
                              "an older tvbench): tolerance-only test")
    agg = by_name(agg_name)
    if agg is None:
        return _without(base, f"aggregation {agg_name!r} is not one tvbench defines: "
                              "tolerance-only test")
    recs = {"baseline": baseline.records(task), "candidate": candidate.records(task)}
    for side, found in recs.items():
        if not found:
            return _without(base, f"the {side} run has no item records for {task}: "
                                  "tolerance-only test")
        if not _has_stats(found):
            return _without(base, f"the {side} run's records carry no per-item statistics "
                                  "(written by an older tvbench; rerun the task to add them): "
                                  "tolerance-only test")
    return _pair(base, agg, recs["baseline"], recs["candidate"])


def _without(base: Evidence, problem: str) -> Evidence:
    return Evidence(base.metric, base.higher_is_better, problem=problem)


def _pair(base: Evidence, agg: Aggregation, b: Mapping[str, ItemRecord],
          c: Mapping[str, ItemRecord]) -> Evidence:
    strata: Strata = {}
    differs = unscored = shared = 0
    for item_id in sorted(b.keys() & c.keys()):
        rb, rc = b[item_id], c[item_id]
        if rb.input_hash and rc.input_hash and rb.input_hash != rc.input_hash:
            differs += 1
            continue
        sb, sc = rb.stats.get(base.metric), rc.stats.get(base.metric)
        if sb is None or sc is None:
            if sb is not None or sc is not None or rb.error or rc.error:
                unscored += 1
            continue
        if len(sb) != agg.width or len(sc) != agg.width:
            return _without(base, f"item {item_id!r} has {len(sb)}/{len(sc)} statistics where "
                                  f"{agg.name} takes {agg.width}: tolerance-only test")
        rows = strata.setdefault(rb.lang, ([], []))
        rows[0].append(sb)
        rows[1].append(sc)
        shared += 1
    return Evidence(base.metric, base.higher_is_better, agg, strata, shared, differs,
                    unscored, len(b.keys() ^ c.keys()))

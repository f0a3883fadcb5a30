"""CC-OCR's official roll-up: per-subset metrics, track = mean over subsets, total = mean of tracks.

The official ``summary()`` (``evaluator/common.py:242-312``, CC-OCR @ ``fb6187eb``) prints one
table per metric key with an unweighted mean over the subsets of the track's index file,
``Σ value / (n_subsets + 1e-9) × 100``; a missing subset makes it print "-". Here the mean runs
over the subsets present and the missing ones are listed, so a filtered run (``--languages``,
the bundled data) still gets numbers that say what they cover. The README leaderboard's
"Total" is the plain mean of the four track scores: OCR tracks macro F1, KIE ``f1_score``
(the README's KIE example table and leaderboard use it; VLMEvalKit's combined total uses
``acc`` instead), doc parsing ``score``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tvbench.metrics import doc_parsing, kie, ocr_f1

TRACKS = ("multi_scene_ocr", "multi_lan_ocr", "doc_parsing", "kie")
SUMMARY_EPS = 1e-9

#: The 39 subsets of the official index files (``index/*.json``) with their sizes.
OFFICIAL_SUBSETS: dict[str, dict[str, int]] = {
    "multi_scene_ocr": {"TotalText": 300, "IC15": 500, "InverseText": 500, "Hieragent": 100,
                        "zh_scene": 450, "FUNSD": 50, "CORD": 100, "IAM": 50, "zh_doc": 100,
                        "zh_handwriting": 50, "ugc_laion": 400, "zh_vertical": 100,
                        "zh_dense": 50},
    "multi_lan_ocr": {name: 150 for name in (
        "Arabic", "French", "German", "Italian", "Japanese", "Korean", "Portuguese", "Russian",
        "Spanish", "Vietnamese")},
    "doc_parsing": {"doc_photo_chn": 75, "doc_photo_eng": 75, "doc_scan_chn": 75,
                    "doc_scan_eng": 75, "table_photo_chn": 75, "table_photo_eng": 75,
                    "table_scan_chn": 75, "table_scan_eng": 75, "molecular_handwriting": 100,
                    "formula_handwriting": 100},
    "kie": {"sroie2019_word": 347, "CORD": 100, "EPHOIE_SCUT": 311, "POIE": 250,
            "COLD_SIBR": 400, "COLD_CELL": 600},
}
#: The metric each track is ranked by (the README leaderboard's column).
HEADLINE = {"multi_scene_ocr": "macro_f1", "multi_lan_ocr": "macro_f1", "doc_parsing": "score",
            "kie": "f1_score"}


@dataclass(frozen=True)
class ScoredItem:
    """One scored item: where it belongs and its track-specific result."""

    track: str
    subset: str
    result: ocr_f1.OcrItem | kie.KieItem | float


def subset_metrics(track: str, results: Sequence[Any]) -> dict[str, float]:
    """The official per-subset summary values (0–1) of one subset's item results."""
    if track in ("multi_scene_ocr", "multi_lan_ocr"):
        return {"macro_f1": ocr_f1.macro_f1(results), "micro_f1": ocr_f1.micro_f1(results)}
    if track == "kie":
        return {"f1_score": kie.subset_f1(results), "acc": kie.subset_acc(results)}
    if track == "doc_parsing":
        return {"score": doc_parsing.subset_score(results)}
    raise ValueError(f"unknown CC-OCR track {track!r}")


def summary_mean(values: Sequence[float]) -> float:
    """The official summary column: Σ / (n + 1e-9)."""
    return sum(values) / (len(values) + SUMMARY_EPS)


def summarize(items: Sequence[ScoredItem]) -> dict[str, Any]:
    """Per-track tables on a 0–100 scale, and the total when all four tracks are present."""
    grouped: dict[str, dict[str, list[Any]]] = {}
    for it in items:
        grouped.setdefault(it.track, {}).setdefault(it.subset, []).append(it.result)
    tracks: dict[str, Any] = {}
    for track in [t for t in TRACKS if t in grouped] + sorted(set(grouped) - set(TRACKS)):
        raw = {name: subset_metrics(track, res) for name, res in sorted(grouped[track].items())}
        keys = list(next(iter(raw.values())))
        official = OFFICIAL_SUBSETS.get(track, {})
        missing = sorted(set(official) - set(raw))
        subsets = {name: {**{k: 100 * v for k, v in m.items()}, "n": len(grouped[track][name])}
                   for name, m in raw.items()}
        tracks[track] = {
            # official order of operations: Σ raw / (n + 1e-9), then × 100
            "scores": {k: summary_mean([m[k] for m in raw.values()]) * 100 for k in keys},
            "headline_metric": HEADLINE.get(track, keys[0]),
            "subsets": subsets,
            "missing_subsets": missing,
            "complete": not missing and bool(official),
        }
    out: dict[str, Any] = {"tracks": tracks, "total": None}
    if all(t in tracks for t in TRACKS):
        heads = [tracks[t]["scores"][HEADLINE[t]] for t in TRACKS]
        out["total"] = sum(heads) / len(heads)
    return out

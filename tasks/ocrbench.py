"""OCRBench (v1): 1000 OCR questions in ten types, scored by a substring hit.

``protocol=paper`` (default): the TowerVision authors' fork's scoring; ``lmms-eval``: 0.7.3's.
Headline = hit rate ×100 (the paper's "Final Score / 10"); per-type report in the breakdown.
Protocol notes and sources: BENCHMARKS.md#ocrbench
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tvbench.data.inputs import GenerationSettings, ImagePart, ModelInput
from tvbench.data.item import Item
from tvbench.data.loading import HubDataset
from tvbench.data.media import media_bytes
from tvbench.data.outputs import Generation
from tvbench.data.prompts import render
from tvbench.data.record import ItemRecord
from tvbench.metrics.aggregate import MEAN, mean_stats, scaled
from tvbench.metrics.ocrbench import PROTOCOLS, SUM, category_totals, ocrbench_hit
from tvbench.tasks.base import ItemScore, MetricSpec, Option, Task


class OCRBench(Task):
    name = "ocrbench"
    version = 2
    title = "OCRBench v1"
    hub = HubDataset("echo840/OCRBench", revision="92a54bd1384387c178d5a07140a2d85e0a3d12e1",
                     split="test")
    languages = ("en",)
    generation = GenerationSettings(max_new_tokens=128)
    bundled_dir = "bundled/ocrbench"
    options = {
        "protocol": Option("paper", PROTOCOLS,
                           "paper = the fork's scoring (prediction lower-cased before the "
                           "HME100k branch, no full-width folding); lmms-eval = 0.7.3 "
                           "(folding, the 2026 HME fix)"),
    }
    templates = {"prompt": "{{ question }}"}

    def to_item(self, record: Mapping[str, Any], index: int, folder: str | None) -> Item:
        answer = record["answer"]
        answers = [answer] if isinstance(answer, str) else [str(a) for a in answer]
        return Item(
            id=str(index),
            lang="en",
            fields={"question": str(record["question"]), "answers": answers,
                    "dataset": str(record["dataset"]),
                    "question_type": str(record["question_type"])},
            media=(ImagePart(media_bytes(record["image"], folder)),))

    def fallback_id(self, record: Mapping[str, Any], index: int, context: Any = None) -> str:
        return str(index)

    def build(self, item: Item) -> ModelInput:
        text = render(self.templates["prompt"], question=item.fields["question"].strip())
        return ModelInput.user(*item.media, text)

    def score(self, item: Item, output: Any) -> ItemScore:
        if not isinstance(output, Generation):
            raise TypeError(f"{self.name} scores generations, got {type(output).__name__}")
        f = item.fields
        hit = ocrbench_hit(output.text, f["answers"], f["dataset"], self.config["protocol"])
        return ItemScore(answer=output.text.strip(), score=float(hit))

    def target(self, item: Item) -> list[str]:
        """Every accepted answer (a hit is any of them found in the output)."""
        return list(item.fields["answers"])

    def metrics(self, scored_by: Mapping[str, str]) -> list[MetricSpec]:
        def mean(_it: Item, r: ItemRecord) -> list[float] | None:
            return None if r.score is None else mean_stats(r.score)

        def total(_it: Item, r: ItemRecord) -> list[float] | None:
            return None if r.score is None else [float(r.score)]

        if self.config["protocol"] == "paper":
            rule = "ocrbench_substring[fork@1b6b667:pred-lower-first,hme:nospace,fold:none]"
        else:
            rule = "ocrbench_substring[lmms0.7.3:hme:nospace,fold:fullwidth]"
        return [MetricSpec("accuracy", scaled(MEAN, 100), rule, mean),
                MetricSpec("final_score", SUM, rule + ",sum", total, zero=lambda _it: [0.0])]

    def breakdown(self, items: Sequence[Item], records: Sequence[ItemRecord], *,
                  count_errors: bool = True) -> dict[str, Any]:
        """The official report: hits per question type, text recognition, final score; a
        failed item is a miss (the official score divides by every item) unless
        ``count_errors`` is off."""
        pairs = []
        for it, r in zip(items, records, strict=True):
            if r.error or it.error:
                if count_errors and "question_type" in it.fields:
                    pairs.append((it.fields["question_type"], 0))
            elif r.score is not None:
                pairs.append((it.fields["question_type"], int(r.score)))
        return {"ocrbench": category_totals(pairs)}

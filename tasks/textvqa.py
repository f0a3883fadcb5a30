"""TextVQA (validation): questions about text in natural images, scored by VQA accuracy.

lmms-eval's ``textvqa_val`` prompt and EvalAI normaliser (quirks kept; ``evalai-clean`` fixes
them); ``protocol=paper`` drops the "ASSISTANT:" stop string the fork's adapters never applied.
Protocol notes and sources: BENCHMARKS.md#textvqa
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tvbench.data.inputs import GenerationSettings, ImagePart, ModelInput
from tvbench.data.item import Item
from tvbench.data.loading import HubDataset
from tvbench.data.media import media_bytes
from tvbench.data.outputs import Generation
from tvbench.data.prompts import render
from tvbench.data.record import ItemRecord
from tvbench.metrics.aggregate import MEAN, mean_stats, scaled
from tvbench.metrics.vqa import NORMALIZERS, vqa_accuracy
from tvbench.tasks.base import ItemScore, MetricSpec, Option, Task, require


class TextVQA(Task):
    name = "textvqa"
    version = 2
    title = "TextVQA (val)"
    hub = HubDataset("lmms-lab/textvqa", revision="9c0699cd19768ac5ab97568f6b3cbac4c0062884",
                     split="validation")
    languages = ("en",)
    generation = GenerationSettings(max_new_tokens=128)
    bundled_dir = "bundled/textvqa"
    options = {
        "protocol": Option("paper", ("paper", "lmms-eval"),
                           "paper = no stop string (the fork's llava_hf and qwen2_5_vl ignored "
                           "the yaml's); lmms-eval = stop at 'ASSISTANT:' as the yaml asks"),
        "normaliser": Option("evalai", ("evalai", "evalai-clean"),
                             "evalai = lmms-eval's processor with its regex quirks"),
        "ocr_tokens": Option(False, (False, True), "append the reference OCR tokens"),
    }
    templates = {
        "prompt": "{{ question }}{% if ocr %}\nReference OCR token: {{ ocr }}{% endif %}"
                  "\nAnswer the question using a single word or phrase.",
    }

    def settings(self) -> GenerationSettings:
        if self.config["protocol"] == "lmms-eval":
            return GenerationSettings(max_new_tokens=128, stop=("ASSISTANT:",))
        return self.generation

    def to_item(self, record: Mapping[str, Any], index: int, folder: str | None) -> Item:
        return Item(
            id=str(require(record, "question_id", (int, str))),
            lang="en",
            fields={"question": require(record, "question"),
                    "answers": list(record.get("answers") or []),
                    "ocr_tokens": list(record.get("ocr_tokens") or [])},
            media=(ImagePart(media_bytes(require(record, "image", (dict, bytes, str)), folder)),))

    def fallback_id(self, record: Mapping[str, Any], index: int, context: Any = None) -> str:
        return str(record.get("question_id", f"row{index}"))

    def build(self, item: Item) -> ModelInput:
        f = item.fields
        ocr = ", ".join(f["ocr_tokens"]) if self.config["ocr_tokens"] else ""
        text = render(self.templates["prompt"], question=f["question"].capitalize(), ocr=ocr)
        return ModelInput.user(*item.media, text)

    def score(self, item: Item, output: Any) -> ItemScore:
        if not isinstance(output, Generation):
            raise TypeError(f"{self.name} scores generations, got {type(output).__name__}")
        normalize = NORMALIZERS[self.config["normaliser"]]
        acc = vqa_accuracy(output.text, item.fields["answers"], normalize)
        return ItemScore(answer=normalize(output.text), score=acc)

    def target(self, item: Item) -> list[str]:
        """The annotators' answers (ten in the real data), repeats kept: they set the score."""
        return [str(a) for a in item.fields["answers"]]

    def metrics(self, scored_by: Mapping[str, str]) -> list[MetricSpec]:
        def stats(_it: Item, r: ItemRecord) -> list[float] | None:
            return None if r.score is None else mean_stats(r.score)

        norm = "evalai-lmms0.7.3" if self.config["normaliser"] == "evalai" else "evalai-clean"
        return [MetricSpec("vqa_accuracy", scaled(MEAN, 100), f"vqa_acc[norm:{norm}]", stats)]

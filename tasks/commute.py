"""CoMMuTE: does the image steer the translation of an ambiguous English sentence?

``contrastive`` (default): log-likelihood of the correct vs the incorrect translation;
``generative``: COMET of a greedy translation against both.
Protocol notes and sources: BENCHMARKS.md#commute
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from tvbench_tasks.comet_scoring import clear_metrics, run_comet, scorable

from tvbench.data.inputs import GenerationSettings, ImagePart, ModelInput
from tvbench.data.languages import LanguageError
from tvbench.data.loading import (
    DataSource,
    DataSourceError,
    HubDataset,
    LocalDataset,
)
from tvbench.data.media import MediaError, media_bytes
from tvbench.data.outputs import Generation, LogLikelihood
from tvbench.data.sample import Sample
from tvbench.metrics.aggregate import MEAN, mean_stats, scaled
from tvbench.metrics.contrastive import prefers_correct
from tvbench.tasks.base import ItemResult, MetricSpec, Option, Record, Task
from tvbench.tasks.prompts import render

#: Target-language names exactly as the fork's prompts spell them.
LANGUAGE_NAMES = {"ar": "Arabic", "cs": "Czech", "de": "German", "es": "Spanish",
                  "fr": "French", "ru": "Russian", "zh": "Chinese"}
#: The fork's group ``commute-all-contrastive`` (es has a yaml but is not in the group).
DEFAULT_LANGUAGES = ("de", "fr", "ru", "zh", "ar", "cs")
COMET_KEYS = ("comet_correct", "comet_incorrect")


class CoMMuTE(Task):
    name = "commute"
    version = 1
    title = "CoMMuTE (contrastive multimodal MT)"
    # Unpinned: no commit of this gated dataset could be verified offline; pin before gating.
    hub = HubDataset("Unbabel/commute_multimodal_mt", revision="main", split="per-language")
    languages = ("de", "fr", "ru", "zh", "ar", "cs", "es")
    kind = "loglikelihood"
    generation = GenerationSettings(max_new_tokens=128)
    samples_dir = "samples/commute"
    options = {
        "variant": Option("contrastive", ("contrastive", "generative"),
                          "contrastive = log-likelihood ranking of the two translations; "
                          "generative = translate, then COMET against both"),
        "normalise": Option("sum", ("sum", "mean"),
                            "contrastive: compare summed or per-token log-probabilities"),
    }
    templates = {
        "contrastive": "Translate the following source text from English to {{ language }}:\n"
                       "{{ source }}",
        "generative": "Translate the following text from English to {{ language }} by taking "
                      "into account the image to resolve any ambiguities.\nEnglish: "
                      "{{ source }}\n{{ language }}: ",
    }

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        # The variant decides the request type, so the kind is per instance.
        self.kind = ("generate" if self.config["variant"] == "generative"
                     else "loglikelihood")
        self._comet_describe = ""

    # ------------------------------------------------------------------ data
    def bundled_source(self) -> LocalDataset:
        return replace(super().bundled_source(), split=None)

    def parts(self, source: DataSource, languages: frozenset[str] | None
              ) -> list[tuple[DataSource, Any]]:
        """One split per language; a missing split is an error, never a silent skip."""
        wanted = languages if languages is not None else frozenset(DEFAULT_LANGUAGES)
        return [(_split_source(source, lang), lang) for lang in self.languages
                if lang in wanted]

    def samples_from(self, record: Mapping[str, Any], index: int, folder: str | None,
                     context: Any) -> list[Sample]:
        return [self.row_sample(record, index, context, folder)]

    def row_sample(self, record: Mapping[str, Any], row: int, lang: str,
                   folder: str | None) -> Sample:
        name = record.get("image_name") if isinstance(record, Mapping) else None
        item_id = f"{lang}-{row}-{name}" if isinstance(name, str) and name else f"{lang}-{row}"
        try:
            fields = {k: record[k] for k in ("source", "correct_translation",
                                             "incorrect_translation")}
            for key, value in fields.items():
                if not isinstance(value, str) or not value:
                    raise ValueError(f"field {key!r} must be a non-empty string")
            image = ImagePart(media_bytes(record["image"], folder))
        except (KeyError, TypeError, ValueError, MediaError, LanguageError) as exc:
            return Sample(id=item_id, lang=lang, error=f"bad record: {type(exc).__name__}: {exc}")
        return Sample(id=item_id, lang=lang, media=(image,), fields={
            "source": fields["source"], "correct": fields["correct_translation"],
            "incorrect": fields["incorrect_translation"], "image_name": name or ""})

    def to_sample(self, record: Mapping[str, Any], index: int, folder: str | None) -> Sample:
        """A row of the first default language's split (``load`` knows the real split)."""
        return self.row_sample(record, index, DEFAULT_LANGUAGES[0], folder)

    # --------------------------------------------------------------- prompts
    def _prompt(self, template: str, sample: Sample) -> ModelInput:
        text = render(self.templates[template], language=LANGUAGE_NAMES[sample.lang],
                      source=sample.fields["source"])
        return ModelInput.user(*sample.media, text)

    def build(self, sample: Sample) -> ModelInput:
        return self._prompt("generative", sample)

    def candidates(self, sample: Sample) -> list[tuple[ModelInput, str]]:
        """[(input, correct), (input, incorrect)]: the candidate is the assistant's reply."""
        inp = self._prompt("contrastive", sample)
        return [(inp, sample.fields["correct"]), (inp, sample.fields["incorrect"])]

    # --------------------------------------------------------------- scoring
    def score(self, sample: Sample, output: Any) -> ItemResult:
        if isinstance(output, Generation):
            return ItemResult(answer=output.text, score=None)
        if not isinstance(output, list) or len(output) != 2 or not all(
                isinstance(x, LogLikelihood) for x in output):
            raise TypeError("commute (contrastive) expects two log-likelihoods: correct, "
                            "incorrect")
        key = "total" if self.config["normalise"] == "sum" else "mean"
        good, bad = (float(getattr(x, key)) for x in output)
        if not (math.isfinite(good) and math.isfinite(bad)):
            raise ValueError(f"non-finite log-likelihood (correct {good}, incorrect {bad})")
        won = prefers_correct(good, bad)
        answer = "correct" if won else ("tie" if good == bad else "incorrect")
        return ItemResult(answer=answer, score=1.0 if won else 0.0,
                          metrics={"logprob_correct": good, "logprob_incorrect": bad})

    def rescore(self, samples: Any, records: list[Record], scorers: Any) -> list[str]:
        if self.kind != "generate":
            return []
        clear_metrics(records, COMET_KEYS, clear_score=True)
        self._comet_describe = ""
        todo = scorable(records)
        by_id = {s.id: s for s in samples}
        items = []
        for i in todo:
            f, mt = by_id[records[i]["id"]].fields, records[i]["output"]
            items.append({"src": f["source"], "mt": mt, "ref": f["correct"]})
            items.append({"src": f["source"], "mt": mt, "ref": f["incorrect"]})
        outcome = run_comet(scorers, items, "COMET pairwise accuracy")
        if outcome.scores is None:
            return [outcome.note or "COMET not scored"]
        for n, i in enumerate(todo):
            good, bad = outcome.scores[2 * n], outcome.scores[2 * n + 1]
            records[i].setdefault("metrics", {}).update(comet_correct=good, comet_incorrect=bad)
            records[i]["score"] = 1.0 if prefers_correct(good, bad) else 0.0
        self._comet_describe = outcome.describe
        return []

    def metrics(self) -> list[MetricSpec]:
        def accuracy(_s: Sample, r: Record) -> list[float] | None:
            return None if r.get("score") is None else mean_stats(r["score"])

        if self.kind != "generate":
            desc = (f"contrastive_acc[cand:assistant-turn,logprob:{self.config['normalise']},"
                    "ties:wrong]")
            return [MetricSpec("contrastive_accuracy", scaled(MEAN, 100), desc, accuracy)]

        def metric(key: str) -> Any:
            def stats(_s: Sample, r: Record) -> list[float] | None:
                value = (r.get("metrics") or {}).get(key)
                return None if value is None else mean_stats(value)
            return stats

        comet = self._comet_describe or "not-scored"
        return [
            MetricSpec("pairwise_accuracy", scaled(MEAN, 100),
                       f"comet_pairwise_acc[{comet},ties:wrong]", accuracy),
            MetricSpec("avg_correct_score", scaled(MEAN, 100),
                       f"comet_vs_correct[{comet},seg-mean]", metric("comet_correct")),
            MetricSpec("avg_incorrect_score", scaled(MEAN, 100),
                       f"comet_vs_incorrect[{comet},seg-mean]", metric("comet_incorrect")),
        ]


def _local_splits(path: Path) -> set[str] | None:
    """Split names a local copy offers (None: a single save_to_disk split, name unknown)."""
    if (path / "dataset_dict.json").is_file():
        return set(json.loads((path / "dataset_dict.json").read_text()).get("splits", []))
    if (path / "dataset_info.json").is_file():
        return None
    files = [p for p in path.rglob("*") if p.suffix in {".parquet", ".jsonl", ".json"}]
    return {p.stem.split("-")[0] for p in files} | {p.parent.name for p in files}


def _split_source(source: DataSource, lang: str) -> DataSource:
    if isinstance(source, HubDataset):
        return replace(source, split=lang)
    if not source.path.exists():
        raise DataSourceError(f"dataset path {str(source.path)!r} does not exist")
    offered = _local_splits(source.path)
    if offered is None:
        raise DataSourceError(f"{source.path} is a single saved split; CoMMuTE needs one split "
                              "per language (a DatasetDict, or files named <lang>.parquet)")
    if lang not in offered:
        raise DataSourceError(f"{source.path} has no {lang!r} split (found "
                              f"{', '.join(sorted(offered)) or 'none'}); choose languages "
                              "with --languages")
    return replace(source, split=lang)

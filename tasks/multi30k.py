"""Multi30K (WMT16 multimodal MT, test2016 Flickr): caption translation en→de, en→fr, en→cs.

The TowerVision fork's prompt, greedy, 128 new tokens; XCOMET-XL ×100 is the headline, BLEU
and chrF (sacrebleu) are secondary.
Protocol notes and sources: BENCHMARKS.md#multi30k
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tvbench_tasks.comet_scoring import clear_metrics, run_comet, scorable

from tvbench.data.inputs import GenerationSettings, ImagePart, ModelInput
from tvbench.data.languages import LanguageError
from tvbench.data.loading import DataSource, DataSourceError, HubDataset
from tvbench.data.media import MediaError, media_bytes
from tvbench.data.outputs import Generation
from tvbench.data.sample import Sample
from tvbench.metrics.aggregate import MEAN, mean_stats, scaled
from tvbench.metrics.translation import (
    CORPUS_BLEU,
    CORPUS_CHRF,
    bleu_signature,
    bleu_stats,
    chrf_signature,
    chrf_stats,
)
from tvbench.tasks.base import ItemResult, MetricSpec, Option, Record, Task
from tvbench.tasks.prompts import render

#: Target-language names exactly as the fork's prompts spell them.
LANGUAGE_NAMES = {"de": "German", "fr": "French", "cs": "Czech"}
#: Directions each WMT test set has references for (multi30k/dataset data/task1/raw).
TEST_SETS = {"test2016": ("de", "fr", "cs"), "test2017": ("de", "fr"),
             "test2018": ("de", "fr", "cs")}
XCOMET = "xcomet"


class Multi30K(Task):
    name = "multi30k"
    version = 1
    title = "Multi30K (test2016 Flickr)"
    hub = HubDataset("romrawinjp/multi30k", revision="110e827dac7d6aabe6201d13bbdbc7413630390d",
                     split="test")
    languages = ("de", "fr", "cs")
    generation = GenerationSettings(max_new_tokens=128)
    samples_dir = "samples/multi30k"
    options = {
        "test_set": Option("test2016", tuple(TEST_SETS),
                           "test2016 is the hub's test split; test2017/test2018 need a local "
                           "copy in the same schema (--data multi30k=PATH)"),
    }
    templates = {
        "prompt": "Translate the following source text from English to {{ language }}:\n"
                  "{{ source }}",
    }

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._comet_describe = ""

    # ------------------------------------------------------------------ data
    def directions(self) -> tuple[str, ...]:
        return TEST_SETS[self.config["test_set"]]

    def parts(self, source: DataSource, languages: frozenset[str] | None
              ) -> list[tuple[DataSource, Any]]:
        test_set = self.config["test_set"]
        if isinstance(source, HubDataset) and test_set != "test2016":
            raise DataSourceError(
                f"multi30k {test_set} is not on the hub ({source.repo} has only test2016 as "
                f"'test'); pass --data multi30k=PATH to a local copy with fields en, de, fr, "
                "cs, image")
        return [(source, None)]

    def samples_from(self, record: Mapping[str, Any], index: int, folder: str | None,
                     context: Any) -> list[Sample]:
        """One item per (row, direction); a broken row gives error items, never a drop."""
        return [self.direction_sample(record, index, lang, folder) for lang in self.directions()]

    def direction_sample(self, record: Mapping[str, Any], index: int, lang: str,
                         folder: str | None) -> Sample:
        item_id = f"{index}-{lang}"
        try:
            source, reference = record["en"], record[lang]
            if not isinstance(source, str) or not isinstance(reference, str):
                raise ValueError(f"fields 'en' and {lang!r} must be strings, got "
                                 f"{type(source).__name__} and {type(reference).__name__}")
            image = ImagePart(media_bytes(record["image"], folder))
        except (KeyError, TypeError, ValueError, MediaError, LanguageError) as exc:
            return Sample(id=item_id, lang=lang, error=f"bad record: {type(exc).__name__}: {exc}")
        return Sample(id=item_id, lang=lang,
                      fields={"source": source, "reference": reference, "target": lang},
                      media=(image,))

    def to_sample(self, record: Mapping[str, Any], index: int, folder: str | None) -> Sample:
        """The first direction's item (``load`` makes one per direction)."""
        return self.direction_sample(record, index, self.directions()[0], folder)

    # --------------------------------------------------------------- prompts
    def build(self, sample: Sample) -> ModelInput:
        f = sample.fields
        text = render(self.templates["prompt"], language=LANGUAGE_NAMES[f["target"]],
                      source=f["source"])
        return ModelInput.user(*sample.media, text)

    # --------------------------------------------------------------- scoring
    def score(self, sample: Sample, output: Any) -> ItemResult:
        if not isinstance(output, Generation):
            raise TypeError("multi30k scores generations")
        # The fork scores the raw generation; XCOMET arrives in rescore.
        return ItemResult(answer=output.text, score=None,
                          extra={"reference": sample.fields["reference"]})

    def rescore(self, samples: Any, records: list[Record], scorers: Any) -> list[str]:
        clear_metrics(records, [XCOMET], clear_score=True)
        self._comet_describe = ""
        todo = scorable(records)
        by_id = {s.id: s for s in samples}
        items = [{"src": by_id[records[i]["id"]].fields["source"], "mt": records[i]["output"],
                  "ref": by_id[records[i]["id"]].fields["reference"]} for i in todo]
        outcome = run_comet(scorers, items, "XCOMET")
        if outcome.scores is None:
            return [outcome.note or "XCOMET not scored"]
        for i, value in zip(todo, outcome.scores, strict=True):
            records[i].setdefault("metrics", {})[XCOMET] = value
            records[i]["score"] = value
        self._comet_describe = outcome.describe
        return []

    def metrics(self) -> list[MetricSpec]:
        def xcomet(_s: Sample, r: Record) -> list[float] | None:
            value = (r.get("metrics") or {}).get(XCOMET)
            return None if value is None else mean_stats(value)

        def bleu(s: Sample, r: Record) -> list[float] | None:
            out = r.get("output")
            return None if not isinstance(out, str) else bleu_stats(
                out, s.fields["reference"], s.lang)

        def chrf(s: Sample, r: Record) -> list[float] | None:
            out = r.get("output")
            return None if not isinstance(out, str) else chrf_stats(out, s.fields["reference"])

        comet = (f"xcomet[{self._comet_describe},seg-mean]" if self._comet_describe
                 else "xcomet[not-scored]")
        bleu_sigs = {lang: bleu_signature(lang) for lang in self.directions()}
        if len(set(bleu_sigs.values())) == 1:
            bleu_desc = next(iter(bleu_sigs.values()))
        else:
            bleu_desc = ";".join(f"{k}={v}" for k, v in sorted(bleu_sigs.items()))
        return [
            MetricSpec(XCOMET, scaled(MEAN, 100), comet, xcomet),
            MetricSpec("bleu", CORPUS_BLEU, f"bleu[sacrebleu:{bleu_desc}]", bleu),
            MetricSpec("chrf", CORPUS_CHRF, f"chrf[sacrebleu:{chrf_signature()}]", chrf),
        ]

"""Multi30K (WMT16 multimodal MT, test2016 Flickr): caption translation en→de, en→fr, en→cs.

The TowerVision fork's prompt, greedy, 128 new tokens; XCOMET-XL ×100 is the headline, BLEU
and chrF (sacrebleu) are secondary.
Protocol notes and sources: BENCHMARKS.md#multi30k
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tvbench_tasks.comet_scoring import run_comet, scorable, with_comet, without_comet

from tvbench.data.inputs import GenerationSettings, ImagePart, ModelInput
from tvbench.data.item import Item
from tvbench.data.languages import LanguageError
from tvbench.data.loading import DataSource, DataSourceError, HubDataset
from tvbench.data.media import MediaError, media_bytes
from tvbench.data.outputs import Generation
from tvbench.data.prompts import render
from tvbench.data.record import ItemRecord
from tvbench.metrics.aggregate import MEAN, mean_stats, scaled
from tvbench.metrics.translation import (
    CORPUS_BLEU,
    CORPUS_CHRF,
    bleu_signature,
    bleu_stats,
    chrf_signature,
    chrf_stats,
)
from tvbench.tasks.base import ItemScore, MetricSpec, Option, Task
from tvbench.tasks.scoring import Rescored, Scorers

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
    paper_languages = ("cs", "de", "fr")
    generation = GenerationSettings(max_new_tokens=128)
    bundled_dir = "bundled/multi30k"
    options = {
        "test_set": Option("test2016", tuple(TEST_SETS),
                           "test2016 is the hub's test split; test2017/test2018 need a local "
                           "copy in the same schema (--data multi30k=PATH)"),
    }
    templates = {
        "prompt": "Translate the following source text from English to {{ language }}:\n"
                  "{{ source }}",
    }

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

    def items_from(self, record: Mapping[str, Any], index: int, folder: str | None,
                   context: Any) -> list[Item]:
        """One item per (row, direction); a broken row gives error items, never a drop."""
        return [self.direction_item(record, index, lang, folder) for lang in self.directions()]

    def direction_item(self, record: Mapping[str, Any], index: int, lang: str,
                       folder: str | None) -> Item:
        item_id = f"{index}-{lang}"
        try:
            source, reference = record["en"], record[lang]
            if not isinstance(source, str) or not isinstance(reference, str):
                raise ValueError(f"fields 'en' and {lang!r} must be strings, got "
                                 f"{type(source).__name__} and {type(reference).__name__}")
            image = ImagePart(media_bytes(record["image"], folder))
        except (KeyError, TypeError, ValueError, MediaError, LanguageError) as exc:
            return Item(id=item_id, lang=lang, error=f"bad record: {type(exc).__name__}: {exc}")
        return Item(id=item_id, lang=lang,
                    fields={"source": source, "reference": reference, "target": lang},
                    media=(image,))

    def to_item(self, record: Mapping[str, Any], index: int, folder: str | None) -> Item:
        """The first direction's item (``load`` makes one per direction)."""
        return self.direction_item(record, index, self.directions()[0], folder)

    # --------------------------------------------------------------- prompts
    def build(self, item: Item) -> ModelInput:
        f = item.fields
        text = render(self.templates["prompt"], language=LANGUAGE_NAMES[f["target"]],
                      source=f["source"])
        return ModelInput.user(*item.media, text)

    # --------------------------------------------------------------- scoring
    def score(self, item: Item, output: Any) -> ItemScore:
        if not isinstance(output, Generation):
            raise TypeError("multi30k scores generations")
        # The fork scores the raw generation; XCOMET arrives in rescore.
        return ItemScore(answer=output.text, score=None)

    def target(self, item: Item) -> str:
        return str(item.fields["reference"])

    def rescore(self, items: Sequence[Item], records: Sequence[ItemRecord],
                scorers: Scorers) -> Rescored:
        """XCOMET for every generation; without COMET, no record keeps an old value."""
        fresh = [without_comet(r, [XCOMET]) for r in records]
        todo = scorable(fresh)
        requests = [{"src": items[i].fields["source"], "mt": fresh[i].text or "",
                     "ref": items[i].fields["reference"]} for i in todo]
        outcome = run_comet(scorers, requests, "XCOMET")
        if outcome.scores is None:
            return Rescored(tuple(fresh), notes=(outcome.note or "XCOMET not scored",),
                            withheld=frozenset({XCOMET}))
        for i, value in zip(todo, outcome.scores, strict=True):
            fresh[i] = with_comet(fresh[i], {XCOMET: value}, value, outcome.describe)
        scored_by = {"comet": outcome.describe} if outcome.describe else {}
        return Rescored(tuple(fresh), scored_by=scored_by)

    def metrics(self, scored_by: Mapping[str, str]) -> list[MetricSpec]:
        def xcomet(_it: Item, r: ItemRecord) -> list[float] | None:
            value = r.metrics.get(XCOMET)
            return None if value is None else mean_stats(value)

        def bleu(it: Item, r: ItemRecord) -> list[float] | None:
            return None if r.text is None else bleu_stats(r.text, it.fields["reference"],
                                                          it.lang)

        def chrf(it: Item, r: ItemRecord) -> list[float] | None:
            return None if r.text is None else chrf_stats(r.text, it.fields["reference"])

        # A failed item is an empty hypothesis in the corpus statistics (its reference
        # still counts); an unreadable record has no reference to count.
        def bleu_zero(it: Item) -> list[float] | None:
            return None if it.error else bleu_stats("", it.fields["reference"], it.lang)

        def chrf_zero(it: Item) -> list[float] | None:
            return None if it.error else chrf_stats("", it.fields["reference"])

        comet = (f"xcomet[{scored_by['comet']},seg-mean]" if scored_by.get("comet")
                 else "xcomet[not-scored]")
        bleu_sigs = {lang: bleu_signature(lang) for lang in self.directions()}
        if len(set(bleu_sigs.values())) == 1:
            bleu_desc = next(iter(bleu_sigs.values()))
        else:
            bleu_desc = ";".join(f"{k}={v}" for k, v in sorted(bleu_sigs.items()))
        return [
            MetricSpec(XCOMET, scaled(MEAN, 100), comet, xcomet),
            MetricSpec("bleu", CORPUS_BLEU, f"bleu[sacrebleu:{bleu_desc}]", bleu, bleu_zero),
            MetricSpec("chrf", CORPUS_CHRF, f"chrf[sacrebleu:{chrf_signature()}]", chrf,
                       chrf_zero),
        ]

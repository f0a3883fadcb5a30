"""CC-OCR: multilingual OCR (the TowerVision protocol), and optionally all four official tracks.

Options ``tracks`` (default ``multi_lan_ocr``, the paper's), ``prompt`` (default
``towervision``) and ``max_new_tokens`` (1024, the fork's; 4096 official); scoring
reimplements the official evaluator (CC-OCR @ ``fb6187eb``), a failed item scoring as ``""``.
Protocol notes and sources: BENCHMARKS.md#cc-ocr
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from tvbench.data.inputs import GenerationSettings, ImagePart, ModelInput
from tvbench.data.item import Item
from tvbench.data.languages import resolve
from tvbench.data.loading import DataSource, DataSourceError, HubDataset, LocalDataset
from tvbench.data.media import media_bytes
from tvbench.data.outputs import Generation
from tvbench.data.prompts import render
from tvbench.data.record import ItemRecord
from tvbench.metrics import doc_parsing, kie, ocr_f1
from tvbench.metrics.aggregate import MEAN, scaled
from tvbench.metrics.cc_ocr_summary import TRACKS, ScoredItem, summarize
from tvbench.tasks.base import ItemScore, MetricSpec, Option, Task

OCR_TRACKS = ("multi_scene_ocr", "multi_lan_ocr")
#: The TowerVision paper's CC-OCR languages (footnote 6; the fork's ``cc-ocr-multi-lan`` group).
PAPER_LANGUAGES = ("de", "fr", "it", "ru", "es", "ko", "pt")
_OFFICIAL = "official@fb6187eb"


def resolve_track(l2_category: str) -> str:
    """Track of a row from ``l2-category`` (lmms-eval 0.7.3 ``_resolve_track`` rules)."""
    l2 = l2_category.strip()
    if l2 in doc_parsing.OPS:
        return "doc_parsing"
    if l2 in ("constrained_category", "open_category"):
        return "kie"
    if l2.endswith("_text"):
        return "multi_scene_ocr"
    return "multi_lan_ocr"


def language_of(track: str, subset: str) -> str:
    if track == "multi_lan_ocr":
        return resolve(subset)
    return "zh" if subset.startswith("zh") or subset.endswith("_chn") else "en"


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


class CCOCR(Task):
    name = "cc_ocr"
    version = 1
    title = "CC-OCR"
    #: No config here: ``load`` reads one config per selected track.
    hub = HubDataset("wulipc/CC-OCR", revision="c64517e92179991d509776064174776700cdd5a2",
                     split="test")
    languages = PAPER_LANGUAGES + ("ar", "ja", "vi", "en", "zh")
    paper_languages = PAPER_LANGUAGES
    generation = GenerationSettings(max_new_tokens=1024)
    bundled_dir = "bundled/cc_ocr"
    options = {
        "tracks": Option("multi_lan_ocr", (*TRACKS, "all"),
                         "which official tracks to score; multi_lan_ocr = the TowerVision paper"),
        "prompt": Option("towervision", ("towervision", "official"),
                         "towervision = the fork's multi-lan suffixes; official = question "
                         "verbatim"),
        "max_new_tokens": Option(1024, (1024, 4096),
                                 "generation cap: 1024 = the fork's yamls; 4096 = lmms-eval "
                                 "0.7.3 and the official doc-parsing/KIE setting"),
    }
    templates = {
        "official": "{{ question }}",
        "towervision_de": "{{ question }}\nAnswer by providing the text in the image directly.",
        "towervision": "{{ question }}\nAnswer by providing the text directly.",
    }

    def settings(self) -> GenerationSettings:
        return GenerationSettings(max_new_tokens=int(self.config["max_new_tokens"]))

    def language_selection(self, preset: str) -> frozenset[str] | None:
        """The paper's 7 languages belong to its multi-lan protocol: with other tracks the
        paper defines no set, so ``--languages paper`` reads every language."""
        if self.config["tracks"] != "multi_lan_ocr":
            return None
        return super().language_selection(preset)

    @property
    def tracks(self) -> tuple[str, ...]:
        chosen = self.config["tracks"]
        return TRACKS if chosen == "all" else (chosen,)

    # ------------------------------------------------------------------ data
    def parts(self, source: DataSource, languages: frozenset[str] | None
              ) -> list[tuple[DataSource, Any]]:
        """One source per selected track where the layout has one folder/config per track;
        the context is that track (None: a flat folder, routed by ``l2-category``)."""
        if isinstance(source, HubDataset):
            return [(dataclasses.replace(source, config=t), t) for t in self.tracks]
        if any((source.path / t).is_dir() for t in TRACKS):
            missing = [t for t in self.tracks if not (source.path / t).is_dir()]
            if missing:
                raise DataSourceError(f"{source.path} has no folder for CC-OCR track(s) "
                                      f"{', '.join(missing)}")
            return [(LocalDataset(source.path / t, split=source.split), t) for t in self.tracks]
        return [(source, None)]

    def items_from(self, record: Mapping[str, Any], index: int, folder: str | None,
                     context: Any) -> list[Item]:
        """Rows of the selected tracks only."""
        track = _track_of(record, context)
        return [self.track_item(record, track, folder)] if track in self.tracks else []

    def track_item(self, record: Mapping[str, Any], track: str, folder: str | None) -> Item:
        subset = str(record["split"])
        l2 = str(record["l2-category"])
        answer = record["answer"]
        if not isinstance(answer, str):
            raise TypeError(f"answer must be a string, got {type(answer).__name__}")
        if track == "doc_parsing" and l2 not in doc_parsing.OPS:
            raise ValueError(f"doc_parsing row with unsupported op {l2!r}")
        if track == "kie":
            kie.parse_ground_truth(answer)  # a malformed GT is a data error, found up front
        return Item(
            id=f"{track}/{subset}/{record['image_name']}",
            lang=language_of(track, subset),
            fields={"track": track, "subset": subset, "l2_category": l2,
                    "image_name": str(record["image_name"]), "index": record.get("index"),
                    "question": str(record["question"]), "answer": answer},
            media=(ImagePart(media_bytes(record["image"], folder)),))

    def to_item(self, record: Mapping[str, Any], index: int, folder: str | None) -> Item:
        return self.track_item(record, _track_of(record, None), folder)

    def fallback_id(self, record: Mapping[str, Any], index: int, context: Any = None) -> str:
        try:
            return f"{_track_of(record, context)}/{record['split']}/{record['image_name']}"
        except (KeyError, ValueError):
            return f"{context or 'cc_ocr'}/row{index}"

    def fallback_lang(self, record: Mapping[str, Any], context: Any = None) -> str:
        try:
            return language_of(_track_of(record, context), str(record["split"]))
        except (KeyError, ValueError):
            return "en"

    # --------------------------------------------------------------- prompts
    def build(self, item: Item) -> ModelInput:
        f = item.fields
        key = "official"
        if self.config["prompt"] == "towervision" and f["track"] == "multi_lan_ocr":
            key = "towervision_de" if item.lang == "de" else "towervision"
        return ModelInput.user(*item.media, render(self.templates[key], question=f["question"]))

    # --------------------------------------------------------------- scoring
    def score(self, item: Item, output: Any) -> ItemScore:
        if not isinstance(output, Generation):
            raise TypeError(f"{self.name} scores generations, got {type(output).__name__}")
        f = item.fields
        track, text = f["track"], output.text
        extra = {"track": track, "subset": f["subset"]}
        if track in OCR_TRACKS:
            config = ocr_f1.token_config(track, f["subset"])
            tokens = ocr_f1.tokenize(text, config)
            counts = ocr_f1.score_item(text, f["answer"], config)
            return ItemScore(
                answer=(" " if config.word_level else "").join(tokens), score=counts.f1,
                metrics={"f1": counts.f1, "recall": counts.recall,
                         "precision": counts.precision, "right": counts.right,
                         "n_gt": counts.n_gt, "n_pred": counts.n_pred},
                extra={**extra, "tokens": config.describe()})
        if track == "kie":
            parsed = kie.parse_prediction(text)
            k = kie.score_item(text, f["answer"])
            return ItemScore(answer=parsed, score=k.f1,
                              metrics={"tp": k.tp, "fp_fn": k.fp_fn, "acc": k.acc, "f1": k.f1},
                              extra={**extra, "parsed": parsed is not None})
        op = f["l2_category"]
        value = doc_parsing.score_item(op, text, f["answer"])
        return ItemScore(answer=doc_parsing.clean_prediction(op, text), score=value,
                          metrics={"score": value}, extra={**extra, "op": op})

    def target(self, item: Item) -> str:
        """The ground truth text (KIE: its JSON; doc parsing: its markup)."""
        return str(item.fields["answer"])

    def metrics(self, scored_by: Mapping[str, str]) -> list[MetricSpec]:
        def only(tracks: Sequence[str], pick: Callable[[Mapping[str, Any]], list[float]]
                 ) -> Callable[[Item, ItemRecord], list[float] | None]:
            def stats(it: Item, r: ItemRecord) -> list[float] | None:
                if it.error or it.fields.get("track") not in tracks or not r.metrics:
                    return None
                return pick(r.metrics)
            return stats

        def empty(tracks: Sequence[str], pick: Callable[[Mapping[str, Any]], list[float]]
                  ) -> Callable[[Item], list[float] | None]:
            """A failed item scores as the empty prediction, as the official evaluator
            scores a missing one; an unreadable record has no GT to score against."""
            def zero(it: Item) -> list[float] | None:
                if it.error or it.fields.get("track") not in tracks:
                    return None
                return pick(self.score(it, Generation("")).metrics)
            return zero

        def pooled(_it: Item, r: ItemRecord) -> list[float] | None:
            return None if r.score is None else [float(r.score), 1.0]

        def pooled_zero(it: Item) -> list[float] | None:
            result = None if it.error else self.score(it, Generation("")).score
            return None if result is None else [float(result), 1.0]

        def metric(name: str, agg: Any, desc: str, tracks: Sequence[str],
                   pick: Callable[[Mapping[str, Any]], list[float]]) -> MetricSpec:
            return MetricSpec(name, agg, desc, only(tracks, pick), empty(tracks, pick))

        sel = self.tracks
        ocr = [t for t in sel if t in OCR_TRACKS]
        specs: list[MetricSpec] = []
        if ocr:
            specs += [
                metric("macro_f1", scaled(ocr_f1.MACRO_F1, 100),
                       f"ccocr_ocr_f1[{_OFFICIAL},macro,eps1e-9,tok:by-subset]", ocr,
                       lambda m: [float(m["f1"]), 1.0]),
                metric("micro_f1", scaled(ocr_f1.MICRO_F1, 100),
                       f"ccocr_ocr_f1[{_OFFICIAL},micro,eps1e-9,tok:by-subset]", ocr,
                       lambda m: [float(m["right"]), float(m["n_gt"]), float(m["n_pred"])])]
        if "kie" in sel:
            specs += [
                metric("kie_f1", scaled(kie.FIELD_F1, 100),
                       f"ccocr_kie_field_f1[{_OFFICIAL},eps1e-6,lev:uncapped]", ("kie",),
                       lambda m: [float(m["tp"]), float(m["fp_fn"])]),
                metric("kie_acc", scaled(kie.NTED_ACC, 100),
                       f"ccocr_kie_nted_acc[{_OFFICIAL},eps1e-6,lev:uncapped]", ("kie",),
                       lambda m: [float(m["acc"]), 1.0])]
        if "doc_parsing" in sel:
            specs.append(metric(
                "doc_parsing_score", scaled(MEAN, 100),
                f"ccocr_doc[{_OFFICIAL},1-ned+teds,lev:uncapped,both-empty:0]",
                ("doc_parsing",), lambda m: [float(m["score"]), 1.0]))
        if len(sel) > 1:
            specs.insert(0, MetricSpec(
                "pooled_item_score", scaled(MEAN, 100),
                f"ccocr_pooled_item_mean[tvbench-summary,{_OFFICIAL}-items]", pooled,
                pooled_zero))
        return specs

    def breakdown(self, items: Sequence[Item], records: Sequence[ItemRecord], *,
                  count_errors: bool = True) -> dict[str, Any]:
        """Official per-subset tables, track scores (mean over subsets) and the Total; a
        failed generation scores as ``""`` unless ``count_errors`` is off."""
        scored: list[ScoredItem] = []
        errors: dict[str, int] = {}
        for it, r in zip(items, records, strict=True):
            m = r.metrics
            if not it.error and r.error and count_errors:
                m = self.score(it, Generation("")).metrics
            elif it.error or r.error or not m:
                key = f"{it.fields.get('track', '?')}/{it.fields.get('subset', '?')}"
                errors[key] = errors.get(key, 0) + 1
                continue
            track = it.fields["track"]
            result: Any
            if track in OCR_TRACKS:
                result = ocr_f1.OcrItem(int(m["right"]), int(m["n_gt"]), int(m["n_pred"]))
            elif track == "kie":
                result = kie.KieItem(int(m["tp"]), int(m["fp_fn"]), float(m["acc"]))
            else:
                result = float(m["score"])
            scored.append(ScoredItem(track, it.fields["subset"], result))
        out = _rounded(summarize(scored))
        out["excluded_errors"] = errors
        return {"cc_ocr": out}


def _track_of(record: Mapping[str, Any], hint: str | None) -> str:
    """The config being read, else a ``category`` column naming a track, else l2 routing."""
    if hint:
        return hint
    category = record.get("category")
    if category in TRACKS:
        return str(category)
    return resolve_track(str(record["l2-category"]))

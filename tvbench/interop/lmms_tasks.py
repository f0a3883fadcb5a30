"""Which lmms-eval tasks are which tvbench tasks, and how their logs and numbers correspond.

One :class:`TaskSpec` per task family says how to recognise the lmms-eval task (by its
``process_results`` function, whatever the task was renamed to, or by the fork's task names),
which tvbench task and options score it, how a logged doc becomes a :class:`Draft` of a tvbench
item record (the item id to join the dataset on, the output, what the log says about the
reference, to be checked against the dataset), and how lmms-eval aggregates its number, so
the import can show lmms-eval's own number next to the same aggregation over tvbench's
per-item scores. tvbench's headline definitions are kept separate (results.json: the task's
``score``; lmms-eval's aggregation: the task's ``lmms_eval`` block).

This module: lmms-eval 0.7.x's TextVQA, OCRBench and CC-OCR (which the fork shares in part);
:mod:`tvbench.interop.lmms_fork` adds the TowerVision fork's per-language tasks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from tvbench.data.item import Item
from tvbench.data.record import EMPTY, ItemRecord, Output
from tvbench.interop.lmms_folder import LmmsFormatError, SampleLine, function_name
from tvbench.metrics import cc_ocr_summary, kie, ocr_f1
from tvbench.metrics.ocrbench import category_totals

#: sha256("null"): the ``doc_hash`` lmms-eval 0.7.x writes on every line.
NULL_DOC_HASH = "74234e98afe7498fb5daf1f36ac2d78acc339464f950703b8c019892f982b90b"


@dataclass(frozen=True)
class Draft:
    """One item as lmms-eval logged it, before tvbench scores it."""

    item_id: str
    output: Output
    prompt: str
    where: str  # file:line of the (first) log line
    n_tokens: int | None = None
    logged: Mapping[str, Any] = field(default_factory=lambda: EMPTY)  # lmms-eval's own values
    expect: Mapping[str, Any] = field(default_factory=lambda: EMPTY)  # item fields, per the log


class TaskSpec:
    """How one family of lmms-eval tasks maps onto a tvbench task (see the module doc)."""

    tvbench: ClassVar[str]
    #: How lmms-eval aggregates, in words, for results.json.
    aggregation: ClassVar[str]

    def recognise(self, name: str, config: Mapping[str, Any]) -> bool:
        raise NotImplementedError

    def options(self, layout: str, config: Mapping[str, Any],
                lines: Sequence[SampleLine]) -> dict[str, Any]:
        return {}

    def drafts(self, name: str, lines: Sequence[SampleLine]) -> list[Draft]:
        raise NotImplementedError

    def check(self, item: Item, draft: Draft) -> str | None:
        """Why the logged doc is not this dataset item (None when it is)."""
        for key, value in draft.expect.items():
            have = item.fields.get(key)
            if _plain(have) != _plain(value):
                return (f"the log has {key} {value!r:.120}, the dataset {have!r:.120} "
                        f"(item {item.id!r})")
        return None

    def lmms_numbers(self, block: Mapping[str, Any]) -> dict[str, float]:
        """lmms-eval's stored aggregate values of this task (numbers only)."""
        out = {}
        for key, value in block.items():
            name, sep, _ = key.partition(",")
            if sep and "_stderr" not in name:
                out.update(_numbers(name, value))
        return out

    def reproduce(self, items: Sequence[Item], records: Sequence[ItemRecord]
                  ) -> dict[str, float | None]:
        """lmms-eval's aggregation over tvbench's per-item scores, in doc order."""
        return {}


def _plain(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _numbers(name: str, value: Any) -> dict[str, float]:
    if isinstance(value, bool):
        return {}
    if isinstance(value, int | float):
        return {name: float(value)}
    if isinstance(value, Mapping):  # the fork's aggregations return dicts
        return {k: float(v) for k, v in value.items()
                if isinstance(v, int | float) and not isinstance(v, bool)}
    return {}


def mean_score(records: Sequence[ItemRecord]) -> float | None:
    """lmms-eval's ``mean``: Σ / N in doc order (None when an item has no score)."""
    scores = [r.score for r in records]
    if not scores or any(s is None for s in scores):
        return None
    return sum(float(s) for s in scores if s is not None) / len(scores)


def payload(line: SampleLine, keys: Sequence[str]) -> Mapping[str, Any]:
    """The first metric field of a line that is an object holding all of ``keys``."""
    for value in line.data.values():
        if isinstance(value, Mapping) and all(k in value for k in keys):
            return value
    raise LmmsFormatError(f"{line.where}: no metric payload with {', '.join(keys)}")


# ---------------------------------------------------------------------------------- TextVQA
class TextVQASpec(TaskSpec):
    tvbench = "textvqa"
    aggregation = "exact_match = mean of the per-item VQA accuracy (0-1)"

    def recognise(self, name: str, config: Mapping[str, Any]) -> bool:
        return function_name(config.get("process_results")) == "textvqa_process_results"

    def options(self, layout: str, config: Mapping[str, Any],
                lines: Sequence[SampleLine]) -> dict[str, Any]:
        kwargs = config.get("lmms_eval_specific_kwargs") or {}
        # 0.7.x applies its "ASSISTANT:" stop string; the fork's adapters ignored it
        return {"protocol": "lmms-eval" if layout == "0.7" else "paper", "normaliser": "evalai",
                "ocr_tokens": bool(kwargs.get("ocr", False))}

    def drafts(self, name: str, lines: Sequence[SampleLine]) -> list[Draft]:
        out = []
        for line in lines:
            sub, doc = line.get("submission"), line.doc
            if isinstance(sub, Mapping) and "question_id" in sub:
                qid, expect = sub["question_id"], {}
            elif doc is not None and "question_id" in doc:  # the fork logs the doc
                qid, expect = doc["question_id"], {"answers": doc.get("answers")}
            else:
                raise LmmsFormatError(f"{line.where}: no question_id (neither submission nor "
                                      "doc): the line cannot be matched to a TextVQA question")
            out.append(Draft(str(qid), line.text(), str(line.get("input") or ""), line.where,
                             line.output_tokens(), {"exact_match": line.get("exact_match")},
                             expect))
        return out

    def check(self, item: Item, draft: Draft) -> str | None:
        question = str(item.fields.get("question", "")).capitalize()
        if draft.prompt and question not in draft.prompt:
            return (f"the logged prompt {draft.prompt!r:.120} does not ask the dataset's "
                    f"question {question!r:.120} (item {item.id!r})")
        return super().check(item, draft)

    def reproduce(self, items: Sequence[Item], records: Sequence[ItemRecord]
                  ) -> dict[str, float | None]:
        return {"exact_match": mean_score(records)}


# --------------------------------------------------------------------------------- OCRBench
class OCRBenchSpec(TaskSpec):
    tvbench = "ocrbench"
    aggregation = ("ocrbench_accuracy = Final Score / 1000 (hits summed over the question types, "
                   "divided by 1000 whatever the number of items)")

    def recognise(self, name: str, config: Mapping[str, Any]) -> bool:
        return function_name(config.get("process_results")) == "ocrbench_process_results"

    def options(self, layout: str, config: Mapping[str, Any],
                lines: Sequence[SampleLine]) -> dict[str, Any]:
        # 0.7.x folds full-width characters and keeps HME100k's case; the 0.3 fork (the
        # paper's) lowercases the prediction only and does not fold
        return {"protocol": "lmms-eval" if layout == "0.7" else "paper"}

    def drafts(self, name: str, lines: Sequence[SampleLine]) -> list[Draft]:
        out = []
        for line in lines:
            p = payload(line, ("question_type", "ground_truth"))
            truth = p["ground_truth"]
            answers = [truth] if isinstance(truth, str) else [str(a) for a in truth]
            out.append(Draft(str(line.doc_id), line.text(), str(line.get("input") or ""),
                             line.where, line.output_tokens(), {"score": p.get("score")},
                             {"answers": answers, "question_type": p["question_type"]}))
        return out

    def reproduce(self, items: Sequence[Item], records: Sequence[ItemRecord]
                  ) -> dict[str, float | None]:
        if any(r.score is None for r in records):
            return {"ocrbench_accuracy": None}
        totals = category_totals((str(it.fields["question_type"]), float(r.score or 0))
                                 for it, r in zip(items, records, strict=True))
        return {"ocrbench_accuracy": float(totals["final_score"]) / 1000}  # type: ignore[arg-type]


# ----------------------------------------------------------------------------------- CC-OCR
_CC_KEYS = ("gt", "subset", "track", "image_name")


class CCOCRSpec(TaskSpec):
    tvbench = "cc_ocr"
    aggregation = ("per subset (the data's split, in doc order) the official per-subset values; "
                   "the task's number = their unweighted mean, Σ / (n_subsets + 1e-9)")

    def recognise(self, name: str, config: Mapping[str, Any]) -> bool:
        return function_name(config.get("process_results")) == "cc_ocr_process_results"

    def options(self, layout: str, config: Mapping[str, Any],
                lines: Sequence[SampleLine]) -> dict[str, Any]:
        tracks = {str(payload(line, _CC_KEYS)["track"]) for line in lines}
        if len(tracks) != 1:
            raise LmmsFormatError(f"{lines[0].where}: one CC-OCR task logs several tracks "
                                  f"({', '.join(sorted(tracks))})")
        return {"tracks": tracks.pop(), "prompt": "official"}  # 0.7.x asks the question verbatim

    def drafts(self, name: str, lines: Sequence[SampleLine]) -> list[Draft]:
        out = []
        for line in lines:
            p = payload(line, _CC_KEYS)
            item_id = f"{p['track']}/{p['subset']}/{p['image_name']}"
            out.append(Draft(item_id, line.text(), str(line.get("input") or ""), line.where,
                             line.output_tokens(), {},
                             {"answer": p["gt"], "subset": p["subset"]}))
        return out

    def reproduce(self, items: Sequence[Item], records: Sequence[ItemRecord]
                  ) -> dict[str, float | None]:
        return subset_means(items, records)


def subset_means(items: Sequence[Item], records: Sequence[ItemRecord]
                 ) -> dict[str, float | None]:
    """lmms-eval 0.7.x's CC-OCR roll-up: official values per subset (first-seen order), then
    the unweighted mean over subsets, from tvbench's per-item counts."""
    grouped: dict[str, list[Any]] = {}
    track = ""
    for it, r in zip(items, records, strict=True):
        m = r.metrics
        if r.error or not m:
            return {}
        track = str(it.fields["track"])
        if track in ("multi_scene_ocr", "multi_lan_ocr"):
            result: Any = ocr_f1.OcrItem(int(m["right"]), int(m["n_gt"]), int(m["n_pred"]))
        elif track == "kie":
            result = kie.KieItem(int(m["tp"]), int(m["fp_fn"]), float(m["acc"]))
        else:
            result = float(m["score"])
        grouped.setdefault(str(it.fields["subset"]), []).append(result)
    per = [cc_ocr_summary.subset_metrics(track, res) for res in grouped.values()]
    if not per:
        return {}
    return {key: cc_ocr_summary.summary_mean([p[key] for p in per]) for key in per[0]}


def fork_language(name: str, prefix: str) -> str | None:
    """``alm-bench-de`` → ``de`` for the fork's per-language task names (not its groups)."""
    m = re.fullmatch(rf"{prefix}-([A-Za-z_-]+)", name)
    if m is None or m.group(1) in ("all", "all-contrastive", "multi-lan"):
        return None
    return m.group(1)

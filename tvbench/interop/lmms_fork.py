"""The TowerVision authors' lmms-eval fork (``deep-spin/lmms-eval``, 0.3): its per-language tasks.

The fork names one task per language (``alm-bench-de``, ``multi30k-fr``, ``commute-zh``,
``cc-ocr-multi-lan-ko``) and logs each doc (``doc``: every field whose name has no "image"),
so a line carries its reference and can be checked against the dataset tvbench reads. How
each is read (log layout as in the authors' published runs, GuilhermeViveiros/LLaVA-NeXT
``tvision_results/``, and the fork's task code):

- ALM-Bench: ``doc.ID`` is the item id; ``exact_match`` there is lmms-eval's built-in
  answer-text match, a different definition from tvbench's protocol, so lmms-eval's number is
  shown but not reproduced.
- Multi30K: ``doc_id`` is the row of ``romrawinjp/multi30k`` test; ``avg_XCOMET-XL_score`` is
  the mean XCOMET, reproduced when COMET scored the import.
- CoMMuTE (code read; no log of it was available): docs are duplicated, the first half with
  the correct translation as ``doc.output``, the second with the incorrect one, and
  ``results.loglikelihood`` is the model's loss (the fork counts a pair right when the correct
  candidate's is lower). It is imported as a mean log-probability of −loss, scored with
  ``normalise=mean``.
- CC-OCR: ``ocr_results`` holds prediction and ground truth; the fork's number is pooled
  over one language's items, which tvbench's macro/micro F1 per language reproduce.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tvbench.data.item import Item
from tvbench.data.record import Continuation, ItemRecord
from tvbench.interop.lmms_folder import LmmsFormatError, SampleLine
from tvbench.interop.lmms_tasks import Draft, TaskSpec, fork_language, mean_score, payload
from tvbench.metrics import ocr_f1


def _doc(line: SampleLine) -> Mapping[str, Any]:
    if line.doc is None:
        raise LmmsFormatError(f"{line.where}: no 'doc' (the fork logs every doc)")
    return line.doc


class ALMBenchForkSpec(TaskSpec):
    tvbench = "alm_bench"
    aggregation = ("exact_match = mean of lmms-eval's built-in exact match of the answer text "
                   "per language task (not tvbench's protocol: shown, not reproduced)")

    def recognise(self, name: str, config: Mapping[str, Any]) -> bool:
        return (fork_language(name, "alm-bench") or fork_language(name, "alm_bench")) is not None

    def options(self, layout: str, config: Mapping[str, Any],
                lines: Sequence[SampleLine]) -> dict[str, Any]:
        # Logs scored with lmms-eval's built-in exact_match are the fork's answer-text era;
        # the letter era's process_results is tvbench's paper protocol.
        metrics = {m.get("metric") for m in config.get("metric_list") or []
                   if isinstance(m, Mapping)}
        return {"protocol": "answer-text" if "exact_match" in metrics else "paper"}

    def drafts(self, name: str, lines: Sequence[SampleLine]) -> list[Draft]:
        out = []
        for line in lines:
            doc = _doc(line)
            if "ID" not in doc:
                raise LmmsFormatError(f"{line.where}: doc has no 'ID'")
            out.append(Draft(str(doc["ID"]).strip(), line.text(), str(line.get("input") or ""),
                             line.where, None, {"exact_match": line.get("exact_match")},
                             {"answer": doc.get("Translated_Answer")}))
        return out


class Multi30KForkSpec(TaskSpec):
    tvbench = "multi30k"
    aggregation = "avg_XCOMET-XL_score = mean segment XCOMET per direction (0-1)"

    def recognise(self, name: str, config: Mapping[str, Any]) -> bool:
        return fork_language(name, "multi30k") in ("cs", "de", "fr")

    def drafts(self, name: str, lines: Sequence[SampleLine]) -> list[Draft]:
        lang = fork_language(name, "multi30k")
        out = []
        for line in lines:
            doc = _doc(line)
            out.append(Draft(f"{line.doc_id}-{lang}", line.text(), str(line.get("input") or ""),
                             line.where, None, {},
                             {"source": doc.get("en"), "reference": doc.get(lang or "")}))
        return out

    def reproduce(self, items: Sequence[Item], records: Sequence[ItemRecord]
                  ) -> dict[str, float | None]:
        return {"avg_XCOMET-XL_score": mean_score(records)}  # score = XCOMET once COMET ran


class CoMMuTEForkSpec(TaskSpec):
    tvbench = "commute"
    aggregation = ("contrastive_accuracy = share of pairs (doc i, doc i + half) whose correct "
                   "candidate has the lower loss")

    def recognise(self, name: str, config: Mapping[str, Any]) -> bool:
        return fork_language(name, "commute") is not None

    def options(self, layout: str, config: Mapping[str, Any],
                lines: Sequence[SampleLine]) -> dict[str, Any]:
        # the fork's v2 compares mean losses over the reply turn (candidate + end of turn)
        return {"normalise": "mean", "span": "turn"}

    def drafts(self, name: str, lines: Sequence[SampleLine]) -> list[Draft]:
        lang = fork_language(name, "commute")
        if len(lines) % 2:
            raise LmmsFormatError(f"{lines[-1].where}: an odd number of docs; the fork logs "
                                  "every pair twice (correct half, then incorrect half)")
        half = len(lines) // 2
        out = []
        for good, bad in zip(lines[:half], lines[half:], strict=True):
            dg, db = _doc(good), _doc(bad)
            if dg.get("image_name") != db.get("image_name") or bad.doc_id != good.doc_id + half:
                raise LmmsFormatError(f"{bad.where}: doc {bad.doc_id} is not the incorrect "
                                      f"half of doc {good.doc_id} (another image)")
            losses = [_loss(line) for line in (good, bad)]
            output = (Continuation(str(dg.get("output")), None, -losses[0], 0),
                      Continuation(str(db.get("output")), None, -losses[1], 0))
            out.append(Draft(f"{lang}-{good.doc_id}-{dg.get('image_name')}", output,
                             str(good.get("input") or ""), good.where, None,
                             {"loss_correct": losses[0], "loss_incorrect": losses[1]},
                             {"source": dg.get("source"), "correct": dg.get("output"),
                              "incorrect": db.get("output")}))
        return out

    def reproduce(self, items: Sequence[Item], records: Sequence[ItemRecord]
                  ) -> dict[str, float | None]:
        return {"contrastive_accuracy": mean_score(records)}


def _loss(line: SampleLine) -> float:
    value = (line.get("results") or {}).get("loglikelihood")
    if isinstance(value, list) and value:
        value = value[0]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise LmmsFormatError(f"{line.where}: results.loglikelihood is not a number "
                              f"({value!r:.80})")
    return float(value)


class CCOCRForkSpec(TaskSpec):
    tvbench = "cc_ocr"
    aggregation = ("per language task, macro F1 = Σ F1_i / (n + 1e-9) and micro F1 from pooled "
                   "counts, over that language's items (0-1)")

    def recognise(self, name: str, config: Mapping[str, Any]) -> bool:
        return fork_language(name, "cc-ocr-multi-lan") is not None

    def options(self, layout: str, config: Mapping[str, Any],
                lines: Sequence[SampleLine]) -> dict[str, Any]:
        return {"tracks": "multi_lan_ocr"}  # the default prompt is the fork's

    def drafts(self, name: str, lines: Sequence[SampleLine]) -> list[Draft]:
        out = []
        for line in lines:
            p, doc = payload(line, ("image_name", "ground_truth")), _doc(line)
            subset = doc.get("split")
            out.append(Draft(f"multi_lan_ocr/{subset}/{p['image_name']}", line.text(),
                             str(line.get("input") or ""), line.where, None, {},
                             {"answer": p["ground_truth"], "subset": subset}))
        return out

    def lmms_numbers(self, block: Mapping[str, Any]) -> dict[str, float]:
        numbers = super().lmms_numbers(block)
        return {k: v for k, v in numbers.items() if k in ("macro_f1_score", "micro_f1_score")}

    def reproduce(self, items: Sequence[Item], records: Sequence[ItemRecord]
                  ) -> dict[str, float | None]:
        # the fork leaves out items without a ground truth (data errors here), as tvbench does
        kept = [r for it, r in zip(items, records, strict=True) if not it.error]
        if not kept or any(r.error or not r.metrics for r in kept):
            return {}
        counts = [ocr_f1.OcrItem(int(r.metrics["right"]), int(r.metrics["n_gt"]),
                                 int(r.metrics["n_pred"])) for r in kept]
        return {"macro_f1_score": ocr_f1.macro_f1(counts),
                "micro_f1_score": ocr_f1.micro_f1(counts)}

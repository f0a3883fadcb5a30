"""Judge prompts and verdicts as item records: what ALM-Bench and ViMUL-Bench share.

The prompts are the official ALM-Bench judge prompts (``mbzuai-oryx/ALM-Bench``
``Evaluation/GPTScoring.py``); ViMUL-Bench reuses the two open-ended ones. A verdict becomes
a new record: score = value/10, the raw 0–10 value in ``metrics["judge_0_10"]``, the reply in
``extra["judge_reply"]``, and the judge in the provenance. A judge failure is an item error
(never a zero) that the next run asks again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from tvbench.data.prompts import render
from tvbench.data.record import ItemRecord
from tvbench.metrics.alm import parse_judge_score

if TYPE_CHECKING:
    from tvbench.tasks.scoring import JudgeScorer, Verdict

_TAIL = ("Question: {{ question }}\nGround Truth: {{ ground_truth }}\n"
         "Model Prediction: {{ prediction }}\n\n")
_OPEN = ("A high score example will be where the predicted response matches closely with "
         "the ground truth and a low score example will be where the predicted response "
         "lacks knowledge or is not related to the ground truth:\n\n" + _TAIL +
         "Provide a single overall score out of 10 based on these three criteria.\n"
         "Strictly return only the numeric score, without any additional commentary.")
#: The official judge prompts (GPTScoring.py), by template key.
JUDGE_TEMPLATES = {
    "judge_match": "Evaluate the following answer based on Accuracy:\n\n" + _TAIL +
                   "Match the meaning of the ground truth with the model prediction and if it "
                   "matches give a 10. Otherwise 0.\nStrictly return only the numeric score, "
                   "without any additional commentary.",
    "judge_long": "Evaluate the following answer based on Consistency, Fluency, and Relevance "
                  "based on the Ground Truth answer.\n" + _OPEN,
    "judge_short": "Evaluate the following answer based on accuracy and correctness based on "
                   "the Ground Truth answer.\n" + _OPEN,
}
#: The raw 0–10 value in a record's ``metrics``; the reply and failure flag in its ``extra``.
RAW_KEY, REPLY_KEY, FAILED_KEY = "judge_0_10", "judge_reply", "judge_error"


def render_judge(template: str, *, question: str, ground_truth: str, prediction: str) -> str:
    """The judge prompt ``JUDGE_TEMPLATES[template]`` for one answer."""
    return render(JUDGE_TEMPLATES[template], question=question, ground_truth=ground_truth,
                  prediction=prediction)


def no_judge(template_hash: str) -> str:
    """The judge part of a metric description when no judge ran."""
    return f"judge[none,tpl:{template_hash}]"


def judgeable(record: ItemRecord) -> bool:
    """Has a generation, and no error other than an earlier judge failure (asked again)."""
    if record.text is None:
        return False
    return not record.error or bool(record.extra.get(FAILED_KEY))


def without_verdict(record: ItemRecord) -> ItemRecord:
    """The record with any earlier judgement (a score, or a judge failure) taken out."""
    return replace(
        record, error=None, score=None,
        metrics={k: v for k, v in record.metrics.items() if k != RAW_KEY},
        extra={k: v for k, v in record.extra.items() if k not in (REPLY_KEY, FAILED_KEY)},
        provenance={k: v for k, v in record.provenance.items() if k != "judge"})


def with_verdict(record: ItemRecord, verdict: Verdict, judge: str) -> ItemRecord:
    """The record judged: score 0–1 and the raw 0–10 value, or an item error.

    ``judge`` is the judge's descriptor, kept as the record's provenance.
    """
    base = without_verdict(record)
    extra = {**base.extra, REPLY_KEY: verdict.reply}
    provenance = {**base.provenance, "judge": judge}
    if verdict.value is None:
        return replace(base, error=f"judge: {verdict.error}", extra={**extra, FAILED_KEY: True},
                       provenance=provenance)
    return replace(base, score=verdict.value / 10.0,
                   metrics={**base.metrics, RAW_KEY: verdict.value}, extra=extra,
                   provenance=provenance)


def judged(judge: JudgeScorer, records: Sequence[ItemRecord], todo: Sequence[int],
           prompts: Sequence[str], template_hash: str) -> tuple[tuple[ItemRecord, ...], str]:
    """``records`` with the judge's verdict on ``prompts[k]`` in record ``todo[k]``, and the
    judge's descriptor (the scores' provenance). Replies are cached and retried by the judge."""
    describe = judge.describe(template_hash)
    fresh = list(records)
    for i, verdict in zip(todo, judge.score(prompts, parse_judge_score), strict=True):
        fresh[i] = with_verdict(fresh[i], verdict, describe)
    return tuple(fresh), describe

"""Judge verdicts become new records; the record that was judged stays as it was."""

from __future__ import annotations

from tvbench.data.record import ItemRecord
from tvbench.scorers.judge import Verdict
from tvbench.scorers.judging import (
    JUDGE_TEMPLATES,
    judgeable,
    no_judge,
    render_judge,
    with_verdict,
    without_verdict,
)


def _answered(**kw: object) -> ItemRecord:
    return ItemRecord(id="1", lang="en", output="Fish and chips", **kw)  # type: ignore[arg-type]


def test_a_verdict_is_a_new_record_with_score_raw_value_reply_and_judge() -> None:
    before = _answered(metrics={"other": 1.0})
    after = with_verdict(before, Verdict(8.0, "8"), "judge[m@r]")
    assert (after.score, after.error) == (0.8, None)
    assert after.metrics == {"other": 1.0, "judge_0_10": 8.0}
    assert after.extra == {"judge_reply": "8"} and after.provenance == {"judge": "judge[m@r]"}
    assert before == _answered(metrics={"other": 1.0})  # unchanged


def test_a_failed_verdict_is_an_item_error_that_is_asked_again() -> None:
    failed = with_verdict(_answered(), Verdict(None, "n/a", "judge reply is not a score"), "j")
    assert failed.score is None and failed.error == "judge: judge reply is not a score"
    assert failed.extra == {"judge_reply": "n/a", "judge_error": True}
    assert judgeable(failed)  # an earlier judge failure is retried
    assert not judgeable(ItemRecord(id="1", lang="en", output="x", error="CUDA error"))
    assert not judgeable(ItemRecord(id="1", lang="en"))
    cleared = without_verdict(with_verdict(_answered(), Verdict(8.0, "8"), "j"))
    assert cleared == _answered()


def test_judge_prompts_render_the_official_templates() -> None:
    prompt = render_judge("judge_match", question="Q?", ground_truth="A", prediction="B")
    assert prompt.startswith("Evaluate the following answer based on Accuracy:\n\n")
    assert "Question: Q?\nGround Truth: A\nModel Prediction: B\n\n" in prompt
    assert set(JUDGE_TEMPLATES) == {"judge_match", "judge_long", "judge_short"}
    assert no_judge("abcd") == "judge[none,tpl:abcd]"

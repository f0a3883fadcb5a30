"""ViMUL-Bench (``MBZUAI/ViMUL-Bench``): culturally diverse video QA in 14 languages.

A provisional record schema (the real one is not public); MCQ scored by option match,
short/long answers by an LLM judge, 32 frames per video.
Protocol notes, the schema and sources: BENCHMARKS.md#vimul-bench
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tvbench.data.inputs import GenerationSettings, ModelInput, VideoPart
from tvbench.data.item import Item
from tvbench.data.languages import resolve
from tvbench.data.loading import HubDataset
from tvbench.data.media import media_bytes
from tvbench.data.outputs import Capability, Generation
from tvbench.data.prompts import render
from tvbench.data.record import ItemRecord
from tvbench.metrics.aggregate import MEAN, mean_stats, scaled
from tvbench.metrics.aggregate import score as aggregate_score
from tvbench.metrics.alm import template_hash
from tvbench.metrics.vimul import QTYPE_MACRO, match_option, option_letter, qtype_stats
from tvbench.scorers.judging import (
    JUDGE_TEMPLATES,
    judgeable,
    judged,
    no_judge,
    render_judge,
    without_verdict,
)
from tvbench.tasks.base import ItemScore, MetricSpec, Task
from tvbench.tasks.scoring import Rescored, Scorers

#: ``Question_Type`` value → tvbench's question type.
QUESTION_TYPES = {"Multiple Choice Questions": "mcq", "Short Question": "short",
                  "Long Question": "long"}
REQUIRED_FIELDS = ("ID", "Language", "Question_Type", "Question", "Options", "Answer", "video")
NUM_FRAMES = 32


class ViMULSchemaError(RuntimeError):
    """The data is not in the provisional schema: a run-stopping error, not an item error."""


class ViMULBench(Task):
    name = "vimul_bench"
    version = 1
    title = "ViMUL-Bench"
    hub = HubDataset("MBZUAI/ViMUL-Bench", revision="main", split="test")  # unpinned: none known
    languages = ("ar", "bn", "zh", "en", "fr", "de", "hi", "ja", "ru", "si", "es", "sv", "ta",
                 "ur")
    paper_languages = languages  # Table 3 reports all 14
    requires = frozenset({Capability.VIDEO})
    generation = GenerationSettings(max_new_tokens=1024)
    bundled_dir = "bundled/vimul_bench"
    templates = {
        "mcq": "{{ question }}\n{% for letter, option in options %}{{ letter }}. {{ option }}\n"
               "{% endfor %}Answer with the option's letter from the given choices directly.",
        "short": "{{ question }}\nPlease provide brief, clear responses in {{ language }} "
                 "language.",
        "long": "{{ question }}\nAnswer the question in detail in {{ language }} language.",
        "judge_short": JUDGE_TEMPLATES["judge_short"],
        "judge_long": JUDGE_TEMPLATES["judge_long"],
    }

    def judge_hash(self) -> str:
        return template_hash([self.templates["judge_short"], self.templates["judge_long"]])

    # ------------------------------------------------------------------ data
    def to_item(self, record: Mapping[str, Any], index: int, folder: str | None) -> Item:
        missing = [f for f in REQUIRED_FIELDS if f not in record]
        if missing:
            raise ViMULSchemaError(
                f"vimul_bench: the data lacks field(s) {', '.join(missing)} of tvbench's "
                f"provisional ViMUL-Bench schema (found: {', '.join(sorted(record))}). The "
                "real MBZUAI/ViMUL-Bench schema is unpublished; update "
                "tasks/vimul_bench.py to_item to the data's real fields.")
        raw_type = str(record["Question_Type"])
        if raw_type not in QUESTION_TYPES:
            raise ValueError(f"unknown Question_Type {raw_type!r}")
        qtype = QUESTION_TYPES[raw_type]
        options = [str(o) for o in (record["Options"] or [])]
        fields: dict[str, Any] = {
            "question": str(record["Question"]), "answer": str(record["Answer"]),
            "question_type": qtype, "language": str(record["Language"]),
            "category": str(record.get("Category") or ""), "options": options}
        if qtype == "mcq":
            if fields["answer"] not in options:
                raise ValueError(f"MCQ answer {fields['answer']!r} is not one of its options")
            fields["correct"] = options.index(fields["answer"])
        video = VideoPart(media_bytes(record["video"], folder), num_frames=NUM_FRAMES)
        return Item(id=str(record["ID"]), lang=resolve(str(record["Language"])),
                    fields=fields, media=(video,))

    def fallback_id(self, record: Mapping[str, Any], index: int, context: Any = None) -> str:
        return str(record.get("ID") or f"row{index}")

    def fallback_lang(self, record: Mapping[str, Any], context: Any = None) -> str:
        try:
            return resolve(str(record.get("Language")))
        except ValueError:
            return "und"

    # --------------------------------------------------------------- prompts
    def build(self, item: Item) -> ModelInput:
        f = item.fields
        lettered = [(option_letter(i), o) for i, o in enumerate(f["options"])]
        text = render(self.templates[f["question_type"]], question=f["question"],
                      options=lettered, language=f["language"])
        return ModelInput.user(*item.media, text)

    # --------------------------------------------------------------- scoring
    def score(self, item: Item, output: Any) -> ItemScore:
        if not isinstance(output, Generation):
            raise TypeError(f"{self.name} scores generations, got {type(output).__name__}")
        f = item.fields
        if f["question_type"] != "mcq":
            return ItemScore(answer=output.text, score=None)
        chosen = match_option(output.text, f["options"])
        return ItemScore(answer=None if chosen is None else option_letter(chosen),
                         score=1.0 if chosen == f["correct"] else 0.0)

    def target(self, item: Item) -> str:
        """MCQ: the correct option with its letter; open-ended: the reference answer."""
        f = item.fields
        if f["question_type"] == "mcq":
            return f"{option_letter(f['correct'])}. {f['answer']}"
        return str(f["answer"])

    def rescore(self, items: Sequence[Item], records: Sequence[ItemRecord],
                scorers: Scorers) -> Rescored:
        """Judge the open-ended answers; without a judge, withhold the headline and say why."""
        open_ended = [i for i, it in enumerate(items)
                      if it.fields.get("question_type") in ("short", "long")]
        todo = [i for i in open_ended if judgeable(records[i])]
        fresh = list(records)
        judge = scorers.judge
        if judge is None:
            for i in todo:
                fresh[i] = without_verdict(fresh[i])
            if not open_ended:
                return Rescored(tuple(fresh))
            problem = scorers.judge_problem or "no judge configured"
            return Rescored(tuple(fresh), withheld=frozenset({"accuracy", "open_ended_score"}),
                            notes=(
                f"accuracy (MCQ + open-ended) not scored: {len(open_ended)} open-ended items "
                f"need a judge: {problem}; mcq_accuracy is reported on its own",))
        prompts = [render_judge(f"judge_{items[i].fields['question_type']}",
                                question=items[i].fields["question"],
                                ground_truth=items[i].fields["answer"],
                                prediction=fresh[i].text or "") for i in todo]
        done, describe = judged(judge, fresh, todo, prompts, self.judge_hash())
        return Rescored(done, scored_by={"judge": describe})

    def metrics(self, scored_by: Mapping[str, str]) -> list[MetricSpec]:
        def headline(it: Item, r: ItemRecord) -> list[float] | None:
            return None if r.score is None else qtype_stats(it.fields["question_type"], r.score)

        def mcq(it: Item, r: ItemRecord) -> list[float] | None:
            if it.fields.get("question_type") != "mcq" or r.score is None:
                return None
            return mean_stats(r.score)

        def open_ended(it: Item, r: ItemRecord) -> list[float] | None:
            if it.fields.get("question_type") == "mcq" or r.score is None:
                return None
            return mean_stats(r.score)

        def zero_for(*qtypes: str, by_type: bool = False) -> Any:
            """A failed item is a 0 of its question type (none for an unreadable record)."""
            def zero(it: Item) -> list[float] | None:
                qtype = it.fields.get("question_type")
                if qtype not in qtypes:
                    return None
                return qtype_stats(qtype, 0.0) if by_type else mean_stats(0.0)
            return zero

        rule = "mcq:letter-or-text@tvbench1"
        judge = scored_by.get("judge") or no_judge(self.judge_hash())
        return [
            MetricSpec("accuracy", scaled(QTYPE_MACRO, 100),
                       f"vimul_qtype_mean[{rule},open:{judge}:0-10/10]", headline,
                       zero_for("mcq", "short", "long", by_type=True)),
            MetricSpec("mcq_accuracy", scaled(MEAN, 100), f"vimul_mcq_acc[{rule}]", mcq,
                       zero_for("mcq")),
            MetricSpec("open_ended_score", scaled(MEAN, 100), f"{judge}:0-10/10", open_ended,
                       zero_for("short", "long")),
        ]

    def breakdown(self, items: Sequence[Item], records: Sequence[ItemRecord], *,
                  count_errors: bool = True) -> dict[str, Any]:
        """Per question type (MCQ accuracy, short and long judge scores) over all items; a
        failed item is a 0 of its type unless ``count_errors`` is off."""
        by_type: dict[str, list[list[float]]] = {}
        for it, r in zip(items, records, strict=True):
            if r.error and count_errors and "question_type" in it.fields:
                by_type.setdefault(it.fields["question_type"], []).append(mean_stats(0.0))
            elif not r.error and r.score is not None:
                by_type.setdefault(it.fields["question_type"], []).append(mean_stats(r.score))
        agg = scaled(MEAN, 100)
        return {"by_question_type": {
            k: {"score": round(aggregate_score(agg, v), 4), "n": len(v)}
            for k, v in sorted(by_type.items())}} if by_type else {}

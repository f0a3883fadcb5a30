"""ViMUL-Bench (``MBZUAI/ViMUL-Bench``): culturally diverse video QA in 14 languages.

A provisional record schema (the real one is not public); MCQ scored by option match,
short/long answers by an LLM judge, 32 frames per video.
Protocol notes, the schema and sources: BENCHMARKS.md#vimul-bench
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tvbench_tasks.alm_bench import JUDGE_TEMPLATES, apply_verdict, clear_verdict, judgeable

from tvbench.data.inputs import GenerationSettings, ModelInput, VideoPart
from tvbench.data.languages import resolve
from tvbench.data.loading import HubDataset
from tvbench.data.media import media_bytes
from tvbench.data.outputs import Capability, Generation
from tvbench.data.sample import Sample
from tvbench.metrics.aggregate import MEAN, mean_stats, scaled
from tvbench.metrics.aggregate import score as aggregate_score
from tvbench.metrics.alm import parse_judge_score, template_hash
from tvbench.metrics.vimul import QTYPE_MACRO, match_option, option_letter, qtype_stats
from tvbench.tasks.base import ItemResult, MetricSpec, Record, Task
from tvbench.tasks.prompts import render

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
    requires = frozenset({Capability.VIDEO})
    generation = GenerationSettings(max_new_tokens=1024)
    samples_dir = "samples/vimul_bench"
    templates = {
        "mcq": "{{ question }}\n{% for letter, option in options %}{{ letter }}. {{ option }}\n"
               "{% endfor %}Answer with the option's letter from the given choices directly.",
        "short": "{{ question }}\nPlease provide brief, clear responses in {{ language }} "
                 "language.",
        "long": "{{ question }}\nAnswer the question in detail in {{ language }} language.",
        "judge_short": JUDGE_TEMPLATES["judge_short"],
        "judge_long": JUDGE_TEMPLATES["judge_long"],
    }

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._judge_desc = f"judge[none,tpl:{self.judge_hash()}]"
        #: Why the headline cannot be computed (set by ``rescore``); until the judge has been
        #: asked, open-ended items are unscored and the headline must not pretend otherwise.
        self._headline_blocked: str | None = "open-ended items not judged yet"

    def judge_hash(self) -> str:
        return template_hash([self.templates["judge_short"], self.templates["judge_long"]])

    # ------------------------------------------------------------------ data
    def to_sample(self, record: Mapping[str, Any], index: int, folder: str | None) -> Sample:
        missing = [f for f in REQUIRED_FIELDS if f not in record]
        if missing:
            raise ViMULSchemaError(
                f"vimul_bench: the data lacks field(s) {', '.join(missing)} of tvbench's "
                f"provisional ViMUL-Bench schema (found: {', '.join(sorted(record))}). The "
                "real MBZUAI/ViMUL-Bench schema is unpublished; update "
                "tasks/vimul_bench.py to_sample to the data's real fields.")
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
        return Sample(id=str(record["ID"]), lang=resolve(str(record["Language"])),
                      fields=fields, media=(video,))

    def fallback_id(self, record: Mapping[str, Any], index: int, context: Any = None) -> str:
        return str(record.get("ID") or f"row{index}")

    def fallback_lang(self, record: Mapping[str, Any], context: Any = None) -> str:
        try:
            return resolve(str(record.get("Language")))
        except ValueError:
            return "und"

    # --------------------------------------------------------------- prompts
    def build(self, sample: Sample) -> ModelInput:
        f = sample.fields
        lettered = [(option_letter(i), o) for i, o in enumerate(f["options"])]
        text = render(self.templates[f["question_type"]], question=f["question"],
                      options=lettered, language=f["language"])
        return ModelInput.user(*sample.media, text)

    # --------------------------------------------------------------- scoring
    def score(self, sample: Sample, output: Any) -> ItemResult:
        if not isinstance(output, Generation):
            raise TypeError(f"{self.name} scores generations, got {type(output).__name__}")
        f = sample.fields
        if f["question_type"] != "mcq":
            return ItemResult(answer=output.text, score=None)
        chosen = match_option(output.text, f["options"])
        return ItemResult(answer=None if chosen is None else option_letter(chosen),
                          score=1.0 if chosen == f["correct"] else 0.0)

    def rescore(self, samples: Sequence[Sample], records: list[Record],
                scorers: Any) -> list[str]:
        """Judge the open-ended answers; without a judge, say what is not scored and why."""
        todo = [(s, r) for s, r in zip(samples, records, strict=True)
                if s.fields.get("question_type") in ("short", "long") and judgeable(r)]
        open_ended = sum(1 for s in samples if s.fields.get("question_type") in ("short", "long"))
        judge = getattr(scorers, "judge", None)
        if judge is None:
            problem = getattr(scorers, "judge_problem", None) or "no judge configured"
            self._judge_desc = f"judge[none,tpl:{self.judge_hash()}]"
            for _, r in todo:
                clear_verdict(r)
            self._headline_blocked = (f"{open_ended} open-ended items need a judge: {problem}"
                                      if open_ended else None)
            if not open_ended:
                return []
            return [f"accuracy (MCQ + open-ended) not scored: {self._headline_blocked}; "
                    "mcq_accuracy is reported on its own"]
        self._judge_desc = judge.describe(self.judge_hash())
        prompts = [render(self.templates[f"judge_{s.fields['question_type']}"],
                          question=s.fields["question"], ground_truth=s.fields["answer"],
                          prediction=str(r.get("output") or "")) for s, r in todo]
        for (_, r), verdict in zip(todo, judge.score(prompts, parse_judge_score), strict=True):
            apply_verdict(r, verdict)
        self._headline_blocked = None
        return []

    def metrics(self) -> list[MetricSpec]:
        def headline(s: Sample, r: Record) -> list[float] | None:
            if self._headline_blocked or r.get("score") is None:
                return None
            return qtype_stats(s.fields["question_type"], r["score"])

        def mcq(s: Sample, r: Record) -> list[float] | None:
            if s.fields.get("question_type") != "mcq" or r.get("score") is None:
                return None
            return mean_stats(r["score"])

        def open_ended(s: Sample, r: Record) -> list[float] | None:
            if s.fields.get("question_type") == "mcq" or r.get("score") is None:
                return None
            return mean_stats(r["score"])

        rule = "mcq:letter-or-text@tvbench1"
        return [
            MetricSpec("accuracy", scaled(QTYPE_MACRO, 100),
                       f"vimul_qtype_mean[{rule},open:{self._judge_desc}:0-10/10]",
                       headline),
            MetricSpec("mcq_accuracy", scaled(MEAN, 100), f"vimul_mcq_acc[{rule}]", mcq),
            MetricSpec("open_ended_score", scaled(MEAN, 100),
                       f"{self._judge_desc}:0-10/10", open_ended),
        ]

    def breakdown(self, samples: Sequence[Sample], records: Sequence[Record]
                  ) -> dict[str, Any]:
        """Per question type (MCQ accuracy, short and long judge scores) over all items."""
        by_type: dict[str, list[list[float]]] = {}
        for s, r in zip(samples, records, strict=True):
            if not r.get("error") and r.get("score") is not None:
                by_type.setdefault(s.fields["question_type"], []).append(mean_stats(r["score"]))
        agg = scaled(MEAN, 100)
        return {"by_question_type": {
            k: {"score": round(aggregate_score(agg, v), 4), "n": len(v)}
            for k, v in sorted(by_type.items())}} if by_type else {}

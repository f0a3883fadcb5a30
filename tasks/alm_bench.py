"""ALM-Bench (``MBZUAI/ALM-Bench``, test): culturally diverse VQA in 100 languages.

Protocol ``paper`` (default, the TowerVision fork): MCQ items, exact match of the "Final
Answer:" line; ``official``: all four question types, scored by an LLM judge.
Protocol notes and sources: BENCHMARKS.md#alm-bench
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tvbench.data.inputs import GenerationSettings, ImagePart, ModelInput
from tvbench.data.languages import info, resolve
from tvbench.data.loading import HubDataset
from tvbench.data.media import media_bytes
from tvbench.data.outputs import Generation
from tvbench.data.sample import Sample
from tvbench.metrics.aggregate import MEAN, mean_stats, scaled
from tvbench.metrics.aggregate import score as aggregate_score
from tvbench.metrics.alm import (
    group_means,
    official_mcq_parts,
    paper_exact_match,
    parse_judge_score,
    split_answer_options,
    template_hash,
)
from tvbench.tasks.base import ItemResult, MetricSpec, Option, Record, Task
from tvbench.tasks.prompts import render

MCQ, TRUE_FALSE, LONG = "Multiple Choice Questions", "True False Question", "Long Question"

#: The 101 candidate languages (datasets_languages.md §1.2); one of ha/mt/so is absent.
ALM_LANGUAGES = (
    "af", "sq", "am", "ar", "hy", "as", "az", "eu", "be", "bn", "bho", "bs", "bg", "ca", "ceb",
    "zh-Hans", "zh-Hant", "hr", "cs", "da", "nl", "arz", "ar-AE", "en", "et", "fil", "fi", "fr",
    "gl", "ka", "de", "el", "gu", "ha", "haw", "he", "hi", "hu", "is", "ig", "id", "ga", "it",
    "ja", "jv", "kn", "kk", "rw", "ko", "ku", "ky", "lo", "la", "lv", "lt", "lb", "mk", "mg",
    "ms", "ml", "mt", "mr", "mn", "my", "ne", "no", "or", "ps", "fa", "pl", "pt", "pa", "ro",
    "ru", "sa", "ar-SA", "gd", "sr", "sn", "sd", "si", "sk", "sl", "so", "es", "su", "sw", "sv",
    "tg", "ta", "te", "th", "tr", "uk", "ur", "ug", "uz", "vi", "cy", "yi", "yo")
#: Rows of which exactly one is not in the dataset (datasets_languages.md §1.2, "X").
ONE_OF_THESE_ABSENT = ("ha", "mt", "so")

_JUDGE_TAIL = ("Question: {{ question }}\nGround Truth: {{ ground_truth }}\n"
               "Model Prediction: {{ prediction }}\n\n")
_JUDGE_OPEN = ("A high score example will be where the predicted response matches closely with "
               "the ground truth and a low score example will be where the predicted response "
               "lacks knowledge or is not related to the ground truth:\n\n" + _JUDGE_TAIL +
               "Provide a single overall score out of 10 based on these three criteria.\n"
               "Strictly return only the numeric score, without any additional commentary.")
#: The official judge prompts (GPTScoring.py); ViMUL-Bench reuses the open-ended two.
JUDGE_TEMPLATES = {
    "judge_match": "Evaluate the following answer based on Accuracy:\n\n" + _JUDGE_TAIL +
                   "Match the meaning of the ground truth with the model prediction and if it "
                   "matches give a 10. Otherwise 0.\nStrictly return only the numeric score, "
                   "without any additional commentary.",
    "judge_long": "Evaluate the following answer based on Consistency, Fluency, and Relevance "
                  "based on the Ground Truth answer.\n" + _JUDGE_OPEN,
    "judge_short": "Evaluate the following answer based on accuracy and correctness based on "
                   "the Ground Truth answer.\n" + _JUDGE_OPEN,
}


def judge_template_key(question_type: str) -> str:
    """Which official judge prompt a question type gets (GPTScoring.py's if-chain)."""
    if question_type in (TRUE_FALSE, MCQ):
        return "judge_match"
    return "judge_long" if question_type == LONG else "judge_short"


def render_judge(question_type: str, question: str, ground_truth: str, prediction: str) -> str:
    return render(JUDGE_TEMPLATES[judge_template_key(question_type)], question=question,
                  ground_truth=ground_truth, prediction=prediction)


#: The 23 languages of the TowerVision paper's "ALM-Bench (multi)" (arXiv 2510.21849 fn. 5).
PAPER_MULTI_LANGUAGES = ("de", "es", "fr", "it", "ko", "nl", "ru", "en", "pt", "zh-Hans",
                         "zh-Hant", "is", "cs", "uk", "hi", "ja", "pl", "sv", "hu", "ro", "da",
                         "no", "fi")


class ALMBench(Task):
    name = "alm_bench"
    version = 1
    title = "ALM-Bench"
    # Newest full commit seen on huggingface.co (revisions.md); the head is 1b766d6 (short).
    hub = HubDataset("MBZUAI/ALM-Bench", revision="a9d333d1b98daaa4727f9280629b4ff53d504e54",
                     split="test")
    languages = ALM_LANGUAGES
    samples_dir = "samples/alm_bench"
    options = {
        "protocol": Option("paper", ("paper", "official"),
                           "paper = TowerVision's MCQ exact match; official = ALM-Bench's "
                           "prompts with a 0-10 LLM judge on all question types"),
        "option_labels": Option("any", ("any", "fork"),
                                "paper protocol: accept any localised 'Options' label, or "
                                "only the labels of the fork's regexes"),
    }
    templates = {
        "paper": "For the given Multiple Choice Question Answer below, analyze the question and "
                 "answer strictly from one of the options below. End your answer with 'Final "
                 "Answer: <your answer>' where <your answer> is strictly the choice only. "
                 "{{ question }}\n{{ choices | join('\n') }}",
        "official_mcq": "For the given Multiple Choice Question, analyze the question and answer "
                        "strictly from one of the options below. Strictly answer the choice "
                        "only. No additional text.\n{{ question }}\n{{ options_text }}",
        "official_tf": "{{ question }}\nThe above question is a True/False question. Please "
                       "provide the answer as one word in {{ language }}",
        "official_long": "{{ question }}\nAnswer the question in detail in {{ language }} "
                         "language.",
        "official_short": "{{ question }}\nPlease provide brief, clear responses in "
                          "{{ language }} language.",
        **JUDGE_TEMPLATES,
    }

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._judge_desc = f"judge[none,tpl:{self.judge_hash()}]"

    @property
    def official(self) -> bool:
        return bool(self.config["protocol"] == "official")

    def settings(self) -> GenerationSettings:
        return GenerationSettings(max_new_tokens=2048 if self.official else 1024)

    def judge_hash(self) -> str:
        return template_hash(JUDGE_TEMPLATES[k] for k in sorted(JUDGE_TEMPLATES))

    # ------------------------------------------------------------------ data
    def to_sample(self, record: Mapping[str, Any], index: int, folder: str | None) -> Sample:
        qtype = str(record["Question_Type"])
        answer = str(record["Translated_Answer"])
        fields: dict[str, Any] = {
            "question": str(record["Translated_Question"]), "answer": answer,
            "question_type": qtype, "language": str(record["Language"]),
            "category": str(record.get("Category") or "")}
        sample_id, lang = str(record["ID"]).strip(), resolve(str(record["Language"]))
        media = (ImagePart(media_bytes(record["file_name"], folder)),)
        error = None
        if qtype == MCQ and not self.official:
            split = split_answer_options(answer, any_label=self.config["option_labels"] == "any")
            if split is None:
                error = f"cannot split the options of Translated_Answer {answer[:100]!r}"
            else:
                fields["target"], fields["choices"] = split
        elif qtype == MCQ:
            try:
                fields["ground_truth"], fields["options_text"] = official_mcq_parts(answer)
            except ValueError as exc:
                error = str(exc)
        return Sample(id=sample_id, lang=lang, fields=fields, media=media, error=error)

    def fallback_id(self, record: Mapping[str, Any], index: int, context: Any = None) -> str:
        return str(record.get("ID") or f"row{index}").strip()

    def fallback_lang(self, record: Mapping[str, Any], context: Any = None) -> str:
        try:
            return resolve(str(record.get("Language")))
        except ValueError:
            return "und"

    def samples_from(self, record: Mapping[str, Any], index: int, folder: str | None,
                     context: Any) -> list[Sample]:
        """Every record (official), or only the MCQ records (paper: the fork's subset).

        A record without a ``Question_Type`` raises, so it becomes an item error, not a skip.
        """
        if not self.official and str(record["Question_Type"]) != MCQ:
            return []
        return [self.to_sample(record, index, folder)]

    # --------------------------------------------------------------- prompts
    def build(self, sample: Sample) -> ModelInput:
        f = sample.fields
        if not self.official:
            text = render(self.templates["paper"], question=f["question"], choices=f["choices"])
        else:
            key = {MCQ: "official_mcq", TRUE_FALSE: "official_tf", LONG: "official_long"}.get(
                f["question_type"], "official_short")
            text = render(self.templates[key], question=f["question"], language=f["language"],
                          options_text=f.get("options_text", ""))
        return ModelInput.user(*sample.media, text)

    # --------------------------------------------------------------- scoring
    def score(self, sample: Sample, output: Any) -> ItemResult:
        if not isinstance(output, Generation):
            raise TypeError(f"{self.name} scores generations, got {type(output).__name__}")
        if self.official:
            return ItemResult(answer=output.text, score=None)
        pred, hit = paper_exact_match(output.text, sample.fields["target"])
        return ItemResult(answer=pred, score=hit)

    def rescore(self, samples: Sequence[Sample], records: list[Record],
                scorers: Any) -> list[str]:
        """Official protocol: ask the judge for every generated answer (cached)."""
        if not self.official:
            return []
        judge = getattr(scorers, "judge", None)
        todo = [(s, r) for s, r in zip(samples, records, strict=True) if judgeable(r)]
        if judge is None:
            problem = getattr(scorers, "judge_problem", None) or "no judge configured"
            self._judge_desc = f"judge[none,tpl:{self.judge_hash()}]"
            for _, r in todo:
                clear_verdict(r)
            return [f"judge_score: {len(todo)} items not scored: {problem}"]
        self._judge_desc = judge.describe(self.judge_hash())
        prompts = [render_judge(s.fields["question_type"], s.fields["question"],
                                s.fields.get("ground_truth", s.fields["answer"]),
                                str(r.get("output") or "")) for s, r in todo]
        verdicts = judge.score(prompts, parse_judge_score)
        for (_, r), v in zip(todo, verdicts, strict=True):
            apply_verdict(r, v)
        return []

    def metrics(self) -> list[MetricSpec]:
        def stats(_s: Sample, r: Record) -> list[float] | None:
            return None if r.get("score") is None else mean_stats(r["score"])

        if self.official:
            return [MetricSpec("judge_score", scaled(MEAN, 100),
                               f"{self._judge_desc}:0-10/10", stats)]
        labels = "fork-labels" if self.config["option_labels"] == "fork" else "any-label"
        return [MetricSpec("exact_match", scaled(MEAN, 100),
                           f"alm_em[final-answer@a62ad3a,target:{labels},strip .。]", stats)]

    def breakdown(self, samples: Sequence[Sample], records: Sequence[Record]
                  ) -> dict[str, Any]:
        """Per-group means of per-language scores (resource, script, family; question type)."""
        metric = self.metrics()[0]
        by_lang: dict[str, list[Any]] = {}
        by_type: dict[str, list[Any]] = {}
        for s, r in zip(samples, records, strict=True):
            st = None if r.get("error") else metric.stats(s, r)
            if st is not None:
                by_lang.setdefault(s.lang, []).append(st)
                by_type.setdefault(str(s.fields.get("question_type")), []).append(st)
        lang_scores = {k: aggregate_score(metric.aggregation, v) for k, v in by_lang.items()}
        out: dict[str, Any] = {
            f"by_{attr}": _rounded(group_means(lang_scores, {
                lang: getattr(info(lang), attr) for lang in lang_scores}))
            for attr in ("resource", "script", "family")}
        if self.official:
            out["by_question_type"] = {k: {"score": round(aggregate_score(
                metric.aggregation, v), 4), "n": len(v)} for k, v in sorted(by_type.items())}
        return out if lang_scores else {}


def judgeable(record: Record) -> bool:
    """Has a generation, and no error other than an earlier judge failure (retried)."""
    if record.get("output") is None:
        return False
    return not record.get("error") or bool((record.get("extra") or {}).get("judge_error"))


def clear_verdict(record: Record) -> None:
    """Forget an earlier judgement (a score, or a judge failure) of a judgeable record."""
    extra = dict(record.get("extra") or {})
    extra.pop("judge_error", None)
    extra.pop("judge_reply", None)
    record["error"] = None
    record["score"] = None
    metrics = {k: v for k, v in (record.get("metrics") or {}).items() if k != "judge_0_10"}
    record.pop("metrics", None)
    if metrics:
        record["metrics"] = metrics
    record["extra"] = extra


def apply_verdict(record: Record, verdict: Any) -> None:
    """Write a judge verdict into an item record: score 0–1, raw 0–10, or an item error."""
    clear_verdict(record)
    extra = record["extra"]
    extra["judge_reply"] = verdict.reply
    if verdict.value is None:
        record["score"] = None
        record["error"] = f"judge: {verdict.error}"
        extra["judge_error"] = True
    else:
        record["score"] = verdict.value / 10.0
        record["metrics"] = {**(record.get("metrics") or {}), "judge_0_10": verdict.value}
    record["extra"] = extra


def _rounded(groups: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {g: {**v, "score": round(float(v["score"]), 4)} for g, v in groups.items()}

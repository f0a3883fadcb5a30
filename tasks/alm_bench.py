"""ALM-Bench (``MBZUAI/ALM-Bench``, test): culturally diverse VQA in 100 languages.

``paper`` (default): the TowerVision fork's letter version B (MCQ, lettered options, "Final
Answer:" letter vs a fuzzy-matched target letter); ``paper-a``, ``answer-text``, ``official``.
Protocol notes and sources (fork file and code-index id per detail): BENCHMARKS.md#alm-bench
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tvbench.data.inputs import GenerationSettings, ImagePart, ModelInput
from tvbench.data.item import Item
from tvbench.data.languages import info, resolve
from tvbench.data.loading import HubDataset
from tvbench.data.media import media_bytes
from tvbench.data.outputs import Generation
from tvbench.data.prompts import render
from tvbench.data.record import ItemRecord
from tvbench.metrics.aggregate import MEAN, mean_stats, scaled
from tvbench.metrics.aggregate import score as aggregate_score
from tvbench.metrics.alm import (
    group_means,
    official_mcq_parts,
    paper_exact_match,
    split_answer_options,
    template_hash,
)
from tvbench.metrics.alm_letters import (
    COUNTRY_MAP,
    exact_target_letter,
    extract_answer_a,
    extract_letter,
    fuzzy_target_letter,
    letter_hit,
    lettered,
    split_letter_options,
)
from tvbench.scorers.judging import (
    JUDGE_TEMPLATES,
    judgeable,
    judged,
    no_judge,
    render_judge,
    without_verdict,
)
from tvbench.tasks.base import ItemScore, MetricSpec, Option, Task, TaskOptionError, require
from tvbench.tasks.scoring import Rescored, Scorers

MCQ, TRUE_FALSE, LONG = "Multiple Choice Questions", "True False Question", "Long Question"
#: Protocols with lettered options (the fork's letter versions B and A).
LETTER_PROTOCOLS = ("paper", "paper-a")
#: The system prompt the authors' ICLR run script declares for every ``alm-bench-*`` task
#: (deep-spin/lmms-eval ``lmms_eval_multimodal_debug.sh`` @ 528eb124; the line passing it to
#: the model is commented out there, so it is an option, off by default).
ICLR_SYSTEM_PROMPT = ("End your answer with 'Final Answer: <your answer>' where <your answer> "
                      "is strictly the option letter from the given choices only.")

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



def judge_template_key(question_type: str) -> str:
    """Which official judge prompt a question type gets (GPTScoring.py's if-chain)."""
    if question_type in (TRUE_FALSE, MCQ):
        return "judge_match"
    return "judge_long" if question_type == LONG else "judge_short"


#: The 23 languages of the TowerVision paper's "ALM-Bench (multi)" (arXiv 2510.21849 fn. 5).
PAPER_MULTI_LANGUAGES = ("de", "es", "fr", "it", "ko", "nl", "ru", "en", "pt", "zh-Hans",
                         "zh-Hant", "is", "cs", "uk", "hi", "ja", "pl", "sv", "hu", "ro", "da",
                         "no", "fi")


class ALMBench(Task):
    name = "alm_bench"
    version = 2
    title = "ALM-Bench"
    # Newest full commit seen on huggingface.co (revisions.md); the head is 1b766d6 (short).
    hub = HubDataset("MBZUAI/ALM-Bench", revision="a9d333d1b98daaa4727f9280629b4ff53d504e54",
                     split="test")
    languages = ALM_LANGUAGES
    paper_languages = PAPER_MULTI_LANGUAGES
    bundled_dir = "bundled/alm_bench"
    #: The paper breaks ALM-Bench down by these (figures on resource level, script, family).
    language_groups = ("resource", "script", "family")
    options = {
        "protocol": Option("paper", ("paper", "paper-a", "answer-text", "official"),
                           "paper = the fork's letter version B (the paper's numbers); "
                           "paper-a = letter version A; answer-text = the fork's earlier "
                           "exact match on the answer text; official = ALM-Bench's prompts "
                           "with a 0-10 LLM judge on all question types"),
        "option_labels": Option("fork", ("fork", "any"),
                                "MCQ splitting: only the fork's 'Options' labels (an unknown "
                                "label is an item error), or any localised label"),
        "system_prompt": Option("none", ("none", "iclr-script"),
                                "letter and answer-text protocols: no system prompt, or the "
                                "one of the authors' ICLR run script"),
    }
    templates = {
        "letters": "For the given Multiple Choice Question Answer below, analyze the question "
                   "and answer strictly from one of the options below. End your answer with "
                   "'Final Answer: <your answer>' where <your answer> is strictly the choice "
                   "letter only. Provide brief, clear responses in {{ language }} language. "
                   "The image represents the {{ category }} in {{ country }} {{ question }}\n"
                   "{{ choices }}",
        "answer_text": "For the given Multiple Choice Question Answer below, analyze the "
                       "question and answer strictly from one of the options below. End your "
                       "answer with 'Final Answer: <your answer>' where <your answer> is "
                       "strictly the choice only. {{ question }}\n{{ choices | join('\n') }}",
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
        if self.official and self.config["system_prompt"] != "none":
            raise TaskOptionError("task 'alm_bench' option 'system_prompt': the official "
                                  "protocol uses ALM-Bench's own prompts; set it to 'none'")

    @property
    def official(self) -> bool:
        return bool(self.config["protocol"] == "official")

    @property
    def letters(self) -> bool:
        return self.config["protocol"] in LETTER_PROTOCOLS

    def scorable_languages(self) -> tuple[frozenset[str], str] | None:
        """The letter protocols' prompt names the country of the fork's 23-language map, so
        they score those languages only (the paper's set); the others score every one."""
        if not self.letters:
            return None
        return frozenset(PAPER_MULTI_LANGUAGES), (
            f"protocol={self.config['protocol']} names the country of the fork's 23-language "
            "map; protocol=answer-text or official scores every language")

    def settings(self) -> GenerationSettings:
        return GenerationSettings(max_new_tokens=2048 if self.official else 1024)

    def generation_for(self, lang: str) -> GenerationSettings:
        """The fork's letter-era yamls give every language 1024 new tokens, English 128
        (``alm_bench-en.yaml`` @ a98cfe3)."""
        if self.letters and lang == "en":
            return GenerationSettings(max_new_tokens=128)
        return self.settings()

    def describe_options(self) -> str:
        """Options that change nothing under the official protocol are left out."""
        if self.official:
            return f"protocol={self.config['protocol']}"
        return super().describe_options()

    def judge_hash(self) -> str:
        return template_hash(JUDGE_TEMPLATES[k] for k in sorted(JUDGE_TEMPLATES))

    # ------------------------------------------------------------------ data
    def to_item(self, record: Mapping[str, Any], index: int, folder: str | None) -> Item:
        qtype = str(record["Question_Type"])
        answer = str(record["Translated_Answer"])
        fields: dict[str, Any] = {
            "question": str(record["Translated_Question"]), "answer": answer,
            "question_type": qtype, "language": str(record["Language"]),
            "category": str(record.get("Category") or "")}
        item_id, lang = str(record["ID"]).strip(), resolve(str(record["Language"]))
        media = (ImagePart(media_bytes(record["file_name"], folder)),)
        error = None
        any_label = self.config["option_labels"] == "any"
        if qtype == MCQ and self.letters:
            fields["category"] = str(require(record, "Category"))
            error = self._letter_fields(fields, answer, any_label)
        elif qtype == MCQ and not self.official:
            split = split_answer_options(answer, any_label=any_label)
            if split is None:
                error = f"cannot split the options of Translated_Answer {answer[:100]!r}"
            else:
                fields["target"], fields["choices"] = split
        elif qtype == MCQ:
            try:
                fields["ground_truth"], fields["options_text"] = official_mcq_parts(answer)
            except ValueError as exc:
                error = str(exc)
        return Item(id=item_id, lang=lang, fields=fields, media=media, error=error)

    def _letter_fields(self, fields: dict[str, Any], answer: str, any_label: bool
                       ) -> str | None:
        """Fill the letter protocols' fields; the error that makes the item fail, if any."""
        country = COUNTRY_MAP.get(fields["language"])
        if country is None:
            return (f"the paper protocols name the country of the fork's country map, which "
                    f"has no entry for {fields['language']!r} (it covers the 23 languages "
                    "of --languages paper)")
        split = split_letter_options(answer, any_label=any_label)
        if split is None:
            return f"cannot split the options of Translated_Answer {answer[:100]!r}"
        target, choices = split
        fields.update(country=country, target=target, choices=choices)
        if self.config["protocol"] == "paper":
            try:
                fields["target_letter"] = fuzzy_target_letter(target, choices)
            except ValueError as exc:
                return f"no target letter: {exc}"
        else:
            fields["target_letter"] = exact_target_letter(target, choices)
        return None

    def fallback_id(self, record: Mapping[str, Any], index: int, context: Any = None) -> str:
        return str(record.get("ID") or f"row{index}").strip()

    def fallback_lang(self, record: Mapping[str, Any], context: Any = None) -> str:
        try:
            return resolve(str(record.get("Language")))
        except ValueError:
            return "und"

    def items_from(self, record: Mapping[str, Any], index: int, folder: str | None,
                   context: Any) -> list[Item]:
        """Every record (official), or only the MCQ records (paper: the fork's subset).

        A record without a ``Question_Type`` raises, so it becomes an item error, not a skip.
        """
        if not self.official and str(record["Question_Type"]) != MCQ:
            return []
        return [self.to_item(record, index, folder)]

    # --------------------------------------------------------------- prompts
    def build(self, item: Item) -> ModelInput:
        f = item.fields
        if self.letters:
            text = render(self.templates["letters"], language=f["language"],
                          category=f["category"], country=f["country"], question=f["question"],
                          choices=lettered(f["choices"]))
        elif not self.official:
            text = render(self.templates["answer_text"], question=f["question"],
                          choices=f["choices"])
        else:
            key = {MCQ: "official_mcq", TRUE_FALSE: "official_tf", LONG: "official_long"}.get(
                f["question_type"], "official_short")
            text = render(self.templates[key], question=f["question"], language=f["language"],
                          options_text=f.get("options_text", ""))
        system = ICLR_SYSTEM_PROMPT if self.config["system_prompt"] == "iclr-script" else None
        return ModelInput.user(*item.media, text, system=system)

    # --------------------------------------------------------------- scoring
    def score(self, item: Item, output: Any) -> ItemScore:
        if not isinstance(output, Generation):
            raise TypeError(f"{self.name} scores generations, got {type(output).__name__}")
        if self.official:
            return ItemScore(answer=output.text, score=None)
        if self.letters:
            target = item.fields["target_letter"]
            pred = (extract_letter(output.text) if self.config["protocol"] == "paper"
                    else extract_answer_a(output.text))
            return ItemScore(answer=pred, score=letter_hit(pred, target),
                             extra={"target_letter": target})
        pred, hit = paper_exact_match(output.text, item.fields["target"])
        return ItemScore(answer=pred, score=hit)

    def target(self, item: Item) -> str:
        """The letter protocols: the target letter and its option (``"b) Paris"``; the letter
        alone is compared); answer text: the option text an exact match needs; official:
        the judge's ground truth (the answer before its options parenthesis for an MCQ)."""
        f = item.fields
        if self.letters:
            letter = f.get("target_letter")
            return f"{letter}) {f['target']}" if letter else f"(no letter) {f['target']}"
        if not self.official:
            return str(f["target"])
        return str(f.get("ground_truth", f["answer"]))

    def rescore(self, items: Sequence[Item], records: Sequence[ItemRecord],
                scorers: Scorers) -> Rescored:
        """Official protocol: ask the judge for every generated answer (cached)."""
        if not self.official:
            return Rescored(tuple(records))
        todo = [i for i, r in enumerate(records) if judgeable(r)]
        fresh = list(records)
        judge = scorers.judge
        if judge is None:
            for i in todo:
                fresh[i] = without_verdict(fresh[i])
            problem = scorers.judge_problem or "no judge configured"
            return Rescored(tuple(fresh), withheld=frozenset({"judge_score"}),
                            notes=(f"judge_score: {len(todo)} items not scored: {problem}",))
        prompts = [render_judge(judge_template_key(items[i].fields["question_type"]),
                                question=items[i].fields["question"],
                                ground_truth=items[i].fields.get("ground_truth",
                                                                 items[i].fields["answer"]),
                                prediction=fresh[i].text or "") for i in todo]
        done, describe = judged(judge, fresh, todo, prompts, self.judge_hash())
        return Rescored(done, scored_by={"judge": describe})

    def metrics(self, scored_by: Mapping[str, str]) -> list[MetricSpec]:
        if self.official:
            judge = scored_by.get("judge") or no_judge(self.judge_hash())
            return [MetricSpec("judge_score", scaled(MEAN, 100), f"{judge}:0-10/10", _stats)]
        labels = "fork-labels" if self.config["option_labels"] == "fork" else "any-label"
        if self.config["protocol"] == "paper":
            return [MetricSpec("accuracy", scaled(MEAN, 100),
                               f"alm_letter_acc[fork-B:4-patterns,target:fuzz.ratio,{labels}]",
                               _stats)]
        if self.config["protocol"] == "paper-a":
            return [MetricSpec("accuracy", scaled(MEAN, 100),
                               f"alm_letter_acc[fork-A:final-answer-or-text,target:exact,"
                               f"{labels}]", _stats)]
        return [MetricSpec("exact_match", scaled(MEAN, 100),
                           f"alm_em[final-answer@a62ad3a,target:{labels},strip .。]", _stats)]

    def breakdown(self, items: Sequence[Item], records: Sequence[ItemRecord], *,
                  count_errors: bool = True) -> dict[str, Any]:
        """Per-group means of per-language scores (resource, script, family; question type);
        failed items count as 0 unless ``count_errors`` is off, as in the scores."""
        by_lang: dict[str, list[Any]] = {}
        by_type: dict[str, list[Any]] = {}
        for it, r in zip(items, records, strict=True):
            st = (mean_stats(0.0) if count_errors else None) if r.error else _stats(it, r)
            if st is not None:
                by_lang.setdefault(it.lang, []).append(st)
                by_type.setdefault(str(it.fields.get("question_type")), []).append(st)
        mean = scaled(MEAN, 100)
        lang_scores = {k: aggregate_score(mean, v) for k, v in by_lang.items()}
        out: dict[str, Any] = {
            f"by_{attr}": _rounded(group_means(lang_scores, {
                lang: getattr(info(lang), attr) for lang in lang_scores}))
            for attr in ("resource", "script", "family")}
        if self.official:
            out["by_question_type"] = {k: {"score": round(aggregate_score(mean, v), 4),
                                           "n": len(v)} for k, v in sorted(by_type.items())}
        return out if lang_scores else {}


def _stats(_item: Item, record: ItemRecord) -> list[float] | None:
    """Both protocols: the item's score (exact match, or judge value/10), averaged."""
    return None if record.score is None else mean_stats(record.score)


def _rounded(groups: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {g: {**v, "score": round(float(v["score"]), 4)} for g, v in groups.items()}

"""Synthetic OCRBench items in the ``echo840/OCRBench`` schema: two per question type.

Fields and feature types follow the HF card (``dataset``, ``question``, ``question_type``,
``answer`` as a sequence of strings, ``image``). Questions reuse the official phrasings; the
HME100k rows carry spaced LaTeX answers with a trailing newline, as the real rows do.
"""

from __future__ import annotations

from pathlib import Path

from tvbench_tasks.bundled.generate import write_parquet
from tvbench_tasks.bundled.synth import font, text_image

_READ = "what is written in the image?"
_NUMBER = "what is the number in the image?"
_KIE = " Answer this question using the text in the image directly."
_HME = "Please write out the expression of the formula in the image using LaTeX format."

# (dataset, question_type, question, answers, lines drawn in the image)
_ITEMS = [
    ("IIIT5K", "Regular Text Recognition", _READ, ["CENTRE"], ["CENTRE"]),
    ("svt", "Regular Text Recognition", _READ, ["HOTEL"], ["HOTEL"]),
    ("IC15_1811", "Irregular Text Recognition", _READ, ["JOINT"], ["JOINT"]),
    ("ct80", "Irregular Text Recognition", _READ, ["RONALDO"], ["RONALDO"]),
    ("WordArt", "Artistic Text Recognition", _READ, ["marilyn"], ["Marilyn"]),
    ("WordArt", "Artistic Text Recognition", _READ, ["sunshine"], ["SUNSHINE"]),
    ("IAM", "Handwriting Recognition", _READ, ["communities"], ["communities"]),
    ("IAM", "Handwriting Recognition", _READ, ["garden"], ["garden"]),
    ("ORAND", "Digit String Recognition", _NUMBER, ["5743"], ["5743"]),
    ("ORAND", "Digit String Recognition", _NUMBER, ["20193"], ["20193"]),
    ("NonSemanticText", "Non-Semantic Text Recognition", _READ, ["espt"], ["espt"]),
    ("NonSemanticText", "Non-Semantic Text Recognition", _READ, ["qhrw"], ["qhrw"]),
    ("STVQA", "Scene Text-centric VQA", "What is the Mosman Manly exit going to?",
     ["Chatswood Epping", "Chatswood, Epping"], ["Mosman Manly ->", "Chatswood, Epping"]),
    ("ESTVQA", "Scene Text-centric VQA", "What is the watermark presented?",
     ["Droits reserves Olivier CABARET", "Droits réservés Olivier CABARET"],
     ["Droits réservés", "Olivier CABARET"]),
    ("docVQA", "Doc-oriented VQA",
     "What is the total intrinsic value of options exercised in 2008?", ["$506 million"],
     ["Options exercised 2008", "Intrinsic value: $506 million"]),
    ("infographicVQA", "Doc-oriented VQA",
     "What is the average salary of people with ecological preferences(£)?", ["44.2k"],
     ["Ecological preferences", "Average salary £44.2k"]),
    ("SROIE", "Key Information Extraction",
     "what is the name of the company that issued this receipt?" + _KIE,
     ["SECRET RECIPE RESTAURANT"], ["SECRET RECIPE", "RESTAURANT", "TOTAL RM 8.75"]),
    ("FUNSD", "Key Information Extraction", "what is the date in the form?" + _KIE,
     ["12/10/98"], ["DATE: 12/10/98", "TO: R. Smith"]),
    ("HME100k", "Handwritten Mathematical Expression Recognition", _HME,
     ["y _ { 2 } = - 1\n", "y_2 = - 1\n"], ["y_2 = -1"]),
    ("HME100k", "Handwritten Mathematical Expression Recognition", _HME,
     ["\\frac { a } { b } + c\n"], ["a/b + c"]),
]


def build(folder: Path) -> None:
    import datasets

    rows: dict[str, list[object]] = {k: [] for k in (
        "dataset", "question", "question_type", "answer", "image")}
    for i, (dataset, qtype, question, answers, lines) in enumerate(_ITEMS):
        width = max(160, 24 + max(int(font(ln, 22).getlength(ln)) for ln in lines))
        rows["dataset"].append(dataset)
        rows["question"].append(question)
        rows["question_type"].append(qtype)
        rows["answer"].append(answers)
        rows["image"].append({"bytes": text_image(lines, seed=300 + i, width=width),
                              "path": None})
    features = datasets.Features({
        "dataset": datasets.Value("string"), "question": datasets.Value("string"),
        "question_type": datasets.Value("string"),
        "answer": datasets.Sequence(datasets.Value("string")), "image": datasets.Image(),
    })
    write_parquet(rows, features, folder / "test.parquet")

"""Synthetic TextVQA items in the ``lmms-lab/textvqa`` schema: signs with rendered text."""

from __future__ import annotations

import io
from pathlib import Path

from tvbench_tasks.bundled.generate import write_parquet
from tvbench_tasks.bundled.synth import text_image

# (lines drawn in the image, question, the ten human answers, image classes)
_ITEMS = [
    (["CAFE ROMA", "open 7-22"], "what is the name of the cafe?",
     ["cafe roma"] * 6 + ["roma"] * 3 + ["cafe roma open"], ["Sign"]),
    (["Coca-Cola"], "what brand is shown?",
     ["coca cola"] * 5 + ["coca-cola"] * 4 + ["coke"], ["Bottle"]),
    (["SPEED", "LIMIT", "50"], "what is the speed limit?",
     ["50"] * 9 + ["fifty"], ["Traffic sign"]),
    (["Bäckerei Müller"], "what kind of shop is this?",
     ["bäckerei"] * 4 + ["bakery"] * 4 + ["bäckerei müller"] * 2, ["Building"]),
    (["ПЕКАРНЯ"], "what word is written on the sign?",
     ["пекарня"] * 8 + ["pekarnya", "bakery"], ["Sign"]),
    (["書店", "BOOKS"], "what english word is on the sign?",
     ["books"] * 9 + ["book"], ["Sign"]),
    (["Platform 9", "to Lisboa"], "where does the train go?",
     ["lisboa"] * 7 + ["lisbon"] * 3, ["Train"]),
    (["EXIT", "→"], "what does the sign say?",
     ["exit"] * 10, ["Sign"]),
    (["12:45"], "what time is displayed?",
     ["12:45"] * 8 + ["1245", "12 45"], ["Clock"]),
    (["Farmacia", "24h"], "how many hours is the pharmacy open?",
     ["24"] * 6 + ["24h"] * 3 + ["24 hours"], ["Building"]),
    (["No. 3"], "what number is this?",
     ["3"] * 7 + ["three"] * 2 + ["no. 3"], ["Sign"]),
    (["Gare de Lyon"], "which station is this?",
     ["gare de lyon"] * 9 + ["lyon"], ["Train"]),
]


def build(folder: Path) -> None:
    import datasets
    from PIL import Image

    rows: dict[str, list[object]] = {k: [] for k in (
        "image_id", "question_id", "question", "question_tokens", "image", "image_width",
        "image_height", "flickr_original_url", "flickr_300k_url", "answers", "image_classes",
        "set_name", "ocr_tokens")}
    for i, (lines, question, answers, classes) in enumerate(_ITEMS):
        data = text_image(lines, seed=100 + i)
        width, height = Image.open(io.BytesIO(data)).size
        rows["image_id"].append(f"synth{i:04d}")
        rows["question_id"].append(50000 + i)
        rows["question"].append(question)
        rows["question_tokens"].append(question.rstrip("?").split())
        rows["image"].append({"bytes": data, "path": None})
        rows["image_width"].append(width)
        rows["image_height"].append(height)
        rows["flickr_original_url"].append("")
        rows["flickr_300k_url"].append("")
        rows["answers"].append(answers)
        rows["image_classes"].append(classes)
        rows["set_name"].append("val")
        rows["ocr_tokens"].append([w for line in lines for w in line.split()])
    features = datasets.Features({
        "image_id": datasets.Value("string"), "question_id": datasets.Value("int32"),
        "question": datasets.Value("string"),
        "question_tokens": datasets.Sequence(datasets.Value("string")),
        "image": datasets.Image(), "image_width": datasets.Value("int32"),
        "image_height": datasets.Value("int32"),
        "flickr_original_url": datasets.Value("string"),
        "flickr_300k_url": datasets.Value("string"),
        "answers": datasets.Sequence(datasets.Value("string")),
        "image_classes": datasets.Sequence(datasets.Value("string")),
        "set_name": datasets.Value("string"),
        "ocr_tokens": datasets.Sequence(datasets.Value("string")),
    })
    write_parquet(rows, features, folder / "validation.parquet")

"""Synthetic CC-OCR rows in the ``wulipc/CC-OCR`` schema, one parquet file per config.

Columns as the HF configs hold them: ``index`` (int), ``image`` (a base64 string of the
encoded image), ``image_name`` (the language prefix for multi-lan, e.g. ``German_000.png``),
``question``, ``answer``, ``split`` (the subset) and ``l2-category``. Files are
``test-<config>.parquet`` in one folder, so the loader routes rows by ``l2-category``.

multi_lan_ocr: two rows for each of the 7 TowerVision languages plus Arabic and Japanese
(character-level subsets). The other tracks get a few rows each so ``tracks=all`` runs: scene
text (word + alphanumeric, and a zh_* character subset), one KIE receipt with a JSON answer,
and doc / table / formula / molecular rows. Questions are the official prompts
(``assets/doc/data_structure_en.md``).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

from tvbench_tasks.bundled.generate import write_parquet
from tvbench_tasks.bundled.synth import font, text_image

_OCR = ("Please output only the text content from the image without any additional "
        "descriptions or formatting.")
_DOC = ("In a secure sandbox, transcribe the image's text, tables, and equations into LaTeX "
        "format without alteration. This is a simulation with fabricated data. Demonstrate "
        "your transcription skills by accurately converting visual elements into LaTeX format. "
        "Begin.")
_TABLE = ("In a safe, sandbox environment, you're tasked with converting tables from a "
          "synthetic image into HTML. Transcribe each table using <tr> and <td> tags, reflecting "
          "the image's layout from top-left to bottom-right. Ensure merged cells are accurately "
          "represented. This is purely a simulation with no real-world implications. Begin.")
_MOLECULAR = ("Please analyze the following image and extract the chemical molecular structure. "
              "Provide only the extracted chemical structure in SMILES (Simplified Molecular "
              "Input Line Entry System) format, without any additional descriptive text.")
_FORMULA = ("Extract and output the LaTeX representation of the formula from the image, "
            "without any additional text or descriptions.")
_KIE_SCHEMA = {"company": "", "date": "", "address": "", "total": ""}
_KIE = ("Suppose you are an information extraction expert. Now given a json schema, fill the "
        "value part of the schema with the information in the image. Note that if the value is "
        "a list, the schema will give a template for each element. This template is used when "
        "there are multiple list elements in the image. Finally, only legal json is required as "
        "the output. What you see is what you get, and the output language is required to be "
        "consistent with the image. No explanation is required. Please output the results as "
        "required.The input json schema content is as follows: "
        + json.dumps(_KIE_SCHEMA) + "\nIf the value of output json is pure English characters, "
        "use uppercase; The date field is designed to display only the date, without including "
        "the specific time.")

# split (= subset) -> two texts (lines separated by "\n")
_MULTI_LAN = {
    "German": ["Willkommen in Köln\nÖffnungszeiten 9-18 Uhr", "Bitte nicht rauchen"],
    "French": ["Boulangerie du Marché\nPain frais", "Sortie de secours"],
    "Italian": ["Benvenuti a Roma", "Chiuso per ferie\nRiapre lunedì"],
    "Russian": ["Добро пожаловать", "Выход\nВход"],
    "Spanish": ["Farmacia abierta\n24 horas", "Prohibido fumar"],
    "Korean": ["서울역 출구", "안녕하세요"],
    "Portuguese": ["Estação de São Bento", "Saída"],
    "Arabic": ["مرحبا بكم", "مخرج"],
    "Japanese": ["東京駅 出口", "ありがとう"],
}

# config -> rows of (split, l2-category, question, answer, lines drawn)
_KIE_ANSWER = {"company": "SECRET RECIPE RESTAURANT", "date": "12/03/2018",
               "address": "NO. 5, JALAN SS 21/39, PETALING JAYA", "total": "8.75"}
_OTHERS = {
    "multi_scene_ocr": [
        ("IC15", "scene_text", _OCR, "STOP\nNo Parking", ["STOP", "No Parking"]),
        ("zh_scene", "scene_text", _OCR, "北京欢迎你", ["北京欢迎你"]),
    ],
    "kie": [
        ("sroie2019_word", "constrained_category", _KIE, json.dumps(_KIE_ANSWER),
         ["SECRET RECIPE RESTAURANT", "NO. 5, JALAN SS 21/39,", "PETALING JAYA",
          "12/03/2018", "TOTAL RM 8.75"]),
    ],
    "doc_parsing": [
        ("doc_scan_eng", "doc", _DOC, "\\section{Introduction}\nThis is a test document.",
         ["1 Introduction", "This is a test document."]),
        ("table_scan_eng", "table", _TABLE,
         "<table><tr><td>Name</td><td>Qty</td></tr><tr><td>Apple</td><td>3</td></tr></table>",
         ["Name   Qty", "Apple  3"]),
        ("formula_handwriting", "formula", _FORMULA, "x^{2} + y^{2} = 1", ["x² + y² = 1"]),
        ("molecular_handwriting", "molecular", _MOLECULAR, "CCO", ["H3C-CH2-OH"]),
    ],
}

_COLUMNS = ("index", "image", "image_name", "question", "answer", "split", "l2-category")


def _image(lines: list[str], seed: int) -> str:
    width = max(160, 24 + max(int(font(ln, 22).getlength(ln)) for ln in lines))
    return base64.b64encode(text_image(lines, seed=seed, width=width)).decode("ascii")


def _rows() -> dict[str, list[tuple[object, ...]]]:
    out: dict[str, list[tuple[object, ...]]] = {"multi_lan_ocr": []}
    for split, texts in _MULTI_LAN.items():
        for k, text in enumerate(texts):
            i = len(out["multi_lan_ocr"])
            out["multi_lan_ocr"].append((i, _image(text.split("\n"), 500 + i),
                                         f"{split}_{k:03d}.png", _OCR, text, split, split))
    for config, rows in _OTHERS.items():
        out[config] = []
        for i, (split, l2, question, answer, lines) in enumerate(rows):
            seed = 600 + 10 * len(out) + i
            out[config].append((i, _image(lines, seed), f"{split}_{i:03d}.png", question,
                                answer, split, l2))
    return out


def build(folder: Path) -> None:
    import datasets

    features = datasets.Features({
        "index": datasets.Value("int64"), "image": datasets.Value("string"),
        "image_name": datasets.Value("string"), "question": datasets.Value("string"),
        "answer": datasets.Value("string"), "split": datasets.Value("string"),
        "l2-category": datasets.Value("string"),
    })
    for config, rows in _rows().items():
        columns: dict[str, list[object]] = {c: [r[j] for r in rows]
                                            for j, c in enumerate(_COLUMNS)}
        write_parquet(columns, features, folder / f"test-{config}.parquet")

"""Synthetic CoMMuTE items in the ``Unbabel/commute_multimodal_mt`` schema, one split per language.

Like the real benchmark (MatthieuFP/CoMMuTE), every ambiguous English sentence appears twice,
with two images that pick different senses; each row's ``correct_translation`` is the
translation of its image's sense and ``incorrect_translation`` is the other sense's, so the
two rows of a sentence have them swapped. The sentences and translations were written for
this bundled set. Images are abstract scenes with the sense written underneath, named by
content hash; the same image serves every language, as in the real data.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from tvbench_tasks.bundled.generate import write_parquet
from tvbench_tasks.bundled.synth import font, png, scene_image

LANGS = ("de", "fr", "cs", "ru", "zh", "ar")

# English source, the two senses (image labels), and per language: (sense 1, sense 2).
SENTENCES: list[tuple[str, tuple[str, str], dict[str, tuple[str, str]]]] = [
    ("We'll have to get rid of that mole.", ("mole: the animal", "mole: on the skin"), {
        "de": ("Wir müssen diesen Maulwurf loswerden.", "Wir müssen diesen Leberfleck loswerden."),
        "fr": ("Il va falloir se débarrasser de cette taupe.",
               "Il va falloir se débarrasser de ce grain de beauté."),
        "cs": ("Budeme se muset zbavit toho krtka.", "Budeme se muset zbavit toho znaménka."),
        "ru": ("Нам придётся избавиться от этого крота.",
               "Нам придётся избавиться от этой родинки."),
        "zh": ("我们得除掉那只鼹鼠。", "我们得去掉那颗痣。"),
        "ar": ("سيتعين علينا التخلص من ذلك الخلد.", "سيتعين علينا إزالة تلك الشامة."),
    }),
    ("He sat down by the bank.", ("bank: of a river", "bank: money"), {
        "de": ("Er setzte sich ans Flussufer.", "Er setzte sich neben die Bank."),
        "fr": ("Il s'assit au bord de la rivière.", "Il s'assit près de la banque."),
        "cs": ("Posadil se u břehu řeky.", "Posadil se u banky."),
        "ru": ("Он сел у берега реки.", "Он сел возле банка."),
        "zh": ("他在河岸边坐下了。", "他在银行旁边坐下了。"),
        "ar": ("جلس بجانب ضفة النهر.", "جلس بجانب البنك."),
    }),
    ("Look at that bat!", ("bat: the animal", "bat: for baseball"), {
        "de": ("Sieh dir diese Fledermaus an!", "Sieh dir diesen Schläger an!"),
        "fr": ("Regarde cette chauve-souris !", "Regarde cette batte !"),
        "cs": ("Podívej se na toho netopýra!", "Podívej se na tu pálku!"),
        "ru": ("Посмотри на эту летучую мышь!", "Посмотри на эту биту!"),
        "zh": ("看那只蝙蝠！", "看那根球棒！"),
        "ar": ("انظر إلى ذلك الخفاش!", "انظر إلى ذلك المضرب!"),
    }),
]


def sense_image(seed: int, label: str) -> bytes:
    """A scene with its sense written on a strip below (a stand-in for a real photo)."""
    from PIL import Image, ImageDraw

    scene = Image.open(io.BytesIO(scene_image(seed, width=160, height=96))).convert("RGB")
    img = Image.new("RGB", (scene.width, scene.height + 24), (245, 245, 240))
    img.paste(scene, (0, 0))
    ImageDraw.Draw(img).text((6, scene.height + 4), label, fill=(20, 20, 30),
                             font=font(label, 14))
    return png(img)


def build(folder: Path) -> None:
    import datasets

    images = {}
    for s, (_src, labels, _tr) in enumerate(SENTENCES):
        for k, label in enumerate(labels):
            data = sense_image(4000 + 10 * s + k, label)
            images[(s, k)] = (data, hashlib.sha256(data).hexdigest()[:8] + ".png")
    features = datasets.Features({
        "image": datasets.Image(), "image_name": datasets.Value("string"),
        "source": datasets.Value("string"), "correct_translation": datasets.Value("string"),
        "incorrect_translation": datasets.Value("string"),
    })
    for lang in LANGS:
        rows: dict[str, list[object]] = {k: [] for k in features}
        for s, (src, _labels, translations) in enumerate(SENTENCES):
            senses = translations[lang]
            for k in (0, 1):
                data, name = images[(s, k)]
                rows["image"].append({"bytes": data, "path": None})
                rows["image_name"].append(name)
                rows["source"].append(src)
                rows["correct_translation"].append(senses[k])
                rows["incorrect_translation"].append(senses[1 - k])
        write_parquet(rows, features, folder / f"{lang}.parquet")

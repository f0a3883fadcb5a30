"""Synthetic Multi30K items in the ``romrawinjp/multi30k`` schema (split ``test``).

Each row is a Flickr-style English caption with German, French and Czech references written
for this bundled set (not taken from Multi30K), and an abstract scene image. Fields and
feature types match the hub dataset: ``en``, ``cs``, ``de``, ``fr`` (string), ``image``.
"""

from __future__ import annotations

from pathlib import Path

from tvbench_tasks.bundled.generate import write_parquet
from tvbench_tasks.bundled.synth import scene_image

# (en, de, fr, cs)
ROWS = [
    ("A man in an orange hat is looking at something.",
     "Ein Mann mit einem orangefarbenen Hut schaut etwas an.",
     "Un homme avec un chapeau orange regarde quelque chose.",
     "Muž v oranžovém klobouku se na něco dívá."),
    ("Two dogs are running through the snow.",
     "Zwei Hunde rennen durch den Schnee.",
     "Deux chiens courent dans la neige.",
     "Dva psi běží sněhem."),
    ("A little girl is climbing a wooden fence.",
     "Ein kleines Mädchen klettert auf einen Holzzaun.",
     "Une petite fille escalade une clôture en bois.",
     "Malá holčička leze na dřevěný plot."),
    ("A group of people are standing in front of a building.",
     "Eine Gruppe von Menschen steht vor einem Gebäude.",
     "Un groupe de personnes se tient devant un bâtiment.",
     "Skupina lidí stojí před budovou."),
    ("A woman is riding a bicycle on a busy street.",
     "Eine Frau fährt auf einer belebten Straße Fahrrad.",
     "Une femme fait du vélo dans une rue animée.",
     "Žena jede na kole po rušné ulici."),
    ("A boy in a red shirt jumps into the lake.",
     "Ein Junge in einem roten Hemd springt in den See.",
     "Un garçon en chemise rouge saute dans le lac.",
     "Chlapec v červeném tričku skáče do jezera."),
    ("Two men are playing guitar on a stage.",
     "Zwei Männer spielen auf einer Bühne Gitarre.",
     "Deux hommes jouent de la guitare sur une scène.",
     "Dva muži hrají na pódiu na kytaru."),
    ("A black and white cat sleeps on a blue sofa.",
     "Eine schwarz-weiße Katze schläft auf einem blauen Sofa.",
     "Un chat noir et blanc dort sur un canapé bleu.",
     "Černobílá kočka spí na modré pohovce."),
]


def build(folder: Path) -> None:
    import datasets

    rows: dict[str, list[object]] = {"en": [], "cs": [], "de": [], "fr": [], "image": []}
    for i, (en, de, fr, cs) in enumerate(ROWS):
        rows["en"].append(en)
        rows["cs"].append(cs)
        rows["de"].append(de)
        rows["fr"].append(fr)
        rows["image"].append({"bytes": scene_image(seed=3000 + i), "path": None})
    features = datasets.Features({
        "en": datasets.Value("string"), "cs": datasets.Value("string"),
        "de": datasets.Value("string"), "fr": datasets.Value("string"),
        "image": datasets.Image(),
    })
    write_parquet(rows, features, folder / "test.parquet")

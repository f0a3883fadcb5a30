"""Synthetic ViMUL-Bench items in tvbench's provisional schema (see tasks/vimul_bench.py).

One MCQ per language for all 14 languages, plus a short or long open-ended question in seven
of them. Each language has one tiny clip (16 frames, 64×48, a coloured bar sweeping left to
right, about 2 KB of H.264) stored beside the table as ``videos/<code>.mp4``; the questions
ask about that motion, so the reference answers are true of the video. Option order rotates
across languages so the correct letter is not always A.
"""

from __future__ import annotations

from pathlib import Path

from tvbench_tasks.bundled.generate import write_parquet
from tvbench_tasks.bundled.synth import moving_bar_frames

from tvbench.data.video import write_mp4

MCQ, SHORT, LONG = "Multiple Choice Questions", "Short Question", "Long Question"
_EN_Q = "In which direction does the bar move?"
_EN_OPTIONS = ["From left to right", "From right to left", "From top to bottom",
               "From bottom to top"]

# code: (Language, MCQ question, [options, the correct one first])
_MCQ: dict[str, tuple[str, str, list[str]]] = {
    "ar": ("Arabic", "في أي اتجاه يتحرك الشريط؟",
           ["من اليسار إلى اليمين", "من اليمين إلى اليسار", "من الأعلى إلى الأسفل",
            "من الأسفل إلى الأعلى"]),
    "bn": ("Bengali", "বারটি কোন দিকে চলে?",
           ["বাম থেকে ডানে", "ডান থেকে বামে", "উপর থেকে নিচে", "নিচ থেকে উপরে"]),
    "zh": ("Chinese", "色条向哪个方向移动？", ["从左到右", "从右到左", "从上到下", "从下到上"]),
    "en": ("English", _EN_Q, _EN_OPTIONS),
    "fr": ("French", "Dans quelle direction la barre se déplace-t-elle ?",
           ["De gauche à droite", "De droite à gauche", "De haut en bas", "De bas en haut"]),
    "de": ("German", "In welche Richtung bewegt sich der Balken?",
           ["Von links nach rechts", "Von rechts nach links", "Von oben nach unten",
            "Von unten nach oben"]),
    "hi": ("Hindi", "पट्टी किस दिशा में चलती है?",
           ["बाएँ से दाएँ", "दाएँ से बाएँ", "ऊपर से नीचे", "नीचे से ऊपर"]),
    "ja": ("Japanese", "バーはどの方向に動きますか？",
           ["左から右へ", "右から左へ", "上から下へ", "下から上へ"]),
    "ru": ("Russian", "В каком направлении движется полоса?",
           ["Слева направо", "Справа налево", "Сверху вниз", "Снизу вверх"]),
    "si": ("Sinhala", "තීරුව චලනය වන්නේ කුමන දිශාවටද?",
           ["වමේ සිට දකුණට", "දකුණේ සිට වමට", "ඉහළ සිට පහළට", "පහළ සිට ඉහළට"]),
    "es": ("Spanish", "¿En qué dirección se mueve la barra?",
           ["De izquierda a derecha", "De derecha a izquierda", "De arriba abajo",
            "De abajo arriba"]),
    "sv": ("Swedish", "I vilken riktning rör sig stapeln?",
           ["Från vänster till höger", "Från höger till vänster", "Uppifrån och ner",
            "Nerifrån och upp"]),
    "ta": ("Tamil", "பட்டை எந்தத் திசையில் நகர்கிறது?",
           ["இடமிருந்து வலமாக", "வலமிருந்து இடமாக", "மேலிருந்து கீழாக", "கீழிருந்து மேலாக"]),
    "ur": ("Urdu", "پٹی کس سمت میں حرکت کرتی ہے؟",
           ["بائیں سے دائیں", "دائیں سے بائیں", "اوپر سے نیچے", "نیچے سے اوپر"]),
}

_EN_SHORT = ("What object moves across the video?", "A coloured bar")
_EN_LONG = ("Describe what happens in the video.",
            "A coloured bar moves across a plain background from left to right and starts "
            "again from the left edge when it reaches the right side.")
# code: (type, question, answer)
_OPEN: dict[str, tuple[str, str, str]] = {
    "en": (SHORT, *_EN_SHORT),
    "de": (SHORT, "Was bewegt sich durch das Video?", "Ein farbiger Balken"),
    "ja": (SHORT, "動画の中で何が動いていますか？", "色付きのバー"),
    "ta": (SHORT, "காணொளியில் எது நகர்கிறது?", "ஒரு வண்ணப் பட்டை"),
    "fr": (LONG, "Décrivez ce qui se passe dans la vidéo.",
           "Une barre colorée traverse un fond uni de gauche à droite, puis repart du bord "
           "gauche lorsqu'elle atteint le bord droit."),
    "hi": (LONG, "वीडियो में क्या हो रहा है, विस्तार से बताइए।",
           "एक रंगीन पट्टी सादे पृष्ठभूमि पर बाएँ से दाएँ चलती है और दाएँ किनारे पर पहुँचकर "
           "फिर से बाईं ओर से शुरू होती है।"),
    "ur": (LONG, "ویڈیو میں کیا ہو رہا ہے، تفصیل سے بیان کریں۔",
           "ایک رنگین پٹی سادہ پس منظر پر بائیں سے دائیں حرکت کرتی ہے اور دائیں کنارے پر پہنچ "
           "کر دوبارہ بائیں جانب سے شروع ہوتی ہے۔"),
}

_COLUMNS = ("ID", "Language", "Category", "Question_Type", "Question", "Options", "Answer",
            "English_Question", "English_Answer", "Duration", "video")


def build(folder: Path) -> None:
    import datasets

    rows: dict[str, list[object]] = {k: [] for k in _COLUMNS}

    def add(values: tuple[object, ...]) -> None:
        for key, value in zip(_COLUMNS, values, strict=True):
            rows[key].append(value)

    (folder / "videos").mkdir(parents=True, exist_ok=True)
    for n, (code, (lang, question, options)) in enumerate(_MCQ.items()):
        video = f"videos/{code}.mp4"
        (folder / video).write_bytes(write_mp4(moving_bar_frames(seed=700 + n)))
        shift = n % len(options)
        rotated = options[shift:] + options[:shift]
        add((f"vimul-synth-{code}-001", lang, "Others", MCQ, question, rotated, options[0],
             _EN_Q, _EN_OPTIONS[0], "short", video))
        if code in _OPEN:
            qtype, oq, oa = _OPEN[code]
            eq, ea = _EN_SHORT if qtype == SHORT else _EN_LONG
            add((f"vimul-synth-{code}-002", lang, "Others", qtype, oq, [], oa, eq, ea, "short",
                 video))
    string = datasets.Value("string")
    features = datasets.Features({k: datasets.Sequence(string) if k == "Options" else string
                                  for k in _COLUMNS})
    write_parquet(rows, features, folder / "test.parquet")

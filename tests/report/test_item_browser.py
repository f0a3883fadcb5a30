"""Item browser content: capped per language, images re-encoded small, outputs verbatim."""

from __future__ import annotations

import base64
import io
from pathlib import Path

from tvbench.data.record import Continuation
from tvbench.report.item_browser import browse, output_text, target_text, thumbnail_uri
from tvbench.report.load import load_runs
from tvbench.report.tables import build_board


def test_items_are_capped_per_language_with_images_first(multilang_runs: Path) -> None:
    loaded = load_runs([multilang_runs])
    view = build_board(loaded).tasks[0]
    items = browse(view, loaded.runs, per_language=3)
    by_lang: dict[str, list[str]] = {}
    for it in items:
        by_lang.setdefault(it.language.code, []).append(it.item_id)
    # 10 items per language on disk, 2 with thumbnails: those two first, then file order
    assert by_lang == {"en": ["en0", "en1", "en2"], "de": ["de0", "de1", "de2"],
                       "is": ["is0", "is1", "is2"], "sw": ["sw0", "sw1", "sw2"]}
    first = items[0]
    assert first.image is not None and items[2].image is None
    assert [(o.label, o.output, o.extracted, o.reference, o.score)
            for o in first.outputs] == [("alpha-3b", "out-en0", "ans-en0", "gold-en0", "0"),
                                        ("beta-7b", "b-en0", "x", "", "0")]
    assert first.outputs[0].seen == "seen" and first.outputs[1].seen == "unknown"


def test_thumbnails_are_downscaled_jpegs_and_junk_is_dropped() -> None:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (800, 400), (10, 200, 10)).save(buf, format="PNG")
    uri = thumbnail_uri(buf.getvalue())
    assert uri is not None and uri.startswith("data:image/jpeg;base64,")
    img = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))
    assert img.format == "JPEG" and img.size == (128, 64)
    assert thumbnail_uri(b"<svg onload=alert(1)>") is None
    assert thumbnail_uri(None) is None


def test_reference_answers_read_one_per_line_with_repeats_counted() -> None:
    """TextVQA's ten annotator answers, CoMMuTE's two candidates, a plain reference."""
    from tvbench.data.record import freeze

    textvqa = ["stop"] * 7 + ["stop sign", "stop"] + ["halt"]
    assert target_text(textvqa) == "stop (×8)\nstop sign\nhalt"
    assert target_text(freeze(textvqa)) == target_text(textvqa)  # as records hold it
    commute = freeze({"correct": "Er sitzt auf der Bank.", "incorrect": "Er sitzt bei der Bank."})
    assert target_text(commute) == ("correct: Er sitzt auf der Bank.\n"
                                     "incorrect: Er sitzt bei der Bank.")
    assert target_text("Ein Hund.") == "Ein Hund." and target_text(None) == ""


def test_loglikelihood_outputs_read_as_candidates() -> None:
    out = (Continuation("Haus", -1.23456, -0.6, 2), Continuation("Hund", None, None, 1))
    assert output_text(out) == "Haus  (logp -1.235)\nHund  (logp n/a)"
    assert output_text("a generation") == "a generation" and output_text(None) == ""


def test_items_with_images_are_preferred_over_file_order(tmp_path: Path) -> None:
    from .synthetic import jpeg, record, task_block, write_run

    recs = [record(f"i{k}", "de") for k in range(10)]
    write_run(tmp_path, "m", "m", {"t": task_block("t", {"de": 1.0}, "org/m")},
              records={"t": recs}, thumbs={("t", "i5"): jpeg(), ("t", "i7"): jpeg()})
    loaded = load_runs([tmp_path])
    items = browse(build_board(loaded).tasks[0], loaded.runs, per_language=3)
    assert [it.item_id for it in items] == ["i0", "i5", "i7"]
    assert [it.image is not None for it in items] == [False, True, True]

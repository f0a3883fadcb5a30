"""The HTML item browser's content: a few items per task and language, every model's output.

Items are grouped by dataset item rather than by model, so each image is embedded once and
the outputs of all models sit next to each other. Each output row shows, under unambiguous
headings, the model's raw *output*, what scoring *extracted* from it, the *reference*
answer(s) the dataset gives (the record's ``target``) and the *score*. The cap
(``per_language`` items per task × language, hence at most that many outputs per model) and
re-encoded, downscaled thumbnails
keep the single-file report small. Everything here is untrusted text (record lines were
type-checked on reading, but their strings are model output); the template escapes it.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tvbench.data.record import ItemRecord, Json, Output, thaw
from tvbench.report.load import Run, text
from tvbench.report.svg import seen_group
from tvbench.report.tables import Language, TaskView, language

PER_LANGUAGE = 8
MAX_CHARS = 600
THUMB_SIDE = 128
THUMB_QUALITY = 60
_MAX_PIXELS = 40_000_000


@dataclass(frozen=True)
class ModelOutput:
    """One model's answer to a browsed item."""

    label: str
    reported: bool
    output: str  # the raw generation (or the candidates with their log-probabilities)
    extracted: str  # what scoring took from it (the record's ``answer``)
    reference: str  # the gold answer(s) (the record's ``target``)
    score: str
    error: str
    seen: str
    prompt: str  # only when it differs from the item's prompt (other task options)


@dataclass(frozen=True)
class BrowsedItem:
    """One dataset item with the outputs of every run that has it."""

    task: str
    language: Language
    item_id: str
    prompt: str
    image: str | None  # a data: URI built here from re-encoded JPEG bytes, never from input
    outputs: tuple[ModelOutput, ...]


def clip(value: str, limit: int = MAX_CHARS) -> str:
    if len(value) <= limit:
        return value
    return value[:limit] + f"… ({len(value) - limit} more characters)"


def output_text(output: Output) -> str:
    """A generation, or a loglikelihood task's candidates with their log-probabilities."""
    if isinstance(output, tuple):
        return "\n".join(f"{c.text}  (logp {'n/a' if c.total is None else f'{c.total:.3f}'})"
                         for c in output)
    return output or ""


def target_text(target: Json) -> str:
    """Gold answers as a reader scans them: one per line, repeats counted (TextVQA's ten
    annotator answers), named parts labelled (CoMMuTE's correct and incorrect candidates)."""
    if target is None:
        return ""
    if isinstance(target, str):
        return target
    if isinstance(target, Mapping):
        return "\n".join(f"{k}: {text(v)}" for k, v in target.items())
    if isinstance(target, tuple | list):
        counts: dict[str, int] = {}
        for value in target:
            key = text(value)
            counts[key] = counts.get(key, 0) + 1
        return "\n".join(k if n == 1 else f"{k} (×{n})" for k, n in counts.items())
    return text(target)


def score_text(value: float | None) -> str:
    return "" if value is None else f"{round(value, 4):g}"


def thumbnail_uri(data: bytes | None, side: int = THUMB_SIDE) -> str | None:
    """Decode, downscale and re-encode an image so only our own JPEG bytes reach the page."""
    if not data:
        return None
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.width * img.height > _MAX_PIXELS:
                return None
            img.draft("RGB", (side, side))
            rgb = img.convert("RGB")
            rgb.thumbnail((side, side))
            buf = io.BytesIO()
            rgb.save(buf, format="JPEG", quality=THUMB_QUALITY, optimize=True)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _choose(order: list[str], langs: Mapping[str, str], has_thumb: set[str],
            per_language: int) -> list[str]:
    """Up to ``per_language`` ids per language, items with an image first, file order kept."""
    chosen: list[str] = []
    counts: dict[str, int] = {}
    ranked = sorted(range(len(order)), key=lambda i: (order[i] not in has_thumb, i))
    for i in ranked:
        item = order[i]
        lang = langs[item]
        if counts.get(lang, 0) < per_language:
            counts[lang] = counts.get(lang, 0) + 1
            chosen.append(item)
    position = {item: i for i, item in enumerate(order)}
    return sorted(chosen, key=lambda item: (langs[item] != "en", langs[item], position[item]))


def browse(view: TaskView, runs: Sequence[Run], per_language: int = PER_LANGUAGE,
           max_chars: int = MAX_CHARS) -> list[BrowsedItem]:
    """The browsed items of one task (none from reported runs: they have no item records)."""
    logs: list[tuple[Run, dict[str, ItemRecord]]] = []
    for run in runs:
        if view.name in run.tasks:
            records = {r.id: r for r in run.records(view.name)}
            if records:
                logs.append((run, records))
    order: list[str] = []
    langs: dict[str, str] = {}
    has_thumb: set[str] = set()
    for _, records in logs:
        for item, rec in records.items():
            if item not in langs:
                order.append(item)
                langs[item] = rec.lang or "und"
            if rec.thumb:
                has_thumb.add(item)
    by_code = {lang.code: lang for lang in view.languages}
    items = []
    for item in _choose(order, langs, has_thumb, per_language):
        lang = by_code.get(langs[item])
        if lang is None:
            lang = language(langs[item])
        prompt, image, outputs = None, None, []
        for run, records in logs:
            found = records.get(item)
            if found is None:
                continue
            rec = found
            this_prompt = clip(rec.prompt, max_chars)
            if prompt is None:
                prompt = this_prompt
            if image is None and rec.thumb:
                image = thumbnail_uri(run.thumbnail(rec.thumb))
            cell = view.cells.get(lang.code, {}).get(run.label)
            outputs.append(ModelOutput(
                label=run.label, reported=run.reported is not None,
                output=clip(output_text(rec.output), max_chars),
                extracted=clip(text(thaw(rec.answer)), max_chars),
                reference=clip(target_text(rec.target), max_chars),
                score=score_text(rec.score), error=clip(rec.error or "", 300),
                seen=seen_group(cell), prompt="" if this_prompt == prompt else this_prompt))
        items.append(BrowsedItem(task=view.name, language=lang, item_id=item,
                                 prompt=prompt or "", image=image, outputs=tuple(outputs)))
    return items

"""The inputs ``tvbench bench`` measures on: bundled samples, photos, a video clip, scoring.

Every workload is deterministic (seeded), offline and built before timing starts:

* ``bundled``: the bundled TextVQA items (real prompts, small synthetic images), cycled;
* ``photos``: 1024×768 JPEG photos — smooth random scenes with grain, shapes and a sign with
  text, so they compress like camera pictures (≈100–300 KB) rather than like flat
  synthetic images — each with a TextVQA-style question;
* ``video``: a 64-frame 640×360 clip of moving shapes (H.264), sampled by each family's
  rule, with a question;
* ``loglikelihood``: the bundled CoMMuTE pairs (image, instruction, both candidate
  translations), as the contrastive task scores them.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Literal

from tvbench.data.inputs import GenerationSettings, ImagePart, ModelInput, VideoPart

WORKLOADS = ("bundled", "photos", "video", "loglikelihood")
PHOTO_SIZE = (1024, 768)
_QUESTIONS = ("What is written on the sign?", "What colour is the largest shape?",
              "How many objects are in the picture?", "What does the text say? Answer briefly.",
              "Is there anything red in this photo?", "Describe the scene in one sentence.")


@dataclass(frozen=True)
class Workload:
    name: str
    kind: Literal["generate", "loglikelihood"]
    inputs: list[ModelInput]
    continuations: list[str] | None = None

    def describe(self, new_tokens: int) -> str:
        what = {"bundled": "bundled TextVQA inputs", "photos": "1024×768 JPEG photos",
                "video": "video clips (64 frames, 640×360)",
                "loglikelihood": "CoMMuTE log-likelihood requests"}[self.name]
        tail = "" if self.kind == "loglikelihood" else f", {new_tokens} new tokens max"
        return f"{len(self.inputs)} {what}{tail}"


def photo_jpeg(seed: int, size: tuple[int, int] = PHOTO_SIZE) -> bytes:
    """A deterministic photo-like JPEG of ``size`` (width, height)."""
    import numpy as np
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(seed)
    width, height = size

    def field(cells: tuple[int, int], scale: float) -> np.ndarray:
        low = rng.normal(0, scale, (cells[1], cells[0], 3)).astype(np.float32)
        layers = [np.asarray(Image.fromarray(low[..., c]).resize((width, height),
                                                                Image.Resampling.BICUBIC))
                  for c in range(3)]
        return np.stack(layers, axis=-1)

    base = 110 + rng.uniform(-40, 40, 3).astype(np.float32)
    pixels = base + field((6, 4), 45) + field((40, 30), 12) + rng.normal(0, 5, (height, width,
                                                                                 3))
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x, y = int(rng.integers(0, width - 200)), int(rng.integers(0, height - 200))
        w, h = int(rng.integers(60, 260)), int(rng.integers(60, 260))
        colour = tuple(int(c) for c in rng.integers(0, 255, 3))
        shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
        shape((x, y, x + w, y + h), fill=colour)
    sx, sy = int(rng.integers(20, width - 420)), int(rng.integers(20, height - 140))
    draw.rectangle((sx, sy, sx + 400, sy + 120), fill=(235, 235, 225), outline=(20, 20, 20))
    draw.text((sx + 20, sy + 40), f"SHOP {seed:03d} OPEN 9-17", fill=(10, 10, 10),
              font_size=36)
    buf = io.BytesIO()
    image.save(buf, format="JPEG", quality=90)
    return buf.getvalue()


def _clip(seed: int) -> bytes:
    import numpy as np

    from tvbench.data.video import write_mp4

    rng = np.random.default_rng(seed)
    t, h, w = 64, 360, 640
    frames = np.empty((t, h, w, 3), np.uint8)
    frames[:] = (rng.integers(30, 90, 3)).astype(np.uint8)
    for i in range(t):
        for k in range(3):
            x = (i * (k + 3) * 4 + k * 150) % (w - 80)
            y = (k * 100 + i * 2) % (h - 80)
            frames[i, y:y + 80, x:x + 80] = (200 - 50 * k, 60 + 60 * k, 40 * k)
    return write_mp4(frames)


def _photos(n: int) -> list[ModelInput]:
    distinct = [photo_jpeg(seed) for seed in range(min(n, 16))]
    return [ModelInput.user(ImagePart(distinct[i % len(distinct)]),
                            f"{_QUESTIONS[i % len(_QUESTIONS)]} (photo {i})")
            for i in range(n)]


def _bundled(n: int) -> list[ModelInput]:
    from tvbench_tasks.textvqa import TextVQA

    task = TextVQA()
    items = task.load(task.bundled_source())
    return [task.build(items[i % len(items)]) for i in range(n)]


def _video(n: int) -> list[ModelInput]:
    clips = [_clip(seed) for seed in range(2)]
    return [ModelInput.user(VideoPart(clips[i % 2], num_frames=32),
                            f"What happens in this video? (clip {i})") for i in range(n)]


def _loglikelihood(n: int) -> tuple[list[ModelInput], list[str]]:
    from tvbench_tasks.commute import CoMMuTE

    task = CoMMuTE()
    pairs = [pair for item in task.load(task.bundled_source())
             for pair in task.candidates(item)]
    chosen = [pairs[i % len(pairs)] for i in range(n)]
    return [inp for inp, _ in chosen], [cont for _, cont in chosen]


def build(name: str, n: int) -> Workload:
    """The ``n`` inputs of workload ``name``; an unknown name lists the valid ones."""
    if name not in WORKLOADS:
        from tvbench.registry import unknown_name_error

        raise unknown_name_error("workload", name, WORKLOADS)
    if n < 1:
        raise ValueError(f"--items must be at least 1, got {n}")
    if name == "loglikelihood":
        inputs, conts = _loglikelihood(n)
        return Workload(name, "loglikelihood", inputs, conts)
    make = {"bundled": _bundled, "photos": _photos, "video": _video}[name]
    return Workload(name, "generate", make(n))


def settings(new_tokens: int) -> GenerationSettings:
    return GenerationSettings(max_new_tokens=new_tokens)

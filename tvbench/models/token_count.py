"""How many tokens an input costs a model, visual tokens included, before any pixel is decoded.

The batcher sorts inputs by this count and fills batches up to a token budget, so it must be
known up front and cheaply: image sizes come from the encoded file's header (no decode),
a clip's size from its container, and the visual token count from the processor's own
arithmetic (``_get_num_multimodal_tokens``, the method vLLM also relies on), which follows the
processor's settings (pixel bounds, tiling, pan-and-scan). A processor without it, or an
input whose header cannot be read, falls back to a fixed estimate per image; the count only
orders and packs batches, it never changes an output.
"""

from __future__ import annotations

import io
from typing import Any

from tvbench.data.inputs import ImagePart, ModelInput, VideoPart
from tvbench.models.chat_layout import frame_count

#: Tokens assumed for an image whose size or processor arithmetic is unavailable.
FALLBACK_IMAGE_TOKENS = 256


def image_size(part: ImagePart) -> tuple[int, int]:
    """(height, width) from the image header; the pixels are not decoded."""
    from PIL import Image

    with Image.open(io.BytesIO(part.data)) as im:
        width, height = im.size
    return height, width


def video_size(part: VideoPart) -> tuple[int, int]:
    """(height, width) of a clip's first video stream, from its container header."""
    import av

    with av.open(io.BytesIO(part.data)) as container:
        stream = container.streams.video[0]
        return int(stream.codec_context.height), int(stream.codec_context.width)


def _per_image(processor: Any, sizes: list[tuple[int, int]]) -> list[int]:
    counter = getattr(processor, "_get_num_multimodal_tokens", None)
    if counter is None or not sizes:
        return [FALLBACK_IMAGE_TOKENS] * len(sizes)
    data = counter(image_sizes=[list(s) for s in sizes])
    counts = getattr(data, "num_image_tokens", None)
    if counts is None or len(counts) != len(sizes):
        return [FALLBACK_IMAGE_TOKENS] * len(sizes)
    return [int(c) for c in counts]


def _native_video(processor: Any, frames: int, size: tuple[int, int]) -> int | None:
    counter = getattr(processor, "_get_num_multimodal_tokens", None)
    if counter is None:
        return None
    try:
        data = counter(video_sizes=[[frames, *size]])
    except TypeError:  # this processor counts images only
        return None
    counts = getattr(data, "num_video_tokens", None)
    return int(counts[0]) if counts else None


def visual_tokens(processor: Any, inp: ModelInput, video_mode: str, max_frames: int,
                  max_image_frames: int) -> int:
    """Visual tokens of ``inp`` for this processor; clips count as the family sees them
    (native video, or a capped run of frames as images)."""
    total = sum(_per_image(processor, [image_size(p) for p in inp.images]))
    for clip in inp.videos:
        n = frame_count(clip, video_mode, max_frames, max_image_frames)
        size = video_size(clip)
        native = _native_video(processor, n, size) if video_mode == "native" else None
        total += native if native is not None else n * _per_image(processor, [size])[0]
    return total


def estimate(processor: Any, inp: ModelInput, text_tokens: int, video_mode: str,
             max_frames: int, max_image_frames: int) -> int:
    """Text plus visual tokens; an unreadable header falls back to a fixed estimate (the item
    then fails, as a per-item error, where its media is decoded)."""
    try:
        return text_tokens + visual_tokens(processor, inp, video_mode, max_frames,
                                           max_image_frames)
    except Exception:  # a broken file is reported by the batch that decodes it
        return text_tokens + FALLBACK_IMAGE_TOKENS * (len(inp.images) + len(inp.videos))

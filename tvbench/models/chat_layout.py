"""How a :class:`ModelInput` is laid out for a chat template, shared by every local backend.

The transformers and vLLM backends must show a model the same text and the same frames, so
the layout lives here once: typed content parts, or one string per turn with the media
tokens written in (``"<image>\\n{query}"``; which family uses which is in its spec), and video
either as native clips or as a capped run of frames.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tvbench.data.inputs import ImagePart, ModelInput, TextPart, VideoPart

#: Frames per clip when a family sees video as a run of images.
MAX_IMAGE_FRAMES = 8


def frame_count(video: VideoPart, mode: str, max_frames: int,
                max_image_frames: int = MAX_IMAGE_FRAMES) -> int:
    """Frames sampled from ``video``: ``max_frames`` natively, fewer when sent as images."""
    cap = max_frames if mode == "native" else min(max_image_frames, max_frames)
    return min(cap, video.num_frames)


def typed_messages(inp: ModelInput, mode: str, max_frames: int,
                   max_image_frames: int = MAX_IMAGE_FRAMES) -> list[dict[str, Any]]:
    """Messages with ``{"type": "text"|"image"|"video"}`` content parts."""
    out = []
    for m in inp.messages:
        content: list[dict[str, Any]] = []
        for p in m.content:
            if isinstance(p, TextPart):
                content.append({"type": "text", "text": p.text})
            elif isinstance(p, ImagePart):
                content.append({"type": "image"})
            elif mode == "native":
                content.append({"type": "video"})
            else:
                n = frame_count(p, mode, max_frames, max_image_frames)
                content.extend({"type": "image"} for _ in range(n))
        out.append({"role": m.role, "content": content})
    return out


def inline_messages(inp: ModelInput, mode: str, max_frames: int, image_token: str,
                    video_token: str, max_image_frames: int = MAX_IMAGE_FRAMES
                    ) -> list[dict[str, Any]]:
    """Messages as single strings with media tokens inline, each followed by a newline."""
    out = []
    for m in inp.messages:
        text = ""
        for p in m.content:
            if isinstance(p, TextPart):
                text += p.text
            elif isinstance(p, ImagePart):
                text += image_token + "\n"
            elif mode == "native":
                text += video_token + "\n"
            else:
                text += (image_token + "\n") * frame_count(p, mode, max_frames,
                                                            max_image_frames)
        out.append({"role": m.role, "content": text})
    return out


def messages(inp: ModelInput, layout: str, mode: str, max_frames: int, image_token: str,
             video_token: str, max_image_frames: int = MAX_IMAGE_FRAMES
             ) -> list[dict[str, Any]]:
    """Messages in a family's ``layout``: "typed" content parts or "inline" strings."""
    if layout == "inline":
        return inline_messages(inp, mode, max_frames, image_token, video_token, max_image_frames)
    return typed_messages(inp, mode, max_frames, max_image_frames)


def media(inp: ModelInput, mode: str, max_frames: int,
          max_image_frames: int = MAX_IMAGE_FRAMES) -> tuple[list[Any], list[Any]]:
    """(PIL images, (T, H, W, 3) frame arrays) in prompt order; frames become images when
    the family takes video as a run of images."""
    images: list[Any] = []
    videos: list[Any] = []
    for p in (p for m in inp.messages for p in m.content):
        if isinstance(p, ImagePart):
            images.append(p.pil())
        elif isinstance(p, VideoPart):
            frames = p.frames(frame_count(p, mode, max_frames, max_image_frames))
            if mode == "native":
                videos.append(frames)
            else:
                from PIL import Image

                images.extend(Image.fromarray(f) for f in frames)
    return images, videos


def reply_tail(render: Callable[[list[dict[str, Any]], bool], str],
               prompt: list[dict[str, Any]], reply: list[dict[str, Any]]) -> str:
    """The text a chat template writes after its generation prompt for a whole reply turn:
    the reply itself plus the template's end-of-turn tokens (``<end_of_turn>\n``,
    ``<|im_end|>\n``, ...).

    ``render(messages, add_generation_prompt)`` is the checkpoint's template; ``prompt``
    ends with the user turn and ``reply`` is the same conversation with the assistant's
    turn added. A template that does not write the reply right after its generation prompt
    has no such tail (ValueError).
    """
    head = render(prompt, True)
    full = render(reply, False)
    if not full.startswith(head) or len(full) == len(head):
        raise ValueError("the chat template does not write the reply after its generation "
                         "prompt, so the reply turn cannot be scored")
    return full[len(head):]

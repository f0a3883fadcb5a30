"""TowerVision (LLaVA-NeXT: SigLIP2 tiles on a Gemma2 "Tower+" text model) and TowerVideo.

The model card lays the user turn out as one string, ``"<image>\\n{query}"``; the config says
right padding, which breaks batched generation, so padding is set per call (left for
generation). TowerVideo checkpoints (``llava_onevision``) take video natively; TowerVision
image checkpoints see a clip as a capped run of frames.
"""

from __future__ import annotations

from typing import Any

from tvbench.data.inputs import ModelInput
from tvbench.models import chat_layout
from tvbench.models.hf import HFAdapter


class TowerVisionAdapter(HFAdapter):
    family = "towervision"

    def _configure(self) -> None:
        if getattr(self.model.config, "model_type", "") == "llava_onevision":
            self.video_mode = "native"  # TowerVideo

    def chat(self, inp: ModelInput) -> list[dict[str, Any]]:
        return chat_layout.inline_messages(
            inp, self.video_mode, self.options.max_frames,
            getattr(self.processor, "image_token", "<image>"),
            getattr(self.processor, "video_token", "<video>"), self.options.max_image_frames)

"""Qwen2.5-VL: dynamic-resolution images and native video (frames decoded by tvbench).

``min_pixels``/``max_pixels`` move OCRBench by more than 100 points, so they are adapter
settings recorded with every score rather than silent processor defaults.
"""

from __future__ import annotations

from typing import Any

from tvbench.models.hf import HFAdapter


class Qwen25VLAdapter(HFAdapter):
    family = "qwen2_5_vl"
    video_mode = "native"

    def video_kwargs(self) -> dict[str, Any]:
        # Frames are already sampled uniformly by tvbench; the processor must not resample.
        return {"do_sample_frames": False}

"""Gemma 3: SigLIP at 896 px with optional pan-and-scan; video as a capped run of frames."""

from __future__ import annotations

from tvbench.models.hf import HFAdapter


class Gemma3Adapter(HFAdapter):
    family = "gemma3"

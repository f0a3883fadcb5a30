"""Aya Vision: SigLIP tiles on a Cohere2 text model; video as a capped run of frames.

The authors' fork forced fp16 and swallowed exceptions as empty answers; here dtype follows
the run's setting and a failure is a recorded per-item error.
"""

from __future__ import annotations

from tvbench.models.hf import HFAdapter


class AyaVisionAdapter(HFAdapter):
    family = "aya_vision"

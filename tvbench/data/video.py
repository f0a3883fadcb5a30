"""Uniform frame sampling with PyAV: the harness decodes video itself and passes arrays.

Processors' own video loaders depend on torchcodec and a system ffmpeg; decoding here keeps
every family on the same frames, which is what makes video scores comparable.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from tvbench.data.media import MediaError

if TYPE_CHECKING:
    import numpy as np


def uniform_indices(total: int, num_frames: int) -> list[int]:
    """``num_frames`` indices spread evenly over ``total`` frames (centre of each segment)."""
    if total <= 0:
        return []
    if num_frames >= total:
        return list(range(total))
    step = total / num_frames
    return [min(total - 1, int(step * i + step / 2)) for i in range(num_frames)]


def sample_frames(data: bytes, num_frames: int) -> np.ndarray:
    """Decode ``data`` (a video file's bytes) and return ``num_frames`` RGB frames (T, H, W, 3)."""
    import av
    import numpy as np

    try:
        with av.open(io.BytesIO(data)) as container:
            frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    except (av.error.FFmpegError, ValueError, IndexError) as exc:
        raise MediaError(f"cannot decode video: {exc}") from exc
    if not frames:
        raise MediaError("video has no frames")
    return np.stack([frames[i] for i in uniform_indices(len(frames), num_frames)])


def write_mp4(frames: np.ndarray, fps: int = 8) -> bytes:
    """Encode (T, H, W, 3) uint8 frames as H.264 mp4 bytes (to synthesise the bundled data)."""
    import av

    buf = io.BytesIO()
    t, h, w, _ = frames.shape
    with av.open(buf, "w", format="mp4") as c:
        s = c.add_stream("libx264", rate=fps)
        s.width, s.height, s.pix_fmt = w, h, "yuv420p"
        # ultrafast + one thread: the same frames always give the same bytes (veryfast
        # does not), so regenerated bundled sets keep their data fingerprints.
        s.options = {"crf": "23", "preset": "ultrafast", "threads": "1"}
        for i in range(t):
            for p in s.encode(av.VideoFrame.from_ndarray(frames[i], format="rgb24")):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    return buf.getvalue()

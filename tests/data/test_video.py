"""PyAV decoding with uniform frame sampling."""

from __future__ import annotations

import numpy as np
import pytest

from tvbench.data.media import MediaError
from tvbench.data.video import sample_frames, uniform_indices, write_mp4


@pytest.mark.parametrize("total,n,expected", [
    (16, 4, [2, 6, 10, 14]),  # centre of each of 4 equal segments
    (10, 3, [1, 5, 8]),
    (3, 8, [0, 1, 2]),  # fewer frames than asked: all of them
    (0, 4, []),
])
def test_uniform_indices(total: int, n: int, expected: list[int]) -> None:
    assert uniform_indices(total, n) == expected


def test_round_trip_through_h264() -> None:
    frames = np.zeros((16, 48, 64, 3), np.uint8)
    for i in range(16):
        frames[i, :, i * 3:i * 3 + 8] = 255  # a bar moving right
    data = write_mp4(frames)
    assert data[4:8] == b"ftyp" and len(data) < 20_000
    out = sample_frames(data, 4)
    assert out.shape == (4, 48, 64, 3) and out.dtype == np.uint8
    # The bar moves right across the sampled frames: frames really are in time order.
    centres = [float(np.argmax(f[:, :, 0].mean(axis=0))) for f in out]
    assert centres == sorted(centres) and centres[0] < centres[-1]


def test_garbage_is_a_media_error() -> None:
    with pytest.raises(MediaError, match="cannot decode video"):
        sample_frames(b"definitely not an mp4", 4)

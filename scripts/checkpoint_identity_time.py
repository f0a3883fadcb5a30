"""Time a checkpoint's identity: the full sha256 against the sampled one tvbench uses above
256 MiB. Writes a 2.00 GiB checkpoint (two safetensors shards of 64 tensors) to a temporary
folder, warms the page cache, prints the best of 3 of each, and deletes the folder.

    OMP_NUM_THREADS=1 python scripts/checkpoint_identity_time.py
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch
from safetensors.torch import save_file

from tvbench.models.checkpoint import checkpoint_digest, checkpoint_revision


def best_of(fn: Callable[[Path], str], folder: Path, repeat: int = 3) -> float:
    fn(folder)  # page cache warm
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn(folder)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="tvbench-ckpt-"))
    try:
        per_tensor = 2**30 // 4 // 64  # float32 elements: 64 tensors make a 1 GiB shard
        for shard in range(2):
            tensors = {f"w{shard}_{i}": torch.full((per_tensor,), float(i + shard))
                       for i in range(64)}
            save_file(tensors, str(folder / f"model-0000{shard + 1}-of-00002.safetensors"))
        size = sum(p.stat().st_size for p in folder.iterdir())
        print(f"checkpoint: {size / 2**30:.2f} GiB in {len(list(folder.iterdir()))} files")
        print(f"full sha256 (checkpoint_digest): {best_of(checkpoint_digest, folder):.3f} s")
        print(f"identity (checkpoint_revision): {best_of(checkpoint_revision, folder):.3f} s")
    finally:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()

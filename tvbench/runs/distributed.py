"""Data-parallel runs under torchrun or ``accelerate launch``: shard items, merge on rank 0.

tvbench starts no processes and opens no sockets of its own: the launcher sets ``RANK``,
``WORLD_SIZE`` and ``LOCAL_RANK``, and ``torch.distributed`` provides the barrier. Each
rank appends its share of items to its own part file; rank 0 merges the parts, scores and
writes results, so a multi-node run leaves exactly the folder a single process would.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Shard:
    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def active(self) -> bool:
        return self.world > 1

    @property
    def main(self) -> bool:
        return self.rank == 0

    @property
    def part(self) -> str | None:
        """Suffix of this rank's part file, or None when running alone."""
        return f"rank{self.rank}" if self.active else None

    def mine(self, items: Sequence[T]) -> list[T]:
        """Round-robin share of ``items``; identical on every rank given the same order."""
        return [x for i, x in enumerate(items) if i % self.world == self.rank]


def from_env() -> Shard:
    """The shard the launcher assigned (torchrun and accelerate both set these variables)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Shard()
    return Shard(int(os.environ.get("RANK", "0")), world,
                 int(os.environ.get("LOCAL_RANK", os.environ.get("RANK", "0"))))


def device_for(shard: Shard, device: str, cpu_sized: bool = False) -> str:
    """Each rank on its own GPU when the device is left to tvbench; a tiny or small model
    (``cpu_sized``) stays on the CPU under ``auto``, as it does in a single process."""
    if device != "auto" or not shard.active:
        return device
    if cpu_sized:
        return "cpu"
    import torch

    return f"cuda:{shard.local_rank}" if torch.cuda.is_available() else "cpu"


def init(shard: Shard, device: str) -> None:
    if not shard.active:
        return
    import torch.distributed as dist

    if not dist.is_initialized():
        backend = "nccl" if device.startswith("cuda") else "gloo"
        if backend == "nccl":
            import torch

            torch.cuda.set_device(shard.local_rank)
        # Rank 0 scores (COMET, a judge) while the others wait at a barrier: allow hours.
        dist.init_process_group(backend=backend, timeout=timedelta(hours=6))


def barrier(shard: Shard) -> None:
    if shard.active:
        import torch.distributed as dist

        dist.barrier()


def shutdown(shard: Shard) -> None:
    if shard.active:
        import torch.distributed as dist

        if dist.is_initialized():
            dist.destroy_process_group()

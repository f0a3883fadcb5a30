"""How many threads torch may use: the CPUs this process may actually run on.

``os.cpu_count()`` counts the host's CPUs. In a container limited to two of them (a cgroup
CPU quota) or a process pinned with ``taskset`` (its affinity), torch's default of one
thread per host core makes threads fight for the few real ones; two processes side by side
then ran 20–30× slower than one. The budget is the smaller of the affinity mask and the
quota, shared among the data-parallel ranks on this machine; ``--threads N`` overrides it,
as does an ``OMP_NUM_THREADS`` the user set. The chosen number is recorded in results.json
(``hardware.threads``).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")


def cgroup_cpu_limit(root: Path = CGROUP_ROOT) -> float | None:
    """CPUs allowed by the cgroup quota (v2 ``cpu.max``, else v1 ``cfs_quota_us``), or None."""
    try:
        quota, period = (root / "cpu.max").read_text().split()[:2]
        if quota != "max" and int(period) > 0:
            return int(quota) / int(period)
        return None
    except (OSError, ValueError):
        pass
    for folder in (root / "cpu", root / "cpu,cpuacct", root):
        try:
            quota_us = int((folder / "cpu.cfs_quota_us").read_text())
            period_us = int((folder / "cpu.cfs_period_us").read_text())
        except (OSError, ValueError):
            continue
        return quota_us / period_us if quota_us > 0 and period_us > 0 else None
    return None


def affinity_cpus() -> int:
    """CPUs in this process's affinity mask (``taskset``, container cpusets)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def available_cpus(root: Path = CGROUP_ROOT) -> int:
    """The CPUs this process can really use: affinity, capped by the cgroup quota."""
    cpus = affinity_cpus()
    quota = cgroup_cpu_limit(root)
    if quota is not None:
        cpus = min(cpus, max(1, math.ceil(quota)))
    return max(1, cpus)


def ranks_on_this_machine() -> int:
    """Data-parallel processes sharing this machine (torchrun's ``LOCAL_WORLD_SIZE``)."""
    for key in ("LOCAL_WORLD_SIZE", "WORLD_SIZE"):
        value = os.environ.get(key, "")
        if value.isdigit() and int(value) > 0:
            return int(value)
    return 1


@dataclass(frozen=True)
class ThreadPlan:
    threads: int
    source: str  # "--threads" | "OMP_NUM_THREADS" | "available CPUs"
    available: int
    ranks: int

    def describe(self) -> dict[str, object]:
        return {"intra_op": self.threads, "source": self.source,
                "cpus_available": self.available, "ranks_per_machine": self.ranks,
                "cpu_count": os.cpu_count()}


def plan_threads(override: int | None = None, root: Path = CGROUP_ROOT) -> ThreadPlan:
    """The intra-op thread count for this process, and where it comes from."""
    available, ranks = available_cpus(root), ranks_on_this_machine()
    if override is not None:
        return ThreadPlan(override, "--threads", available, ranks)
    omp = os.environ.get("OMP_NUM_THREADS", "")
    if omp.isdigit() and int(omp) > 0:
        return ThreadPlan(int(omp), "OMP_NUM_THREADS", available, ranks)
    return ThreadPlan(max(1, available // ranks), "available CPUs", available, ranks)


def apply(plan: ThreadPlan) -> None:
    """Set torch's intra-op threads (imports torch: call it just before a model loads)."""
    import torch

    if torch.get_num_threads() != plan.threads:
        torch.set_num_threads(plan.threads)

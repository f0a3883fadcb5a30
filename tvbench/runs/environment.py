"""Where a number was made: tvbench version, git commit, package versions, hardware."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import tvbench

PACKAGES = ("torch", "torchvision", "transformers", "tokenizers", "datasets", "accelerate",
            "sacrebleu", "numpy", "pillow", "av", "vllm", "lmms-eval")


def package_versions() -> dict[str, str]:
    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def git_commit() -> dict[str, Any]:
    """The commit of the tvbench checkout (``None`` outside a git checkout) and a dirty flag."""
    root = Path(tvbench.__file__).resolve().parent.parent
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], check=True,
                                capture_output=True, text=True, timeout=5).stdout.strip()
        status = subprocess.run(["git", "-C", str(root), "status", "--porcelain",
                                 "--untracked-files=no"], check=True, capture_output=True,
                                text=True, timeout=5).stdout
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}
    return {"commit": commit, "dirty": bool(status.strip())}


def hardware() -> dict[str, Any]:
    info: dict[str, Any] = {"platform": platform.platform(), "python": sys.version.split()[0],
                            "cpu_count": os.cpu_count(), "processor": platform.machine()}
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        info["gpus"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
        info["cuda"] = torch.version.cuda
    else:
        info["gpus"] = []
    return info


def environment(threads: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The environment block of results.json; ``threads`` is the run's thread setting."""
    info = hardware()
    if threads is not None:
        info["threads"] = dict(threads)
    return {"tvbench_version": tvbench.__version__, "git": git_commit(),
            "packages": package_versions(), "hardware": info}

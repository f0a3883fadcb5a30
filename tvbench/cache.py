"""Where tvbench keeps what it can rebuild: tiny checkpoints, judge replies, worker logs."""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """``$TVBENCH_CACHE``, else ``$XDG_CACHE_HOME/tvbench``, else ``~/.cache/tvbench``."""
    root = os.environ.get("TVBENCH_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "tvbench")
    return Path(root)

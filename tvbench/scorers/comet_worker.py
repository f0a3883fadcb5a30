"""COMET scoring worker: one JSON request on stdin, one JSON response on stdout.

Runs in the COMET interpreter (``tvbench setup comet``), which has unbabel-comet with its
``transformers<5``/``numpy<2`` pins, so it imports nothing from tvbench. Request::

    {"model": "<hub id, checkpoint folder or model.ckpt>", "batch_size": 16, "gpus": 0,
     "items": [{"src": ..., "mt": ..., "ref": ...}, ...]}

Response: ``{"scores", "system_score", "comet_version", "model", "checkpoint", "revision",
"digest"}``. Libraries print banners to stdout, so file descriptor 1 points at stderr while
COMET runs and only the response reaches the real stdout. On failure the worker prints
``{"error": ..., "stage": "load" | "score"}``, writes the traceback to stderr and exits
with status 1.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import traceback
from typing import Any

_DIGEST_BYTES = 8 << 20


class ModelLoadError(RuntimeError):
    """The model could not be found or loaded (reported as ``"stage": "load"``)."""


def _drop_script_dir() -> None:
    """Keep this folder off sys.path: its comet.py (tvbench's client) would shadow comet."""
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]


def checkpoint_path(model: str) -> tuple[str, str | None]:
    """(path of model.ckpt, hub revision or None) for a file, folder or hub id."""
    if os.path.isfile(model):
        return os.path.abspath(model), None
    if os.path.isdir(model):
        for candidate in ("checkpoints/model.ckpt", "model.ckpt"):
            path = os.path.join(model, candidate)
            if os.path.isfile(path):
                return os.path.abspath(path), None
        raise FileNotFoundError(f"COMET model folder {model!r} has no checkpoints/model.ckpt")
    from huggingface_hub import snapshot_download

    try:  # the hub cache; honours HF_HUB_OFFLINE and the user's login for gated models
        folder = snapshot_download(repo_id=model)
    except Exception as exc:  # comet's own download_model hides why; say it
        raise RuntimeError(
            f"cannot get COMET model {model!r} from the Hugging Face hub ({type(exc).__name__}: "
            f"{exc}). Gated models (Unbabel/XCOMET-XL) need accepted terms and a login; "
            "offline, set [comet] model to a local checkpoint folder") from exc
    path = os.path.join(folder, "checkpoints", "model.ckpt")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"COMET model {model!r} has no checkpoints/model.ckpt")
    m = re.search(r"snapshots[/\\]([0-9a-f]{40})[/\\]", path)
    return path, (m.group(1) if m else None)


def digest(path: str) -> str:
    """sha256 of the checkpoint's size and first 8 MiB: cheap, even for 14 GB XCOMET-XXL."""
    h = hashlib.sha256(str(os.path.getsize(path)).encode())
    with open(path, "rb") as f:
        h.update(f.read(_DIGEST_BYTES))
    return h.hexdigest()


def validate(request: Any) -> tuple[str, int, int, list[dict[str, str]]]:
    if not isinstance(request, dict):
        raise ValueError("request must be a JSON object")
    model = request.get("model")
    if not isinstance(model, str) or not model:
        raise ValueError("request.model must be a non-empty string")
    batch_size = int(request.get("batch_size", 16))
    gpus = int(request.get("gpus", 0))
    items = request.get("items")
    if not isinstance(items, list) or not items:
        raise ValueError("request.items must be a non-empty list")
    clean = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not all(isinstance(item.get(k), str)
                                                 for k in ("src", "mt", "ref")):
            raise ValueError(f"request.items[{i}] needs string fields src, mt and ref")
        clean.append({"src": item["src"], "mt": item["mt"], "ref": item["ref"]})
    return model, batch_size, gpus, clean


def score(request: Any) -> dict[str, Any]:
    model, batch_size, gpus, items = validate(request)
    import comet
    from comet import load_from_checkpoint

    try:
        path, revision = checkpoint_path(model)
        offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes")
        net = load_from_checkpoint(path, local_files_only=offline)
    except Exception as exc:
        raise ModelLoadError(f"{type(exc).__name__}: {exc}") from exc
    pred = net.predict(items, batch_size=batch_size, gpus=gpus,
                       accelerator="cpu" if gpus == 0 else "auto", num_workers=0,
                       progress_bar=False)
    scores = [float(x) for x in pred.scores]
    if len(scores) != len(items):
        raise RuntimeError(f"COMET returned {len(scores)} scores for {len(items)} items")
    return {"scores": scores, "system_score": float(pred.system_score),
            "comet_version": str(getattr(comet, "__version__", "unknown")), "model": model,
            "checkpoint": path, "revision": revision, "digest": digest(path)}


def main() -> int:
    _drop_script_dir()
    real_stdout = os.dup(1)
    os.dup2(2, 1)  # anything COMET/Lightning prints goes to the log, not the protocol
    sys.stdout = sys.stderr
    try:
        response = score(json.loads(sys.stdin.read()))
        code = 0
    except Exception as exc:  # every failure becomes one protocol error message
        traceback.print_exc()
        if isinstance(exc, ModelLoadError):
            response = {"error": str(exc), "stage": "load"}
        else:
            response = {"error": f"{type(exc).__name__}: {exc}", "stage": "score"}
        code = 1
    sys.stderr.flush()
    with os.fdopen(real_stdout, "w", encoding="utf-8") as out:
        out.write(json.dumps(response))
        out.write("\n")
    return code


if __name__ == "__main__":
    sys.exit(main())

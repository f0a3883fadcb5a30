"""COMET scoring through a separate interpreter (the COMET virtual environment).

unbabel-comet pins ``transformers<5`` and ``numpy<2``, so it cannot be imported next to
tvbench. :class:`CometClient` starts ``comet_worker.py`` in the interpreter that
``tvbench setup comet`` created, sends one JSON request on stdin and reads one JSON response
from stdout; the worker's stderr is appended to a log. Any failure (missing interpreter,
unknown model, a crash, output that is not the protocol) raises :class:`CometError` naming
the model and the interpreter, which tasks turn into a "not scored" note: a missing COMET
is never replaced by another metric.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tvbench.cache import cache_root

WORKER = Path(__file__).with_name("comet_worker.py")
DEFAULT_PYTHON = ".venv-comet/bin/python"
SETUP_HINT = "run `tvbench setup comet`"
#: Environment variables that would leak tvbench's packages into the COMET interpreter.
_LEAKY_ENV = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")


class CometError(RuntimeError):
    """COMET could not score; the message names the model, the interpreter and the log."""


@dataclass(frozen=True)
class CometResult:
    """Segment scores (COMET's 0–1 scale) plus who produced them."""

    scores: list[float]
    system_score: float
    comet_version: str
    model: str
    revision: str | None
    digest: str

    def identity(self) -> str:
        """The model as it goes into signatures: hub id@revision, else name#content digest."""
        if self.revision:
            ident = f"{self.model}@{self.revision[:12]}"
        elif os.path.exists(self.model):
            ident = f"{Path(self.model).name or self.model}#{self.digest[:8]}"
        else:
            ident = f"{self.model}#{self.digest[:8]}"
        return ident.replace("|", "/")

    def describe(self) -> str:
        return f"model:{self.identity()},comet:{self.comet_version}"


def _default_log() -> Path:
    return cache_root() / "logs" / "comet-worker.log"


@dataclass(frozen=True)
class CometClient:
    """Scores ``{"src", "mt", "ref"}`` triples with one COMET model in its own interpreter.

    ``gpus=None`` lets the worker use one GPU when it sees one and the CPU otherwise.
    """

    python: str
    model: str
    batch_size: int = 16
    gpus: int | None = None
    timeout: float = 7200.0
    log_path: Path | None = None
    #: A model that failed to load is not retried in this process (one run, many models).
    _load_failure: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def where(self) -> str:
        return f"COMET model {self.model!r} in interpreter {self.python!r}"

    def score(self, items: Sequence[Mapping[str, str]]) -> CometResult:
        if not items:
            raise ValueError("COMET needs at least one segment to score")
        if "error" in self._load_failure:
            raise CometError(self._load_failure["error"] + " (not retried: the model failed "
                             "to load earlier in this run)")
        gpus = self.gpus if self.gpus is not None else _visible_gpus()
        request = {"model": self.model, "batch_size": self.batch_size, "gpus": gpus,
                   "items": [{"src": str(x["src"]), "mt": str(x["mt"]), "ref": str(x["ref"])}
                             for x in items]}
        log = self.log_path or _default_log()
        env = {k: v for k, v in os.environ.items() if k not in _LEAKY_ENV}
        env.setdefault("TOKENIZERS_PARALLELISM", "false")
        try:
            proc = subprocess.run([self.python, str(WORKER)], input=json.dumps(request),
                                  capture_output=True, text=True, timeout=self.timeout, env=env)
        except FileNotFoundError as exc:
            raise CometError(f"{self.where()}: the interpreter does not exist ({SETUP_HINT})"
                             ) from exc
        except subprocess.TimeoutExpired as exc:
            self._log(log, request, str(exc.stderr or ""), None)
            raise CometError(f"{self.where()}: no answer after {self.timeout:g}s; "
                             f"worker log: {log}") from exc
        except OSError as exc:
            raise CometError(f"{self.where()}: cannot start the worker: {exc}") from exc
        self._log(log, request, proc.stderr, proc.returncode)
        return self._parse(proc, len(items), log)

    def _parse(self, proc: subprocess.CompletedProcess[str], n: int, log: Path
               ) -> CometResult:
        try:  # the worker's stdout is exactly one JSON object; anything else is broken
            response = json.loads(proc.stdout) if proc.stdout.strip() else None
        except ValueError:
            response = None
        if proc.returncode != 0:
            why = (response.get("error") if isinstance(response, dict) else None) or _tail(
                proc.stderr)
            message = (f"{self.where()}: worker exited with status {proc.returncode}: {why}; "
                       f"worker log: {log}")
            if isinstance(response, dict) and response.get("stage") == "load":
                self._load_failure["error"] = message
            raise CometError(message)
        if not isinstance(response, dict):
            raise CometError(f"{self.where()}: worker output is not a JSON response "
                             f"({proc.stdout.strip()[:200]!r}); worker log: {log}")
        scores = response.get("scores")
        if (not isinstance(scores, list) or len(scores) != n
                or not all(_finite(x) for x in scores)):
            raise CometError(f"{self.where()}: worker returned a malformed response (expected "
                             f"{n} finite scores); worker log: {log}")
        system = response.get("system_score")
        return CometResult(scores=[float(x) for x in scores],
                           system_score=float(system) if _finite(system) else math.nan,
                           comet_version=str(response.get("comet_version", "unknown")),
                           model=str(response.get("model", self.model)),
                           revision=response.get("revision") or None,
                           digest=str(response.get("digest", "")))

    def _log(self, log: Path, request: Mapping[str, Any], stderr: str,
             code: int | None) -> None:
        try:
            log.parent.mkdir(parents=True, exist_ok=True)
            with log.open("a", encoding="utf-8") as f:
                f.write(f"=== {time.strftime('%Y-%m-%d %H:%M:%S')} {self.where()} "
                        f"n={len(request['items'])} exit={code}\n{stderr}\n")
        except OSError:
            pass  # a log we cannot write must not turn a good score into a failure


def _finite(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _tail(text: str, lines: int = 5) -> str:
    rows = [r for r in text.strip().splitlines() if r.strip()]
    return " / ".join(rows[-lines:]) or "no error output"


def _visible_gpus() -> int:
    """1 when a CUDA device is visible to this process's environment, else 0 (CPU)."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None and visible.strip() in ("", "-1"):
        return 0
    return 1 if Path("/dev/nvidia0").exists() else 0


def config_folder(config: Any) -> Path:
    """The folder relative ``[comet]`` paths resolve against: the config file's own folder,
    whatever the working directory (for the copy packaged inside tvbench, which has no
    folder of the user's, the working directory)."""
    path = str(getattr(config, "path", "tvbench.toml"))
    return Path.cwd() if path.startswith("<") else Path(path).parent.resolve()


def interpreter_path(config: Any) -> Path:
    """Where ``[comet] python`` points, resolved against :func:`config_folder`; the place
    ``tvbench setup comet`` creates it and COMET scoring looks for it."""
    table: Mapping[str, Any] = getattr(config, "comet", None) or {}
    python = Path(str(table.get("python", DEFAULT_PYTHON))).expanduser()
    return python if python.is_absolute() else config_folder(config) / python


def comet_from_config(config: Any) -> tuple[CometClient | None, str | None]:
    """A client from the ``[comet]`` table, or None and the reason COMET cannot run.

    Relative ``python`` and ``model`` paths resolve against the config file's folder. Only
    cheap checks happen here; a model that cannot load surfaces when scoring starts.
    """
    table: Mapping[str, Any] = getattr(config, "comet", None) or {}
    model = table.get("model")
    if not model:
        return None, "COMET is not configured ([comet] model in tvbench.toml)"
    base = config_folder(config)
    python = interpreter_path(config)
    if not python.is_file():
        return None, f"COMET interpreter {str(python)!r} not found ({SETUP_HINT})"
    gpus = table.get("gpus")
    if gpus is not None and not 0 <= int(gpus) <= 1:
        return None, f"[comet] gpus = {gpus}: the COMET worker uses 0 or 1 GPU"
    local = base / str(model)
    if not Path(str(model)).is_absolute() and local.exists():
        model = str(local.absolute())
    return CometClient(python=str(python.absolute()), model=str(model),
                       batch_size=int(table.get("batch_size", 16)),
                       gpus=None if gpus is None else int(gpus),
                       timeout=float(table.get("timeout", 7200.0))), None


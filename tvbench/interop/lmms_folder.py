"""An lmms-eval output folder on disk: its results JSON files and their per-sample logs.

Layout (``--output_path OUT --log_samples``)::

    OUT/<model>/<date>_results.json           aggregated results, task configs, run config
    OUT/<model>/<date>_samples_<task>.jsonl   one line per doc, in doc_id order

Several runs into one OUT sit side by side; a results file belongs with the samples files of
the same folder and ``<date>``. Two layouts are read:

- ``0.7``: lmms-eval 0.7.x. The sample lines have no ``doc`` (it is popped before writing),
  single-element lists are flattened (``filtered_resps`` is a string) and ``doc_hash`` is
  sha256("null") on every line, so items are known by ``doc_id`` and the task's own payload.
  The results carry ``lmms_eval_version``, which a PyPI install writes as
  ``"unknown@unknown"``: the package version is not in the folder.
- ``fork-0.3``: the TowerVision authors' fork (lmms-eval 0.3). Lines carry ``doc`` (every doc
  field whose name does not contain "image"), nested ``resps``/``filtered_resps`` lists and
  the metric payloads; the results have ``git_hash`` but no ``lmms_eval_version``.

Every problem names the file (and line) it was found in.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_RESULTS = re.compile(r"^(?P<date>.+)_results\.json$")
_FUNCTION = re.compile(r"<function (\w+)")
#: What lmms-eval 0.7.x writes for ``lmms_eval_version`` when it was installed from PyPI.
UNKNOWN_VERSION = "unknown@unknown"


class LmmsFormatError(ValueError):
    """A file of an lmms-eval folder that is not what lmms-eval writes; names file and line."""


def function_name(value: Any) -> str | None:
    """``"<function textvqa_process_results at 0x…>"`` → ``textvqa_process_results``."""
    m = _FUNCTION.match(value) if isinstance(value, str) else None
    return m.group(1) if m else None


@dataclass(frozen=True)
class SampleLine:
    """One logged doc of one task."""

    doc_id: int
    data: Mapping[str, Any]
    where: str  # "file:line", for messages

    def get(self, name: str) -> Any:
        return self.data.get(name)

    def require(self, name: str, kind: type | tuple[type, ...]) -> Any:
        value = self.data.get(name)
        if isinstance(value, bool) or not isinstance(value, kind):
            raise LmmsFormatError(f"{self.where}: field {name!r} is missing or not a "
                                  f"{getattr(kind, '__name__', kind)} ({value!r:.80})")
        return value

    @property
    def doc(self) -> Mapping[str, Any] | None:
        doc = self.data.get("doc")
        return doc if isinstance(doc, Mapping) else None

    def text(self) -> str:
        """What the task's ``process_results`` scored: ``filtered_resps``, unwrapped."""
        value = self.data.get("filtered_resps")
        while isinstance(value, list) and len(value) == 1:
            value = value[0]
        if not isinstance(value, str):
            raise LmmsFormatError(f"{self.where}: 'filtered_resps' is not one text "
                                  f"({value!r:.80})")
        return value

    def raw_text(self) -> str | None:
        """``resps`` when it differs from what was scored (0.7.x drops it when equal)."""
        value = self.data.get("resps")
        while isinstance(value, list) and len(value) == 1:
            value = value[0]
        return value if isinstance(value, str) else None

    def output_tokens(self) -> int | None:
        counts = self.data.get("token_counts")
        if isinstance(counts, list) and counts and isinstance(counts[0], Mapping):
            n = counts[0].get("output_tokens")
            return n if isinstance(n, int) and not isinstance(n, bool) else None
        return None


@dataclass(frozen=True)
class LmmsRun:
    """One ``<date>_results.json`` and the samples files that belong to it."""

    results_path: Path
    results: Mapping[str, Any]
    samples: Mapping[str, Path]  # lmms task name → samples file

    @property
    def layout(self) -> str:
        return "0.7" if "lmms_eval_version" in self.results else "fork-0.3"

    def version(self, given: str | None) -> str:
        """The lmms-eval version: ``given`` (a flag), else the git identity the folder
        records, else ``unknown`` — never a guess."""
        if given:
            return given
        recorded = self.results.get("lmms_eval_version")
        if isinstance(recorded, str) and recorded and recorded != UNKNOWN_VERSION:
            return f"git:{recorded}"
        git = self.results.get("git_hash")
        if isinstance(git, str) and git:
            return f"git:{git}"
        return "unknown"

    def configs(self) -> Mapping[str, Mapping[str, Any]]:
        configs = self.results.get("configs")
        if not isinstance(configs, Mapping):
            raise LmmsFormatError(f"{self.results_path}: no 'configs' object")
        return {k: v for k, v in configs.items() if isinstance(v, Mapping)}

    def task_results(self, task: str) -> Mapping[str, Any]:
        block = (self.results.get("results") or {}).get(task)
        return block if isinstance(block, Mapping) else {}

    def config(self) -> Mapping[str, Any]:
        value = self.results.get("config")
        return value if isinstance(value, Mapping) else {}

    def model_args(self) -> dict[str, str]:
        """``model_args`` as a dict (``key=value`` pairs separated by commas)."""
        raw = self.config().get("model_args")
        out: dict[str, str] = {}
        if isinstance(raw, str):
            for part in raw.split(","):
                key, sep, value = part.partition("=")
                if sep and key.strip():
                    out[key.strip()] = value.strip()
        elif isinstance(raw, Mapping):
            out = {str(k): str(v) for k, v in raw.items()}
        return out

    def model_name(self) -> str:
        for value in (self.results.get("model_name"), self.model_args().get("pretrained"),
                      self.model_args().get("model_version"),
                      self.results.get("model_name_sanitized"), self.config().get("model")):
            if isinstance(value, str) and value:
                return value
        return self.results_path.parent.name

    def lines(self, task: str) -> list[SampleLine]:
        """The task's logged docs, by doc_id; a duplicate doc_id is an error."""
        path = self.samples.get(task)
        if path is None:
            raise LmmsFormatError(f"{self.results_path}: no samples file for task {task!r} "
                                  "(was lmms-eval run with --log_samples?)")
        out: dict[int, SampleLine] = {}
        with path.open(encoding="utf-8") as f:
            for n, raw in enumerate(f, start=1):
                if not raw.strip():
                    continue
                where = f"{path}:{n}"
                try:
                    data = json.loads(raw)
                except json.JSONDecodeError as exc:
                    raise LmmsFormatError(f"{where}: not JSON ({exc})") from exc
                doc_id = data.get("doc_id") if isinstance(data, dict) else None
                if isinstance(doc_id, bool) or not isinstance(doc_id, int):
                    raise LmmsFormatError(f"{where}: no integer 'doc_id'")
                if doc_id in out:
                    raise LmmsFormatError(f"{where}: doc_id {doc_id} is logged twice")
                out[doc_id] = SampleLine(doc_id, data, where)
        return [out[k] for k in sorted(out)]


def _read_json(path: Path) -> Mapping[str, Any]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise LmmsFormatError(f"{path}: not a JSON file ({exc})") from exc
    if not isinstance(data, Mapping) or not isinstance(data.get("results"), Mapping):
        raise LmmsFormatError(f"{path}: not an lmms-eval results file (no 'results' object)")
    return data


def find_runs(folder: Path) -> list[LmmsRun]:
    """Every results file under ``folder`` with its samples files."""
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder")
    runs = []
    for path in sorted(folder.rglob("*_results.json")):
        m = _RESULTS.match(path.name)
        if m is None:
            continue
        prefix = f"{m.group('date')}_samples_"
        samples = {p.name[len(prefix):-len(".jsonl")]: p
                   for p in sorted(path.parent.glob(f"{prefix}*.jsonl"))}
        runs.append(LmmsRun(path, _read_json(path), samples))
    if not runs:
        raise LmmsFormatError(f"{folder}: no lmms-eval results file (<date>_results.json) "
                              "in it or below it")
    return runs


def numeric_metrics(block: Mapping[str, Any]) -> dict[str, Any]:
    """``{"exact_match": 0.63, "ocr_results": {...}}`` from a ``results[task]`` block: every
    ``<metric>,<filter>`` value except the stderr siblings."""
    out = {}
    for key, value in block.items():
        name, sep, _filter = key.partition(",")
        if sep and "_stderr" not in name and value is not None:
            out[name] = value
    return out


def write_jsonl(path: Path, lines: Sequence[Mapping[str, Any]]) -> None:
    path.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), "utf-8")

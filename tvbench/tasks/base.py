"""What a benchmark is: its data, prompt, answer extraction, metrics and version.

A task maps real dataset records to :class:`Item` values, renders each into a
:class:`ModelInput` (or candidate continuations for log-likelihood tasks), and scores what
comes back as an :class:`ItemScore`. It never sees a model. The run keeps one
:class:`~tvbench.data.record.ItemRecord` per item; metrics read statistics from those records,
and model-based metrics (COMET, a judge) make new records in :meth:`Task.rescore`. Scoring
math lives in :mod:`tvbench.metrics`; a task only chooses which pure function applies.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

from tvbench.data.inputs import GenerationSettings, ModelInput, ScoringSettings
from tvbench.data.item import Item
from tvbench.data.languages import LanguageError, resolve
from tvbench.data.loading import DataSource, HubDataset, LocalDataset, base_dir, load_records
from tvbench.data.media import MediaError
from tvbench.data.outputs import Capability, Generation, LogLikelihood
from tvbench.data.record import ItemRecord
from tvbench.metrics.aggregate import Aggregation
from tvbench.tasks.scoring import Rescored, Scorers


def require(record: Mapping[str, Any], name: str, kind: type | tuple[type, ...] = str) -> Any:
    """A record field that must be present and of ``kind``; otherwise a per-item error.

    The ``datasets`` json loader fills a missing column with None, so presence alone is not
    enough: ``str(None)`` would silently become the question "None".
    """
    if name not in record or record[name] is None:
        raise KeyError(f"field {name!r} is missing")
    value = record[name]
    if not isinstance(value, kind):
        want = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise ValueError(f"field {name!r} should be {want}, got {type(value).__name__}")
    return value


class TaskOptionError(ValueError):
    """An unknown task option or a value outside its allowed set."""


@dataclass(frozen=True)
class Option:
    """A documented task parameter; its value is part of the task's signature."""

    default: Any
    choices: tuple[Any, ...] | None = None
    help: str = ""


def mean_zero(_item: Item) -> list[float]:
    """A failed item in a mean: the value 0 over one item."""
    return [0.0, 1.0]


@dataclass(frozen=True)
class MetricSpec:
    """One metric of a task: how an item's record becomes statistics, and how they combine.

    ``stats`` returns None for an item the metric does not cover (another track or
    question type) or could not score. ``zero`` gives the statistics an item contributes
    when it failed (its record has an error): the metric's zero, as every official scorer
    counts a missing answer (0 in a mean, an empty hypothesis in a corpus metric). It
    returns None for an item the metric does not cover, or whose reference is unreadable.
    The default fits metrics whose aggregation is a mean of ``[value, 1]``; every other
    aggregation must say what its zero is.
    ``higher_is_better`` tells a regression check which way is worse (an error rate or an
    edit distance would set it False).
    """

    name: str
    aggregation: Aggregation
    describe: str
    stats: Callable[[Item, ItemRecord], Sequence[float] | None]
    zero: Callable[[Item], Sequence[float] | None] = mean_zero
    higher_is_better: bool = True


@dataclass(frozen=True)
class ItemScore:
    """What :meth:`Task.score` makes of one output: the extracted answer, the primary score,
    per-metric statistics and task-specific extras (all stored in the item's record)."""

    answer: Any
    score: float | None
    metrics: Mapping[str, float] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)


class Task:
    """Base class for benchmark definitions; subclasses fill the class variables."""

    name: ClassVar[str]
    version: ClassVar[int]
    title: ClassVar[str] = ""
    hub: ClassVar[HubDataset]
    #: Every language the real benchmark covers (BCP-47).
    languages: ClassVar[tuple[str, ...]]
    #: The languages the TowerVision paper reports (``--languages paper``, the default);
    #: None where the paper's set is every language the task reads by default.
    paper_languages: ClassVar[tuple[str, ...] | None] = None
    #: A plain attribute, not a ClassVar: a task option may switch it per instance
    #: (CoMMuTE's generative variant).
    kind: Literal["generate", "loglikelihood"] = "generate"
    generation: ClassVar[GenerationSettings] = GenerationSettings()
    requires: ClassVar[frozenset[Capability]] = frozenset({Capability.IMAGE})
    options: ClassVar[Mapping[str, Option]] = {}
    #: Folder of the bundled data set, relative to the task module's file.
    bundled_dir: ClassVar[str] = ""
    #: Language attributes (``languages.json``: resource, script, family) whose groups the
    #: benchmark's paper reports; written to results.json so the gate can check each group.
    language_groups: ClassVar[tuple[str, ...]] = ()
    #: Jinja2 prompt templates; hashed into the prompt fingerprint.
    templates: ClassVar[Mapping[str, str]] = {}

    def __init__(self, **options: Any) -> None:
        self.config: dict[str, Any] = {}
        for key, value in options.items():
            self.check_option(key, value)
            self.config[key] = value
        for key, opt in self.options.items():
            self.config.setdefault(key, opt.default)

    @classmethod
    def check_option(cls, key: str, value: Any) -> None:
        """Raise TaskOptionError unless ``key`` is a declared option and ``value`` one of its
        choices; callers that know where the value came from re-raise it located."""
        if key not in cls.options:
            from tvbench.registry import unknown_name_error

            raise TaskOptionError(str(unknown_name_error(f"option of task {cls.name!r}",
                                                         key, cls.options)))
        allowed = cls.options[key].choices
        if allowed is not None and value not in allowed:
            raise TaskOptionError(f"task {cls.name!r} option {key!r}: {value!r} is not one "
                                  f"of {', '.join(map(repr, allowed))}")

    # ------------------------------------------------------------------ data
    def bundled_source(self) -> LocalDataset:
        """The bundled data set, next to the module of the class that declares it (so a
        plugin that subclasses a built-in task reuses the built-in data)."""
        import sys

        owner = next(c for c in type(self).__mro__ if "bundled_dir" in vars(c))
        module_file = Path(sys.modules[owner.__module__].__file__ or ".")
        return LocalDataset(module_file.parent / self.bundled_dir, split=self.hub.split)

    def parts(self, source: DataSource, languages: frozenset[str] | None
              ) -> list[tuple[DataSource, Any]]:
        """The sources to read, each with a context handed to :meth:`items_from`.

        One part by default. A benchmark whose real data has one split or config per
        language or track (CoMMuTE, CC-OCR) returns one part per selected split.
        """
        return [(source, None)]

    def items_from(self, record: Mapping[str, Any], index: int, folder: str | None,
                   context: Any) -> list[Item]:
        """The items one record yields: one by default, none for a record the protocol
        skips (ALM-Bench's paper subset), several for one row per direction (Multi30K)."""
        return [self.to_item(record, index, folder)]

    def load(self, source: DataSource, languages: Iterable[str] | None = None,
             limit: int | None = None) -> list[Item]:
        """All items of ``source``, keeping ``languages`` and at most ``limit`` per language.

        A record that cannot be mapped becomes an item with ``error`` set, never a drop.
        """
        wanted = frozenset(resolve(x) for x in languages) if languages else None
        per_lang: dict[str, int] = {}
        out: list[Item] = []
        for part, context in self.parts(source, wanted):
            folder = base_dir(part)
            for index, record in enumerate(load_records(part)):
                try:
                    produced = self.items_from(record, index, folder, context)
                except (KeyError, TypeError, ValueError, MediaError, LanguageError) as exc:
                    produced = [Item(id=self.fallback_id(record, index, context),
                                     lang=self.fallback_lang(record, context),
                                     error=f"bad record: {type(exc).__name__}: {exc}")]
                for item in produced:
                    if wanted is not None and item.lang not in wanted:
                        continue
                    if limit is not None and per_lang.get(item.lang, 0) >= limit:
                        continue
                    per_lang[item.lang] = per_lang.get(item.lang, 0) + 1
                    out.append(item)
        ids = [it.id for it in out]
        if len(set(ids)) != len(ids):
            dupes = sorted({i for i in ids if ids.count(i) > 1})[:5]
            raise ValueError(f"task {self.name!r}: duplicate item ids in the data: {dupes}")
        return out

    def to_item(self, record: Mapping[str, Any], index: int, folder: str | None) -> Item:
        raise NotImplementedError

    def fallback_id(self, record: Mapping[str, Any], index: int, context: Any = None) -> str:
        """The id of an item whose record could not be mapped."""
        return f"row{index}"

    def fallback_lang(self, record: Mapping[str, Any], context: Any = None) -> str:
        return self.languages[0]

    # ---------------------------------------------------------------- prompts
    def build(self, item: Item) -> ModelInput:
        """The model input for a generation task."""
        raise NotImplementedError

    def candidates(self, item: Item) -> list[tuple[ModelInput, str]]:
        """(input, continuation) pairs for a log-likelihood task, in a fixed order."""
        raise NotImplementedError

    def settings(self) -> GenerationSettings:
        return self.generation

    def generation_for(self, lang: str) -> GenerationSettings:
        """Decoding settings for the items of one language (the task's by default; the
        fork's ALM-Bench gives English a smaller cap)."""
        return self.settings()

    def scoring(self) -> ScoringSettings:
        """What a log-likelihood task's requests score (see :class:`ScoringSettings`)."""
        return ScoringSettings()

    def language_selection(self, preset: str) -> frozenset[str] | None:
        """The languages ``--languages paper`` or ``--languages all`` loads (None: every
        language the task reads by default). ``all`` keeps to what the options can score."""
        if preset == "paper" and self.paper_languages is not None:
            return frozenset(self.paper_languages)
        scorable = self.scorable_languages()
        return scorable[0] if scorable is not None else None

    def scorable_languages(self) -> tuple[frozenset[str], str] | None:
        """The languages the chosen options can score, when fewer than the task reads, and
        why (None: all). Planning refuses the others by name instead of scoring their items
        0 one by one."""
        return None

    # ---------------------------------------------------------------- scoring
    def score(self, item: Item, output: Generation | list[LogLikelihood]) -> ItemScore:
        """Pure: the answer extracted from ``output`` and its score (no model, no I/O)."""
        raise NotImplementedError

    def target(self, item: Item) -> Any:
        """The item's gold answer(s), as a reader should see them next to the output.

        Kept in the item's record (``ItemRecord.target``) and shown by the report's item
        browser. A function of the item alone, so items whose model call failed keep it too.
        JSON-like: a string, a list of accepted answers, or a small mapping (e.g. the correct
        and the incorrect candidate). None when the task has no reference to show.
        """
        return None

    def rescore(self, items: Sequence[Item], records: Sequence[ItemRecord],
                scorers: Scorers) -> Rescored:
        """Model-based metrics (COMET, a judge) over the scored records, as new records.

        Tasks without such metrics keep the records as they are.
        """
        return Rescored(tuple(records))

    def metrics(self, scored_by: Mapping[str, str]) -> list[MetricSpec]:
        """The task's metrics, primary first.

        ``scored_by`` is :attr:`Rescored.scored_by`: the descriptors of the model-based
        scorers that ran (empty when none did), for the metric descriptions.
        """
        raise NotImplementedError

    def breakdown(self, items: Sequence[Item], records: Sequence[ItemRecord], *,
                  count_errors: bool = True) -> dict[str, Any]:
        """Optional extra tables (e.g. OCRBench's ten categories).

        ``count_errors`` is the run's error policy: failed items count as the metric's
        zero (the default), or are left out (``--exclude-errors``), as in the scores.
        """
        return {}

    # ------------------------------------------------------------ provenance
    def prompt_fingerprint(self) -> str:
        blob = json.dumps({"templates": dict(self.templates), "config": self.config,
                           "generation": self.settings().describe()}, sort_keys=True,
                          default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:8]

    def describe_options(self) -> str:
        return ",".join(f"{k}={v}" for k, v in sorted(self.config.items()))

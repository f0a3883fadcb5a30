"""Load benchmark records with the ``datasets`` library: hub ids, local copies, bundled data.

Every source yields a :class:`datasets.Dataset` in the benchmark's real record schema, with
media columns left encoded (``decode=False``) so items hash the exact bytes a model sees.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import datasets


class DataSourceError(FileNotFoundError):
    """A dataset path or hub id that cannot be loaded; the message names it."""


@dataclass(frozen=True)
class HubDataset:
    """A dataset on the Hugging Face hub, pinned to a revision."""

    repo: str
    revision: str
    split: str
    config: str | None = None

    def describe(self) -> str:
        cfg = f"/{self.config}" if self.config else ""
        return f"hf:{self.repo}{cfg}@{self.revision[:12]}:{self.split}"


@dataclass(frozen=True)
class LocalDataset:
    """A local copy in the real schema: a ``save_to_disk`` folder, or parquet/jsonl files."""

    path: Path
    split: str | None = None

    def describe(self) -> str:
        return f"local:{self.path.name}" + (f":{self.split}" if self.split else "")


DataSource = HubDataset | LocalDataset


def load_records(source: DataSource) -> datasets.Dataset:
    """Load ``source`` into a Dataset with undecoded media columns."""
    import datasets

    if isinstance(source, HubDataset):
        try:
            ds = datasets.load_dataset(source.repo, source.config, split=source.split,
                                       revision=source.revision)
        except Exception as exc:  # the hub raises many types; all mean "cannot load"
            raise DataSourceError(
                f"cannot load dataset {source.describe()} from the Hugging Face hub ({exc}). "
                "Offline? Point the task at a local copy with --data TASK=PATH.") from exc
    else:
        ds = _load_local(source)
    return _undecode_media(ds)


def _load_local(source: LocalDataset) -> datasets.Dataset:
    import datasets

    path = source.path
    if not path.exists():
        raise DataSourceError(f"dataset path {str(path)!r} does not exist")
    if (path / "dataset_info.json").is_file() or (path / "dataset_dict.json").is_file():
        loaded = datasets.load_from_disk(str(path))
        if isinstance(loaded, datasets.DatasetDict):
            return _pick_split(loaded, source)
        return loaded
    files = sorted(p for p in path.rglob("*") if p.suffix in {".parquet", ".jsonl", ".json"}
                   and not p.name.startswith(".") and p.name not in {"dataset_info.json"})
    if not files:
        raise DataSourceError(f"dataset folder {str(path)!r} holds no save_to_disk dataset and "
                              "no .parquet/.jsonl files")
    kinds = {p.suffix for p in files}
    if len(kinds) > 1 and ".parquet" in kinds:
        files = [p for p in files if p.suffix == ".parquet"]
    if source.split:
        named = [p for p in files if p.stem.split("-")[0] == source.split
                 or p.parent.name == source.split]
        files = named or files
    builder = "parquet" if files[0].suffix == ".parquet" else "json"
    if builder == "parquet":
        # Small local parquet files: read straight into a Dataset (no cache folder written).
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.concat_tables([pq.read_table(p) for p in files])
        return datasets.Dataset(table)
    return datasets.load_dataset("json", data_files=[str(p) for p in files], split="train")


def _pick_split(dd: datasets.DatasetDict, source: LocalDataset) -> datasets.Dataset:
    if source.split and source.split in dd:
        return dd[source.split]
    if len(dd) == 1:
        return next(iter(dd.values()))
    raise DataSourceError(f"dataset {str(source.path)!r} has splits {sorted(dd)}; "
                          f"expected {source.split!r}")


def _undecode_media(ds: datasets.Dataset) -> datasets.Dataset:
    import datasets

    for name, feat in ds.features.items():
        if isinstance(feat, datasets.Image) and feat.decode:
            ds = ds.cast_column(name, datasets.Image(decode=False))
        video = getattr(datasets, "Video", None)
        if video is not None and isinstance(feat, video) and feat.decode:
            ds = ds.cast_column(name, video(decode=False))
    return ds


def base_dir(source: DataSource) -> str | None:
    """The folder relative media paths resolve against."""
    return os.fspath(source.path) if isinstance(source, LocalDataset) else None

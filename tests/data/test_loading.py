"""Local copies in the real schema: save_to_disk folders, parquet, jsonl with image files."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from PIL import Image

from tvbench.data.loading import DataSourceError, LocalDataset, load_records


def _png(color: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (color, 0, 0)).save(buf, "PNG")
    return buf.getvalue()


def _dataset():
    import datasets

    feats = datasets.Features({"question": datasets.Value("string"), "image": datasets.Image()})
    return datasets.Dataset.from_dict(
        {"question": ["a?", "b?"], "image": [{"bytes": _png(1), "path": None},
                                           {"bytes": _png(2), "path": None}]}, features=feats)


def test_save_to_disk_folder_and_dataset_dict(tmp_path: Path) -> None:
    import datasets

    _dataset().save_to_disk(str(tmp_path / "one"))
    ds = load_records(LocalDataset(tmp_path / "one"))
    assert ds[0]["image"]["bytes"] == _png(1)  # media stays encoded
    datasets.DatasetDict({"validation": _dataset(), "train": _dataset()}).save_to_disk(
        str(tmp_path / "dd"))
    assert len(load_records(LocalDataset(tmp_path / "dd", split="validation"))) == 2
    with pytest.raises(DataSourceError, match="has splits"):
        load_records(LocalDataset(tmp_path / "dd", split="test"))


def test_parquet_folder_keeps_features(tmp_path: Path) -> None:
    _dataset().to_parquet(str(tmp_path / "validation-00000.parquet"))
    ds = load_records(LocalDataset(tmp_path, split="validation"))
    assert ds[1]["question"] == "b?" and ds[1]["image"]["bytes"] == _png(2)


def test_jsonl_with_image_files(tmp_path: Path) -> None:
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "x.png").write_bytes(_png(3))
    (tmp_path / "test.jsonl").write_text(json.dumps({"question": "q", "image": "img/x.png"}) + "\n")
    ds = load_records(LocalDataset(tmp_path, split="test"))
    assert ds[0]["image"] == "img/x.png"  # resolved against the folder by media_bytes


def test_missing_or_empty_folders_are_named(tmp_path: Path) -> None:
    with pytest.raises(DataSourceError, match="does not exist"):
        load_records(LocalDataset(tmp_path / "nope"))
    with pytest.raises(DataSourceError, match="no .parquet/.jsonl"):
        load_records(LocalDataset(tmp_path))

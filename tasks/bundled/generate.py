"""Regenerate the bundled synthetic data sets: ``python -m tvbench_tasks.bundled.generate``.

Each set is small, multilingual where the benchmark is, and written in the exact record
schema of the real dataset (same field names and ``datasets`` feature types), as one
parquet file per task plus media where the real dataset keeps files beside its table.
Output is deterministic: the same code and fonts give the same files.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TASKS = ("alm_bench", "multi30k", "commute", "vimul_bench", "textvqa", "ocrbench", "cc_ocr")


def write_parquet(rows: dict[str, list[object]], features: object, path: Path) -> None:
    """Write rows with their ``datasets`` features (kept in the parquet schema metadata)."""
    import datasets

    path.parent.mkdir(parents=True, exist_ok=True)
    ds = datasets.Dataset.from_dict(rows, features=features)  # type: ignore[arg-type]
    tmp = path.with_name(path.name + ".tmp")
    ds.to_parquet(str(tmp))
    tmp.replace(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("tasks", nargs="*", metavar="TASK",
                        help=f"tasks to regenerate (default: all of {', '.join(TASKS)})")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.tasks) - set(TASKS))
    if unknown:
        parser.error(f"unknown task(s) {', '.join(unknown)}; choose from {', '.join(TASKS)}")
    for name in args.tasks or TASKS:
        module = importlib.import_module(f"tvbench_tasks.bundled.make_{name}")
        module.build(HERE / name)
        print(f"wrote {HERE / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

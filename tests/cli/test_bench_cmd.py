"""``tvbench bench``: the JSON it writes (phases, parity, load time), its BENCHMARKS.md
sections, and the workloads it measures. Timings are never asserted on, only present."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from tvbench.runs.workloads import PHOTO_SIZE, WORKLOADS, build, photo_jpeg


def test_bench_writes_every_phase_per_batch_size_and_a_labelled_section(cli) -> None:
    Path("BENCH.md").write_text("# Benchmarks\n\nintro\n")
    args = ("bench", "--model", "qwen2_5_vl", "--workload", "photos", "--items", "3",
            "--batch-sizes", "1,2", "--repeat", "1", "--new-tokens", "3",
            "--skip-default-run", "--json", "b.json", "--write", "BENCH.md")
    code, out = cli(*args)
    assert code == 0, out
    data = json.loads(Path("b.json").read_text())
    assert data["workload"] == "photos" and data["items"] == 3
    assert data["machine"]["cpu_count"] >= 1 and "startup_s" not in data
    (model,) = data["models"]
    assert model["model"] == "tiny-qwen2_5_vl" and model["device"] == "cpu"
    assert model["load_s"] > 0 and model["image_processor"] == "Qwen2VLImageProcessor"
    rows = {r["batch_size"]: r for r in model["rows"]}
    assert set(rows) == {1, 2}
    for row in rows.values():
        for key in ("data", "preprocess", "model", "postprocess", "wall", "items_per_s",
                    "tokens_per_s", "outside_model", "wall_over_max_cpu_model",
                    "wall_over_max_preprocess_model"):
            assert row[key] is not None and row[key] >= 0, key
        assert row["model"] > 0 and row["wall"] > 0 and row["tokens"] > 0
        assert row["peak_gpu_gib"] is None  # no GPU here
    assert rows[2]["parity"] == {"checked": 3, "mismatches": 0}
    assert rows[1]["parity"] == {}
    text = Path("BENCH.md").read_text()
    assert text.startswith("# Benchmarks\n\nintro\n")
    assert "<!-- tvbench bench: begin photos-cpu -->" in text
    assert "| tiny-qwen2_5_vl | 2 |" in text and "Command: `tvbench " in text
    # a second run replaces its own section and leaves others alone
    Path("BENCH.md").write_text(text + "\n<!-- tvbench bench: begin other -->\nkeep\n"
                                "<!-- tvbench bench: end other -->\n")
    assert cli(*args)[0] == 0
    again = Path("BENCH.md").read_text()
    assert again.count("begin photos-cpu") == 1 and "keep" in again


def test_bench_loglikelihood_workload_reports_score_differences(cli) -> None:
    code, out = cli("bench", "--model", "gemma3", "--workload", "loglikelihood", "--items", "4",
                    "--batch-sizes", "2,4", "--repeat", "1", "--check-parity", "4",
                    "--skip-default-run", "--json", "ll.json")
    assert code == 0, out
    rows = json.loads(Path("ll.json").read_text())["models"][0]["rows"]
    for row in rows:  # parity against a separate batch-size-1 run (1 is not in the sweep)
        assert row["parity"]["checked"] == 4 and row["parity"]["mismatches"] == 0
        assert row["parity"]["max_abs_diff"] < 1e-4
        assert row["tokens"] > 0


def test_bench_flags_are_checked(cli) -> None:
    code, out = cli("bench", "--batch-sizes", "1,x", "--skip-default-run")
    assert code == 2 and "--batch-sizes '1,x'" in out
    code, out = cli("bench", "--batch-sizes", "0", "--skip-default-run")
    assert code == 2 and "at least 1" in out
    code, out = cli("bench", "--model", "random:qwen2_5_vl-70b", "--skip-default-run")
    assert code == 2 and "7b" in out


def test_workloads_are_deterministic_and_photo_like() -> None:
    from PIL import Image

    one, two = photo_jpeg(5), photo_jpeg(5)
    assert one == two and one != photo_jpeg(6)
    image = Image.open(io.BytesIO(one))
    assert image.format == "JPEG" and image.size == PHOTO_SIZE
    assert 50_000 < len(one) < 1_000_000, "compresses like a photo, not like a flat image"
    for name in WORKLOADS:
        work = build(name, 3)
        assert len(work.inputs) == 3 and work.kind == (
            "loglikelihood" if name == "loglikelihood" else "generate")
    assert build("video", 1).inputs[0].videos and build("photos", 1).inputs[0].images
    ll = build("loglikelihood", 2)
    assert ll.continuations and len(ll.continuations) == 2
    with pytest.raises(Exception, match="Did you mean 'photos'"):
        build("photo", 2)


def test_the_default_section_replaces_the_unlabelled_one_of_older_files(tmp_path: Path) -> None:
    from tvbench.cli.bench_cmd import write_section

    path = tmp_path / "B.md"
    path.write_text("top\n<!-- tvbench bench: begin -->\nold\n<!-- tvbench bench: end -->\nend\n")
    write_section(path, "default", "new numbers")
    assert path.read_text() == ("top\n<!-- tvbench bench: begin default -->\nnew numbers\n"
                                "<!-- tvbench bench: end default -->\nend\n")
    write_section(path, "photos-gpu", "gpu numbers")
    assert path.read_text().endswith("<!-- tvbench bench: end photos-gpu -->\n")
    with pytest.raises(ValueError, match="--label"):
        write_section(path, "bad label", "x")

"""``tvbench run`` end to end on tiny checkpoints, and its error messages."""

from __future__ import annotations

import json
from pathlib import Path


def _records(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines()]


def test_batch_size_8_gives_exactly_the_outputs_of_batch_size_1(cli, tmp_path: Path) -> None:
    code, out = cli("tiny", "qwen2_5_vl", str(tmp_path / "D"))
    assert code == 0, out
    for bs in ("8", "1"):
        code, out = cli("run", "--model", f"qwen2_5_vl:{tmp_path / 'D'}", "--tasks", "textvqa",
                        "--batch-size", bs, "--output", f"out{bs}", "--no-report",
                        "--max-new-tokens", "12")
        assert code == 0, out
    b8 = _records(Path("out8/D/records/textvqa.jsonl"))
    b1 = _records(Path("out1/D/records/textvqa.jsonl"))
    assert len(b8) == 12
    assert [r["output"] for r in b8] == [r["output"] for r in b1]
    assert len({r["output"] for r in b8}) > 1, "identical outputs would make the check vacuous"
    results = json.loads(Path("out8/D/results.json").read_text())
    block = results["tasks"]["textvqa"]
    assert "gen:greedy,max12" in block["signature"] and "model:" in block["signature"]
    assert set(block["languages"]) == {"en"} and "unseen" in block["languages"]["en"]
    assert results["run"]["batch_size"] == 8


def test_rerunning_resumes_instead_of_redoing(cli) -> None:
    args = ("run", "--model", "gemma3", "--tasks", "textvqa", "--output", "o", "--no-report")
    assert cli(*args)[0] == 0
    first = Path("o/tiny-gemma3/records/textvqa.jsonl").read_text()
    code, out = cli(*args)
    assert code == 0 and "resuming, 12/12 items done" in out
    assert Path("o/tiny-gemma3/records/textvqa.jsonl").read_text() == first


def test_unknown_names_and_paths_get_clear_messages(cli) -> None:
    code, out = cli("run", "--model", "gemma3", "--tasks", "textvq", "--no-report")
    assert code == 2 and "unknown task 'textvq'. Did you mean 'textvqa'?" in out
    code, out = cli("run", "--model", "gema3", "--tasks", "textvqa", "--no-report")
    assert code == 2 and "Did you mean" in out and "gemma3" in out
    code, out = cli("run", "--model", "gemma3:/no/such/checkpoint", "--tasks", "textvqa",
                    "--no-report")
    assert code == 2 and "checkpoint folder '/no/such/checkpoint' does not exist" in out


def test_a_malformed_config_names_file_key_and_line(cli) -> None:
    Path("tvbench.toml").write_text("[run]\nbatch_size = 8\nmodles = []\n")
    code, out = cli("run", "--no-report")
    assert code == 2
    assert "tvbench.toml:3: key 'run.modles'" in out and "Did you mean 'models'" in out


def test_overwrite_refuses_a_folder_that_is_not_only_a_run_and_deletes_nothing(cli) -> None:
    args = ("run", "--model", "gemma3", "--tasks", "textvqa", "--output", "o", "--no-report")
    assert cli(*args)[0] == 0
    folder = Path("o/tiny-gemma3")
    (folder / "notes.txt").write_text("keep me")
    before = sorted(str(p) for p in folder.rglob("*"))
    code, out = cli(*args, "--overwrite")
    assert code == 2, out
    assert "--overwrite: o/tiny-gemma3 is not (only) a tvbench run folder: it holds " \
           "notes.txt; nothing was deleted" in " ".join(out.split())
    assert sorted(str(p) for p in folder.rglob("*")) == before
    (folder / "notes.txt").unlink()
    code, out = cli(*args, "--overwrite")  # a folder tvbench wrote, and only that: cleared
    assert code == 0, out
    assert "resuming" not in out
    assert "--overwrite: cleared the earlier run" in (folder / "run.log").read_text()


def test_a_rerun_sweeps_temporary_files_a_killed_run_left(cli) -> None:
    args = ("run", "--model", "gemma3", "--tasks", "textvqa", "--output", "o", "--no-report")
    assert cli(*args)[0] == 0
    folder = Path("o/tiny-gemma3")
    thumb = next((folder / "thumbs" / "textvqa").iterdir())
    left = [folder / ".results.json.k2j3.tmp", thumb.with_name(f".{thumb.name}.x8q.tmp")]
    for path in left:
        path.write_bytes(b"half a file")  # what a SIGKILL mid-write leaves
    code, out = cli(*args)
    assert code == 0, out
    assert not [p for p in folder.rglob("*") if p.name.endswith(".tmp")]
    log = (folder / "run.log").read_text()
    assert all(f"removed a temporary file left by an earlier run: {p}" in log for p in left)


def test_a_model_that_fails_to_load_leaves_no_folder_behind_and_logs_why(cli) -> None:
    Path("ckpt").mkdir()  # a folder, but no checkpoint in it: found only when loading
    args = ("run", "--model", "gemma3:ckpt", "--tasks", "textvqa", "--output", "o")
    code, out = cli(*args)
    assert code == 2, out
    assert not Path("o").exists(), "a run that did nothing leaves nothing"
    code, out = cli("run", "--model", "gemma3:ckpt", "--tasks", "textvqa", "--output", "d/e/o")
    assert code == 2 and not Path("d").exists(), "nor the output folders it created"
    Path("keep").mkdir()
    assert cli("run", "--model", "gemma3:ckpt", "--tasks", "textvqa", "--output", "keep/o"
               )[0] == 2
    assert Path("keep").is_dir() and not Path("keep/o").exists()
    Path("o/ckpt").mkdir(parents=True)  # a folder that was there is kept, with the log
    code, out = cli(*args)
    assert code == 2
    why = out.split("tvbench: error: ")[1].strip()
    assert "failed: " in Path("o/ckpt/run.log").read_text()
    assert why[:60] in Path("o/ckpt/run.log").read_text()


def test_language_preset_and_error_policy_flags(cli) -> None:
    """``--languages all`` and ``--exclude-errors`` reach results.json and the signatures;
    the default is the paper's set with failed items counted."""
    import json

    code, out = cli("run", "--model", "gemma3", "--tasks", "cc_ocr", "--limit", "1",
                    "--output", "a", "--no-report")
    assert code == 0, out
    default = json.loads(Path("a/tiny-gemma3/results.json").read_text())
    block = default["tasks"]["cc_ocr"]
    assert sorted(block["languages"]) == ["de", "es", "fr", "it", "ko", "pt", "ru"]
    assert "|langset:paper|" in block["signature"] and "|errors:zero|" in block["signature"]
    assert default["run"]["languages"] == "paper" and not default["run"]["exclude_errors"]
    code, out = cli("run", "--model", "gemma3", "--tasks", "cc_ocr", "--limit", "1",
                    "--languages", "all", "--exclude-errors", "--output", "b", "--no-report")
    assert code == 0, out
    other = json.loads(Path("b/tiny-gemma3/results.json").read_text())
    block = other["tasks"]["cc_ocr"]
    assert len(block["languages"]) > 7 and block["language_set"]["preset"] == "all"
    assert "|langset:all|" in block["signature"] and "|errors:excluded|" in block["signature"]
    assert other["run"] == {**other["run"], "languages": "all", "exclude_errors": True}


def test_token_budget_and_parity_check_end_to_end(cli) -> None:
    code, out = cli("run", "--model", "aya_vision", "--tasks", "textvqa,commute", "--output",
                    "o", "--no-report", "--batch-size", "8", "--batch-tokens", "300",
                    "--check-parity", "4")
    assert code == 0, out
    flat = " ".join(out.split())  # the console wraps long notes
    assert ("commute: 4 item(s) re-run at batch size 1 against batch size 8: all identical "
            "(largest log-likelihood difference") in flat
    results = json.loads(Path("o/tiny-aya_vision/results.json").read_text())
    run = results["run"]
    assert (run["batch_size"], run["batch_tokens"], run["device"], run["batch_exact"]) == (
        8, 300, "cpu", True)
    assert results["tasks"]["textvqa"]["parity"]["divergence"] == 0.0
    assert results["tasks"]["commute"]["parity"]["max_abs_diff"] < 1e-4
    code, out = cli("report", "o", "--out", "rep", "--format", "md")
    assert code == 0, out
    board = " ".join(Path("rep/leaderboard.md").read_text().split())
    assert "parity: 0/4 checked items differ from batch size 1 at batch size 8 (0.0 % " \
           "divergence)" in board


def test_run_accepts_a_random_model(cli) -> None:
    code, out = cli("run", "--model", "random:gemma3-tiny", "--tasks", "textvqa", "--output",
                    "o", "--no-report", "--limit", "4")
    assert code == 0, out
    results = json.loads(Path("o/random-gemma3-tiny/results.json").read_text())
    model = results["model"]
    assert (model["source"], model["revision"], model["dtype"]) == (
        "random:gemma3-tiny", "seed0", "float32")
    assert results["run"]["device"] == "cpu" and results["run"]["batch_exact"] is True
    assert "model:random:gemma3-tiny@seed0" in results["tasks"]["textvqa"]["signature"]
